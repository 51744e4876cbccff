"""The extractors' modules import each other without a circle at module level.

Strategies, ranking and label search share extractors/context.py (the bottom layer); the
registry imports strategies only inside the function that checks a schema's names."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "extractors"


def _graph() -> dict[str, set[str]]:
    g = {}
    for f in ROOT.glob("*.py"):
        deps = set()
        for node in ast.parse(f.read_text("utf-8")).body:  # module level only (not inside functions)
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                deps |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
        g[f.stem] = deps
    return g


def _cycles(g: dict[str, set[str]]) -> list[list[str]]:
    seen, stack, out = set(), [], []

    def visit(n):
        if n in stack:
            out.append(stack[stack.index(n):] + [n])
            return
        if n in seen:
            return
        seen.add(n)
        stack.append(n)
        for d in sorted(g.get(n, ())):
            visit(d)
        stack.pop()

    for n in sorted(g):
        visit(n)
    return out


def test_no_import_circle_inside_extractors():
    assert _cycles(_graph()) == []


def test_context_is_the_bottom_layer_and_registry_does_not_import_strategies_at_module_level():
    g = _graph()
    assert not g["context"] & {"strategies", "text_strategies", "checkbox", "candidates", "hits", "registry"}
    assert "strategies" not in g["registry"]


def test_strategies_still_export_what_callers_import():
    from extractors import context, strategies

    assert strategies.Candidate is context.Candidate and strategies.Context is context.Context
    assert {"label", "regex", "table", "checkbox", "seal", "qr"} <= set(context.STRATEGIES)
