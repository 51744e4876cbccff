"""Masking of long digit runs (ID, phone and account numbers) in free text.

Registered as the SQL function `docintake_mask_text` on every connection the
product opens (and by the review UI on Datasette's), so the masked views can
be read and introspected by any of them.
"""
from __future__ import annotations

import re

MASK = "****"
_DIGITS = re.compile(r"(?<![0-9A-Za-z])(\d[\d\s-]{5,}[\dXx])(?![0-9A-Za-z])")


def mask_number(text: str, head: int = 3, tail: int = 4) -> str:
    if len(text) <= head + tail:
        return MASK
    return text[:head] + MASK + (text[-tail:] if tail else "")


def mask_text(text: str | None) -> str | None:
    """Mask every run of 7+ digits in free text, keeping the first 3 and last 4."""
    if not text:
        return text
    return _DIGITS.sub(lambda m: mask_number(re.sub(r"[\s-]", "", m.group(1))), text)


def register(conn) -> None:
    conn.create_function("docintake_mask_text", 1, mask_text, deterministic=True)
