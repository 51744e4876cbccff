"""Check characters of the codes documents carry, and OCR-confusion repair.

- USCC (统一社会信用代码): GB 32100-2015 final check over positions 1-17, plus
  the GB 11714 organization-code check over positions 9-17 (its 9th char is
  its own check). Two independent checks make repair safe.
- Resident ID number (公民身份号码): GB 11643-1999 check char plus a real birth
  date. ``stdnum.cn.ric.validate`` is deliberately not used: it rejects lawful
  numbers whose county code did not exist in the birth year (domain.md).

Repair maps characters OCR confuses (O→0, I/L→1, Z→2, S→5, B→8, …) and is
accepted only when the repaired value passes every check. When several
repairs pass, none is chosen (the caller keeps the raw reading for review).
"""
from __future__ import annotations

import itertools
import re
import unicodedata
from datetime import date

from intake.checkdigits import ORG_CHARS as _ORG_CHARS
from intake.checkdigits import USCC_ALPHABET, id_birth_date, org_code_check_char, uscc_check_char
from intake.checkdigits import id_check_char as idno_check_char

# What an OCR engine may have read instead of the printed character.
# Keys: the character read; values: printed characters it may stand for
# (the read character itself is always a candidate too, when legal).
_CONFUSIONS: dict[str, str] = {
    "O": "0D",
    "Q": "0",
    "D": "0",
    "U": "0",
    "0": "DQU",
    "I": "1",
    "L": "1",
    "1": "L",
    "|": "1",
    "!": "1",
    "Z": "2",
    "2": "Z",
    "S": "5",
    "5": "S",
    "B": "8",
    "8": "B",
    "G": "6",
    "6": "G",
    "T": "7",
    "7": "T",
    "V": "YU",
    "Y": "V",
    "W": "M",
    "M": "W",
    "A": "4",
    "4": "A",
    "H": "N",
    "N": "H",
    "E": "F",
    "F": "E",
    "P": "R",
    "R": "P",
    "K": "X",
    "X": "K",
    "×": "X",
}

_MAX_REPAIRS = 4  # at most this many characters changed in one repair


def _clean(s: str) -> str:
    s = unicodedata.normalize("NFKC", s or "")
    return re.sub(r"[\s\-_·.,:：]", "", s).upper()


# ---------------------------------------------------------------------------
# USCC
# ---------------------------------------------------------------------------


def uscc_inner_valid(s: str) -> bool:
    """Positions 9-17 form a valid GB 11714 organization code."""
    s = (s or "").upper()
    if len(s) != 18:
        return False
    body, check = s[8:16], s[16]
    if any(c not in _ORG_CHARS for c in body):
        return False
    return org_code_check_char(body) == check


def uscc_final_valid(s: str) -> bool:
    s = (s or "").upper()
    if len(s) != 18 or any(c not in USCC_ALPHABET for c in s):
        return False
    return uscc_check_char(s[:17]) == s[17]


def uscc_valid(s: str) -> bool:
    """Exactly 18 characters of the GB 32100 alphabet passing both checks."""
    return uscc_final_valid(s) and uscc_inner_valid(s)


# ---------------------------------------------------------------------------
# Resident ID number
# ---------------------------------------------------------------------------


def idno_birth_date(s: str) -> date | None:
    s = (s or "").upper()
    if len(s) != 18 or not s[:17].isdigit():
        return None
    d = id_birth_date(s)
    if d is None or d.year < 1880 or d > date.today():
        return None
    return d


def idno_valid(s: str) -> bool:
    """17 digits + check char (digit or X) passing GB 11643, with a real birth date."""
    s = (s or "").upper()
    if not re.fullmatch(r"\d{17}[\dX]", s):
        return False
    if idno_birth_date(s) is None:
        return False
    return idno_check_char(s[:17]) == s[17]


# ---------------------------------------------------------------------------
# Repair
# ---------------------------------------------------------------------------


def _candidates(c: str, allowed: str) -> list[str]:
    out = [c] if c in allowed else []
    for alt in _CONFUSIONS.get(c, ""):
        if alt in allowed and alt not in out:
            out.append(alt)
    return out


def _repair(s: str, allowed_at, valid, unforced_ok=lambda i: True, max_unforced: int = 1,
            probe=lambda i: False) -> str | None:
    """Change confusable characters until `valid` passes; None unless exactly one answer.

    Characters illegal at their position must change ("forced"). Legal characters
    that OCR may have confused (1/L, 8/B, 0/D) change only where `unforced_ok`,
    at most `max_unforced` of them: a printed code whose check fails must stay
    failing, not be "repaired" into some other valid code. Positions where
    `probe` holds (the check characters) are never changed in the answer, but a
    valid code reachable by changing them makes the repair ambiguous: a misread
    check character (8 read as B) must not let a change elsewhere "repair" the
    code into another organization's valid code.
    """
    options = []
    for i, c in enumerate(s):
        cands = _candidates(c, allowed_at(i))
        if not cands:
            return None
        options.append(cands)
    forced = [i for i, o in enumerate(options) if s[i] not in o]
    if len(forced) > _MAX_REPAIRS:
        return None
    optional = [i for i, o in enumerate(options) if s[i] in o and len(o) > 1 and (unforced_ok(i) or probe(i))]
    found: set[str] = set()
    shadow: set[str] = set()
    forced_pools = [options[i] for i in forced]
    for k in range(0, min(max_unforced, len(optional)) + 1):
        for subset in itertools.combinations(optional, k):
            pools = forced_pools + [[x for x in options[i] if x != s[i]] for i in subset]
            positions = forced + list(subset)
            probing = any(probe(i) and not unforced_ok(i) for i in subset)
            for combo in itertools.product(*pools):
                t = list(s)
                for i, x in zip(positions, combo):
                    t[i] = x
                cand = "".join(t)
                if valid(cand):
                    (shadow if probing else found).add(cand)
        if found or shadow:
            break
    if len(found) == 1 and not shadow:
        return found.pop()
    return None


def _uscc_allowed(i: int) -> str:
    if i == 0:
        return "123456789ANY"  # registration authority
    if 1 <= i <= 7:
        return "0123456789"  # entity type, then the GB/T 2260 region code of the registering office
    return USCC_ALPHABET


def repair_uscc(s: str) -> str | None:
    """The valid USCC an OCR reading stands for, or None.

    Strips spaces and separators, uppercases, then maps confusable characters
    only where the result passes both checks; an ambiguous repair is None.
    """
    t = _clean(s)
    if len(t) != 18:
        return None
    if uscc_valid(t):
        return t
    # legal-but-confusable characters may change only inside the organization code
    # (positions 9-16), never the check characters themselves
    return _repair(t, _uscc_allowed, uscc_valid, unforced_ok=lambda i: 8 <= i <= 15, probe=lambda i: i in (16, 17))


def _id_allowed(i: int) -> str:
    return "0123456789X" if i == 17 else "0123456789"


def repair_idno(s: str) -> str | None:
    """The valid resident ID number an OCR reading stands for, or None."""
    t = _clean(s).replace("×", "X")
    if len(t) != 18:
        return None
    if idno_valid(t):
        return t
    return _repair(t, _id_allowed, idno_valid, unforced_ok=lambda i: False)
