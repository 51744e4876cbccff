"""Normalizers: raw OCR text -> the contract's value, looked up by name.

Each normalizer takes the raw text and returns ``Normalized(value, certainty,
repairs)`` or ``None`` when the text does not hold such a value. ``certainty``
(0..1) says how sure the normalizer is of its reading (1.0 for a code whose check
characters pass, lower for a value kept as read or repaired); the strategy
multiplies it into the field's confidence. ``repairs`` names every change made
on the way (traditional -> simplified characters, a mail domain, a name's lost
last character; extractors/repairs.py), for the explain output.

Text here; dates in extractors/dates.py, money in extractors/money.py (their names
are re-exported below).

Schemas name normalizers in ``x-extract.normalizer``; a new one is added with
``@normalizer("name")``.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Callable

from intake.model import parse_bool

from . import codes
from .chinese import changes as _t2s_changes, to_simplified
from .repairs import complete_org_name, looks_like_org, repair_mail_domain
from .normbase import NORMALIZERS, Normalized, digit_confusions as _digit_confusions, normalizer

# Dates and money live in their own modules; importing them registers their normalizers,
# and the names below keep ``from extractors.normalize import parse_money_words`` working.
from .dates import find_dates, parse_date, parse_range  # noqa: E402,F401
from .money import MAX_AMOUNT, parse_money_number, parse_money_words, to_daxie  # noqa: E402,F401


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


def simplified_repairs(raw: str) -> tuple[str, ...]:
    """The traditional -> simplified changes ``clean_text`` makes to ``raw`` (for the explain output)."""
    r = raw or ""
    ch = _t2s_changes(r, to_simplified(r))
    return (f"繁→简 {'、'.join(ch)}",) if ch else ()


# A value whose characters were mapped to simplified form is still very likely right
# (OpenCC's tables), but it was not read as printed: a little less certain.
_T2S_CERTAINTY = 0.97


def _recorded(raw: str, n: Normalized | None) -> Normalized | None:
    """``n`` with the simplified-form conversion of ``raw`` recorded (and certainty lowered)."""
    if n is None:
        return None
    rep = simplified_repairs(raw)
    if not rep:
        return n
    return Normalized(n.value, n.certainty * _T2S_CERTAINTY, n.repairs + rep)


def clean_text(raw: str) -> str:
    """Simplified characters (OpenCC), stray spaces out, full-width Latin/digits to half
    width, Chinese punctuation kept."""
    s = to_simplified(raw or "")
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
    return _recorded(raw, Normalized(s, 1.0) if s else None)


@normalizer("multiline_text")
def _multiline(raw: str) -> Normalized | None:
    s = clean_text(raw.replace("\n", ""))
    return _recorded(raw, Normalized(s, 1.0) if s else None)


# A completed name (…有限公 -> …有限公司) is very likely right but was not read: review
# thresholds should see it. A name that may be cut short but has several completions is
# kept as read with less certainty still.
_COMPLETED_CERTAINTY = 0.85
_MAYBE_CUT_CERTAINTY = 0.75


def _org_repaired(s: str, certainty: float = 1.0) -> Normalized:
    fixed, note, doubtful = complete_org_name(s)
    if note is None:
        return Normalized(s, certainty)
    c = certainty * (_MAYBE_CUT_CERTAINTY if doubtful else _COMPLETED_CERTAINTY)
    return Normalized(fixed, c, (note,))


@normalizer("name")
def _name(raw: str) -> Normalized | None:
    """A person's or organization's name: no whitespace at all; an organization's name cut
    at its last character is completed where only one completion exists."""
    s = re.sub(r"\s+", "", clean_text(raw)).rstrip("。.")
    return _recorded(raw, _org_repaired(s) if s else None)


@normalizer("org_name")
def _org_name(raw: str) -> Normalized | None:
    """An organization's name (委托单位, 甲方, 名称): like ``name``; certain only when it ends as
    an organization's name does."""
    s = re.sub(r"\s+", "", clean_text(raw)).rstrip("。.")
    if not s:
        return None
    return _recorded(raw, _org_repaired(s, 1.0 if looks_like_org(s) else 0.8))


@normalizer("person_name")
def _person_name(raw: str) -> Normalized | None:
    """A person's name (2-6 characters, · for minority names). An organization named where a
    person is expected (an agent that is a company) is kept as the organization's name."""
    s = re.sub(r"\s+", "", clean_text(raw))
    org = re.sub(r"[^\u3400-\u9fff·（）()0-9A-Za-z]", "", s)
    if len(org) > 6 and looks_like_org(org):
        return _recorded(raw, _org_repaired(org, 0.95))
    s = re.sub(r"[^\u3400-\u9fff·]", "", s)
    if not (2 <= len(s) <= 6):
        return _recorded(raw, Normalized(s, 0.6) if s else None)
    return _recorded(raw, Normalized(s, 1.0))


@normalizer("address")
def _address(raw: str) -> Normalized | None:
    s = re.sub(r"\s+", "", clean_text(raw.replace("\n", "")))
    return _recorded(raw, Normalized(s, 1.0) if s else None)


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
    return _recorded(raw, Normalized(s, 1.0) if s else None)


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
    return _recorded(raw, Normalized(s, 1.0) if s else None)


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


@normalizer("email")
def _email(raw: str) -> Normalized | None:
    s = unicodedata.normalize("NFKC", raw or "")
    s = re.sub(r"\s+", "", s).replace("。", ".").replace("，", ".").replace(",", ".")
    m = re.search(r"([A-Za-z0-9._%+\-]+)@([A-Za-z0-9.\-]+\.[A-Za-z]{2,})", s)
    if m:
        domain, note = repair_mail_domain(m.group(2))
        if note:
            return Normalized(f"{m.group(1)}@{domain}", 0.9, (note,))
        return Normalized(f"{m.group(1)}@{domain}", 1.0)
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
        return _recorded(raw, Normalized(s, 0.6) if s else None)
    m = max(found, key=lambda m: len(m.group(0)))
    name = m.group(0)
    # the prefix must name a division (…市/…县/…区): a bare suffix is not an authority
    certain = bool(_DIVISION_END.search(m.group("prefix")))
    return _recorded(raw, Normalized(name, 1.0 if certain and name == s else 0.9 if certain else 0.6))


# ---------------------------------------------------------------------------
# Codes
# ---------------------------------------------------------------------------


def _compact(raw: str) -> str:
    s = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"[\s\-_·.:：,，]", "", s).upper()


def _code18(s: str, repair) -> Normalized | None:
    """An 18-character code with a check character (USCC, ID number) in compacted text: the first
    18-character run if `repair` accepts it, else any 18-character window it accepts (label text
    glued to the code), else the text as read at low confidence (validation reports the check)."""
    m = re.search(r"[0-9A-Z]{18}", s)
    cand = m.group(0) if m else s
    fixed = repair(cand)
    if fixed:
        return Normalized(fixed, 1.0)
    for i in range(0, max(0, len(s) - 17)):
        fixed = repair(s[i : i + 18])
        if fixed:
            return Normalized(fixed, 0.95)
    if not cand:
        return None
    return Normalized(cand, 0.3)


@normalizer("uscc")
def _uscc(raw: str) -> Normalized | None:
    return _code18(_compact(raw), codes.repair_uscc)


@normalizer("idno")
def _idno(raw: str) -> Normalized | None:
    return _code18(_compact(raw).replace("×", "X"), codes.repair_idno)


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


@normalizer("bool")
def _bool(raw: str) -> Normalized | None:
    value = parse_bool(raw) if (raw or "").strip() else None
    return Normalized(value) if value is not None else None
