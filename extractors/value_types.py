"""Does a value look like what its field holds? Typed validation of candidate values.

A field names its value type in the schema (``x-value-type``: person, organization, money,
date, uscc, idno, invoice_number, invoice_code, email, phone, mobile, account, code, text);
without one it is derived from the field's format or normalizer. ``check(kind, value)``
returns (score 0..1, reason): 1.0 a well-formed value of the type, lower the further it
strays (a name with a label glued to it, digits where a company name belongs).
"""
from __future__ import annotations

import re
from datetime import date

from .codes import idno_valid, uscc_valid

_CJK = r"\u3400-\u9fff"
# Endings of organization names (企业名称登记管理规定: 组织形式 at the end of the name).
_ORG_END = re.compile(
    r"(公司|有限公司|中心|研究所|研究院|所|院|局|厂|社|部|站|会|学校|学院|大学|校|馆|行|店|处|室|团|委员会|"
    r"办公室|办|队|协会|合作社|集团|事务所|工作室|医院|银行|支行|分行|基地|园|场|政府|商行|经营部|门市部)$")
_BY_NORMALIZER = {"person_name": "person", "money": "money", "money_words": "money", "date": "date",
                  "range_start": "date", "range_end": "date_or_long", "date_or_long": "date_or_long",
                  "uscc": "uscc", "idno": "idno", "email": "email", "phone": "phone", "mobile": "mobile",
                  "tax_id": "tax_id"}
_BY_FORMAT = {"uscc": "uscc", "idno": "idno", "date": "date", "date-or-long": "date_or_long", "money": "money",
              "email": "email"}


def kind_of(fs, spec: dict | None = None) -> str:
    """The field's value type: the spec's ``value_type``, the field's ``x-value-type``, else derived."""
    if spec and spec.get("value_type"):
        return spec["value_type"]
    if fs.schema.get("x-value-type"):
        return fs.schema["x-value-type"]
    if fs.type == "boolean":
        return "bool"
    if fs.format in _BY_FORMAT:
        return _BY_FORMAT[fs.format]
    norm = (spec or (fs.extract[0] if fs.extract else {})).get("normalizer", "text")
    return _BY_NORMALIZER.get(norm, "text")


def _person(v: str) -> tuple[float, str]:
    s = str(v)
    if re.fullmatch(rf"[{_CJK}]{{2,4}}", s):
        return 1.0, "a 2-4 character name"
    if re.fullmatch(rf"[{_CJK}]+·[{_CJK}·]+", s) and len(s) <= 16:
        return 1.0, "a name with a middle dot"
    if re.fullmatch(rf"[{_CJK}]{{5,6}}", s):
        return 0.55, "long for a person's name"
    if re.fullmatch(r"[A-Za-z][A-Za-z .'-]{1,40}", s):
        return 0.8, "a Latin-script name"
    return 0.2, "not a person's name"


def _organization(v: str) -> tuple[float, str]:
    s = str(v)
    digits = sum(ch.isdigit() for ch in s)
    if digits >= 6:
        return 0.1, "digits (an account or code) where a name belongs"
    if re.search(r"账号|帐号|开户|户名|电话|地址", s):
        return 0.2, "holds another field's label"
    if len(s) < 3:
        return 0.3, "too short for an organization"
    if _ORG_END.search(s):
        return 1.0, "ends like an organization's name"
    if len(re.findall(rf"[{_CJK}]", s)) >= 4:
        return 0.7, "no organization ending (cut short?)"
    return 0.4, "not an organization's name"


def _date(v: str) -> tuple[float, str]:
    try:
        d = date.fromisoformat(str(v))
    except ValueError:
        return 0.0, "not a date"
    if not (1949 <= d.year <= 2100):
        return 0.3, "implausible year"
    return 1.0, "a date"


def _money(v: str) -> tuple[float, str]:
    if not re.fullmatch(r"-?\d+\.\d{2}", str(v)):
        return 0.0, "not an amount"
    if float(v) <= 0:
        return 0.3, "zero amount"
    return 1.0, "an amount"


def check(kind: str, value) -> tuple[float, str]:
    if value in (None, ""):
        return 0.0, "empty"
    s = str(value)
    if re.fullmatch(r"[（(【\[][^（(）)]*[）)】\]]", s):
        return 0.4, "a printed note in brackets"
    if kind in ("person", "organization") and re.match(r"[（(【\[]", s):
        # a name never opens with a bracket: this is a label's printed qualifier (甲方（盖章）,
        # 委托人（签字）) with whatever OCR read after it (text of the seal stamped over it)
        return 0.4, "opens with a label's note in brackets"
    if kind == "person":
        return _person(s)
    if kind == "organization":
        return _organization(s)
    if kind == "money":
        return _money(s)
    if kind == "date":
        return _date(s)
    if kind == "date_or_long":
        return (1.0, "长期") if s == "长期" else _date(s)
    if kind == "uscc":
        return (1.0, "check characters pass") if uscc_valid(s) else (0.3, "USCC check characters fail")
    if kind == "idno":
        return (1.0, "check digit and birth date pass") if idno_valid(s) else (0.3, "ID check digit fails")
    if kind == "tax_id":
        if len(s) == 18:
            return (1.0, "a valid USCC") if uscc_valid(s) else (0.6, "18 characters, check fails")
        return (0.9, "15/20-character tax id") if len(s) in (15, 20) else (0.3, "wrong length for a tax id")
    if kind == "invoice_number":
        return (1.0, "8 or 20 digits") if re.fullmatch(r"\d{8}|\d{20}", s) else (0.2, "not 8 or 20 digits")
    if kind == "invoice_code":
        return (1.0, "10 or 12 digits") if re.fullmatch(r"\d{10}|\d{12}", s) else (0.2, "not 10 or 12 digits")
    if kind == "email":
        return (1.0, "an e-mail address") if re.fullmatch(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", s) else (0.2, "not an e-mail")
    if kind == "mobile":
        return (1.0, "a mobile number") if re.fullmatch(r"1[3-9]\d{9}", s) else (0.3, "not a mobile number")
    if kind == "phone":
        d = re.sub(r"\D", "", s)
        return (1.0, "a phone number") if 7 <= len(d) <= 13 else (0.3, "not a phone number")
    if kind == "account":
        d = re.sub(r"\D", "", s)
        return (1.0, "an account number") if 8 <= len(d) <= 32 else (0.3, "not an account number")
    return 1.0, ""
