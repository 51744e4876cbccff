"""Masking of personal data for the `viewer` role (same rule as the SQL views of m0002)."""
from __future__ import annotations

from intake.masking import MASK, mask_number, mask_text  # noqa: F401  (free text: one rule everywhere)

from .schema_info import KEEP, is_personal


def mask_value(value, key: str = "") -> str | None:
    if value is None:
        return None
    head, tail = KEEP.get(key, (3, 4))
    return mask_number(str(value), head, tail)


def mask_field(dtype: str, key: str, value):
    return mask_value(value, key) if is_personal(dtype, key) else value
