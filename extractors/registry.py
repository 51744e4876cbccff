"""Document types, loaded from schema files.

A document type is a JSON Schema file (draft 2020-12 plus the ``x-`` keywords
of ``schemas/meta.schema.json``), not Python. The built-in types are the
``*.json`` files of the ``schemas`` package; more directories come from
``load_registry(extra_dirs=...)`` and the ``DOCINTAKE_SCHEMA_DIRS``
environment variable (``os.pathsep``-separated). A later directory's file of
the same name replaces an earlier one.

An invalid schema is never skipped: ``load_registry`` raises
``intake.errors.SchemaError`` naming the file and the JSON path inside it.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Iterable

from intake.errors import SchemaError

META_SCHEMA_NAME = "meta.schema.json"
ENV_DIRS = "DOCINTAKE_SCHEMA_DIRS"


@dataclass(frozen=True)
class SchemaProblem:
    file: str
    path: str  # JSON pointer inside the file, "" for the whole file
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path or '/'}: {self.message}"


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label_zh: str
    type: str  # "string" | "boolean"
    format: str | None
    personal: bool
    order: int
    required: bool
    extract: tuple[dict[str, Any], ...]  # x-extract, always a tuple of specs
    schema: dict[str, Any] = field(compare=False, hash=False, repr=False, default_factory=dict)


@dataclass(frozen=True)
class DocType:
    name: str
    schema: dict[str, Any] = field(compare=False, hash=False, repr=False)
    source: str = ""

    @property
    def title(self) -> str:
        return self.schema.get("title", self.name)

    @property
    def title_zh(self) -> str:
        return self.schema.get("x-title-zh", self.name)

    @cached_property
    def fields(self) -> list[FieldSpec]:
        """Fields in x-order."""
        return _fields(self)

    def field(self, key: str) -> FieldSpec:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    @property
    def required(self) -> list[str]:
        return list(self.schema.get("required", []))

    @property
    def confidence_threshold(self) -> float:
        return float(self.schema.get("x-review", {}).get("confidence_threshold", 0.85))

    @property
    def classify(self) -> dict[str, Any]:
        return self.schema.get("x-classify", {})

    @property
    def ocr_engine(self) -> str | None:
        return self.schema.get("x-ocr-engine")


def _fields(doc: DocType) -> list[FieldSpec]:
    required = set(doc.schema.get("required", []))
    out = []
    for k, p in doc.schema.get("properties", {}).items():
        ex = p.get("x-extract", [])
        specs = tuple(ex) if isinstance(ex, list) else (ex,)
        out.append(
            FieldSpec(
                key=k,
                label_zh=p.get("x-label-zh", k),
                type=p.get("type", "string"),
                format=p.get("format"),
                personal=bool(p.get("x-personal", False)),
                order=int(p.get("x-order", 0)),
                required=k in required,
                extract=specs,
                schema=p,
            )
        )
    out.sort(key=lambda f: (f.order, f.key))
    return out


@dataclass
class Registry:
    types: dict[str, DocType]

    def get(self, name: str) -> DocType:
        try:
            return self.types[name]
        except KeyError:
            raise SchemaError(
                f"未知的文档类型 “{name}”。Unknown document type {name!r}; known: {', '.join(sorted(self.types))}"
            ) from None

    def __contains__(self, name: str) -> bool:
        return name in self.types

    def __iter__(self):
        return iter(self.types.values())

    def names(self) -> list[str]:
        return list(self.types)


# ---------------------------------------------------------------------------
# Locating and checking schema files
# ---------------------------------------------------------------------------


def builtin_dir() -> Path:
    return Path(str(files("schemas")))


def meta_schema() -> dict[str, Any]:
    return json.loads((builtin_dir() / META_SCHEMA_NAME).read_text(encoding="utf-8"))


def schema_dirs(extra_dirs: Iterable[str | os.PathLike] = ()) -> list[Path]:
    dirs = [builtin_dir()]
    env = os.environ.get(ENV_DIRS, "")
    dirs += [Path(d) for d in env.split(os.pathsep) if d.strip()]
    dirs += [Path(d) for d in extra_dirs]
    return dirs


def schema_files(extra_dirs: Iterable[str | os.PathLike] = ()) -> list[Path]:
    out: list[Path] = []
    for d in schema_dirs(extra_dirs):
        if not d.is_dir():
            out.append(d)  # reported by check_schemas as missing
            continue
        out += sorted(p for p in d.glob("*.json") if p.name != META_SCHEMA_NAME)
    return out


def _pointer(parts) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts) if parts else ""


@lru_cache(maxsize=1)
def _meta_validator():
    from jsonschema import Draft202012Validator, FormatChecker

    meta = meta_schema()
    Draft202012Validator.check_schema(meta)
    return Draft202012Validator(meta, format_checker=FormatChecker(formats=["regex"]))


def _semantic_problems(name: str, schema: dict[str, Any]) -> list[tuple[str, str]]:
    """What the meta-schema cannot say: names must resolve, regexes compile, orders are unique."""
    from . import normalize, strategies

    problems: list[tuple[str, str]] = []
    props = schema.get("properties", {})
    for i, req in enumerate(schema.get("required", [])):
        if req not in props:
            problems.append((f"/required/{i}", f"required field {req!r} is not in properties"))
    orders: dict[int, str] = {}
    for key, prop in props.items():
        if not isinstance(prop, dict):
            continue
        o = prop.get("x-order")
        if isinstance(o, int):
            if o in orders:
                problems.append((f"/properties/{key}/x-order", f"x-order {o} already used by {orders[o]!r}"))
            orders[o] = key
        ex = prop.get("x-extract")
        specs = ex if isinstance(ex, list) else [ex]
        for j, spec in enumerate(specs):
            if not isinstance(spec, dict):
                continue
            base = f"/properties/{key}/x-extract" + (f"/{j}" if isinstance(ex, list) else "")
            st = spec.get("strategy")
            if st and st not in strategies.STRATEGIES:
                problems.append(
                    (f"{base}/strategy", f"unknown strategy {st!r}; known: {', '.join(sorted(strategies.STRATEGIES))}")
                )
            nz = spec.get("normalizer")
            if nz and nz not in normalize.NORMALIZERS:
                problems.append(
                    (f"{base}/normalizer", f"unknown normalizer {nz!r}; known: {', '.join(sorted(normalize.NORMALIZERS))}")
                )
            pat = spec.get("pattern")
            if isinstance(pat, str):
                try:
                    re.compile(pat)
                except re.error as exc:
                    problems.append((f"{base}/pattern", f"invalid regex: {exc}"))
    for i, chk in enumerate(schema.get("x-cross-checks", []) or []):
        if not isinstance(chk, dict):
            continue
        keys = list(chk.get("sum", [])) + ([chk["equals"]] if "equals" in chk else []) + list(chk.get("same", []))
        for f in keys:
            if f not in props:
                problems.append((f"/x-cross-checks/{i}", f"field {f!r} is not in properties"))
            elif props[f].get("format") != "money":
                problems.append((f"/x-cross-checks/{i}", f"field {f!r} must have format money"))
    for key, prop in props.items():
        if isinstance(prop, dict):
            for j, f in enumerate(prop.get("x-distinct-from", []) or []):
                if f not in props:
                    problems.append((f"/properties/{key}/x-distinct-from/{j}", f"field {f!r} is not in properties"))
    for kw in ("x-seal", "x-signature"):
        for i, f in enumerate(schema.get(kw, []) or []):
            if f not in props:
                problems.append((f"/{kw}/{i}", f"field {f!r} is not in properties"))
            elif props[f].get("type") != "boolean":
                problems.append((f"/{kw}/{i}", f"field {f!r} must be boolean"))
    for kw in ("x-jurisdiction", "x-not-expired"):
        obj = schema.get(kw)
        if isinstance(obj, dict):
            for role, f in obj.items():
                if role == "rule":
                    continue
                if f not in props:
                    problems.append((f"/{kw}/{role}", f"field {f!r} is not in properties"))
    engine = schema.get("x-ocr-engine")
    if engine:
        from intake.ocr.base import available_engines

        if engine not in available_engines():
            problems.append(("/x-ocr-engine", f"unknown OCR engine {engine!r}; available: {', '.join(available_engines())}"))
    return problems


def check_file(path: str | os.PathLike) -> list[SchemaProblem]:
    path = Path(path)
    fname = str(path)
    if not path.exists():
        return [SchemaProblem(fname, "", "no such file or directory")]
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        return [SchemaProblem(fname, "", f"not UTF-8: {exc}")]
    except json.JSONDecodeError as exc:
        return [SchemaProblem(fname, "", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")]
    if not isinstance(schema, dict):
        return [SchemaProblem(fname, "", "a schema must be a JSON object")]
    problems: list[SchemaProblem] = []
    validator = _meta_validator()
    errors = sorted(validator.iter_errors(schema), key=lambda e: list(map(str, e.absolute_path)))
    for err in errors:
        if "propertyNames" in err.schema_path:
            where = _pointer(list(err.absolute_path) + [err.instance])
            problems.append(SchemaProblem(fname, where, f"unknown keyword {err.instance!r} (see schemas/meta.schema.json)"))
            continue
        # oneOf/anyOf: report the most specific reason
        best = err
        if err.context:
            from jsonschema.exceptions import best_match

            best = best_match(err.context) or err
        problems.append(SchemaProblem(fname, _pointer(list(best.absolute_path)), best.message))
    try:
        semantic = _semantic_problems(path.stem, schema)
    except (AttributeError, TypeError, KeyError):  # shapes the meta-schema already reported
        semantic = []
    seen = {(p.path, p.message) for p in problems}
    problems += [SchemaProblem(fname, p, m) for p, m in semantic if (p, m) not in seen]
    return problems


def check_schemas(paths: Iterable[str | os.PathLike] | None = None) -> list[SchemaProblem]:
    """Validate schema files against the meta-schema (default: every registered file)."""
    targets = [Path(p) for p in paths] if paths is not None else schema_files()
    out: list[SchemaProblem] = []
    for p in targets:
        if p.is_dir():
            for f in sorted(p.glob("*.json")):
                if f.name != META_SCHEMA_NAME:
                    out += check_file(f)
        else:
            out += check_file(p)
    return out


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def _load(extra: tuple[str, ...], env: str) -> Registry:
    types: dict[str, DocType] = {}
    files_ = schema_files(extra)
    problems = check_schemas(files_)
    if problems:
        head = problems[0]
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SchemaError(
            f"模式文件无效：{head.file}: {head.path or '/'}: {head.message}{more}. "
            f"Invalid schema {head.file} at {head.path or '/'}: {head.message}{more}. "
            "Run `docintake schemas check` for every problem."
        )
    for p in files_:
        schema = json.loads(p.read_text(encoding="utf-8"))
        types[p.stem] = DocType(name=p.stem, schema=schema, source=str(p))
    return Registry(types=types)


_CACHE: dict[tuple, Registry] = {}


def load_registry(extra_dirs: Iterable[str | os.PathLike] = ()) -> Registry:
    """Every document type (cached per extra_dirs and DOCINTAKE_SCHEMA_DIRS)."""
    extra = tuple(str(d) for d in extra_dirs)
    key = (extra, os.environ.get(ENV_DIRS, ""))
    reg = _CACHE.get(key)
    if reg is None:
        reg = _load(extra, key[1])
        _CACHE[key] = reg
    return reg


def clear_cache() -> None:
    _CACHE.clear()
