"""A tiny stand-in for `intake.store.revalidate` so the review tests do not depend on the real
validation (written in parallel). Configured through the plugin setting `revalidate`.

Rules: `id.checksum` for an ID card number that fails its check digit, `schema.required`
when the business license has no name. Status as the contract routes it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from intake.db import log_event, transaction
from intake.model import Finding
from intake.store import load_documents, save_decision
from intake.validation.formats import idno_valid


@dataclass
class FakeDecision:
    status: str
    packet: str = "membership_application"
    findings: list = field(default_factory=list)
    voucher_amount: str | None = None
    organization: str | None = None
    uscc: str | None = None
    year: int | None = None


def decide(docs) -> FakeDecision:
    findings = []
    org = uscc = None
    for d in docs:
        if d.type == "id_card":
            fv = d.fields.get("id_number")
            if fv is not None and not idno_valid(fv.value):
                findings.append(Finding("id.checksum", "error", "公民身份号码校验位错误，请核对身份证复印件。",
                                        ["id_number"], ["id_card"], "GB 11643-1999"))
        if d.type == "business_license":
            if "name" not in d.fields:
                findings.append(Finding("schema.required", "error", "营业执照缺少名称。", ["name"],
                                        ["business_license"], "schemas"))
            else:
                org = d.fields["name"].value
            if "uscc" in d.fields:
                uscc = d.fields["uscc"].value
    low = any(f.confidence < 0.85 for d in docs for f in d.fields.values() if f.source != "reviewer")
    if any(f.severity == "error" for f in findings):
        status = "rejected"
    elif findings or low:
        status = "needs_review"
    else:
        status = "ready"
    return FakeDecision(status, findings=findings, organization=org, uscc=uscc, year=2026)


def revalidate(db, submission_id: int):
    decision = decide(load_documents(db, submission_id))
    with transaction(db):
        save_decision(db, submission_id, decision)
        log_event(db, "revalidated", f"fake: {decision.status}", submission_id=submission_id)
    return decision
