"""The queue at scale: filters, sort, paging, why each submission needs a human, claims and
bulk approval. Plain functions over a `sqlite_utils.Database` (the handlers are in views.py).

Paging is LIMIT/OFFSET over `ORDER BY received_at, id` (index idx_submissions_received, m0013)
or the status index: 50 rows a page reads at most a few thousand index entries at 10,000
submissions. The reasons (chips) are read for the page's rows only.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from intake.db import now, transaction
from intake.localtime import LOCAL_TZ
from intake.validation.rules import RULES

from . import audit, decisions
from .labels import display_names
from .masking import mask_text, personal_values
from .schema_info import doc_type
from .service import (packet_title_of, PENDING_SQL, QUEUE_TABS, STAFF_ZH, ReviewError, _outcome, _rows,
                      local_time, tab_counts)

PAGE_SIZE = 50
CLAIM_MINUTES = 30  # a claim older than this (no page opened since) no longer shows
SORTS = {
    "received": ("收到时间（早→晚）", "s.received_at, s.id"),
    "-received": ("收到时间（晚→早）", "s.received_at DESC, s.id DESC"),
    "findings": ("问题数（多→少）", "s.finding_count DESC, s.received_at, s.id"),
    "name": ("申请名称", "s.name, s.id"),
}
# The inbox's stable quarantine codes (intake/errors.py) as a reviewer reads them.
QUARANTINE_ZH = {
    "empty": "空文件",
    "corrupt": "文件已损坏",
    "encrypted": "文件已加密",
    "too_large": "文件过大",
    "wrong_type": "文件类型与扩展名不符",
    "not_regular_file": "不是普通文件",
    "unreadable": "无法读取",
    "transient": "暂时无法读取",
}


def quarantine_zh(reason: str | None) -> str:
    return QUARANTINE_ZH.get(reason or "", "无法读取")


def _utc_bound(day: str, end: bool) -> str | None:
    """A local calendar day (YYYY-MM-DD) as the UTC instant starting it (or the next one)."""
    try:
        d = date.fromisoformat(day)
    except (TypeError, ValueError):
        return None
    if end:
        d += timedelta(days=1)
    at = datetime.combine(d, time(0), LOCAL_TZ).astimezone(timezone.utc)
    return at.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")


def where_clause(status: str, packet: str, q: str, date_from: str, date_to: str,
                 masked: bool) -> tuple[str, list]:
    where, params = [], []
    if status in QUEUE_TABS:
        where.append(QUEUE_TABS[status][1])
    elif status != "all":
        where.append(PENDING_SQL)
    if packet:
        where.append("s.packet = ?")
        params.append(packet)
    if q:
        # a viewer searches what a viewer sees unmasked (the organization and its code);
        # matching the masked submission name would reveal the hidden digits
        cols = ("s.organization", "s.uscc") if masked else ("s.name", "s.organization", "s.uscc")
        where.append("(" + " OR ".join(f"{c} LIKE ?" for c in cols) + ")")
        params += [f"%{q}%"] * len(cols)
    lo, hi = _utc_bound(date_from, False), _utc_bound(date_to, True)
    if lo:
        where.append("s.received_at >= ?")
        params.append(lo)
    if hi:
        where.append("s.received_at < ?")
        params.append(hi)
    return (" WHERE " + " AND ".join(where)) if where else "", params


def _reasons(db, ids: list[int]) -> dict[int, dict]:
    """Per submission: the short Chinese chips saying why it needs a human, and whether it
    has any doubt at all (findings, low-confidence or missing fields, unreadable files)."""
    out = {i: {"chips": [], "doubtful": 0, "quarantined": 0, "errors": 0} for i in ids}
    if not ids:
        return out
    marks = ",".join("?" * len(ids))
    for sid, rule, severity, n in db.execute(
        f"SELECT submission_id, rule, severity, COUNT(*) FROM findings WHERE submission_id IN ({marks}) "
        "GROUP BY submission_id, rule, severity ORDER BY submission_id, severity = 'warning', MIN(id)", ids
    ).fetchall():
        info = RULES.get(rule)
        title = info.title if info else rule
        out[sid]["chips"].append({"text": title + (f" ×{n}" if n > 1 else ""), "kind": severity, "code": rule})
        if severity == "error":
            out[sid]["errors"] += n
    thresholds: dict[str, float] = {}
    for sid, dtype, conf, source in db.execute(
        f"SELECT d.submission_id, d.type, f.confidence, f.source FROM fields f JOIN documents d "
        f"ON d.id = f.document_id WHERE d.submission_id IN ({marks})", ids
    ).fetchall():
        if dtype not in thresholds:  # once per type, not per field row (50 rows x 27 fields a page)
            thresholds[dtype] = doc_type(dtype).threshold
        if source != "reviewer" and (conf or 0) < thresholds[dtype]:
            out[sid]["doubtful"] += 1
    for sid, reason, n in db.execute(
        f"SELECT submission_id, reason, COUNT(*) FROM files WHERE submission_id IN ({marks}) "
        "AND status = 'quarantined' GROUP BY submission_id, reason", ids
    ).fetchall():
        out[sid]["quarantined"] += n
        # an unreadable file comes first: the packet cannot be complete without it
        out[sid]["chips"].insert(0, {"text": f"{quarantine_zh(reason)}" + (f" ×{n}" if n > 1 else ""),
                                  "kind": "error", "code": reason or ""})
    for sid, r in out.items():
        if r["doubtful"]:
            r["chips"].append({"text": f"低置信度字段 {r['doubtful']} 个", "kind": "warning", "code": "low"})
    return out


def list_queue(db, status: str = "pending", packet: str = "", q: str = "", date_from: str = "",
               date_to: str = "", sort: str = "received", page: int = 1, masked: bool = False) -> dict:
    """One page of the queue, its total, the tab counts and each row's reasons and claim."""
    where, params = where_clause(status, packet, q, date_from, date_to, masked)
    order = SORTS.get(sort, SORTS["received"])[1]
    counts = tab_counts(db)
    # the 已隔离 tab lists every submission holding an unreadable file, not only the all-bad ones
    counts["tab_counts"]["quarantined"] = db.execute(
        "SELECT COUNT(*) FROM (SELECT id FROM submissions WHERE status = 'quarantined' "
        "UNION SELECT submission_id FROM files WHERE status = 'quarantined')").fetchone()[0]
    if packet or q or date_from or date_to:
        total = db.execute(f"SELECT COUNT(*) FROM submissions s{where}", params).fetchone()[0]
    else:  # an unfiltered tab: its count is already known (one scan of the table less a request)
        total = (counts["total"] if status == "all" else counts["tab_counts"][status] if status in QUEUE_TABS
                 else counts["pending"])
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = _rows(db.execute(
        "SELECT s.id, s.name, s.packet, s.status, s.organization, s.uscc, s.finding_count, s.received_at, "
        "s.decision, s.decided_by, s.decided_at, s.version, c.actor AS claimed_by, c.claimed_at "
        f"FROM submissions s LEFT JOIN review_claims c ON c.submission_id = s.id{where} "
        f"ORDER BY {order} LIMIT ? OFFSET ?", params + [PAGE_SIZE, (page - 1) * PAGE_SIZE]))
    reasons = _reasons(db, [r["id"] for r in rows])
    names = display_names(db) if not masked else {}
    fresh = (datetime.now(timezone.utc) - timedelta(minutes=CLAIM_MINUTES)).isoformat()
    for r in rows:
        _outcome(r)
        r.update(reasons[r["id"]])
        r["packet_zh"] = packet_title_of(r["packet"], r["packet"])
        r["received_local"] = local_time(r["received_at"])
        r["decided_by_zh"] = names.get(r["decided_by"], r["decided_by"]) if r["decided_by"] else None
        holder = r["claimed_by"] if (r["claimed_by"] and not r["decision"] and (r["claimed_at"] or "") >= fresh) else None
        r["claimed_by_zh"] = (STAFF_ZH if masked else names.get(holder, holder)) if holder else None
        r["claimed_by"] = None if masked else holder
        # bulk approval: the machine found nothing and nothing is doubtful
        r["bulk_ok"] = (not r["decision"] and r["status"] == "ready" and not r["finding_count"]
                        and not r["doubtful"] and not r["quarantined"])
        if masked:
            r["name"] = mask_text(r["name"], personal_values(db, r["id"]))
            r["decided_by"] = r["decided_by_zh"] = STAFF_ZH if r["decided_by"] else None
    return {**counts, "total_all": counts["total"], "rows": rows, "total": total, "page": page, "pages": pages}


# ---------------------------------------------------------------- claims

def _holder(db, submission_id: int) -> tuple[str | None, str]:
    row = db.execute("SELECT actor, claimed_at FROM review_claims WHERE submission_id = ?", [submission_id]).fetchone()
    return (row[0], row[1] or "") if row else (None, "")


def _fresh_since() -> str:
    return (datetime.now(timezone.utc) - timedelta(minutes=CLAIM_MINUTES)).isoformat()


def claim(db, submission_id: int, actor: str) -> str | None:
    """Claim the submission for `actor` when nobody else holds a fresh claim; returns the
    holder (`actor` or someone else). A new claim is audited (认领); renewing one's own fresh
    claim on a reload is not (it would bury the log)."""
    recent = (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat()
    who, at = _holder(db, submission_id)
    if who == actor and at >= recent:
        return actor  # renewed a moment ago: no write on every reload
    with transaction(db):
        fresh = _fresh_since()
        who, at = _holder(db, submission_id)
        if who and who != actor and at >= fresh:
            return who
        db.conn.execute(
            "INSERT INTO review_claims (submission_id, actor, claimed_at) VALUES (?, ?, ?) "
            "ON CONFLICT(submission_id) DO UPDATE SET actor = excluded.actor, claimed_at = excluded.claimed_at, "
            "assigned_by = NULL", (submission_id, actor, now()))
        if not (who == actor and at >= fresh):
            # the previous holder's claim had lapsed (shown as the old value), or there was none
            audit.record(db.conn, actor, "claim", submission_id=submission_id, field="claimed_by",
                         old_value=who, new_value=actor,
                         comment="原认领已超时" if who and who != actor else None)
    return actor


def claim_if_open(db, submission_id: int, actor: str) -> str | None:
    """`claim` for a submission that exists and has no decision yet; None otherwise."""
    row = db.execute("SELECT decision FROM submissions WHERE id = ?", [submission_id]).fetchone()
    if row is None or row[0]:
        return None
    return claim(db, submission_id, actor)


def take_over(db, submission_id: int, actor: str, assigned_by: str | None = None) -> None:
    """Take (or, for an admin, assign) a submission someone else holds; audited as 接手 / 分配."""
    with transaction(db):
        who, _ = _holder(db, submission_id)
        db.conn.execute(
            "INSERT INTO review_claims (submission_id, actor, claimed_at, assigned_by) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(submission_id) DO UPDATE SET actor = excluded.actor, claimed_at = excluded.claimed_at, "
            "assigned_by = excluded.assigned_by", (submission_id, actor, now(), assigned_by))
        if who != actor:
            audit.record(db.conn, assigned_by or actor, "assign" if assigned_by else "take_over",
                         submission_id=submission_id, field="claimed_by", old_value=who, new_value=actor)


def release(db, submission_id: int, actor: str, admin: bool = False) -> bool:
    """Give up one's own claim (an admin: anyone's), so that the queue shows the submission as free.
    Audited (释放认领). False when there was nothing to release."""
    with transaction(db):
        who, _ = _holder(db, submission_id)
        if who is None or (who != actor and not admin):
            return False
        db.conn.execute("DELETE FROM review_claims WHERE submission_id = ?", [submission_id])
        audit.record(db.conn, actor, "release", submission_id=submission_id, field="claimed_by",
                     old_value=who, new_value=None)
    return True


# ---------------------------------------------------------------- bulk approval

BULK_COMMENT = "批量批准：无校验问题、无存疑字段。"


def bulk_approve(db, picks: dict[int, str], actor: str) -> tuple[list[int], list[str]]:
    """Approve each picked submission (id -> the version the reviewer saw) that still has no
    finding, no doubtful field and no unreadable file; each approval is audited like a single
    one. Returns the approved ids and, for the others, why not."""
    done, refused = [], []
    reasons = _reasons(db, list(picks))
    for sid, version in picks.items():
        row = db.execute("SELECT name, status, finding_count, decision FROM submissions WHERE id = ?",
                         [sid]).fetchone()
        if row is None:
            continue
        name, status, findings, decision = row
        r = reasons[sid]
        if decision or status != "ready" or findings or r["doubtful"] or r["quarantined"]:
            refused.append(f"{name}：有问题或存疑字段，需逐件审核")
            continue
        try:
            decisions.decide(db, sid, version, "approve", BULK_COMMENT, actor, {})
        except ReviewError as exc:
            refused.append(f"{name}：{exc.message}")
            continue
        done.append(sid)
    return done, refused
