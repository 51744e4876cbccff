"""Money formatting: amounts in words (大写) and the printed numeric forms."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")


def to_decimal(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def norm(value) -> str:
    """Contract money format: '12345.00'."""
    return f"{to_decimal(value):.2f}"


def _four(n: int) -> str:
    """0 < n < 10000, with inner zeros collapsed to one 零 and trailing zeros dropped."""
    out, zero = "", False
    for pos in range(3, -1, -1):
        d = n // 10 ** pos % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[d] + _SMALL_UNITS[pos]
    return out


def _integer_words(n: int) -> str:
    if n == 0:
        return ""
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out, need_zero = "", False
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            need_zero = bool(out)
            continue
        # A zero is read between groups when the lower group does not fill its thousands place.
        if out and (need_zero or g < 1000):
            out += "零"
        out += _four(g) + _BIG_UNITS[i]
        need_zero = False
    return out


def daxie(value, prefix: str = "") -> str:
    """12720 -> 壹万贰仟柒佰贰拾元整; 5000.05 -> 伍仟元零伍分; 0.5 -> 伍角."""
    amount = to_decimal(value)
    if amount < 0:
        raise ValueError("negative amount")
    cents = int(amount * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    out = _integer_words(yuan)
    if out:
        out += "元"
    if jiao == 0 and fen == 0:
        return prefix + (out or "零元") + "整"
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif out:
        out += "零"
    if fen:
        out += _DIGITS[fen] + "分"
    else:
        out += "整"
    return prefix + out


def with_commas(value) -> str:
    return f"{to_decimal(value):,.2f}"


def wan(value) -> str:
    """Registered capital is usually printed in 万元: 500 -> '500'."""
    d = to_decimal(value) / 10000
    s = f"{d:f}".rstrip("0").rstrip(".")
    return s
