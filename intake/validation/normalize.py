"""Normalizers named in packet rules (``"normalize": "org_name"``) and the core-name heuristic."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Callable

from .formats import compact

_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "〔": "(", "〕": ")", "［": "(", "］": ")"})
_STAMP_NOTE = r"\((?:盖章|公章|签章|盖公章|加盖公章|签字|签名|章)\)"
# A stamp note printed after the name, or before it (单位名称（盖章）：X read across the label).
_STAMP_NOTES = re.compile(rf"^{_STAMP_NOTE}[:：]?|{_STAMP_NOTE}$")
ORG_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "合伙企业", "(普通合伙)", "(有限合伙)",
             "个人独资企业", "公司")
BRANCH_MARKERS = ("分公司", "子公司", "分厂", "分部", "分中心", "办事处", "分院", "分所", "分店")


def text(value: Any) -> str:
    return compact(value).translate(_BRACKETS)


def org_name(value: Any) -> str:
    s = text(value)
    s = _STAMP_NOTES.sub("", s)
    # the tail of a label read into the value's front: 乙方（服务方）：X read as ）：X
    return s.lstrip(")。.,，;；:：、").rstrip("。.,，;；:：")


def person(value: Any) -> str:
    return text(value).replace("•", "·").replace("・", "·")


def code(value: Any) -> str:
    return text(value).upper()


def money(value: Any) -> Decimal | None:
    try:
        return Decimal(compact(value).replace(",", "").replace("¥", "").replace("￥", ""))
    except (InvalidOperation, ValueError):
        return None


NORMALIZERS: dict[str, Callable[[Any], Any]] = {
    "text": text, "org_name": org_name, "person": person, "uscc": code, "idno": code, "code": code,
    "money": money,
}


@lru_cache(maxsize=1)
def _place_prefixes() -> tuple[str, ...]:
    from .jurisdiction import places
    names = {p.text for p in places() if p.kind in ("xuchang", "other", "henan") and len(p.text) >= 2}
    return tuple(sorted(names, key=len, reverse=True))


def parent_name(name: Any) -> str:
    """The head organization of a branch: ``X有限公司长葛分公司`` / ``X有限公司检测中心`` → ``X有限公司``."""
    s = org_name(name)
    for form in ("股份有限公司", "有限责任公司", "有限公司"):
        i = s.find(form)
        if 0 < i and i + len(form) < len(s):
            return s[: i + len(form)]
    return s


def org_core(name: Any) -> str:
    """The distinctive part of an organization's name.

    Heuristic (documented for ``voucher.affiliated`` and ``seal.name_mismatch``): take the
    head organization (text up to the first 有限公司/有限责任公司/股份有限公司 when
    something follows it, e.g. 分公司 or 检测中心), drop bracketed notes, drop trailing
    legal forms and branch markers, and drop leading place names (provinces, cities,
    Xuchang counties and districts).  ``许昌瑞达精密机械有限公司长葛分公司`` → ``瑞达精密机械``.
    """
    s = parent_name(name)
    s = re.sub(r"\([^)]*\)", "", s)
    changed = True
    while changed and s:
        changed = False
        for suffix in ORG_FORMS + BRANCH_MARKERS:
            if s.endswith(suffix) and len(s) > len(suffix):
                s = s[: -len(suffix)]
                changed = True
    changed = True
    while changed and s:
        changed = False
        for prefix in _place_prefixes():
            if s.startswith(prefix) and len(s) - len(prefix) >= 2:
                s = s[len(prefix):]
                changed = True
                break
    return s
