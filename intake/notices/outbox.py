"""The notices outbox: one notice per decision, delivered by SMTP with retries, every sending audited.

1. `enqueue(conn, decision_id)` runs inside the decision's own transaction: it builds the notice's
   content and inserts it under UNIQUE (decision_id, kind), so a decision never has two notices.
   A notice that would say exactly what an earlier notice of the same kind for the same
   submission already said (the same decision taken again after a reopen) is not queued.
2. `deliver_due` sends the due ones (a lease stops two senders taking the same row). Each attempt
   is a `notice_sendings` row and an `audit` row; success marks the notice sent in the same
   transaction. A crash between the server's answer and that commit means one more sending with
   the same Message-ID (at-least-once; a receiver can dedupe on it).
3. Failures back off exponentially up to `max_attempts`; a 5xx refusal is permanent (`failed`);
   `retry_failed` queues failed ones again. A notice without an address is `no_address`: print
   its PDF (`docintake notices pdf ID`).
"""
from __future__ import annotations

import functools
import json
import logging
import socket
import time
from dataclasses import dataclass

from .. import leases
from ..db import now, transaction
from . import content as contents
from . import mail, render

log = logging.getLogger("docintake.notices")


@dataclass
class Result:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


MAX_BACKOFF = 6 * 3600.0  # seconds: a retry waits at most this long

KIND_ZH = {"approval": "审核通过通知", "returned": "退回补正通知", "rejection": "审核未通过通知"}


def _audit(conn, action: str, submission_id: int, notice_id: int, what: str, comment: str | None = None):
    """One audit row per notice event. The address itself stays in `notices`/`notice_sendings`
    (admin tables): the audit log is readable by viewers, and an e-mail address is personal."""
    kind = conn.execute("SELECT kind FROM notices WHERE id = ?", (notice_id,)).fetchone()
    label = KIND_ZH.get(kind[0], kind[0]) if kind else "通知"
    conn.execute(
        "INSERT INTO audit (at, actor, action, submission_id, field, new_value, comment) VALUES (?,?,?,?,?,?,?)",
        (now(), "system", action, submission_id, "notice", f"{label} #{notice_id}",
         "；".join(x for x in (what, comment) if x) or None))


def enqueue(conn, decision_id: int) -> int | None:
    """Queue the notice of one decision (caller's transaction); returns its id, or None when it is
    already queued or repeats what the applicant was already told."""
    c = contents.build(conn, decision_id)
    kind, sid = c["kind"], c["submission_id"]
    dig = contents.digest(c)
    same = conn.execute("SELECT id FROM notices WHERE submission_id = ? AND kind = ? AND digest = ? "
                        "AND status <> 'failed'", (sid, kind, dig)).fetchone()
    if same:
        _audit(conn, "notice_skipped", sid, same[0], "未重复发送", f"本次决定与通知 #{same[0]} 内容相同")
        return None
    to = contents.recipient(conn, sid)
    subject = f"{c['title']}：{c['submission']}"
    cur = conn.execute(
        "INSERT OR IGNORE INTO notices (decision_id, submission_id, kind, recipient, subject, content, digest, status, "
        "next_attempt_at, created_at, message_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (decision_id, sid, kind, to, subject, json.dumps(c, ensure_ascii=False), dig,
         "pending" if to else "no_address", now(), now(),
         f"<docintake-notice-{decision_id}-{kind}@{socket.getfqdn() or 'localhost'}>"))
    if not cur.rowcount:
        return None
    # Queuing is part of the decision (its audit row says what was decided); the notice's own
    # state shows on the submission page, and each sending attempt is audited when it happens.
    return cur.lastrowid


def _claim(db, owner: str, limit: int, lease: float) -> list[tuple]:
    return leases.claim(db, "notices", "id, submission_id, recipient, subject, content, attempts, message_id",
                        limit, lease, owner)


@functools.lru_cache(maxsize=32)
def _rendered(content_json: str, creds_json: str) -> tuple[str, bytes]:
    """Text and PDF of a notice; a retry in the same process sends the very same bytes (and
    does not pay for the PDF again: loading a CJK font takes a second or two)."""
    content, creds = json.loads(content_json), json.loads(creds_json)
    return render.text(content, creds), render.pdf(content, creds)


def compose(settings: mail.SmtpSettings, row_content: dict, to: str, subject: str, message_id: str):
    creds = contents.credentials(row_content)
    body, pdf = _rendered(json.dumps(row_content, ensure_ascii=False, sort_keys=True),
                          json.dumps(creds, ensure_ascii=False, sort_keys=True))
    filename = f"{row_content['title']}-{row_content['submission_id']}.pdf"
    return mail.message(settings, to, subject, body, pdf, filename, message_id,
                        reply_to=row_content["office"].get("email") or None), bool(creds)


def deliver_due(db, settings: mail.SmtpSettings, limit: int = 100, max_attempts: int = 8,
                backoff: float = 60.0, lease: float = 300.0) -> Result:
    owner = leases.owner()
    result = Result()
    while result.sent + result.retrying + result.failed < limit:
        rows = _claim(db, owner, 10, lease)
        if not rows:
            break
        for nid, sid, to, subject, content_json, attempts, message_id in rows:
            attempt = attempts + 1
            t0 = time.monotonic()
            error, permanent, with_creds = None, False, False
            try:
                msg, with_creds = compose(settings, json.loads(content_json), to, subject, message_id)
                mail.send(settings, msg)
            except mail.SendError as exc:
                error, permanent = str(exc), exc.permanent
            except Exception as exc:  # noqa: BLE001 - a rendering failure is this notice's, not the run's
                log.exception("notice %s could not be composed", nid)
                error = f"{type(exc).__name__}: {exc}"
            ms = int((time.monotonic() - t0) * 1000)
            with transaction(db):
                db.conn.execute(
                    "INSERT INTO notice_sendings (notice_id, attempt, at, host, recipient, ok, error, duration_ms) "
                    "VALUES (?,?,?,?,?,?,?,?)",
                    (nid, attempt, now(), f"{settings.host}:{settings.port}", to, int(error is None), error, ms))
                if error is None:
                    db.conn.execute("UPDATE notices SET status = 'sent', attempts = ?, sent_at = ?, last_error = NULL, "
                                    "lease_until = NULL, lease_owner = NULL WHERE id = ?", (attempt, now(), nid))
                    _audit(db.conn, "notice_sent", sid, nid, "电子邮件",
                           f"第 {attempt} 次发送成功" + ("（含平台账号）" if with_creds else ""))
                    result.sent += 1
                elif permanent or attempt >= max_attempts:
                    db.conn.execute("UPDATE notices SET status = 'failed', attempts = ?, last_error = ?, "
                                    "lease_until = NULL, lease_owner = NULL WHERE id = ?", (attempt, error, nid))
                    _audit(db.conn, "notice_failed", sid, nid, "电子邮件", error)
                    result.failed += 1
                else:
                    nxt = leases.retry_at(backoff, attempt, MAX_BACKOFF)
                    db.conn.execute("UPDATE notices SET attempts = ?, next_attempt_at = ?, last_error = ?, "
                                    "lease_until = NULL, lease_owner = NULL WHERE id = ?",
                                    (attempt, nxt, error, nid))
                    _audit(db.conn, "notice_retry", sid, nid, "电子邮件", f"第 {attempt} 次发送失败，稍后重试：{error}")
                    result.retrying += 1
    return result


def retry_failed(db) -> int:
    with transaction(db):
        return db.conn.execute("UPDATE notices SET status = 'pending', attempts = 0, next_attempt_at = ? "
                               "WHERE status = 'failed'", (now(),)).rowcount


def set_contact(db, uscc: str, email: str, actor: str) -> None:
    from ..errors import UsageError

    address = contents.valid_email(email)
    if not address:
        raise UsageError(f"电子邮箱格式不正确：{email}。Not an e-mail address: {email}.")
    uscc = (uscc or "").strip().upper()
    if len(uscc) != 18:
        raise UsageError(f"统一社会信用代码应为 18 位：{uscc}。A USCC has 18 characters.")
    with transaction(db):
        db.conn.execute("INSERT INTO notice_contacts (uscc, email, set_at, set_by) VALUES (?,?,?,?) "
                        "ON CONFLICT(uscc) DO UPDATE SET email = excluded.email, set_at = excluded.set_at, "
                        "set_by = excluded.set_by", (uscc, address, now(), actor))
        db.conn.execute("INSERT INTO audit (at, actor, action, field, new_value, comment) VALUES (?,?,?,?,?,?)",
                        (now(), actor, "notice_contact", "notice", uscc, "已设置该单位的通知电子邮箱"))
        # notices waiting for an address get it now
        for nid, sid in db.execute(
                "SELECT n.id, n.submission_id FROM notices n JOIN submissions s ON s.id = n.submission_id "
                "WHERE n.status = 'no_address' AND UPPER(s.uscc) = ?", [uscc]).fetchall():
            db.conn.execute("UPDATE notices SET recipient = ?, status = 'pending', next_attempt_at = ? WHERE id = ?",
                            (address, now(), nid))


def list_notices(db, status: str | None = None, submission_id: int | None = None) -> list[dict]:
    where, params = [], []
    if status:
        where.append("status = ?")
        params.append(status)
    if submission_id:
        where.append("submission_id = ?")
        params.append(submission_id)
    rows = db.execute(
        "SELECT id, decision_id, submission_id, kind, recipient, subject, status, attempts, last_error, created_at, "
        "sent_at FROM notices" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id", params)
    cols = [d[0] for d in rows.description]
    return [dict(zip(cols, r)) for r in rows.fetchall()]


def notice_pdf(db, notice_id: int) -> bytes:
    from ..errors import UsageError

    row = db.execute("SELECT content FROM notices WHERE id = ?", [notice_id]).fetchone()
    if row is None:
        raise UsageError(f"通知 {notice_id} 不存在。Notice {notice_id} does not exist.")
    c = json.loads(row[0])
    return render.pdf(c, contents.credentials(c))
