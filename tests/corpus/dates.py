"""Date forms printed on Chinese documents."""
from __future__ import annotations

from datetime import date

_CN = "〇一二三四五六七八九"


def iso(d: date) -> str:
    return d.isoformat()


def cn_numeral(n: int) -> str:
    if n < 10:
        return "十" if n == 10 else _CN[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN[tens]) + "十" + ("" if ones == 0 else _CN[ones])


def chinese(d: date) -> str:
    """二〇二六年三月十八日"""
    return "".join(_CN[int(c)] for c in str(d.year)) + "年" + cn_numeral(d.month) + "月" + cn_numeral(d.day) + "日"


def ymd(d: date, style: str = "plain") -> str:
    if style == "padded":
        return f"{d.year}年{d.month:02d}月{d.day:02d}日"
    if style == "spaced":
        return f"{d.year} 年 {d.month} 月 {d.day} 日"
    if style == "chinese":
        return chinese(d)
    if style == "dash":
        return d.isoformat()
    if style == "dot":
        return f"{d:%Y.%m.%d}"
    return f"{d.year}年{d.month}月{d.day}日"


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 Feb
        return d.replace(year=d.year + years, day=28)
