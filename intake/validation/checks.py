"""Checks shared by the document keywords (``x-jurisdiction`` …) and the packet rule kinds.

Each returns ``Finding``s; the same inputs give the same message, so a document keyword
and a packet rule that both fire are merged by `decide`'s de-duplication.
"""
from __future__ import annotations

from datetime import date
from difflib import SequenceMatcher
from typing import Any, Iterable

from ..model import Document, FieldValue, Finding, parse_bool
from . import jurisdiction as J
from .formats import LONG_TERM, compact, parse_date, uscc_region
from schemas.registry import doc_title as doc_label
from schemas.registry import expired_message, field_label, seal_name_fields

from .normalize import org_core, org_name
from .rules import ERROR, WARNING, finding

NOT_VERIFIABLE = "not_verifiable"


def truthy(value: Any) -> bool | None:
    """`intake.model.parse_bool`, with an empty reading counting as absent (a seal not found)."""
    if isinstance(value, str) and not value.strip():
        return False
    return parse_bool(value)


# --- jurisdiction -----------------------------------------------------------------------

def jurisdiction_finding(*, uscc: str | None, address: str | None, name: str | None,
                         fields: list[str], documents: list[str], source: str | None = None) -> Finding | None:
    """``jurisdiction.xuchang``: error when the USCC region or the address is outside Xuchang,
    warning when neither source can confirm Xuchang, nothing when one confirms it."""
    region = uscc_region(uscc) if uscc else None
    by_code = J.classify_region(region)
    by_addr = J.classify_address(address)
    who = "该单位"  # the name stays in the evidence: a document keyword and a packet rule must agree
    parts = []
    if region:
        parts.append(f"统一社会信用代码登记地 {J.describe_region(region)}")
    if address:
        parts.append(f"地址：{J.shorten(compact(address))}")
    detail = "，".join(parts)
    evidence = {"uscc": uscc, "region": region, "address": address, "name": name,
                "by_uscc": by_code.status if by_code else None,
                "by_address": by_addr.status if by_addr else None,
                "address_place": by_addr.place if by_addr else None}
    if (by_code and by_code.status == J.OUTSIDE) or (by_addr and by_addr.status == J.OUTSIDE):
        return finding("jurisdiction.xuchang", f"{who}不在许昌市注册（{detail}）", severity=ERROR,
                       fields=fields, documents=documents, source=source, evidence=evidence)
    if (by_code and by_code.status == J.XUCHANG) or (by_addr and by_addr.status == J.XUCHANG):
        return None
    if not uscc and not address:
        return None  # nothing to judge by: schema.required reports the missing fields
    note = by_addr.note if by_addr and by_addr.note else "统一社会信用代码无法读出登记地"
    return finding("jurisdiction.xuchang", f"无法确认{who}在许昌市注册（{detail}；{note}），请人工核对",
                   severity=WARNING, fields=fields, documents=documents, source=source, evidence=evidence)


# --- validity ---------------------------------------------------------------------------

def expiry_finding(*, rule: str, doc_type: str, field: str, value: Any, as_of: date,
                   schema: dict | None = None, source: str | None = None) -> Finding | None:
    if value is None or (isinstance(value, str) and compact(value) == LONG_TERM):
        return None
    end = parse_date(value)
    if end is None or end >= as_of:
        return None  # a malformed date is schema.format's business
    what = expired_message(doc_type, schema)  # the schema's x-expired-message
    return finding(rule, f"{what}（{end.isoformat()}，提交日期 {as_of.isoformat()}）", fields=[field],
                   documents=[doc_type], source=source,
                   evidence={"field": field, "value": value, "as_of": as_of.isoformat()})


# --- seals and signatures ---------------------------------------------------------------

def flag_finding(*, rule: str, doc_type: str, field: str, fv: FieldValue | None,
                 schema: dict | None = None, source: str | None = None) -> Finding | None:
    """``seal.missing`` / ``signature.missing`` for a bool field: error when verifiably absent,
    a warning routed to review when the scan could not be checked (grayscale)."""
    if fv is None:
        return None
    present = truthy(fv.value)
    if present is None or present:
        return None
    label = field_label(doc_type, field, schema)
    ev = {"field": field, "value": fv.value, "raw": fv.raw, "page": fv.page}
    if fv.raw == NOT_VERIFIABLE:
        return finding(rule, f"{doc_label(doc_type)}的{label}无法核验（灰度扫描），请人工核对",
                       severity=WARNING, fields=[field], documents=[doc_type], source=source, evidence=ev)
    return finding(rule, f"{doc_label(doc_type)}未见{label}", severity=ERROR, fields=[field],
                   documents=[doc_type], source=source, evidence=ev)


_SEAL_PURPOSES = ("检验检测专用章", "合同专用章", "发票专用章", "财务专用章", "业务专用章", "专用章", "公章", "印章")
SEAL_MATCH_THRESHOLD = 0.6


def _seal_text(text: str) -> str:
    s = "".join(ch for ch in compact(text) if "\u4e00" <= ch <= "\u9fff" or ch in "()")
    for p in _SEAL_PURPOSES:
        if s.endswith(p):
            s = s[: -len(p)]
    return s


def seal_name_score(seal_text: str, name: str) -> float:
    """Share of the name's core (see `org_core`) found, in order, in the seal text."""
    s = _seal_text(seal_text)
    core = org_core(name) or org_name(name)
    if not s or not core:
        return 1.0
    blocks = SequenceMatcher(None, core, s, autojunk=False).get_matching_blocks()
    return sum(b.size for b in blocks) / len(core)


def seal_name_findings(doc: Document, schema: dict | None = None) -> Iterable[Finding]:
    # x-seal-name: the name fields a document's own seals carry (a business license's seal is
    # the registration authority's, a bank receipt's the bank's: they name none).
    keys = seal_name_fields(doc.type, schema)
    names = {k: doc.fields[k].value for k in keys if k in doc.fields and doc.fields[k].value}
    if not names:
        return
    for seal in doc.seals:
        if seal.shape == "square" or len(_seal_text(seal.text or "")) < 4:
            continue
        scores = {k: seal_name_score(seal.text, str(v)) for k, v in names.items()}
        best = max(scores.values())
        if best >= SEAL_MATCH_THRESHOLD:
            continue
        shown = "、".join(f"“{org_name(v)}”" for v in names.values())
        yield finding("seal.name_mismatch",
                      f"{doc_label(doc.type)}上的印章文字“{compact(seal.text)}”与单位名称{shown}不符，请人工核对",
                      fields=list(names), documents=[doc.type],
                      evidence={"seal_text": seal.text, "page": seal.page, "bbox": list(seal.bbox),
                                "names": names, "score": round(best, 2)})
