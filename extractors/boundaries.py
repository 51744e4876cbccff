"""Where a value ends: at a label of any schema, a common form label, or a column gap.

A value printed right of its label runs until the next thing that is not part of it. On one
line a form often prints several fields (``受托人：欧阳佳  性别：女  身份证号码：…``), so a
value ends at:

- a label of its own document type (every ``x-extract`` label and ``stop_labels``), as before;
- a label of any other document type, or a common form label (``x-stop-labels`` of any schema:
  性别, 民族, 电话, 开户银行…), when it stands as a label: after a gap or followed by a colon
  (a foreign label inside running text, ``…技术服务中心``, does not cut a name);
- a wide gap (a table's column).

The label texts are schema data, gathered from the registry; this module holds no table of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

from .layout import Char, nk

_COLONS = (":", "：")


@dataclass(frozen=True)
class StopKeys:
    own: tuple[str, ...]  # labels of the document being read (longest first)
    foreign: tuple[str, ...]  # labels of other types and common form labels (longest first)

    def all(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.own) | set(self.foreign), key=len, reverse=True))

    @cached_property
    def by_first(self) -> dict[str, tuple[tuple[str, bool], ...]]:
        """Keys by their first character (own first, then longest first): a value's run tests
        only the few keys that can start at a character, not every label of every schema."""
        out: dict[str, list[tuple[str, bool]]] = {}
        for k in self.own:
            out.setdefault(k[0], []).append((k, True))
        for k in self.foreign:
            out.setdefault(k[0], []).append((k, False))
        return {c: tuple(v) for c, v in out.items()}


def _labels_of(schema: dict) -> set[str]:
    out: set[str] = set()
    for prop in schema.get("properties", {}).values():
        ex = prop.get("x-extract", [])
        for spec in ex if isinstance(ex, list) else [ex]:
            if not isinstance(spec, dict):
                continue
            out |= {nk(lab) for lab in spec.get("labels", [])}
            out |= {nk(lab) for lab in spec.get("stop_labels", [])}
    return {k for k in out if k}


def _form_labels_of(schema: dict) -> set[str]:
    return {nk(lab) for lab in schema.get("x-stop-labels", []) if nk(lab)}


@lru_cache(maxsize=64)
def _foreign(own_name: str) -> frozenset[str]:
    from schemas.registry import load_registry

    out: set[str] = set()
    for dt in load_registry():
        if dt.name != own_name:
            out |= _labels_of(dt.schema)
        out |= _form_labels_of(dt.schema)
    return frozenset(out)


def stop_keys(doctype) -> StopKeys:
    own = _labels_of(doctype.schema)
    try:
        foreign = set(_foreign(doctype.name)) | _form_labels_of(doctype.schema)
    except Exception:  # a broken extra schema directory must not stop reading this document
        foreign = _form_labels_of(doctype.schema)
    # one-character keys (印, 号) would cut values everywhere; an own label is never foreign
    foreign = {k for k in foreign if len(k) >= 2} - own
    key = lambda k: (-len(k), k)  # noqa: E731
    return StopKeys(tuple(sorted(own, key=key)), tuple(sorted(foreign, key=key)))


def stop_at(keys: list[str], j: int, stops: StopKeys, own: str, gap_before: float, h: float) -> str | None:
    """The label that starts at char j and ends a value there, if any.

    ``gap_before`` is the blank space before char j; ``h`` the text height."""
    if j >= len(keys) or not keys[j]:
        return None
    options = stops.by_first.get(keys[j][0])
    if not options:
        return None
    s = "".join(keys[j : j + 16])
    for sk, is_own in options:
        if not s.startswith(sk):
            continue
        if (sk == own or sk in own) and gap_before < 1.0 * h:
            continue  # the label's own words inside its value; after a gap it is the next column's label
        nxt = s[len(sk) : len(sk) + 1]
        if is_own:
            if gap_before >= 0.5 * h or nxt in _COLONS or len(sk) >= 4:
                return sk
        elif own.startswith(sk):
            continue
        # a foreign label ends a value only where it stands as a label
        elif nxt in _COLONS or gap_before >= 0.5 * h:
            return sk
    return None


def starts_with_label(chars: list[Char], stops: StopKeys, own: str, continuation: bool = False) -> str | None:
    """A label printed right at the value's place: the hit was part of a longer label
    (``乙方开户银行：…`` is not 乙方's value), or the value is blank and the next field follows.

    ``continuation``: ``chars`` start the next line of a value that may wrap. There a short
    foreign label (two characters: 中心, 电子, 科技…) is as likely the wrapped rest of the value
    (许昌市科技创新公共服务 / 中心) as a label, so it ends the value only followed by a colon."""
    keys = [nk(c.text) for c in chars[:16]]
    s = "".join(keys)
    if not s:
        return None
    for sk, is_own in stops.by_first.get(s[0], ()):
        if sk == own or sk in own:
            continue
        if s.startswith(sk):
            if continuation and not is_own and len(sk) <= 2 and s[len(sk):len(sk) + 1] not in _COLONS:
                continue
            return sk
    return None


def take_run(chars: list[Char], h: float, stops: StopKeys, own: str, x_limit: float,
             gap_factor: float = 3.0) -> tuple[list[Char], float | None, str]:
    """Value chars from the start of ``chars`` until a label, a wide gap or ``x_limit``.

    Returns (chars, x where the run was ended or None, why: "label …", "gap", "column" or "")."""
    keys = [nk(c.text) for c in chars]
    out: list[Char] = []
    for j, c in enumerate(chars):
        if c.bbox[0] >= x_limit:
            return out, x_limit, "column"
        gap = c.bbox[0] - out[-1].bbox[2] if out else 0
        if out and gap > gap_factor * h:
            return out, c.bbox[0], "gap"
        if out:
            sk = stop_at(keys, j, stops, own, gap, h)
            if sk:
                return out, c.bbox[0], f"label {sk}"
        out.append(c)
    return out, None, ""
