"""Could two readings be the same print?  OCR differences between values.

`ocr_difference(a, b, kind)` says why two differing values may be two OCR readings of one
printed value, or returns ``None`` when the difference is beyond what OCR does.  It is what
turns a mismatch into a warning for review (`settle.py`) instead of an error.

What counts as an OCR difference (the data is ``intake/data/ocr_confusions.json``):

* text (names, addresses): traditional vs simplified forms; confusable characters from the
  table (己/已, 未/末, 0/O …); a value that is the other plus a short tail (the last
  characters truncated, or the next label read into the value: ``欧阳佳性别``); or at most
  two unexplained character edits, never two adjacent ones.  OCR misreads characters one at
  a time: two neighbouring characters replaced while everything else is intact is another
  word (``瑞达`` → ``恒通``: another company), not a misreading.
* codes (USCC, ID numbers, tax ids): confusable characters only; or, when one reading fails
  its check characters and the other passes, up to two differing positions or one character
  missing.  Two readings that both pass their checks and differ are two different codes.
* money: a factor of a power of ten (a decimal point dropped or misplaced), or one digit
  replaced by a digit OCR confuses it with (3/8, 6/8 …).
"""
from __future__ import annotations

import json
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Callable

from extractors.chinese import to_simplified

DATA = Path(__file__).resolve().parent.parent / "data" / "ocr_confusions.json"
TEXT, PERSON, CODE, MONEY = "text", "person", "code", "money"
_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "［": "(", "］": ")"})


@lru_cache(maxsize=1)
def _table() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _pairs() -> frozenset[tuple[str, str]]:
    out = set()
    for group in _table()["groups"]:
        for a in group:
            for b in group:
                if a != b:
                    out.add((a, b))
    return frozenset(out)


@lru_cache(maxsize=1)
def labels() -> tuple[str, ...]:
    """Common form labels, in the comparison form (`clean`, simplified), longest first."""
    return tuple(sorted({simplify(clean(x)) for x in _table()["labels"]}, key=len, reverse=True))


def confusable(a: str, b: str) -> bool:
    return a == b or (a, b) in _pairs()


def simplify(s: str) -> str:
    """Traditional forms folded to simplified by extraction's own converter (one OpenCC call,
    one fallback), so validation compares values in the form the page view has them."""
    return to_simplified(s)


def clean(value: object) -> str:
    """NFKC, no whitespace, brackets unified: the contract's comparison form."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).translate(_BRACKETS)


# --- alignment ------------------------------------------------------------------------------

def _align(a: str, b: str) -> list[tuple[str, str, str]]:
    """Cheapest edit script from ``a`` to ``b``: ops ``(op, x, y)`` with op in ``=`` (same),
    ``~`` (confusable, free), ``s`` (substitution), ``d`` (x dropped), ``i`` (y inserted)."""
    n, m = len(a), len(b)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0] = i
    for j in range(1, m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            sub = 0 if confusable(a[i - 1], b[j - 1]) else 1
            cost[i][j] = min(cost[i - 1][j - 1] + sub, cost[i - 1][j] + 1, cost[i][j - 1] + 1)
    ops, i, j = [], n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0:
            sub = 0 if confusable(a[i - 1], b[j - 1]) else 1
            if cost[i][j] == cost[i - 1][j - 1] + sub:
                op = "=" if a[i - 1] == b[j - 1] else ("~" if sub == 0 else "s")
                ops.append((op, a[i - 1], b[j - 1]))
                i, j = i - 1, j - 1
                continue
        if i > 0 and cost[i][j] == cost[i - 1][j] + 1:
            ops.append(("d", a[i - 1], ""))
            i -= 1
        else:
            ops.append(("i", "", b[j - 1]))
            j -= 1
    return ops[::-1]


def _pairs_shown(ops) -> str:
    shown = []
    for op, x, y in ops:
        if op == "~" and f"{x}/{y}" not in shown:
            shown.append(f"{x}/{y}")
    return "、".join(shown)


# --- text -----------------------------------------------------------------------------------

def _tail(longer: str, shorter: str) -> str | None:
    """Why ``longer`` may be ``shorter`` read with more around it: the last characters truncated,
    or a neighbouring label read into the value (after it, or before it: ``（盖章）X``)."""
    if not shorter:
        return None
    if longer.startswith(shorter):
        extra = longer[len(shorter):]
        for label in labels():
            if extra.startswith(label):
                return f"疑似读入了相邻栏目“{label}”"
        if len(extra) <= 2:
            return f"疑似末尾{len(extra)}个字被截断或多读"
    if longer.endswith(shorter):
        extra = longer[: len(longer) - len(shorter)].rstrip(":：")
        for label in labels():
            if extra.endswith(label):
                return f"疑似读入了前面的栏目“{label}”"
    return None


def text_difference(a: object, b: object) -> str | None:
    x, y = clean(a), clean(b)
    if x == y:
        return None if str(a) == str(b) else "仅有全角/半角或空白差异"
    sx, sy = simplify(x), simplify(y)
    if sx == sy:
        return "仅有繁体与简体写法差异"
    for longer, shorter in ((sx, sy), (sy, sx)):
        why = _tail(longer, shorter)
        if why:
            return why
    ops = _align(sx, sy)
    edits = [k for k, (op, _, _) in enumerate(ops) if op in "sdi"]
    if not edits:
        return f"仅有形近字差异（{_pairs_shown(ops)}）"
    shorter = min(len(sx), len(sy))
    allowed = 2 if shorter >= 6 else 1
    if len(edits) > allowed:
        return None
    if any(b - a == 1 for a, b in zip(edits, edits[1:])):
        return None  # two neighbouring characters replaced: another word
    if len(edits) >= shorter:
        return None  # nothing of the value left in common
    conf = _pairs_shown(ops)
    return f"仅相差 {len(edits)} 个字" + (f"（另有形近字 {conf}）" if conf else "") + "，可能是识别差异"


# --- codes ----------------------------------------------------------------------------------

def code_difference(a: object, b: object, valid: Callable[[str], bool | None] | None = None) -> str | None:
    """``valid(code)`` is True/False for a code with check characters, None when not checkable."""
    x, y = clean(a).upper(), clean(b).upper()
    if x == y:
        return None if str(a) == str(b) else "仅有全角/半角或空白差异"
    ops = _align(x, y)
    edits = [op for op, _, _ in ops if op in "sdi"]
    if not edits:
        return f"仅有形近字符差异（{_pairs_shown(ops)}）"
    vx, vy = (valid(x), valid(y)) if valid else (None, None)
    if vx and vy:
        return None  # both pass their check characters: two different codes
    if (vx is False) != (vy is False) and len(edits) <= 2:
        bad = x if vx is False else y
        return f"“{bad}”未通过校验，与另一读数仅相差 {len(edits)} 位，可能是识别差异"
    if vx is None and vy is None and len(edits) == 1 and min(len(x), len(y)) >= 6:
        return "仅相差 1 位，可能是识别差异"
    return None


# --- money ----------------------------------------------------------------------------------

def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(clean(value).replace(",", "").replace("¥", "").replace("￥", ""))
    except (InvalidOperation, ValueError):
        return None


def money_difference(a: object, b: object) -> str | None:
    x, y = _decimal(a), _decimal(b)
    if x is None or y is None or x == y:
        return None
    if x != 0 and y != 0:
        big, small = max(abs(x), abs(y)), min(abs(x), abs(y))
        ratio = big / small
        for k in (1, 2, 3, 4):
            if ratio == Decimal(10) ** k:
                return f"两数相差 {10 ** k} 倍，疑似小数点漏读或错位"
    sx, sy = f"{x:.2f}", f"{y:.2f}"
    if len(sx) == len(sy):
        diff = [(p, q) for p, q in zip(sx, sy) if p != q]
        if len(diff) == 1 and confusable(*diff[0]):
            return f"仅有一位数字不同（{diff[0][0]}/{diff[0][1]}），可能是识别差异"
    return None


def ocr_difference(a: object, b: object, kind: str = TEXT,
                   valid: Callable[[str], bool | None] | None = None) -> str | None:
    """Why ``a`` and ``b`` may be two OCR readings of the same value (a Chinese phrase), or
    ``None`` when they differ beyond OCR confusion (or do not differ)."""
    if kind == MONEY:
        return money_difference(a, b)
    if kind == CODE:
        return code_difference(a, b, valid)
    return text_difference(a, b)


def code_variants(value: str, valid: Callable[[str], bool], alphabet: str, length: int,
                  first: int = 0) -> list[tuple[str, str]]:
    """Readings one OCR step away from ``value`` that pass ``valid``: one character replaced
    by a look-alike of the other class (letter for digit or digit for letter: 8/B, 0/D …), or,
    for a code one character short of ``length``, that character missing.  ``(variant, why)``.

    Only positions from ``first`` (0-based) are varied: a USCC's first eight characters are
    digits by construction, so a letter there is already a format error, and a changed
    registration type (position 2) is covered by the final check alone, which a random
    character passes one time in 31.

    Digit-for-digit confusions (3/8) are left out on purpose: with them about one failed check
    in three has a passing neighbour by chance, so the test would tell nothing."""
    s = clean(value).upper()
    out: list[tuple[str, str]] = []
    for i, ch in enumerate(s):
        if i < first:
            continue
        for alt in alphabet:
            if alt != ch and ch.isdigit() != alt.isdigit() and confusable(ch, alt):
                v = s[:i] + alt + s[i + 1:]
                if valid(v):
                    out.append((v, f"第 {i + 1} 位“{ch}”若为“{alt}”"))
    if not out and len(s) == length - 1:
        for i in range(len(s) + 1):
            for alt in alphabet:
                v = s[:i] + alt + s[i:]
                if valid(v):
                    out.append((v, f"第 {i + 1} 位疑似漏读“{alt}”"))
                    break
            if len(out) > 3:
                break
    return out
