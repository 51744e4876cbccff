"""The import layers (docs/architecture.md, "Layers"): every product import points down or
sideways, never up, and no modules import each other in a circle.

    0  intake.model, intake.errors, intake.checkdigits plain data, the one exception tree, check digits
    1  schemas                                        the registry of type and packet files
    2  extractors, intake.validation                  pure leaves: no pipeline, store, OCR, review
    3  intake.ocr, intake.db/store/pipeline, …        the machinery that runs them
    4  review, CLIs (intake.cli*, */cli.py)           what people and other systems touch

The graph is read from the source with `ast` (every ``import``, also those inside functions:
a late import is still a dependency), so the check needs no import of the product and runs
in well under a second. `test_a_back_edge_fails` shows the check catching an edge added on
purpose, on a copy of the graph.
"""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("intake", "extractors", "review", "schemas")

# Imports that may point up, and circles that may stay, each with its reason. Both are empty:
# extraction re-reads through the `RegionReader` the pipeline passes (intake/model.py), and the
# strategy registry lives below its implementations (extractors/context.py). An entry that is
# no longer needed fails `test_allow_list_is_still_needed` / `test_known_cycles_are_still_there`.
ALLOWED: set[tuple[str, str]] = set()
KNOWN_CYCLES: list[list[str]] = []


def layer(module: str) -> int:
    parts = module.split(".")
    if module in ("intake.model", "intake.errors", "intake.checkdigits", "intake.imaging"):
        return 0
    if parts[0] == "schemas":
        return 1
    if parts[-1] == "cli" or parts[-1].startswith("cli_") or parts[0] == "review":
        return 4
    if parts[0] == "extractors" or module.startswith("intake.validation"):
        return 2
    if module == "intake":  # the package itself holds only __version__
        return 0
    return 3


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def product_modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for p in (ROOT / pkg).rglob("*.py"):
            out[module_name(p)] = p
    return out


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The product module ``name`` denotes (its longest known prefix), None outside the product."""
    parts = name.split(".")
    while parts:
        cand = ".".join(parts)
        if cand in modules:
            return cand
        parts.pop()
    return None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    here = module.split(".") if is_pkg else module.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from pkg import mod` imports pkg.mod when that is a module, else a name of pkg.
            names = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in modules else prefix for a in node.names]
        for n in names:
            target = _resolve(n, modules)
            if target and target != module:
                out.add(target)
    return out


@lru_cache(maxsize=1)
def _graph() -> tuple[tuple[str, frozenset[str]], ...]:
    modules = product_modules()
    return tuple((m, frozenset(imports_of(m, p, modules))) for m, p in sorted(modules.items()))


def import_graph() -> dict[str, set[str]]:
    """``{module: modules it imports}`` over the product packages (a fresh copy each call)."""
    return {m: set(ts) for m, ts in _graph()}


def back_edges(graph: dict[str, set[str]], allowed: set[tuple[str, str]] = frozenset()) -> list[str]:
    """Imports that point to a higher layer (not in ``allowed``), as readable lines."""
    out = []
    for m, targets in sorted(graph.items()):
        for t in sorted(targets):
            if layer(t) > layer(m) and (m, t) not in allowed:
                out.append(f"{m} (layer {layer(m)}) imports {t} (layer {layer(t)})")
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), packages' own
    ``__init__`` re-exports left out (a package importing its submodules is no circle)."""
    def edges(m):
        return [t for t in graph.get(m, ()) if not m.startswith(t + ".") and not t.startswith(m + ".")]

    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_points_up():
    graph = import_graph()
    assert back_edges(graph, ALLOWED) == []


def test_allow_list_is_still_needed():
    # An entry that no longer matches an import is stale: remove it (the list only shrinks).
    graph = import_graph()
    stale = sorted((m, t) for m, t in ALLOWED if t not in graph.get(m, set()))
    assert stale == [], stale


def test_no_import_cycles():
    assert [c for c in cycles(import_graph()) if c not in KNOWN_CYCLES] == []


def test_known_cycles_are_still_there():
    found = cycles(import_graph())
    assert [c for c in KNOWN_CYCLES if c not in found] == []  # gone: remove it from the list


def test_leaves_never_import_the_machinery():
    graph = import_graph()
    forbidden = ("intake.pipeline", "intake.store", "intake.db", "intake.ocr", "review", "intake.watch")
    bad = sorted((m, t) for m, ts in graph.items() if layer(m) == 2 for t in ts
                 if any(t == f or t.startswith(f + ".") for f in forbidden) and (m, t) not in ALLOWED)
    assert bad == []


def test_a_back_edge_fails():
    """The check is not vacuous: a validation module importing the pipeline, or the schema
    registry importing extraction, is reported (on a copy of the graph; the source is untouched)."""
    graph = {m: set(ts) for m, ts in import_graph().items()}
    assert back_edges(graph, ALLOWED) == []
    graph["intake.validation.checks"].add("intake.pipeline")
    graph["schemas.registry"].add("extractors.strategies")
    found = back_edges(graph, ALLOWED)
    assert "intake.validation.checks (layer 2) imports intake.pipeline (layer 3)" in found
    assert "schemas.registry (layer 1) imports extractors.strategies (layer 2)" in found
    # and a circle: two leaves that import each other
    graph["extractors.dates"].add("extractors.codes")
    graph["extractors.codes"].add("extractors.dates")
    assert ["extractors.codes", "extractors.dates"] in cycles(graph)
