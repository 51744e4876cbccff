"""Masking of personal data in free text (OCR page text and lines, comments, file names).

Fails closed: what looks like an ID, phone or account number is masked even when OCR wrote it
with letters for digits (`1101O5…`, `l393…`), with separators (`139.3746.1528`, `0374 - 296…`)
or glued to a word (`ID1101…`, `tel139…`); and every occurrence of a personal field's value
(as extracted or as a reviewer typed it) is masked, however it is spaced or confused.

Registered as the SQL function `docintake_mask_text(text [, values_json])` on every connection
the product opens (and by the review UI on Datasette's), so the masked views can be read and
introspected by any of them. `values_json` is a JSON array of `[value, keep_head, keep_tail]`.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Iterable

MASK = "****"

# Characters OCR confuses with digits, and what they stand for.
_DIGIT_OF = {**{c: c for c in "0123456789"}, **{chr(0xFF10 + i): str(i) for i in range(10)},
             "O": "0", "o": "0", "Ｏ": "0", "〇": "0", "I": "1", "l": "1", "|": "1", "Ｉ": "1", "ｌ": "1"}
_DIG = "[" + re.escape("".join(_DIGIT_OF)) + "]"
_SEP = r"[ \t\u3000\-‐‑–—_./·・,，:：]"
_CHECK = "[Xx×Ｘ]"  # the ID number's check character
# Digit-like characters with at most three separator characters between any two of them.
_RUN = re.compile(rf"{_DIG}(?:{_SEP}{{0,3}}{_DIG})*(?:{_SEP}{{0,1}}{_CHECK})?")

MIN_DIGITS = 7           # a run of 7+ digits is a phone (local), ID or account number ...
MIN_DOTTED_DIGITS = 10   # ... but with dots or slashes in it only from 10 (not amounts or dates)
MIN_REAL_DIGITS = 5      # and most of it must be real digits (not a word like "lOl")

Span = tuple[int, int, str]  # start, end, replacement
# A calendar date written with separators (2026-11-20, 2026.11.20): not a personal number by
# its shape. (A birth date on an ID card is a personal field: masked as a value instead.)
_DATE = re.compile(r"^(?:19|20)\d{2}([-./])(0?[1-9]|1[0-2])\1(0?[1-9]|[12]\d|3[01])$")


def mask_number(text: str, head: int = 3, tail: int = 4) -> str:
    if len(text) <= head + tail:
        return MASK
    return text[:head] + MASK + (text[-tail:] if tail else "")


def _digits(run: str) -> str:
    return "".join(_DIGIT_OF.get(c, "X" if c in "Xx×Ｘ" else "") for c in run)


def _pattern_spans(text: str) -> list[Span]:
    out = []
    for m in _RUN.finditer(text):
        run = m.group(0)
        if _DATE.match(run):
            continue
        digits = _digits(run)
        real = sum(1 for c in run if c.isdigit())
        dotted = any(c in "./" for c in run)
        if real >= MIN_REAL_DIGITS and len(digits) >= (MIN_DOTTED_DIGITS if dotted else MIN_DIGITS):
            out.append((m.start(), m.end(), mask_number(digits)))
    return out


@lru_cache(maxsize=256)
def _value_patterns(values_key: tuple[tuple[str, int, int], ...]) -> list[tuple[re.Pattern, int, int]]:
    """One tolerant pattern per personal value: digits may be confused and spaced, other
    characters may have white space between them."""
    out = []
    for value, head, tail in values_key:
        compact = re.sub(r"\s+", "", value)
        if len(compact) < 2:
            continue
        digits = sum(1 for c in compact if c.isdigit())
        parts = []
        for c in compact:
            if c.isdigit() and digits * 2 >= len(compact):
                alts = [k for k, v in _DIGIT_OF.items() if v == _DIGIT_OF.get(c, c)]
                parts.append("[" + re.escape("".join(alts)) + "]")
            elif c in "Xx×Ｘ":
                parts.append(_CHECK)
            elif c in "-‐‑–—_./·・":
                parts.append(f"{_SEP}?")
            else:
                parts.append(re.escape(c))
        sep = f"{_SEP}{{0,3}}" if digits * 2 >= len(compact) else r"\s*"
        out.append((re.compile(sep.join(parts), re.IGNORECASE), head, tail))
    return out


def _values_key(values: Iterable) -> tuple[tuple[str, int, int], ...]:
    key = set()
    for item in values or ():
        if isinstance(item, str):
            value, head, tail = item, 3, 4
        else:
            value, head, tail = (list(item) + [3, 4])[:3]
        if value is None:
            continue
        value = str(value).strip()
        if value and value.lower() not in ("true", "false"):
            key.add((value, int(head if head is not None else 3), int(tail if tail is not None else 4)))
    return tuple(sorted(key))


def personal_spans(text: str | None, values: Iterable = ()) -> list[Span]:
    """The stretches of `text` to mask (sorted, not overlapping), each with its replacement."""
    if not text:
        return []
    spans = _pattern_spans(text)
    for pattern, head, tail in _value_patterns(_values_key(values)):
        for m in pattern.finditer(text):
            compact = re.sub(r"\s+", "", m.group(0))
            spans.append((m.start(), m.end(), mask_number(compact, head, tail)))
    spans.sort()
    merged: list[Span] = []
    for start, end, repl in spans:
        if merged and start < merged[-1][1]:
            s0, e0, r0 = merged[-1]
            if end > e0:  # overlapping matches: mask the union, showing no more than either did
                merged[-1] = (s0, end, MASK)
            continue
        merged.append((start, end, repl))
    return merged


def mask_text(text: str | None, values: Iterable = ()) -> str | None:
    """`text` with every personal-looking number and every personal value masked."""
    if not text:
        return text
    out, pos = [], 0
    for start, end, repl in personal_spans(text, values):
        out.append(text[pos:start])
        out.append(repl)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _sql_mask(text, values_json=None):
    values = ()
    if values_json:
        try:
            values = json.loads(values_json)
        except (TypeError, ValueError):
            return MASK if text else text  # cannot tell what is personal: show nothing
    return mask_text(text, values)


# The personal values of a submission, as `values_json` for docintake_mask_text; `{sid}` is
# the SQL expression of the submission id. personal_keys holds the schemas' personal keys.
PERSONAL_VALUES_SQL = (
    "(SELECT json_group_array(json_array(pv.value, pk.keep_head, pk.keep_tail)) FROM fields pv "
    "JOIN documents pd ON pd.id = pv.document_id "
    "JOIN personal_keys pk ON pk.key = pv.key AND pk.doc_type IN (pd.type, '*') "
    "WHERE pd.submission_id = {sid} AND pv.value IS NOT NULL)"
)


def register(conn) -> None:
    conn.create_function("docintake_mask_text", 1, _sql_mask, deterministic=True)
    conn.create_function("docintake_mask_text", 2, _sql_mask, deterministic=True)
