"""Linking a supplement to the submission it answers (退回补正).

The next submission of the same organization (same USCC) received within the supplement window
(days after the return, $DOCINTAKE_SUPPLEMENT_DAYS, default 60) supplements the returned one.
Plain SQL over the submissions table, used by review decisions and pages alike.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from .db import now

WINDOW_ENV = "DOCINTAKE_SUPPLEMENT_DAYS"
DEFAULT_WINDOW_DAYS = 60


def window_days() -> int:
    try:
        return max(0, int(os.environ.get(WINDOW_ENV, DEFAULT_WINDOW_DAYS)))
    except ValueError:
        return DEFAULT_WINDOW_DAYS


def _ts(iso: str) -> datetime:
    dt = datetime.fromisoformat(iso)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def link(conn, submission_id: int, days: int | None = None) -> list[int]:
    """Make the links this submission takes part in (as a supplement or as the returned one);
    returns the ids of the returned submissions it supplements. Caller's transaction, or none:
    each INSERT is idempotent (UNIQUE)."""
    days = window_days() if days is None else days
    row = conn.execute("SELECT uscc, received_at, decision FROM submissions WHERE id = ?", (submission_id,)).fetchone()
    if row is None or not row[0]:
        return []
    uscc, received, decision = row
    pairs: list[tuple[int, int]] = []
    # as a supplement: returned submissions of the same organization, returned before this arrived
    for rid, decided_at in conn.execute(
            "SELECT id, decided_at FROM submissions WHERE decision = 'returned' AND UPPER(uscc) = UPPER(?) AND id <> ? "
            "AND decided_at IS NOT NULL ORDER BY id", (uscc, submission_id)).fetchall():
        if _ts(decided_at) <= _ts(received) <= _ts(decided_at) + timedelta(days=days):
            pairs.append((rid, submission_id))
    if decision == "returned":
        decided_at = conn.execute("SELECT decided_at FROM submissions WHERE id = ?", (submission_id,)).fetchone()[0]
        first = None
        for sid, rec in conn.execute(
                "SELECT id, received_at FROM submissions WHERE UPPER(uscc) = UPPER(?) AND id <> ? AND status <> 'quarantined' "
                "ORDER BY received_at, id", (uscc, submission_id)).fetchall():
            if decided_at and _ts(decided_at) <= _ts(rec) <= _ts(decided_at) + timedelta(days=days):
                first = sid
                break
        if first is not None:
            pairs.append((submission_id, first))
    for rid, sid in pairs:
        conn.execute("INSERT OR IGNORE INTO supplement_links (returned_id, supplement_id, linked_at) VALUES (?,?,?)",
                     (rid, sid, now()))
    return [r for (r,) in conn.execute("SELECT returned_id FROM supplement_links WHERE supplement_id = ? ORDER BY 1",
                                       (submission_id,))]
