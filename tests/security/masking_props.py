"""Hypothesis strategies for personal numbers as OCR writes them (shared by the property tests
and bench/security.py): real-shaped ID, mobile, landline and bank account numbers, with
digits confused for letters, separators between groups and words glued on either side."""
from __future__ import annotations

import re

from hypothesis import strategies as st

from extractors.codes import idno_check_char

CONFUSE = {"0": "0Oo", "1": "1lI|"}
SEPARATORS = [" ", "-", ".", " - ", "  ", "·", "_", "/", "\u3000"]
PREFIXES = ["", "ID", "tel", "Tel:", "No.", "NO", "电话", "手机号", "身份证号码", "公民身份号码 ", "账号:", "(", "A"]
SUFFIXES = ["", "号", " 元", ")", "。", "abc", "X", " 签字"]
_NORMAL = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1"})


@st.composite
def id_number(draw) -> str:
    region = draw(st.sampled_from(["110105", "411002", "411023", "410102", "411081"]))
    year = draw(st.integers(1940, 2008))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28))
    seq = draw(st.integers(0, 999))
    body = f"{region}{year}{month:02d}{day:02d}{seq:03d}"
    return body + idno_check_char(body)


@st.composite
def mobile(draw) -> str:
    value = "1" + draw(st.sampled_from("3456789")) + "".join(draw(st.lists(st.sampled_from("0123456789"),
                                                                            min_size=9, max_size=9)))
    return value


@st.composite
def landline(draw) -> str:
    return "0374" + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=7, max_size=7)))


@st.composite
def account(draw) -> str:
    n = draw(st.integers(16, 19))
    return "62" + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=n - 2, max_size=n - 2)))


def _distinct_middle(value: str) -> bool:
    # "13000000000" hides "0000" but shows "0000" as its tail: no test can tell that from a leak
    return len(set(value[3:-4])) >= 3


secret = st.one_of(id_number(), mobile(), landline(), account()).filter(_distinct_middle)


@st.composite
def ocr_written(draw, value: str) -> str:
    """`value` as OCR might print it: some digits confused, cut into groups with separators."""
    chars = []
    for c in value:
        if c in CONFUSE and draw(st.booleans()):
            c = draw(st.sampled_from(CONFUSE[c]))
        chars.append(c)
    cuts = sorted(set(draw(st.lists(st.integers(1, len(chars) - 1), max_size=4))))
    out, last = [], 0
    for cut in cuts:
        out.append("".join(chars[last:cut]))
        last = cut
    out.append("".join(chars[last:]))
    sep = draw(st.sampled_from(SEPARATORS))
    return sep.join(out)


@st.composite
def text_with_secret(draw, value_strategy=secret) -> tuple[str, str]:
    value = draw(value_strategy)
    written = draw(ocr_written(value))
    text = draw(st.sampled_from(PREFIXES)) + written + draw(st.sampled_from(SUFFIXES))
    if draw(st.booleans()):
        text = draw(st.sampled_from(["申请人 李明 ", "备注：", "第 2 页 "])) + text
    return value, text


_VISIBLE_RUN = re.compile(r"[0-9OolI|Xx]+(?:[ \t\u3000\-._/·]+[0-9OolI|Xx]+)*")


def visible_numbers(text: str) -> list[str]:
    """The digit strings a reader can take out of a masked text: each run of digits (confusions
    undone, separators dropped) between two masks or other characters."""
    out = []
    for part in text.split("****"):
        out += [re.sub(r"[^0-9Xx]", "", m.group(0).translate(_NORMAL)) for m in _VISIBLE_RUN.finditer(part)]
    return out


def leaked(value: str, masked: str, others: tuple[str, ...] = ()) -> bool:
    """True when the masked text still shows the hidden middle of `value` (all but 3 + 4).

    When the middle equals what masking shows on purpose - the first 3 or last 4 digits of this
    number or of another one in the same text (`others`), as in 149****4546 for 14945464546 -
    no reader can tell it from a leak either, and it does not count.
    """
    middle = value[3:-4]
    shown = [v[:3] for v in (value, *others)] + [v[-4:] for v in (value, *others)]
    if any(middle in part for part in shown):
        return False
    return any(middle in run for run in visible_numbers(masked))
