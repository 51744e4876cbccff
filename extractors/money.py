"""Money: amounts in figures (小写) and in words (大写), to the contract's ``"12345.00"``.

``¥10,600.00``, ``10,600.00元``, ``1.06万元``, ``500万元人民币``, ``人民币壹万零陆佰元整``,
``⊗壹万零陆佰元整``, ``伍仟元零伍分``, ``玖角整``; ``to_daxie`` writes the words back
(round trips are fuzz-tested over many amounts).
"""
from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .normbase import Normalized, digit_confusions as _digit_confusions, normalizer


_DX_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_DX_SMALL = ("", "拾", "佰", "仟")
_DX_BIG = ("", "万", "亿", "万亿")
_WORD_DIGIT = {c: i for i, c in enumerate(_DX_DIGITS)}
_WORD_DIGIT.update({"〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
                    "八": 8, "九": 9, "弍": 2, "貳": 2, "贰": 2, "参": 3, "叁": 3, "陸": 6, "柒": 7, "玖": 9})
_WORD_SMALL_UNIT = {"拾": 10, "十": 10, "什": 10, "佰": 100, "百": 100, "仟": 1000, "千": 1000}
_WORD_BIG_UNIT = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
_YUAN = "元圆圓"
_WORDS_PREFIX = re.compile(r"^(?:[⊗ⓧ☒⨂⊕×xX®©@]|人民币|人民幣|RMB|大写|\(大写\)|（大写）|[:：\s])+")
_MONEY_WORD_CHARS = set(_WORD_DIGIT) | set(_WORD_SMALL_UNIT) | set(_WORD_BIG_UNIT) | set(_YUAN) | set("角分整正")


def to_daxie(value: Decimal | int | str) -> str:
    """Amount in words: 12720 -> 壹万贰仟柒佰贰拾元整; 5000.05 -> 伍仟元零伍分; 0.5 -> 伍角整."""
    amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if amount < 0:
        raise ValueError("negative amount")
    cents = int(amount * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    out = ""
    if yuan:
        groups = []
        n = yuan
        while n:
            groups.append(n % 10000)
            n //= 10000
        zero_pending = False
        for i in range(len(groups) - 1, -1, -1):
            g = groups[i]
            if g == 0:
                zero_pending = bool(out)
                continue
            if out and (zero_pending or g < 1000):
                out += "零"
            part, z = "", False
            for pos in range(3, -1, -1):
                d = g // 10**pos % 10
                if d == 0:
                    z = bool(part)
                    continue
                if z:
                    part += "零"
                    z = False
                part += _DX_DIGITS[d] + _DX_SMALL[pos]
            out += part + _DX_BIG[i]
            zero_pending = False
        out += "元"
    if jiao == 0 and fen == 0:
        return (out or "零元") + "整"
    if jiao:
        out += _DX_DIGITS[jiao] + "角"
    elif out:
        out += "零"
    if fen:
        out += _DX_DIGITS[fen] + "分"
    else:
        out += "整"
    return out


def _int_words(s: str) -> int | None:
    total = section = num = 0
    seen = False
    for c in s:
        if c in _WORD_DIGIT:
            num = _WORD_DIGIT[c]
            seen = True
        elif c in _WORD_SMALL_UNIT:
            section += (num if num else 1) * _WORD_SMALL_UNIT[c]
            num = 0
            seen = True
        elif c in _WORD_BIG_UNIT:
            unit = _WORD_BIG_UNIT[c]
            if unit == 10**8:
                total = (total + section + num) * unit
            else:
                total += (section + num) * unit
            section = num = 0
            seen = True
        else:
            return None
    if not seen:
        return 0
    return total + section + num


def parse_money_words(raw: str) -> Decimal | None:
    """大写 amount -> Decimal. Accepts ⊗/人民币 prefixes, 元/圆, 角, 分, 整/正, zeros."""
    s = unicodedata.normalize("NFKC", raw or "")
    s = re.sub(r"\s+", "", s)
    s = _WORDS_PREFIX.sub("", s)
    s = s.rstrip("整正")
    if not s:
        return None
    if any(c not in _MONEY_WORD_CHARS for c in s):
        return None
    # split yuan / fraction
    m = re.match(rf"^(.*?)(?:[{_YUAN}](.*))?$", s)
    int_part, frac = m.group(1), m.group(2)
    if frac is None:
        # no 元: either a bare integer amount with 万 etc. ("伍佰万") or only 角/分
        if "角" in int_part or "分" in int_part:
            int_part, frac = "", int_part
        else:
            frac = ""
    yuan = _int_words(int_part)
    if yuan is None:
        return None
    jiao = fen = 0
    frac = frac.rstrip("整正")
    if frac:
        fm = re.fullmatch(r"零?(?:(.)角)?零?(?:(.)分)?", frac)
        if not fm:
            return None
        if fm.group(1) is not None:
            if fm.group(1) not in _WORD_DIGIT:
                return None
            jiao = _WORD_DIGIT[fm.group(1)]
        if fm.group(2) is not None:
            if fm.group(2) not in _WORD_DIGIT:
                return None
            fen = _WORD_DIGIT[fm.group(2)]
    if not int_part and not frac:
        return None
    return Decimal(yuan) + Decimal(jiao) / 10 + Decimal(fen) / 100


_CURRENCY = re.compile(r"RMB|CNY|USD|EUR|HKD|人民币|人民幣", re.I)
_NUM = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")


def parse_money_number(raw: str) -> Decimal | None:
    """小写 amount: ¥12,345.00 / 12345.00元 / 500万元人民币 / 1.2345万元."""
    s = unicodedata.normalize("NFKC", raw or "")
    s = re.sub(r"\s+", "", s)
    s = s.replace("，", ",").replace("。", ".")
    # currency codes first: their letters are not digits (RMB's B is no 8, USD's S no 5)
    s = _CURRENCY.sub(" ", s)
    s = _digit_confusions(s)
    m = _NUM.search(s)
    if not m:
        return None
    if _not_an_amount(s, m):
        return None
    try:
        v = Decimal(m.group(1).replace(",", "") + (m.group(2) or ""))
    except InvalidOperation:
        return None
    rest = s[m.end() : m.end() + 3]
    if rest.startswith("万"):
        v *= 10000
    elif rest.startswith("亿"):
        v *= 10**8
    return v


def _not_an_amount(s: str, m: re.Match) -> bool:
    """Digits that are some other number's: a telephone number (0374-5829287: a leading zero and a
    hyphen-joined group), a date or a code joined by hyphens. An amount never starts with a zero
    unless it is under one yuan (0.50), and never runs into '-digits'."""
    whole = m.group(1)
    if len(whole) > 1 and whole[0] == "0" and not (m.group(2) and whole.strip("0") == ""):
        return True
    after = s[m.end():m.end() + 2]
    before = s[max(0, m.start() - 2):m.start()]
    return bool(re.fullmatch(r"[-‐–—]\d", after) or re.fullmatch(r"\d[-‐–—]", before))


# No document of this bureau carries a trillion yuan; larger "amounts" are OCR
# noise (a run of digits) and would overflow Decimal's quantize context.
MAX_AMOUNT = Decimal(10) ** 15


def _fmt(v: Decimal | None) -> str | None:
    if v is None or not v.is_finite() or abs(v) >= MAX_AMOUNT:
        return None
    return f"{v.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):.2f}"


def _money_result(v: Decimal | None, certainty: float = 1.0) -> Normalized | None:
    text = _fmt(v)
    return Normalized(text, certainty) if text is not None else None


def _words_span(s: str) -> str | None:
    """The longest run of amount-in-words characters in a text."""
    runs = re.findall(r"[零壹贰叁肆伍陆柒捌玖拾佰仟万萬亿億元圆圓角分整正〇○一二两三四五六七八九十百千弍貳参陸]+", s)
    runs = [r for r in runs if re.search(r"[元圆圓角分万亿拾佰仟]", r)]
    return max(runs, key=len) if runs else None


@normalizer("money")
def _money(raw: str) -> Normalized | None:
    """小写 first (a number is present), else 大写."""
    s = unicodedata.normalize("NFKC", raw or "")
    v = parse_money_number(s)
    if v is not None:
        return _money_result(v)
    w = _words_span(re.sub(r"\s+", "", s))
    if w:
        return _money_result(parse_money_words(w), 0.95)
    return None


@normalizer("money_words")
def _money_words(raw: str) -> Normalized | None:
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw or ""))
    v = parse_money_words(s)
    if v is None:
        w = _words_span(s)
        v = parse_money_words(w) if w else None
    return _money_result(v)


# ---------------------------------------------------------------------------
# Figures against words
# ---------------------------------------------------------------------------


# A dropped or moved decimal point shifts the figures by one or two places (113230.00 read as
# 11323000.00); larger shifts are other misreadings, not decided here.
_DECIMAL_SLIPS = (Decimal(100), Decimal(10))


def reconcile_figures(figures: str | None, words: str | None) -> tuple[str | None, str | None]:
    """Amount in figures checked against the amount in words (both normalized ``"12345.00"``).

    OCR drops or moves a decimal point: when the figures are the words shifted by one or two
    decimal places, the words (which spell every unit) win.
    Returns (value, repair note or None); other disagreements are not decided here."""
    if not figures or not words or figures == words:
        return figures, None
    try:
        f, w = Decimal(figures), Decimal(words)
    except InvalidOperation:
        return figures, None
    if f > 0 and w > 0 and any(f == w * k or f * k == w for k in _DECIMAL_SLIPS):
        return words, f"decimal point: figures {figures}→{words} (amount in words)"
    return figures, None
