"""Normalizers: raw OCR text -> the contract's value, looked up by name.

Each normalizer takes the raw text and returns ``Normalized(value, certainty)``
or ``None`` when the text does not hold such a value. ``certainty`` (0..1)
says how sure the normalizer is of its reading (1.0 for a code whose check
characters pass, lower for a value kept as read); the strategy multiplies it
into the field's confidence.

Schemas name normalizers in ``x-extract.normalizer``; a new one is added with
``@normalizer("name")``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Callable

from . import codes


@dataclass(frozen=True)
class Normalized:
    value: Any
    certainty: float = 1.0


NORMALIZERS: dict[str, Callable[[str], Normalized | None]] = {}


def normalizer(name: str):
    def deco(fn):
        NORMALIZERS[name] = fn
        return fn

    return deco


def get_normalizer(name: str) -> Callable[[str], Normalized | None]:
    return NORMALIZERS[name]


def normalize(name: str, raw: str) -> Normalized | None:
    return NORMALIZERS[name](raw)


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------

_CJK = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_EDGE_PUNCT = " \t\r\n:：;；,，、.。_|·-—"
_LEAD_PUNCT = _EDGE_PUNCT
_TRAIL_PUNCT = " \t\r\n:：;；,，、_|·-—"  # a closing 。 is part of printed text


def compare_key(value: Any) -> str:
    """How readers compare values: NFKC, all whitespace removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


# Traditional forms the recognizer sometimes emits for simplified print (these documents are
# printed in simplified Chinese, so mapping back is safe).
_T2S = str.maketrans(
    "黃陳張劉楊趙吳孫鄭馬東會專標號區縣鄉車發華國業務長學術藝電門開關興與經濟產廠際衛醫葉蘇瑩"
    "極環陽園實體質權來時書記說機構設計價單據資報項條達進連運遠過選還邊鋼鐵銀錢鎮陸陳隊韓頁題顏風飛館",
    "黄陈张刘杨赵吴孙郑马东会专标号区县乡车发华国业务长学术艺电门开关兴与经济产厂际卫医叶苏莹"
    "极环阳园实体质权来时书记说机构设计价单据资报项条达进连运远过选还边钢铁银钱镇陆陈队韩页题颜风飞馆",
)


def clean_text(raw: str) -> str:
    """Stray spaces out, full-width Latin/digits to half width, Chinese punctuation kept."""
    s = (raw or "").translate(_T2S)
    # Full-width ASCII letters/digits -> half width; keep （）：，。 as Chinese punctuation.
    s = "".join(
        chr(ord(c) - 0xFEE0) if ("\uff10" <= c <= "\uff19" or "\uff21" <= c <= "\uff3a" or "\uff41" <= c <= "\uff5a") else c
        for c in s
    )
    s = s.replace("\u3000", " ")
    s = re.sub(r"\s+", " ", s)
    s = _SPACE_NEAR_CJK.sub("", s)
    # ASCII parentheses next to CJK become full width (company names print （）).
    s = re.sub(rf"\((?=[{_CJK}])", "（", s)
    s = re.sub(rf"(?<=[{_CJK}])\)", "）", s)
    s = re.sub(r"（([^（）()]*)\)", r"（\1）", s)
    s = re.sub(r"\(([^（）()]*)）", r"（\1）", s)
    return s.lstrip(_LEAD_PUNCT).rstrip(_TRAIL_PUNCT)


@normalizer("text")
def _text(raw: str) -> Normalized | None:
    s = clean_text(raw)
    return Normalized(s, 1.0) if s else None


@normalizer("multiline_text")
def _multiline(raw: str) -> Normalized | None:
    s = clean_text(raw.replace("\n", ""))
    return Normalized(s, 1.0) if s else None


@normalizer("name")
def _name(raw: str) -> Normalized | None:
    """A person's or organization's name: no whitespace at all."""
    s = re.sub(r"\s+", "", clean_text(raw)).rstrip("。.")
    return Normalized(s, 1.0) if s else None


@normalizer("person_name")
def _person_name(raw: str) -> Normalized | None:
    s = re.sub(r"\s+", "", clean_text(raw))
    s = re.sub(r"[^\u3400-\u9fff·]", "", s)
    if not (2 <= len(s) <= 6):
        return Normalized(s, 0.6) if s else None
    return Normalized(s, 1.0)


@normalizer("address")
def _address(raw: str) -> Normalized | None:
    s = re.sub(r"\s+", "", clean_text(raw.replace("\n", "")))
    return Normalized(s, 1.0) if s else None


@normalizer("sex")
def _sex(raw: str) -> Normalized | None:
    s = clean_text(raw)
    if "男" in s and "女" not in s:
        return Normalized("男")
    if "女" in s and "男" not in s:
        return Normalized("女")
    return None


@normalizer("ethnicity")
def _ethnicity(raw: str) -> Normalized | None:
    s = re.sub(r"[^\u3400-\u9fff]", "", clean_text(raw))
    return Normalized(s, 1.0) if s else None


@normalizer("digits")
def _digits(raw: str) -> Normalized | None:
    s = unicodedata.normalize("NFKC", raw or "")
    s = _digit_confusions(s)
    d = re.sub(r"\D", "", s)
    return Normalized(d, 1.0) if d else None


@normalizer("code")
def _code(raw: str) -> Normalized | None:
    """Latin/digit code (contract numbers): uppercase, no whitespace, Chinese kept."""
    s = re.sub(r"\s+", "", clean_text(raw)).upper()
    return Normalized(s, 1.0) if s else None


@normalizer("phone")
def _phone(raw: str) -> Normalized | None:
    s = _digit_confusions(unicodedata.normalize("NFKC", raw or ""))
    m = re.search(r"\d[\d\- ]{5,}\d", s)
    if not m:
        return None
    v = re.sub(r"\s+", "", m.group(0))
    return Normalized(v, 1.0)


@normalizer("mobile")
def _mobile(raw: str) -> Normalized | None:
    s = _digit_confusions(unicodedata.normalize("NFKC", raw or ""))
    d = re.sub(r"\D", "", s)
    m = re.search(r"1[3-9]\d{9}", d)
    if m:
        return Normalized(m.group(0), 1.0)
    return Normalized(d, 0.5) if d else None


# Mail domains most Chinese applicants use. OCR misreads l/1 and o/0 inside them
# ("foxmai1.com"); a domain one confusion away from one of these is that domain.
_MAIL_DOMAINS = (
    "qq.com", "vip.qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "vip.163.com", "sina.com",
    "sina.cn", "sohu.com", "aliyun.com", "139.com", "189.cn", "wo.cn", "tom.com", "21cn.com", "gmail.com",
    "outlook.com", "hotmail.com", "live.cn", "yahoo.com", "icloud.com",
)
_MAIL_CONFUSIONS = {"1": "l", "l": "1", "0": "o", "o": "0", "i": "l", "I": "l"}


def _repair_mail_domain(domain: str) -> tuple[str, float]:
    d = domain.lower()
    if d in _MAIL_DOMAINS:
        return d, 1.0
    for known in _MAIL_DOMAINS:
        if len(known) == len(d):
            diff = [(a, b) for a, b in zip(d, known) if a != b]
            if diff and all(_MAIL_CONFUSIONS.get(a) == b for a, b in diff):
                return known, 0.95
        elif len(d) == len(known) + 1 and "rn" in d and d.replace("rn", "m", 1) == known:
            return known, 0.95
    return d, 1.0


@normalizer("email")
def _email(raw: str) -> Normalized | None:
    s = unicodedata.normalize("NFKC", raw or "")
    s = re.sub(r"\s+", "", s).replace("。", ".").replace("，", ".").replace(",", ".")
    m = re.search(r"([A-Za-z0-9._%+\-]+)@([A-Za-z0-9.\-]+\.[A-Za-z]{2,})", s)
    if m:
        domain, certainty = _repair_mail_domain(m.group(2))
        return Normalized(f"{m.group(1)}@{domain}", certainty)
    return Normalized(s, 0.4) if s else None


# Issuing authorities (登记机关, 签发机关) end in one of these; an OCR reading with stray
# characters around the name (seal rim, label) is cut to the name itself.
_AUTHORITY = re.compile(
    r"(?P<prefix>[\u4e00-\u9fff]{2,}?)(?P<suffix>(?:市场监督管理局|市场监管局|工商行政管理总局|工商行政管理局|"
    r"工商局|行政审批和政务信息管理局|行政审批服务局|行政审批局|审批服务局|公安局|人民政府|事业单位登记管理局)"
    r"(?:[\u4e00-\u9fff]{2,14}?分局)?)"
)
_DIVISION_END = re.compile(r"[省市县区旗州盟]$")


@normalizer("authority")
def _authority(raw: str) -> Normalized | None:
    """An issuing authority's name; certain when it is a division name plus an authority suffix."""
    s = re.sub(r"\s+", "", clean_text(raw)).rstrip("。.")
    found = list(_AUTHORITY.finditer(s))
    if not found:
        return Normalized(s, 0.6) if s else None
    m = max(found, key=lambda m: len(m.group(0)))
    name = m.group(0)
    # the prefix must name a division (…市/…县/…区): a bare suffix is not an authority
    certain = bool(_DIVISION_END.search(m.group("prefix")))
    return Normalized(name, 1.0 if certain and name == s else 0.9 if certain else 0.6)


def _digit_confusions(s: str) -> str:
    """Letters OCR reads for digits, replaced where they sit among digits."""
    table = {"O": "0", "o": "0", "D": "0", "Q": "0", "〇": "0", "I": "1", "l": "1", "L": "1", "|": "1",
             "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "G": "6", "b": "6", "g": "9", "q": "9"}

    pat = re.compile(r"(?<=\d)[OoDQ〇IlL|ZzSsBGbgq]|[OoDQ〇IlL|ZzSsBG](?=\d)")
    for _ in range(4):
        t = pat.sub(lambda m: table[m.group(0)], s)
        if t == s:
            break
        s = t
    return s


# ---------------------------------------------------------------------------
# Codes
# ---------------------------------------------------------------------------


def _compact(raw: str) -> str:
    s = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"[\s\-_·.:：,，]", "", s).upper()


@normalizer("uscc")
def _uscc(raw: str) -> Normalized | None:
    s = _compact(raw)
    m = re.search(r"[0-9A-Z]{18}", s)
    cand = m.group(0) if m else s
    fixed = codes.repair_uscc(cand)
    if fixed:
        return Normalized(fixed, 1.0)
    # try every 18-char window (label text glued to the code)
    for i in range(0, max(0, len(s) - 17)):
        fixed = codes.repair_uscc(s[i : i + 18])
        if fixed:
            return Normalized(fixed, 0.95)
    if not cand:
        return None
    return Normalized(cand, 0.3)  # kept as read; validation reports the failed check


@normalizer("idno")
def _idno(raw: str) -> Normalized | None:
    s = _compact(raw).replace("×", "X")
    m = re.search(r"[0-9A-Z]{18}", s)
    cand = m.group(0) if m else s
    fixed = codes.repair_idno(cand)
    if fixed:
        return Normalized(fixed, 1.0)
    for i in range(0, max(0, len(s) - 17)):
        fixed = codes.repair_idno(s[i : i + 18])
        if fixed:
            return Normalized(fixed, 0.95)
    if not cand:
        return None
    return Normalized(cand, 0.3)


@normalizer("tax_id")
def _tax_id(raw: str) -> Normalized | None:
    """Taxpayer id: a USCC for organizations (repaired), older 15/17/20-char ids kept."""
    s = _compact(raw)
    m = re.search(r"[0-9A-Z]{15,20}", s)
    if not m:
        return None
    cand = m.group(0)
    if len(cand) == 18:
        fixed = codes.repair_uscc(cand)
        if fixed:
            return Normalized(fixed, 1.0)
        return Normalized(cand, 0.4)
    return Normalized(cand, 0.7)


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

_CN_DIGIT = {"〇": 0, "○": 0, "零": 0, "O": 0, "o": 0, "0": 0, "Ｏ": 0, "◯": 0, "Θ": 0, "θ": 0,
             "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_YEAR = "〇○零Oo0Ｏ◯Θθ一二三四五六七八九"


def _cn_small(s: str) -> int | None:
    """一..九, 十, 十一..三十一."""
    if not s:
        return None
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
_CN_DATE = re.compile(rf"([{_CN_YEAR}]{{4}})年([一二三四五六七八九十]{{1,3}})月([一二三四五六七八九十]{{1,3}})[日号]")


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


# ---------------------------------------------------------------------------
# Money
# ---------------------------------------------------------------------------

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


_NUM = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")


def parse_money_number(raw: str) -> Decimal | None:
    """小写 amount: ¥12,345.00 / 12345.00元 / 500万元人民币 / 1.2345万元."""
    s = unicodedata.normalize("NFKC", raw or "")
    s = re.sub(r"\s+", "", s)
    s = s.replace("，", ",").replace("。", ".")
    s = _digit_confusions(s)
    m = _NUM.search(s)
    if not m:
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


@normalizer("bool")
def _bool(raw: str) -> Normalized | None:
    s = (raw or "").strip().lower()
    if s in ("true", "1", "yes", "是", "有"):
        return Normalized(True)
    if s in ("false", "0", "no", "否", "无"):
        return Normalized(False)
    return None
