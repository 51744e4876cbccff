"""The one reader of document-type and packet files.

A document type is a JSON Schema file (draft 2020-12 plus the ``x-`` keywords of
``schemas/meta.schema.json``); a packet is a file under ``packets/`` (meta-schema
``packets/_packet.schema.json``). The built-in files are this package's; more directories
come from ``DOCINTAKE_SCHEMA_DIRS`` (``os.pathsep``-separated) and ``extra_dirs``: their
``*.json`` are types, their ``packets/*.json`` packets. A later directory's file of the same
name replaces an earlier one.

Everything per type or packet that other modules need (titles, field labels and order,
personal flags, policy sources, seal-name fields, expiry messages, review thresholds, packet
titles) is read here, once, with one cache. This module sits just above ``intake.model`` and
``intake.errors``: it imports nothing else of the product. Checks that need higher layers
(strategy and normalizer names, OCR engines) are added by those layers with `add_checker`.

An invalid schema is never skipped: `load_registry` raises ``intake.errors.SchemaError``
naming the file and the JSON path inside it.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from intake.errors import SchemaError

META_SCHEMA_NAME = "meta.schema.json"
PACKET_META_NAME = "_packet.schema.json"
ENV_DIRS = "DOCINTAKE_SCHEMA_DIRS"
# The review threshold when a schema names none (meta.schema.json requires one; this is the
# only place the number is written in Python).
DEFAULT_CONFIDENCE_THRESHOLD = 0.85
UNKNOWN = "unknown"
UNKNOWN_TITLE = "无法识别的材料"


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

    @property
    def normalizer(self) -> str | None:
        """The first spec's normalizer (what OCR output went through)."""
        names = [s.get("normalizer") for s in self.extract if isinstance(s, dict) and s.get("normalizer")]
        return names[0] if names else None


@dataclass(frozen=True)
class DocType:
    name: str
    schema: dict[str, Any] = field(compare=False, hash=False, repr=False)
    source: str = ""  # the file it was read from

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

    def label(self, key: str) -> str:
        """The field's ``x-label-zh`` (the key itself for a field the schema does not have)."""
        prop = self.schema.get("properties", {}).get(key)
        if isinstance(prop, dict):
            for k in ("x-label-zh", "title"):
                if isinstance(prop.get(k), str) and prop[k]:
                    return prop[k]
        return key

    @property
    def required(self) -> list[str]:
        return list(self.schema.get("required", []))

    @property
    def confidence_threshold(self) -> float:
        return threshold_of(self.schema)

    @property
    def classify(self) -> dict[str, Any]:
        return self.schema.get("x-classify", {})

    @property
    def ocr_engine(self) -> str | None:
        return self.schema.get("x-ocr-engine")

    @property
    def policy_source(self) -> str | None:
        """``x-source``: the article the type's requirements come from (source of its findings)."""
        return self.schema.get("x-source")

    @property
    def seal_name_fields(self) -> list[str]:
        """``x-seal-name``: name fields the document's own seals must carry."""
        return list(self.schema.get("x-seal-name", []))

    def personal_keys(self) -> list[str]:
        return [f.key for f in self.fields if f.personal]


def threshold_of(schema: dict | None) -> float:
    review = schema.get("x-review") if isinstance(schema, dict) else None
    if isinstance(review, dict) and isinstance(review.get("confidence_threshold"), (int, float)):
        return float(review["confidence_threshold"])
    return DEFAULT_CONFIDENCE_THRESHOLD


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
    # Packet definitions as read (``{packet name: (data, path)}``); `intake.validation.packets`
    # parses them against the rule kinds, which live above this layer.
    packet_data: dict[str, tuple[dict, str]] = field(default_factory=dict)

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
# Locating and checking files
# ---------------------------------------------------------------------------


def builtin_dir() -> Path:
    return Path(str(files("schemas")))


def meta_schema() -> dict[str, Any]:
    return json.loads((builtin_dir() / META_SCHEMA_NAME).read_text(encoding="utf-8"))


def packet_meta_schema() -> dict[str, Any]:
    return json.loads((builtin_dir() / "packets" / PACKET_META_NAME).read_text(encoding="utf-8"))


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


def packet_files(extra_dirs: Iterable[str | os.PathLike] = ()) -> list[Path]:
    """``packets/*.json`` of every schema directory (names starting with ``_`` are meta-schemas)."""
    out: list[Path] = []
    for d in schema_dirs(extra_dirs):
        p = d / "packets"
        if p.is_dir():
            out += sorted(f for f in p.glob("*.json") if not f.name.startswith("_"))
    return out


def _pointer(parts) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts) if parts else ""


@lru_cache(maxsize=1)
def _meta_validator():
    from jsonschema import Draft202012Validator, FormatChecker

    meta = meta_schema()
    Draft202012Validator.check_schema(meta)
    return Draft202012Validator(meta, format_checker=FormatChecker(formats=["regex"]))


# Checks added by higher layers: fn(type name, schema) -> [(json pointer, message)].
Checker = Callable[[str, dict], list[tuple[str, str]]]
_CHECKERS: dict[str, Checker] = {}


def add_checker(name: str, fn: Checker) -> None:
    """Add a check a higher layer knows how to make (extractors: strategy and normalizer names;
    OCR: engine names). Clears the cache so the next load runs it."""
    if _CHECKERS.get(name) is not fn:
        _CHECKERS[name] = fn
        clear_cache()


def extract_specs(schema: dict[str, Any]) -> Iterator[tuple[str, dict]]:
    """Every ``x-extract`` spec of a type schema (one or a list per field), with its JSON pointer."""
    for key, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        ex = prop.get("x-extract")
        for j, spec in enumerate(ex if isinstance(ex, list) else [ex]):
            if isinstance(spec, dict):
                yield f"/properties/{key}/x-extract" + (f"/{j}" if isinstance(ex, list) else ""), spec


def _semantic_problems(name: str, schema: dict[str, Any]) -> list[tuple[str, str]]:
    """What the meta-schema cannot say: names must resolve, regexes compile, orders are unique."""
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
    for base, spec in extract_specs(schema):
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
    for i, f in enumerate(schema.get("x-seal-name", []) or []):
        if f not in props:
            problems.append((f"/x-seal-name/{i}", f"field {f!r} is not in properties"))
    for kw in ("x-jurisdiction", "x-not-expired"):
        obj = schema.get(kw)
        if isinstance(obj, dict):
            for role, f in obj.items():
                if role in ("rule", "message"):
                    continue
                if f not in props:
                    problems.append((f"/{kw}/{role}", f"field {f!r} is not in properties"))
    for checker in list(_CHECKERS.values()):
        problems += checker(name, schema)
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


def read_packet_file(path: str | os.PathLike) -> dict:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SchemaError(f"数据包定义 {path} 不是有效的 JSON：{exc}。Packet file {path} is not valid JSON.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("packet"), str):
        raise SchemaError(f"数据包定义 {path} 缺少 packet 名称。Packet file {path} names no packet.")
    return data


def read_packet_dir(directory: str | os.PathLike) -> dict[str, tuple[dict, str]]:
    """``{packet: (data, path)}`` of one directory's ``*.json`` (a packet named twice is an error)."""
    out: dict[str, tuple[dict, str]] = {}
    for path in sorted(Path(directory).glob("*.json")):
        if path.name.startswith("_"):
            continue
        data = read_packet_file(path)
        if data["packet"] in out:
            raise SchemaError(f"数据包 {data['packet']} 定义了两次（{path}）。Packet {data['packet']} is defined twice.")
        out[data["packet"]] = (data, str(path))
    return out


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def _load(extra: tuple[str, ...]) -> Registry:
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
    packets: dict[str, tuple[dict, str]] = {}
    for d in schema_dirs(extra):
        if (d / "packets").is_dir():
            packets.update(read_packet_dir(d / "packets"))  # a later directory replaces a packet
    return Registry(types=types, packet_data=packets)


_CACHE: dict[tuple, Registry] = {}


def load_registry(extra_dirs: Iterable[str | os.PathLike] = ()) -> Registry:
    """Every document type and packet (cached per extra_dirs and DOCINTAKE_SCHEMA_DIRS)."""
    extra = tuple(str(d) for d in extra_dirs)
    key = (extra, os.environ.get(ENV_DIRS, ""))
    reg = _CACHE.get(key)
    if reg is None:
        reg = _load(extra)
        _CACHE[key] = reg
    return reg


def clear_cache() -> None:
    _CACHE.clear()


# ---------------------------------------------------------------------------
# What other modules ask (plain functions over the cached registry)
# ---------------------------------------------------------------------------


def doc_type(name: str) -> DocType | None:
    reg = load_registry()
    return reg.types.get(name)


def doc_title(name: str) -> str:
    """A type's Chinese title (``x-title-zh``); the name itself for a type without a schema."""
    if name == UNKNOWN:
        return UNKNOWN_TITLE
    t = doc_type(name)
    return t.title_zh if t is not None else name


def field_label(name: str, key: str, schema: dict | None = None) -> str:
    """The field's ``x-label-zh`` in ``schema`` (tests pass one) or the type's schema."""
    if schema is not None:
        return DocType(name, schema).label(key)
    t = doc_type(name)
    return t.label(key) if t is not None else key


def doc_source(name: str, schema: dict | None = None) -> str | None:
    """``x-source`` of the type: the policy article its findings cite."""
    if schema is not None and schema.get("x-source"):
        return schema["x-source"]
    t = doc_type(name)
    return t.policy_source if t is not None else None


def expired_message(name: str, schema: dict | None = None) -> str:
    """What an ended term is called: the type's ``x-expired-message``, else <title>已过有效期."""
    s = schema if schema is not None and schema.get("x-expired-message") else getattr(doc_type(name), "schema", None)
    return (s or {}).get("x-expired-message") or f"{doc_title(name)}已过有效期"


def seal_name_fields(name: str, schema: dict | None = None) -> list[str]:
    """``x-seal-name`` of the type (the schema given, else the registry's)."""
    if schema is not None and "x-seal-name" in schema:
        return list(schema["x-seal-name"])
    t = doc_type(name)
    return t.seal_name_fields if t is not None else []


def is_personal(name: str, key: str) -> bool:
    t = doc_type(name)
    if t is None:
        return False
    prop = t.schema.get("properties", {}).get(key)
    return bool(isinstance(prop, dict) and prop.get("x-personal", False))


DEFAULT_MASK_KEEP = (3, 4)


def mask_keep(name: str, key: str) -> tuple[int, int]:
    """Characters kept at the start and end of a masked value: the field's ``x-mask``."""
    t = doc_type(name)
    prop = t.schema.get("properties", {}).get(key) if t is not None else None
    m = prop.get("x-mask") if isinstance(prop, dict) else None
    if not isinstance(m, dict):
        return DEFAULT_MASK_KEEP
    return int(m.get("keep_head", DEFAULT_MASK_KEEP[0])), int(m.get("keep_tail", DEFAULT_MASK_KEEP[1]))


def personal_fields() -> list[tuple[str, str, int, int]]:
    """``(type, key, keep_head, keep_tail)`` of every field marked ``x-personal``."""
    return sorted((t.name, key, *mask_keep(t.name, key)) for t in load_registry() for key in t.personal_keys())


def type_order() -> list[str]:
    """Document types in display/export order: ``x-display.order`` then name."""
    reg = load_registry()
    return [t.name for t in sorted(reg, key=lambda t: (t.schema.get("x-display", {}).get("order", 1000), t.name))]


def packet_definitions() -> dict[str, tuple[dict, str]]:
    return dict(load_registry().packet_data)


def packet_title(name: str | None) -> str:
    """A packet's Chinese title (its file's ``short_title``, else ``title``); 未识别 for none."""
    if not name or name == UNKNOWN:
        return "未识别"
    found = load_registry().packet_data.get(name)
    if found is None:
        return name
    data = found[0]
    return data.get("short_title") or data["title"]


def packet_titles() -> dict[str, str]:
    return {name: packet_title(name) for name in load_registry().packet_data}


def type_schema(name: str, overrides: dict[str, dict] | None = None) -> DocType | None:
    """The type's schema (``.schema``, ``.confidence_threshold``): ``overrides`` (tests pass
    schemas by type) or the registry; None for a type without one (``unknown``)."""
    if overrides is not None and name in overrides:
        return DocType(name, overrides[name])
    return doc_type(name)
