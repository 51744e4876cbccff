"""What the review UI needs to know about each document type: Chinese labels, field order,
which fields hold personal data, the confidence threshold.

All of it is read from the schema registry (`schemas.registry`): a type added as a schema
file shows up here with no Python change.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from schemas.registry import (
    DEFAULT_CONFIDENCE_THRESHOLD,
    DEFAULT_MASK_KEEP,
    doc_title,
    load_registry,
    mask_keep,
    personal_fields,
)

DEFAULT_THRESHOLD = DEFAULT_CONFIDENCE_THRESHOLD


class _Keep(dict):
    """Characters kept at the start and end of a masked value, per key (``x-mask`` of the
    schemas; default 3 and 4). A mapping for `review.masking`, which masks by key."""

    def get(self, key, default=None):  # noqa: D401 - dict protocol
        return _keep_by_key().get(key, default if default is not None else DEFAULT_MASK_KEEP)

    def __contains__(self, key) -> bool:
        return key in _keep_by_key()

    def __getitem__(self, key):
        return _keep_by_key()[key]


def _keep_by_key() -> dict[str, tuple[int, int]]:
    return _per_registry("keep", lambda: {key: (h, t) for _, key, h, t in personal_fields()
                                          if (h, t) != DEFAULT_MASK_KEEP})


def _per_registry(name: str, build):
    """Computed once per loaded registry (a new DOCINTAKE_SCHEMA_DIRS gives a new one)."""
    reg = load_registry()
    cache = reg.__dict__.setdefault("_review_cache", {})
    if name not in cache:
        cache[name] = build()
    return cache[name]


KEEP = _Keep()


@dataclass
class FieldInfo:
    key: str
    label: str
    order: float
    kind: str = "text"  # "text" | "bool"
    personal: bool = False
    format: str | None = None  # the schema's `format` (date, date-or-long, money, uscc, idno, email)
    normalizer: str | None = None  # the first x-extract spec's normalizer (what OCR output went through)


@dataclass
class DocTypeInfo:
    type: str
    title: str
    threshold: float = DEFAULT_THRESHOLD
    fields: dict[str, FieldInfo] = field(default_factory=dict)

    def ordered(self) -> list[FieldInfo]:
        return sorted(self.fields.values(), key=lambda f: (f.order, f.key))

    def info(self, key: str) -> FieldInfo:
        if key in self.fields:
            return self.fields[key]
        # A key the schema does not have (an older submission's field): shown last, as is.
        return FieldInfo(key, key, 10_000, "text", False)


def doc_types() -> dict[str, DocTypeInfo]:
    return _per_registry("types", _doc_types)


def _doc_types() -> dict[str, DocTypeInfo]:
    out: dict[str, DocTypeInfo] = {}
    for t in load_registry():
        info = DocTypeInfo(t.name, t.title_zh, t.confidence_threshold)
        for f in t.fields:
            info.fields[f.key] = FieldInfo(f.key, f.label_zh, f.order, "bool" if f.type == "boolean" else "text",
                                           f.personal, f.format, f.normalizer)
        out[t.name] = info
    return out


def doc_type(dtype: str) -> DocTypeInfo:
    types = doc_types()
    if dtype in types:
        return types[dtype]
    return DocTypeInfo(dtype, doc_title(dtype))


def personal_keys() -> list[tuple[str, str, int, int]]:
    """(doc_type, key, keep_head, keep_tail) for every personal field, for the `personal_keys` table."""
    return personal_fields()


def is_personal(dtype: str, key: str) -> bool:
    return doc_type(dtype).info(key).personal


def keep(dtype: str, key: str) -> tuple[int, int]:
    return mask_keep(dtype, key)
