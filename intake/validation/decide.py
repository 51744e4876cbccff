"""`decide`: one submission's packet, findings, status and voucher amount.

Status routing (contract section 3): ``rejected`` when any finding is an error (and an error
needs confident evidence: `settle.py` turns findings resting on doubtful readings into warnings);
``needs_review`` when there are only warnings, a field is below its schema's
confidence threshold, a document is ``unknown`` or the packet is not recognised;
``ready`` when nothing was found.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from ..model import Document, Finding
from schemas.registry import doc_title as doc_label
from schemas.registry import packet_title, type_schema

from .context import PacketContext
from .document import validate_document
from .history import History, NoHistory
from .kinds import KINDS
from .lists import used_versions
from .normalize import NORMALIZERS
from .packets import UNKNOWN, load_packets, recognise, rule_kind, rule_params
from .rules import finding
from .settle import settle

REJECTED, NEEDS_REVIEW, READY = "rejected", "needs_review", "ready"


@dataclass
class Decision:
    packet: str
    status: str
    findings: list[Finding]
    voucher_amount: str | None = None
    organization: str | None = None
    uscc: str | None = None
    year: int | None = None
    # Why the status is needs_review beyond warnings (low confidence, unknown documents …).
    review_reasons: list[str] = field(default_factory=list)
    low_confidence: list[dict] = field(default_factory=list)
    voucher: dict | None = None  # how the amount was reached (fee, cap, granted, left)
    # Which reference-list versions and budget the list rules read (None inside: not checked).
    lists_used: dict | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """Same rule, severity and message → one finding, documents and fields merged."""
    out: dict[tuple, Finding] = {}
    for f in findings:
        key = (f.rule, f.severity, f.message)
        if key in out:
            kept = out[key]
            kept.documents += [d for d in f.documents if d not in kept.documents]
            kept.fields += [x for x in f.fields if x not in kept.fields]
        else:
            out[key] = Finding(f.rule, f.severity, f.message, list(f.fields), list(f.documents), f.source,
                               dict(f.evidence))
    return list(out.values())


def _document_findings(documents: list[Document], as_of: date, schemas) -> list[Finding]:
    out: list[Finding] = []
    for i, doc in enumerate(documents):
        siblings = [d for j, d in enumerate(documents) if j != i and d.type == doc.type]
        for f in validate_document(doc, as_of, schemas=schemas, settle=False):
            # A field split over two documents of one type (ID card front and back) is not missing.
            if f.rule == "schema.required" and any(k in s.fields for s in siblings for k in f.fields):
                continue
            f.documents = f.documents or [doc.type]
            out.append(f)
    return out


def _threshold(doc: Document, schemas) -> float | None:
    ts = type_schema(doc.type, schemas)
    return ts.confidence_threshold if ts is not None else None


def _confirmed(spec, documents: list[Document], schemas) -> set[tuple[int, str]]:
    """``(id(document), key)`` of fields below their threshold whose value, after the comparison
    rule's normalization, another document of the packet gives at or above its own threshold: two
    independent readings of the same value agree, so the low one is no reason for review (a
    mismatch stays one: it is never confirmed)."""
    roles = spec.role_types()
    groups = []
    for entry in spec.rules:
        if entry.get("equal"):
            groups.append((entry.get("normalize", "text"), entry["equal"]))
        elif entry.get("equal_person"):
            groups += [("person", entry["equal_person"]["name"]), ("idno", entry["equal_person"]["id_number"])]
        elif entry.get("amount_agree"):
            groups.append(("money", entry["amount_agree"]))
    out: set[tuple[int, str]] = set()
    for normalize, refs in groups:
        norm = NORMALIZERS[normalize]
        present = [(d, ref[1], d.fields[ref[1]]) for ref in refs for d in documents
                   if d.type in roles.get(ref[0], (ref[0],)) and ref[1] in d.fields
                   and d.fields[ref[1]].value not in (None, "")]
        for d, key, fv in present:
            th = _threshold(d, schemas)
            if th is None or fv.confidence is None or float(fv.confidence) >= th:
                continue
            mine = norm(fv.value)
            if mine in (None, ""):
                continue
            if any(o is not d and norm(ofv.value) == mine and (ofv.source == "reviewer" or (
                    _threshold(o, schemas) is not None and float(ofv.confidence or 0) >= _threshold(o, schemas)))
                   for o, _k, ofv in present):
                out.add((id(d), key))
    return out


def _low_confidence(documents: list[Document], schemas, confirmed: set | None = None) -> list[dict]:
    out = []
    for doc in documents:
        ts = type_schema(doc.type, schemas)
        if ts is None:
            continue
        for key, fv in doc.fields.items():
            if fv.source == "reviewer":
                continue  # a reviewer's correction is certain
            if (id(doc), key) in (confirmed or ()):
                continue  # another document's confident reading agrees
            if fv.confidence is not None and float(fv.confidence) < ts.confidence_threshold:
                out.append({"document": doc.type, "field": key, "confidence": round(float(fv.confidence), 3),
                            "threshold": ts.confidence_threshold})
    return out


def _peers(spec, documents: list[Document]) -> dict[tuple[str, str], list[str]]:
    """``{(type, key): values}``: what the packet's other documents give a field its comparison
    rules (``equal``, ``equal_person``) tie to others."""
    roles = spec.role_types()
    groups = []
    for entry in spec.rules:
        params = entry.get("equal") or []
        if entry.get("equal_person"):
            groups += list(entry["equal_person"].values())
        if params:
            groups.append(params)
    out: dict[tuple[str, str], list[str]] = {}
    for group in groups:
        present = [(d.type, ref[1], d.fields[ref[1]].value) for ref in group for d in documents
                   if d.type in roles.get(ref[0], (ref[0],)) and ref[1] in d.fields]
        for ref in group:
            for t in roles.get(ref[0], (ref[0],)):
                vals = out.setdefault((t, ref[1]), [])
                vals += [str(v) for (pt, pk, v) in present if (pt, pk) != (t, ref[1]) and str(v) not in vals]
    return out


def _parties(spec) -> list[set[tuple[str, str]]]:
    """Each organization the packet compares (an ``equal`` rule normalized ``org_name``) as the set
    of ``(type, key)`` that name it: the client's fields, the provider's …"""
    roles = spec.role_types()
    return [{(t, ref[1]) for ref in entry["equal"] for t in roles.get(ref[0], (ref[0],))}
            for entry in spec.rules if entry.get("equal") and entry.get("normalize") == "org_name"]


def decide(documents: list[Document], as_of: date, history: History | None = None,
           page_texts: list[str] | None = None, submission_id: int | None = None, *,
           packet: str | None = None, voucher_config=None, schemas: dict[str, dict] | None = None,
           packets_dir: str | None = None) -> Decision:
    """Decide one submission.

    ``page_texts[i]`` is the text of ``documents[i]`` (for keyword rules); ``packet`` forces the
    packet type; ``voucher_config`` replaces the voucher configuration file; ``schemas`` and
    ``packets_dir`` replace the schema registry and the packet definitions (tests).
    """
    history = history if history is not None else NoHistory()
    packets = load_packets(packets_dir)
    findings = _document_findings(documents, as_of, schemas)
    types = [d.type for d in documents]
    name = packet or recognise(types, packets)
    reasons: list[str] = []
    amount = organization = uscc = None
    voucher = lists_used = None
    spec = packets.get(name)
    if spec is not None:
        present = set(types)
        for req in spec.documents:
            if req.required and not present & set(req.types):
                findings.append(finding("packet.missing_document", f"缺少{req.label}",
                                        documents=list(req.types), source=req.source or None,
                                        evidence={"role": req.role, "types": list(req.types), "packet": name}))
        ctx = PacketContext(spec, documents, as_of, history, page_texts, submission_id, voucher_config)
        for entry in spec.rules:
            findings.extend(KINDS[rule_kind(entry)](ctx, entry, rule_params(entry)))
        amount = ctx.voucher_amount
        voucher = ctx.notes.get("voucher")
        lists_used = used_versions(spec, history, as_of.year)
        org = ctx.first(spec.applicant.get("name"))
        code = ctx.first(spec.applicant.get("uscc"))
        organization = str(org.value) if org else None
        uscc = str(code.value).upper().replace(" ", "") if code else None
    else:
        known = "、".join(packet_title(p) for p in packets) or "无"
        reasons.append(f"无法判断材料属于哪类申请（{known}）")
    # Doubtful evidence → warning (contract section 4), decided once with every document in view.
    findings = _dedupe(settle(findings, documents, schemas, page_texts, _peers(spec, documents) if spec else None,
                              _parties(spec) if spec else None))
    unknown = [i + 1 for i, t in enumerate(types) if t == UNKNOWN]
    if unknown:
        reasons.append(f"第 {'、'.join(map(str, unknown))} 份材料无法识别类型")
    if not documents:
        reasons.append("提交中没有可识别的材料")
    low = _low_confidence(documents, schemas, _confirmed(spec, documents, schemas) if spec else None)
    if low:
        shown = "、".join(f"{doc_label(x['document'])}.{x['field']}（{x['confidence']}）" for x in low[:6])
        reasons.append(f"{len(low)} 个字段识别置信度低于阈值：{shown}{'…' if len(low) > 6 else ''}")
    if any(f.severity == "error" for f in findings):
        status = REJECTED
    elif findings or reasons:
        status = NEEDS_REVIEW
    else:
        status = READY
    return Decision(name, status, findings, amount, organization, uscc, as_of.year, reasons, low, voucher,
                    lists_used)
