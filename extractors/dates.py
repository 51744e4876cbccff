"""Dates in the forms these documents print them, and date ranges.

``2026年11月27日``, ``2026 年 11 月 27 日``, ``2026-11-27``, ``2026.11.27``, ``2026/11/27``,
``二〇二六年十一月二十七日`` (with ○, O or 零 for zero), ``20261127``; ranges
``2015.06.01-2035.06.01``, ``2015年06月01日至长期``. OCR letters among digits are read
as digits (``2O23年O3月3l日``).
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date

from .normbase import Normalized, digit_confusions as _digit_confusions, normalizer


_CN_DIGIT = {"〇": 0, "○": 0, "零": 0, "O": 0, "o": 0, "0": 0, "Ｏ": 0, "◯": 0, "Θ": 0, "θ": 0,
             "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_YEAR = "〇○零Oo0Ｏ◯Θθ一二三四五六七八九"


def _cn_small(s: str) -> int | None:
    """一..九, 十, 十一..三十一."""
    if not s:
        return None
    s = s.replace("廿", "二十").replace("卅", "三十")
    if "十" in s:
        a, _, b = s.partition("十")
        tens = _CN_DIGIT.get(a, None) if a else 1
        ones = _CN_DIGIT.get(b, None) if b else 0
        if tens is None or ones is None:
            return None
        return tens * 10 + ones
    if len(s) == 1 and s in _CN_DIGIT:
        return _CN_DIGIT[s]
    return None


def _prep_date_text(raw: str) -> str:
    s = unicodedata.normalize("NFKC", raw or "")
    s = re.sub(r"\s+", "", s)
    # OCR letters among digits
    s = _digit_confusions(s)
    # a time glued to the date ("2026-03-0517:03:17"): keep them apart
    s = re.sub(r"((?:19|20)\d{2}[-./年]\d{1,2}[-./月]\d{2})(\d{1,2}:\d{2})", r"\1T\2", s)
    return s


_NUM_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:年|[./\-])(\d{1,2})(?:月|[./\-])(\d{1,2})(?:日|号)?(?!\d)")
_COMPACT_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)")
# The day's 日 may be lost at the end of a crop or misread (曰); 廿/卅 are twenty/thirty.
_CN_DATE = re.compile(rf"([{_CN_YEAR}]{{4}})年([一二三四五六七八九十]{{1,3}})月([一二三四五六七八九十廿卅]{{1,3}})(?:[日号曰]|$)")


def find_dates(raw: str) -> list[tuple[int, date]]:
    """Every date in the text with its position, in order."""
    s = _prep_date_text(raw)
    found: list[tuple[int, date]] = []
    for m in _NUM_DATE.finditer(s):
        try:
            found.append((m.start(), date(int(m.group(1)), int(m.group(2)), int(m.group(3)))))
        except ValueError:
            pass
    for m in _CN_DATE.finditer(s):
        y = "".join(str(_CN_DIGIT[c]) for c in m.group(1))
        mo, d = _cn_small(m.group(2)), _cn_small(m.group(3))
        if mo and d:
            try:
                found.append((m.start(), date(int(y), mo, d)))
            except ValueError:
                pass
    if not found:
        for m in _COMPACT_DATE.finditer(s):
            try:
                found.append((m.start(), date(int(m.group(1)), int(m.group(2)), int(m.group(3)))))
            except ValueError:
                pass
    found.sort(key=lambda t: t[0])
    return found


def parse_date(raw: str) -> date | None:
    ds = find_dates(raw)
    return ds[0][1] if ds else None


_LONG = re.compile(r"长期|永久|无固定期限|长久")


@normalizer("date")
def _date(raw: str) -> Normalized | None:
    d = parse_date(raw)
    return Normalized(d.isoformat()) if d else None


@normalizer("date_or_long")
def _date_or_long(raw: str) -> Normalized | None:
    d = parse_date(raw)
    if d:
        return Normalized(d.isoformat())
    if _LONG.search(unicodedata.normalize("NFKC", raw or "")):
        return Normalized("长期")
    return None


def parse_range(raw: str) -> tuple[str | None, str | None]:
    """'2015.06.01-2035.06.01' / '2015年06月01日至长期' / '自…至…' -> (start, end|长期)."""
    s = _prep_date_text(raw)
    ds = find_dates(s)
    start = ds[0][1].isoformat() if ds else None
    end = ds[1][1].isoformat() if len(ds) >= 2 else None
    if end is None and _LONG.search(s):
        end = "长期"
    return start, end


@normalizer("range_start")
def _range_start(raw: str) -> Normalized | None:
    start, _ = parse_range(raw)
    return Normalized(start) if start else None


@normalizer("range_end")
def _range_end(raw: str) -> Normalized | None:
    start, end = parse_range(raw)
    if end:
        return Normalized(end)
    return None


