"""退回补正: returning a submission for a supplement, and linking the supplement to it.

A returned submission (decision `returned`) waits for the applicant. The next submission of the
same organization (same USCC) received within the supplement window (days after the return,
$DOCINTAKE_SUPPLEMENT_DAYS, default 60) is linked to it (`supplement_links`) and reviewed
together: its page shows the returned submission and the reasons it was returned for, and the
returned one's page links to the supplement. Links are made when the supplement is decided (at
ingest by `store.decide_and_save`, or by a reviewer, so its notice can say what it answers) and when a
submission is returned, idempotently; migration m0016 made those of databases older than that.
The pages only read them.
"""
from __future__ import annotations

import json

from intake.notices.reasons import RETURN_REASONS
from intake.supplements import window_days

from . import decisions, labels, service

NOTICE_KIND_ZH = {"approval": "审核通过通知", "returned": "退回补正通知", "rejection": "审核未通过通知"}
NOTICE_STATUS_ZH = {"pending": "待发送", "sent": "已发送", "failed": "发送失败", "no_address": "无邮箱（需打印寄送）"}


def _reasons_of(conn, submission_id: int) -> tuple[list[dict], str | None]:
    row = conn.execute("SELECT reasons, comment FROM decision_log WHERE submission_id = ? AND decision = 'returned' "
                       "ORDER BY id DESC LIMIT 1", (submission_id,)).fetchone()
    if not row:
        return [], None
    return json.loads(row[0] or "[]"), row[1]


def context(db, submission_id: int) -> dict:
    """What the submission page shows about returns, supplements and notices."""
    if "supplement_links" not in db.table_names():
        return {"returned_for": [], "supplemented_by": [], "notices": [], "return_reasons": RETURN_REASONS,
                "voucher_budget": None}
    names = labels.display_names(db)
    returned_for = []
    for rid, name, decided_by, decided_at in db.execute(
            "SELECT s.id, s.name, s.decided_by, s.decided_at FROM supplement_links k JOIN submissions s "
            "ON s.id = k.returned_id WHERE k.supplement_id = ? ORDER BY s.id", [submission_id]).fetchall():
        reasons, comment = _reasons_of(db.conn, rid)
        returned_for.append({"id": rid, "name": name, "reasons": reasons, "comment": comment,
                             "decided_by": names.get(decided_by, decided_by), "decided_local": service.local_time(decided_at),
                             "findings": [dict(zip(("rule", "severity", "message"), f)) for f in db.execute(
                                 "SELECT rule, severity, message FROM findings WHERE submission_id = ? ORDER BY id",
                                 [rid]).fetchall()]})
    supplemented_by = [
        {"id": sid, "name": name, "received_local": service.local_time(rec),
         "outcome": labels.outcome(status, decision)["label"]}
        for sid, name, rec, status, decision in db.execute(
            "SELECT s.id, s.name, s.received_at, s.status, s.decision FROM supplement_links k JOIN submissions s "
            "ON s.id = k.supplement_id WHERE k.returned_id = ? ORDER BY s.id", [submission_id]).fetchall()]
    notices = [{"id": nid, "kind_zh": NOTICE_KIND_ZH.get(kind, kind), "recipient": to,
                "status_zh": NOTICE_STATUS_ZH.get(st, st), "status": st, "attempts": attempts,
                "sent_local": service.local_time(sent), "error": err}
               for nid, kind, to, st, attempts, sent, err in db.execute(
                   "SELECT id, kind, recipient, status, attempts, sent_at, last_error FROM notices "
                   "WHERE submission_id = ? ORDER BY id", [submission_id]).fetchall()]
    return {"returned_for": returned_for, "supplemented_by": supplemented_by, "notices": notices,
            "return_reasons": RETURN_REASONS, "window_days": window_days(),
            "voucher_budget": _voucher_budget(db, submission_id)}


def _voucher_budget(db, submission_id: int) -> dict | None:
    """The client's cap left and the year's budget left (细则 第十五、十六条), for a voucher."""
    from intake import ledger

    row = db.execute("SELECT packet, uscc, organization, year FROM submissions WHERE id = ?", [submission_id]).fetchone()
    if not row or not ledger.contract_fields(row[0])[0] or not row[3]:
        return None
    summary = ledger.summary(db.conn, row[3])
    summary["cap"] = ledger.remaining_cap(db.conn, row[1], row[2], row[3])
    return summary


def return_submission(db, submission_id: int, version, codes: list[str], details: dict[str, str], comment: str,
                      actor: str) -> int:
    reasons = {code: details.get(code, "") for code in codes}
    return decisions.decide(db, submission_id, version, "return", comment, actor, reasons=reasons)


# ---------------------------------------------------------------- HTTP
