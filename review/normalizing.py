"""A reviewer's typed value, normalized the way OCR output is (issue 14 item 6).

The field's schema says what it holds: its `format` (date, date-or-long, money, uscc, idno,
email) picks the normalizer when there is one, else the normalizer its `x-extract` names.
The normalizers themselves are the extractors' (`extractors.normalize`), never copies, so a
value typed as printed (`2026年11月27日`, `¥10,600.00`, `壹万零陆佰元整`) is stored exactly as
the same text read by OCR would be. A value that has no such reading is refused with the
expected form, so nothing malformed is saved under a green "saved".
"""
from __future__ import annotations

import re

from extractors.normalize import NORMALIZERS, normalize

from .schema_info import FieldInfo

# Format -> normalizer for typed input. Range normalizers (range_start / range_end) read a
# printed "自…至…" span; a reviewer types one date (or 长期), so those fields use the single
# date readers instead. `money` reads figures first, then words, so it also serves
# total_in_words (whose extraction uses money_words).
FORMAT_NORMALIZER = {
    "date": "date",
    "date-or-long": "date_or_long",
    "money": "money",
    "uscc": "uscc",
    "idno": "idno",
    "email": "email",
}
NORMALIZER_FOR_INPUT = {"range_start": "date", "range_end": "date_or_long", "money_words": "money"}

# What the reviewer is told when a value cannot be read (the expected form first).
EXPECTED_ZH = {
    "date": "日期格式无法识别，应为 YYYY-MM-DD（例如 2026-11-27），也可输入 2026年11月27日。",
    "date_or_long": "日期格式无法识别，应为 YYYY-MM-DD（例如 2035-06-01）或“长期”。",
    "money": "金额格式无法识别，应为 12345.00（也可输入 ¥12,345.00 或 壹万贰仟叁佰肆拾伍元整）。",
    "uscc": "统一社会信用代码应为 18 位数字或大写字母（不含空格和“-”）。",
    "idno": "身份证号码应为 18 位：17 位数字加 1 位数字或 X。",
    "email": "电子信箱格式无法识别，应为 name@example.com 的形式。",
    "digits": "应为数字（例如 12345678）。",
    "sex": "性别应为“男”或“女”。",
    "phone": "电话号码格式无法识别，应为数字（可含区号和“-”）。",
    "mobile": "手机号码应为 11 位数字。",
}
# The expected form shown in an empty input (placeholder) and as the input's tooltip.
FORM_HINT_ZH = {"date": "YYYY-MM-DD", "date-or-long": "YYYY-MM-DD 或 长期", "money": "12345.00",
                "uscc": "18 位代码", "idno": "18 位号码"}
_USCC_SHAPE = re.compile(r"^[0-9A-Z]{18}$")
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_EMAIL_SHAPE = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")


class NotNormalizable(ValueError):
    """`message` tells the reviewer the expected form."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def input_normalizer(info: FieldInfo) -> str | None:
    """The normalizer a typed value of this field goes through (None: kept as typed)."""
    name = FORMAT_NORMALIZER.get(info.format or "") or info.normalizer
    name = NORMALIZER_FOR_INPUT.get(name or "", name)
    return name if name in NORMALIZERS else None


def _shape_ok(name: str, value) -> bool:
    """Normalizers keep an unrepairable code "as read" with low certainty (validation then
    reports the failed check character); a value without even the code's shape is refused."""
    if name == "uscc":
        return bool(_USCC_SHAPE.match(str(value)))
    if name == "idno":
        return bool(_ID_SHAPE.match(str(value)))
    if name == "email":
        return bool(_EMAIL_SHAPE.match(str(value)))
    if name == "mobile":
        return bool(re.fullmatch(r"1\d{10}", str(value)))
    return True


def normalize_input(info: FieldInfo, text: str):
    """The stored value for `text` typed into field `info`; raises NotNormalizable."""
    name = input_normalizer(info)
    if name is None:
        return text
    result = normalize(name, text)
    if result is not None and result.value not in (None, "") and _shape_ok(name, result.value):
        return result.value
    if name in EXPECTED_ZH:
        raise NotNormalizable(EXPECTED_ZH[name])
    # A free-text reader found nothing of its kind (a foreign name for `person_name`, say):
    # the reviewer read the document, so keep the text, cleaned like any other.
    plain = normalize("text", text)
    if plain is None:
        raise NotNormalizable(f"“{info.label}”的值无法识别，请按文档上的写法填写。")
    return plain.value
