"""Check characters of the codes Chinese documents carry (one home for extraction and validation).

- USCC (统一社会信用代码, GB 32100-2015): the final check over positions 1-17, and the
  GB 11714 organization-code check over positions 9-17 (its 9th character is its own check).
- Resident ID number (公民身份号码, GB 11643-1999): the check character over 17 digits and the
  birth date in positions 7-14.

Plain functions over strings, at the bottom of the layers (docs/architecture.md): the
extractors repair readings with them, validation reports with them.
"""
from __future__ import annotations

from datetime import date

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I O Z S V
ORG_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character (position 18) for 17 characters of the USCC alphabet."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    """The GB 11714 check character for the 8-character organization code body."""
    total = sum(ORG_CHARS.index(c) * w for c, w in zip(body8, _ORG_WEIGHTS))
    v = 11 - total % 11
    return "X" if v == 10 else "0" if v == 11 else str(v)


def id_check_char(first17: str) -> str:
    """The GB 11643 check character (digit or X) for 17 digits."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def id_birth_date(value: str) -> date | None:
    """The calendar date in positions 7-14, None when it is no date (plausibility is the caller's)."""
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except (ValueError, IndexError):
        return None
