"""Decisions on a submission: approve, reject, return for a supplement (退回补正), reopen.

A decided submission is read-only (`service._refuse_if_decided` guards every write); changing
it means reopening it, with a reason, which clears the decision; the caller then re-runs
validation. Approving over open error findings needs a written reason per error. Returning
needs at least one preset reason (intake/notices/reasons.py) or a written one.
Every decision is a `decision_log` row; in the same transaction it queues the applicant's
notice (intake/notices/outbox.py, one per decision) and, for an approved voucher, its ledger row
(intake/ledger.py); reopening an approved voucher takes it out of the ledger again.
Same transaction rules as service.py: version check, increment and audit in one IMMEDIATE
transaction.
"""
from __future__ import annotations

import json
from typing import Any

from intake import ledger
from intake.db import now, transaction
from intake.notices import outbox
from intake.notices.reasons import RETURN_REASONS
from intake.supplements import link

from . import audit
from .service import ReviewError, _bump, _check_version, _refuse_if_decided


def open_errors(db, submission_id: int) -> list[tuple[int, str, str]]:
    """(id, rule, message) of the submission's error findings, which an approval must override."""
    return db.execute(
        "SELECT id, rule, message FROM findings WHERE submission_id = ? AND severity = 'error' ORDER BY id",
        [submission_id],
    ).fetchall()


OUTCOME = {"approve": ("verified", "approved"), "reject": ("rejected", "rejected"),
           "return": ("returned", "returned")}


def _return_reasons(reasons: dict[str, str] | list[str] | None) -> list[dict]:
    if isinstance(reasons, (list, tuple)):
        reasons = {code: "" for code in reasons}
    out = []
    for code, detail in (reasons or {}).items():
        if code not in RETURN_REASONS:
            raise ReviewError(f"未知的退回原因：{code}。")
        detail = (detail or "").strip()
        if len(detail) > 500:
            raise ReviewError("退回原因说明过长（每条最多 500 个字符）。")
        out.append({"code": code, "label": RETURN_REASONS[code][0], "detail": detail})
    return out


def decide(db, submission_id: int, version: Any, decision: str, comment: str, actor: str,
           overrides: dict[str, str] | None = None, reasons: dict[str, str] | list[str] | None = None) -> int:
    """Approve, reject or return (退回补正). Approving over open error findings needs a written
    reason for each (`overrides`: finding id -> reason); the reasons are stored in
    `override_reasons`, audited one by one and appended to the decision comment (which the
    export carries). Returning takes preset `reasons` (code -> optional detail) and/or a comment."""
    if decision not in OUTCOME:
        raise ReviewError("未知的操作。")
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise ReviewError("审批意见过长（最多 2000 个字符）。")
    if decision == "reject" and not comment:
        raise ReviewError("驳回时请填写驳回理由。")
    returned = _return_reasons(reasons) if decision == "return" else []
    if decision == "return" and not returned and not comment:
        raise ReviewError("退回补正时请至少选择一项退回原因或填写说明。")
    overrides = {str(k): (v or "").strip() for k, v in (overrides or {}).items()}
    with transaction(db):
        version = _check_version(db, submission_id, version)
        _refuse_if_decided(db, submission_id)
        status, old_decision = db.execute(
            "SELECT status, decision FROM submissions WHERE id = ?", [submission_id]
        ).fetchone()
        if decision == "approve" and status in ("quarantined", "processing"):
            raise ReviewError("该申请的文件尚未处理完成或已被隔离，不能批准。")
        reasons: list[tuple[str, str, str]] = []
        if decision == "approve":
            errors = open_errors(db, submission_id)
            missing = [rule for fid, rule, _ in errors if not overrides.get(str(fid))]
            if missing:
                raise ReviewError(f"该申请还有 {len(errors)} 个错误未解决。批准前请为每个错误填写超越理由"
                                  f"（缺少：{'、'.join(missing)}）。")
            if any(len(overrides[str(fid)]) > 1000 for fid, _, _ in errors):
                raise ReviewError("超越理由过长（每条最多 1000 个字符）。")
            reasons = [(rule, message, overrides[str(fid)]) for fid, rule, message in errors]
        if reasons:
            comment = "\n".join(([comment] if comment else []) +
                                 [f"超越错误 {rule}：{reason}" for rule, _, reason in reasons])
        new_status, value = OUTCOME[decision]
        stamp = now()
        db.conn.execute(
            "UPDATE submissions SET status = ?, decision = ?, decided_by = ?, decided_at = ?, decision_comment = ? "
            "WHERE id = ?",
            (new_status, value, actor, stamp, comment or None, submission_id),
        )
        new_version = _bump(db, submission_id, version)
        for rule, message, reason in reasons:
            db.conn.execute(
                "INSERT INTO override_reasons (submission_id, version, rule, message, reason, actor, at) "
                "VALUES (?,?,?,?,?,?,?)", (submission_id, new_version, rule, message, reason, actor, stamp))
            audit.record(db.conn, actor, "override", submission_id=submission_id, field="finding",
                         old_value=f"{rule}: {message}", new_value=reason, comment=reason, version=new_version)
        audit.record(db.conn, actor, decision, submission_id=submission_id, field="status",
                     old_value=f"{status}/{old_decision or ''}", new_value=f"{new_status}/{value}",
                     comment=_with_reasons(comment, returned) or None, version=new_version)

        link(db.conn, submission_id)  # a supplement's notice says which return it answers
        decision_id = db.conn.execute(
            "INSERT INTO decision_log (submission_id, version, decision, actor, at, comment, reasons) "
            "VALUES (?,?,?,?,?,?,?)", (submission_id, new_version, value, actor, stamp, comment or None,
                                       json.dumps(returned, ensure_ascii=False) if returned else None)).lastrowid
        if value == "approved":
            try:
                ledger.grant(db.conn, submission_id, decision_id, actor, stamp)
            except ledger.LedgerClosed as exc:
                raise ReviewError(exc.message) from exc
        outbox.enqueue(db.conn, decision_id)
    return new_version


def _with_reasons(comment: str, returned: list[dict]) -> str:
    parts = [r["label"] + (f"：{r['detail']}" if r["detail"] else "") for r in returned]
    return "\n".join(([f"退回原因：{'；'.join(parts)}"] if parts else []) + ([comment] if comment else []))


def reopen(db, submission_id: int, version: Any, reason: str, actor: str) -> int:
    """Undo a decision so the submission can be changed again: reason required, audited; the
    caller re-runs validation afterwards (which sets the status from the findings)."""
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError("重新打开时请填写理由。")
    if len(reason) > 2000:
        raise ReviewError("理由过长（最多 2000 个字符）。")
    with transaction(db):
        version = _check_version(db, submission_id, version)
        status, decision, decided_by = db.execute(
            "SELECT status, decision, decided_by FROM submissions WHERE id = ?", [submission_id]).fetchone()
        if not decision:
            raise ReviewError("该申请尚无审核结论，无需重新打开。")
        try:
            ledger.revoke(db.conn, submission_id)
        except ledger.LedgerClosed as exc:
            raise ReviewError(exc.message) from exc
        db.conn.execute(
            "UPDATE submissions SET status = 'needs_review', decision = NULL, decided_by = NULL, decided_at = NULL, "
            "decision_comment = NULL WHERE id = ?", (submission_id,))
        new_version = _bump(db, submission_id, version)
        audit.record(db.conn, actor, "reopen", submission_id=submission_id, field="status",
                     old_value=f"{status}/{decision} ({decided_by or ''})", new_value="needs_review/",
                     comment=reason, version=new_version)
    return new_version
