"""Field formats and check characters, written against GB 32100-2015 and GB 11643-1999.

Each `*_problem` function returns ``None`` for a valid value, or a pair
``(rule, reason)``: ``rule`` is ``"schema.format"`` when the value does not even
have the shape (length, alphabet), or the rule id of the failed check
(``"uscc.checksum"``, ``"id.checksum"``) when it has the shape but a check fails.
The reason is a Chinese phrase a reviewer reads.

Deliberately *not* `stdnum.cn.ric.validate` (it rejects real numbers whose county code
did not exist in the holder's birth year and raises KeyError on 411071) nor
`stdnum.cn.uscc.validate` (it rejects lawful codes starting with a letter and skips the
inner GB 11714 check).
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date

from ..checkdigits import USCC_ALPHABET, id_birth_date, id_check_char, org_code_check_char, uscc_check_char  # noqa: F401

# Registration authorities (GB 32100 table 1): 1 机构编制 2 外交 3 司法行政 4 文化 5 民政 6 旅游
# 7 宗教 8 工会 9 工商/市场监管 A 中央军委改革和编制办公室 N 农业 Y 其他.
USCC_AUTHORITIES = "123456789ANY"
_USCC_SHAPE = re.compile(r"^[" + USCC_ALPHABET + r"]{18}$")

_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_DATE_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONEY_SHAPE = re.compile(r"^-?\d+\.\d{2}$")
LONG_TERM = "长期"


def compact(value: object) -> str:
    """NFKC and no whitespace: how the contract says values are compared."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


# --- USCC -------------------------------------------------------------------------------

def uscc_problem(value: object) -> tuple[str, str] | None:
    if not isinstance(value, str):
        return "schema.format", "不是文本"
    code = compact(value).upper()
    if len(code) != 18:
        return "schema.format", f"长度为 {len(code)} 位，应为 18 位"
    if not _USCC_SHAPE.match(code):
        bad = sorted({c for c in code if c not in USCC_ALPHABET})
        return "schema.format", f"含有不允许的字符 {''.join(bad)}"
    if code[0] not in USCC_AUTHORITIES:
        return "uscc.checksum", f"第 1 位登记管理部门代码 {code[0]} 不存在"
    if not code[2:8].isdigit():
        return "uscc.checksum", f"第 3-8 位登记管理机关行政区划码 {code[2:8]} 不是数字"
    inner = org_code_check_char(code[8:16])
    if code[16] != inner:
        return "uscc.checksum", f"组织机构代码校验位应为 {inner}，实为 {code[16]}"
    check = uscc_check_char(code[:17])
    if code[17] != check:
        return "uscc.checksum", f"校验码应为 {check}，实为 {code[17]}"
    return None


def uscc_valid(value: object) -> bool:
    return uscc_problem(value) is None


def uscc_region(value: object) -> str | None:
    """Pos 3-8: the region code of the registering office, or None when not readable."""
    if not isinstance(value, str):
        return None
    code = compact(value).upper()
    if len(code) == 18 and code[2:8].isdigit():
        return code[2:8]
    return None


# --- resident ID ------------------------------------------------------------------------

def idno_problem(value: object, as_of: date | None = None) -> tuple[str, str] | None:
    if not isinstance(value, str):
        return "schema.format", "不是文本"
    num = compact(value).upper()
    if not _ID_SHAPE.match(num):
        return "schema.format", "应为 17 位数字加 1 位数字或 X"
    birth = id_birth_date(num)
    if birth is None:
        return "id.checksum", f"出生日期 {num[6:14]} 不是有效日期"
    if birth.year < 1880 or birth > (as_of or date.today()):
        return "id.checksum", f"出生日期 {birth.isoformat()} 不合理"
    check = id_check_char(num[:17])
    if num[17] != check:
        return "id.checksum", f"校验码应为 {check}，实为 {num[17]}"
    return None


def idno_valid(value: object) -> bool:
    return idno_problem(value) is None


# --- dates and money --------------------------------------------------------------------

def parse_date(value: object) -> date | None:
    if not isinstance(value, str) or not _DATE_SHAPE.match(value.strip()):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def date_valid(value: object) -> bool:
    return parse_date(value) is not None


def date_or_long_valid(value: object) -> bool:
    return (isinstance(value, str) and compact(value) == LONG_TERM) or date_valid(value)


def money_valid(value: object) -> bool:
    return isinstance(value, str) and bool(_MONEY_SHAPE.match(value.strip()))
