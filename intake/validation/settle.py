"""Severity from evidence: doubt is a warning for review, only confident evidence is an error.

Contract section 4 (last paragraph): a finding whose evidence rests on a doubtful reading is a
``warning`` that routes the submission to review, never an ``error``.  Rules decide *whether*
something is wrong; `settle` decides, in this one place and for every rule alike, whether the
evidence is sure enough to reject.  An error stays an error only when

* every field it rests on was read at or above its type's review threshold (``x-review``), or
  was entered by a reviewer;
* every such field is type-valid (its schema ``format``: check characters, dates, money);
* a mismatch between documents is beyond OCR confusion (`confusions.ocr_difference`): for a
  rule comparing several fields (``evidence["compare"]``) at least one pair of confident,
  type-valid readings must differ beyond it;
* for a failed check (``schema.format``, ``uscc.checksum``, ``id.checksum``) no reading one OCR
  step away passes the check, and no other document of the packet carries a valid reading
  the failed one could be a misreading of.  The checked field's own confidence is not held
  against it: extractors already lower it *because* the check failed, so counting it again
  would make every failed check a warning;
* for a missing document, no document of the submission is of unknown type;
* for a missing required field, the value the packet's other documents give it is not printed
  on the document's page, and no value of the field's type (a date, a code, an amount) stands on
  the page unclaimed by another field (then the extractor missed it, the document has it).

Otherwise the finding becomes a ``warning`` whose message names the readings and ends with
请人工核对; ``evidence["doubt"]`` records why and ``evidence["severity_without_doubt"]`` keeps
``error`` so the review UI and benchmarks can tell a downgraded finding.

Findings name their readings in ``evidence["readings"]`` (``[{document, field, value,
confidence, source}]``); without it they are derived from the finding's documents × fields.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from extractors.value_types import check

from ..model import Document, Finding
from . import confusions as C
from .formats import (USCC_ALPHABET, compact, date_or_long_valid, date_valid, idno_problem, money_valid,
                      uscc_problem)
from schemas.registry import DEFAULT_CONFIDENCE_THRESHOLD as DEFAULT_THRESHOLD
from schemas.registry import doc_title as doc_label
from schemas.registry import field_label, type_schema
from .rules import ERROR, WARNING

CHECK_RULES = ("schema.format", "uscc.checksum", "id.checksum")
REVIEWER = "reviewer"
REVIEW = "请人工核对"
UNKNOWN = "unknown"


@dataclass
class Doubt:
    kind: str  # low_confidence | type_invalid | ocr_difference | check_variant | unknown_document
    text: str
    detail: dict

    def to_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text, **self.detail}


# --- readings -------------------------------------------------------------------------------

def reading(doc_type: str, key: str, fv) -> dict:
    """The plain-data record of one field reading that a finding rests on."""
    return {"document": doc_type, "field": key, "value": fv.value,
            "confidence": None if fv.confidence is None else round(float(fv.confidence), 3),
            "source": fv.source}


def _derived(f: Finding, documents: list[Document]) -> list[dict]:
    out = []
    for d in documents:
        if d.type not in f.documents:
            continue
        for key in f.fields:
            fv = d.fields.get(key)
            if fv is not None and fv.value not in (None, ""):
                out.append(reading(d.type, key, fv))
    return out


def _schema(doc_type: str, schemas) -> dict | None:
    ts = type_schema(doc_type, schemas)
    return ts


def _threshold(doc_type: str, schemas) -> float:
    ts = _schema(doc_type, schemas)
    return ts.confidence_threshold if ts is not None else DEFAULT_THRESHOLD


def _format(doc_type: str, key: str, schemas) -> str | None:
    ts = _schema(doc_type, schemas)
    prop = ((ts.schema if ts else {}).get("properties") or {}).get(key)
    return prop.get("format") if isinstance(prop, dict) else None


def _value_type(doc_type: str, key: str, schemas) -> str | None:
    ts = _schema(doc_type, schemas)
    prop = ((ts.schema if ts else {}).get("properties") or {}).get(key)
    return prop.get("x-value-type") if isinstance(prop, dict) else None


# A name that does not look like one (a label read into it, digits, cut short) is a doubtful reading:
# what it is compared with may well be right.  Scores from extraction's own typed validation.
_NAME_TYPES = {"organization": (1.0, "不像完整的单位名称"), "person": (0.7, "不像人名")}


def name_problem(value_type: str | None, value: Any) -> str | None:
    """Why a name field's value does not look like a name of its type (a Chinese phrase), or None."""


    if value_type not in _NAME_TYPES or not isinstance(value, str) or not value:
        return None
    least, text = _NAME_TYPES[value_type]
    score, _why = check(value_type, compact(value))
    return text if score < least else None


def type_problem(fmt: str | None, value: Any) -> str | None:
    """Why a value fails its schema format (a Chinese phrase), or None."""
    if fmt is None or not isinstance(value, str):
        return None
    if fmt == "uscc":
        p = uscc_problem(value)
        return p[1] if p else None
    if fmt == "idno":
        p = idno_problem(value)
        return p[1] if p else None
    if fmt == "date" and not date_valid(value):
        return "不是有效日期"
    if fmt == "date-or-long" and not date_or_long_valid(value):
        return "不是有效日期或“长期”"
    if fmt == "money" and not money_valid(value):
        return "不是有效金额"
    return None


def _label(r: dict) -> str:
    return f"{doc_label(r['document'])}的{field_label(r['document'], r['field'])}"


def _reading_doubts(r: dict, schemas, exempt: bool = False) -> list[Doubt]:
    """Doubts about one reading by itself: low confidence, failed type check."""
    if r.get("source") == REVIEWER or exempt:
        return []
    out = []
    th = _threshold(r["document"], schemas)
    conf = r.get("confidence")
    if conf is not None and float(conf) < th:
        out.append(Doubt("low_confidence", f"{_label(r)}“{compact(r['value'])}”识别置信度 {float(conf):.2f}，低于 {th:.2f}",
                         {"document": r["document"], "field": r["field"], "confidence": conf, "threshold": th}))
    problem = type_problem(_format(r["document"], r["field"], schemas), r.get("value")) or \
        name_problem(_value_type(r["document"], r["field"], schemas), r.get("value"))
    if problem:
        out.append(Doubt("type_invalid", f"{_label(r)}“{compact(r['value'])}”{problem}，可能识别有误",
                         {"document": r["document"], "field": r["field"], "reason": problem}))
    return out


# --- comparisons ----------------------------------------------------------------------------

def _validator(kind_hint: str | None):
    if kind_hint in ("uscc", "code"):
        return lambda v: uscc_problem(v) is None if len(compact(v)) == 18 else None
    if kind_hint == "idno":
        return lambda v: idno_problem(v) is None
    return None


def _other_party(r: dict, documents: list[Document], parties) -> Doubt | None:
    """The reading is another party's name: the packet names this organization in a comparison
    group the reading's field is not in (an invoice's buyer read from the seller's block, a
    contract's 甲方 and 乙方 taken for each other).  A layout confusion, not evidence."""
    from .normalize import org_name

    mine = org_name(r.get("value") or "")
    if len(mine) < 4:
        return None
    for group in parties or []:
        if (r["document"], r["field"]) in group:
            continue
        for d in documents:
            for key, fv in d.fields.items():
                if (d.type, key) in group and fv.value not in (None, "") and org_name(fv.value) == mine:
                    return Doubt("other_party", f"{_label(r)}“{compact(r['value'])}”与{doc_label(d.type)}的"
                                 f"{field_label(d.type, key)}相同，可能读自另一方的栏目",
                                 {"document": r["document"], "field": r["field"], "other": f"{d.type}.{key}"})
    return None


def _compare_doubts(f: Finding, readings: list[dict], schemas, documents=None, parties=None) -> list[Doubt] | None:
    """``None`` when some pair of confident, valid readings differs beyond OCR confusion
    (the mismatch is sure); else the doubts that explain every difference."""
    spec = f.evidence.get("compare") or {}
    doubts: list[Doubt] = []
    for group in spec.get("groups", []):
        kind, hint = group.get("kind", C.TEXT), group.get("normalize")
        valid = _validator(hint)
        items = group.get("items", [])
        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                a, b = items[i], items[j]
                if a.get("key") == b.get("key"):
                    continue  # equal after the rule's normalization
                why = C.ocr_difference(a["value"], b["value"], kind, valid)
                rs = [readings[k] for k in a.get("readings", []) + b.get("readings", []) if k < len(readings)]
                own = [d for r in rs for d in _reading_doubts(r, schemas)]
                if why is None and not own and group.get("normalize") == "org_name":
                    own = [d for d in (_other_party(r, documents or [], parties) for r in rs) if d]
                if why is None and not own:
                    return None  # a sure mismatch
                if why:
                    doubts.append(Doubt("ocr_difference",
                                        f"“{compact(a['value'])}”与“{compact(b['value'])}”{why}",
                                        {"readings": [compact(a["value"]), compact(b["value"])], "why": why}))
                doubts.extend(d for d in own if d.text not in {x.text for x in doubts})
    return doubts


def _check_doubts(f: Finding, documents: list[Document], schemas) -> list[Doubt]:
    """A failed check that one OCR step, or another document's reading, would explain."""
    key, value = f.evidence.get("field"), f.evidence.get("value")
    if not key or not isinstance(value, str) or not f.documents:
        return []
    fmt = _format(f.documents[0], key, schemas)
    if fmt == "uscc":
        valid, alphabet, first = (lambda v: uscc_problem(v) is None), USCC_ALPHABET, 8
    elif fmt == "idno":
        valid, alphabet, first = (lambda v: idno_problem(v) is None), "0123456789X", 0
    else:
        return []
    out = []
    variants = C.code_variants(value, valid, alphabet, 18, first)
    if variants:
        shown = "；".join(f"{why}则为“{v}”" for v, why in variants[:3])
        out.append(Doubt("check_variant", f"读作“{compact(value)}”，{shown}，校验即可通过",
                         {"reading": compact(value), "variants": [v for v, _ in variants[:5]]}))
    for d in documents:
        for k, fv in d.fields.items():
            if (d.type, k) == (f.documents[0], key) or _format(d.type, k, schemas) != fmt:
                continue
            other = fv.value
            if not isinstance(other, str) or not valid(other):
                continue
            why = C.code_difference(value, other, valid)
            if why:
                out.append(Doubt("ocr_difference",
                                 f"{doc_label(d.type)}上读作“{compact(other)}”（校验通过），本处读作“{compact(value)}”",
                                 {"readings": [compact(value), compact(other)], "other": f"{d.type}.{k}"}))
    return out


# --- settle ---------------------------------------------------------------------------------

def _seen_on_page(f: Finding, documents: list[Document], page_texts, peers) -> list[Doubt]:
    """A required field not read, while the value other documents give it is printed on this
    document's page: the extractor missed it (an unfamiliar layout), the document has it."""
    out = []
    for i, d in enumerate(documents):
        if d.type not in f.documents or page_texts is None or i >= len(page_texts) or not page_texts[i]:
            continue
        page = C.simplify(C.clean(page_texts[i]))
        for key in f.fields:
            if key in d.fields:
                continue
            for value in (peers or {}).get((d.type, key), []):
                v = C.simplify(C.clean(value))
                if len(v) >= 2 and v in page:
                    out.append(Doubt("seen_on_page", f"页面上可见“{compact(value)}”，但未能读出{field_label(d.type, key)}",
                                     {"document": d.type, "field": key, "value": value}))
                    break
    return out


# Printed values of a type, as page text shows them: a required field missing while such a value
# stands on its page, not claimed by another field of the document, was most likely missed by an
# unfamiliar layout rather than left blank on the paper.
_NUM = "[0-9０-９OoIl]"
_TYPED_PATTERNS = {
    "date": re.compile(rf"(?:19|20)\d{{2}}\s*(?:年|[-./])\s*\d{{1,2}}\s*(?:月|[-./])\s*\d{{1,2}}"
                       r"|[二〇○O零][〇○O零一二三四五六七八九]{3}\s*年\s*[一二三四五六七八九十]{1,3}\s*月"),
    "uscc": re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Z])"),
    "idno": re.compile(rf"(?<!\d)\d{{17}}[\dXx](?!\d)"),
    "money": re.compile(r"[¥￥]\s*\d[\d,]*(?:\.\d{1,2})?|\d[\d,]*(?:\.\d{1,2})?\s*元|[壹贰叁肆伍陆柒捌玖拾佰仟万]+[元圆]"),
}
_TYPED_FORMATS = {"date": "date", "date-or-long": "date", "uscc": "uscc", "idno": "idno", "money": "money"}


def _claim_form(kind: str, printed: str) -> str:
    """The printed value in the form fields hold it (ISO date, plain money), to see if a field claims it."""
    t = compact(printed)
    if kind == "date":
        m = re.match(r"(\d{4})\D+(\d{1,2})\D+(\d{1,2})", t)
        return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else t
    if kind == "money":
        m = re.search(r"\d[\d,]*(?:\.\d{1,2})?", t)
        if m and not re.search(r"[壹贰叁肆伍陆柒捌玖]", t):
            return f"{float(m.group(0).replace(',', '')):.2f}"
        return t
    return t.upper()


def _typed_on_page(f: Finding, documents: list[Document], page_texts, schemas) -> list[Doubt]:
    out = []
    for i, d in enumerate(documents):
        if d.type not in f.documents or page_texts is None or i >= len(page_texts) or not page_texts[i]:
            continue
        page = C.clean(page_texts[i])
        claimed = {compact(getattr(v, "value", v)) for v in d.fields.values()}
        for key in f.fields:
            kind = _TYPED_FORMATS.get(_format(d.type, key, schemas) or "")
            if key in d.fields or kind is None:
                continue
            seen = [m.group(0) for m in _TYPED_PATTERNS[kind].finditer(page)]
            loose = [t for t in seen if _claim_form(kind, t) not in claimed]
            if loose:
                out.append(Doubt("typed_on_page", f"页面上有“{compact(loose[0])}”，可能就是未能读出的{field_label(d.type, key)}",
                                 {"document": d.type, "field": key, "value": loose[0]}))
    return out


def doubts_of(f: Finding, documents: list[Document], schemas=None, page_texts=None, peers=None,
              parties=None) -> list[Doubt]:
    """Why the evidence of ``f`` is not sure enough to reject; empty when it is.
    ``page_texts`` (aligned with ``documents``) and ``peers`` (``{(type, key): [values other
    documents give that field]}``, from the packet's comparison rules) let a missing field be
    found printed on its page."""
    readings = f.evidence.get("readings") or _derived(f, documents)
    checked = f.evidence.get("field") if f.rule in CHECK_RULES else None
    own = [d for r in readings
           for d in _reading_doubts(r, schemas, exempt=checked is not None and r["field"] == checked
                                    and r["document"] in f.documents[:1])]
    if f.evidence.get("compare"):
        compared = _compare_doubts(f, readings, schemas, documents, parties)
        if compared is None:
            return []
        return compared or own
    out = list(own)
    if checked:
        out += _check_doubts(f, documents, schemas)
    if f.rule == "schema.required":
        out += _seen_on_page(f, documents, page_texts, peers) or _typed_on_page(f, documents, page_texts, schemas)
    if f.rule == "packet.missing_document":
        unknown = [i + 1 for i, d in enumerate(documents) if d.type == UNKNOWN]
        if unknown:
            out.append(Doubt("unknown_document",
                             f"第 {'、'.join(map(str, unknown))} 份材料未能识别类型，可能就是所缺材料",
                             {"documents": unknown}))
    return out


def settle_one(f: Finding, documents: list[Document], schemas=None, page_texts=None, peers=None,
               parties=None) -> Finding:
    if f.severity != ERROR:
        return f
    doubts = doubts_of(f, documents, schemas, page_texts, peers, parties)
    if not doubts:
        return f
    texts = []
    for d in doubts:
        if d.text not in texts:
            texts.append(d.text)
    shown = "；".join(texts[:3]) + ("…" if len(texts) > 3 else "")
    message = f"{f.message.rstrip('。')}（{shown}），{REVIEW}"
    evidence = dict(f.evidence, doubt=[d.to_dict() for d in doubts], severity_without_doubt=ERROR)
    return Finding(f.rule, WARNING, message, list(f.fields), list(f.documents), f.source, evidence)


def settle(findings: Iterable[Finding], documents: list[Document], schemas=None, page_texts=None,
           peers=None, parties=None) -> list[Finding]:
    """Every finding with the severity its evidence supports (see the module docstring)."""
    return [settle_one(f, documents, schemas, page_texts, peers, parties) for f in findings]
