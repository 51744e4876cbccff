"""Migration m0016: a database whose returned submissions and supplements were never linked (decided
before links were made at ingest) gets its links once, so the review pages only read them."""
from __future__ import annotations

from intake.db import apply_migrations, connect


def _submission(db, name, uscc, received, decision=None, decided_at=None):
    return db.conn.execute(
        "INSERT INTO submissions (name, received_at, packet, status, uscc, decision, decided_at) VALUES (?,?,?,?,?,?,?)",
        (name, received, "membership_application", "returned" if decision else "needs_review", uscc, decision,
         decided_at)).lastrowid


def test_returned_submissions_of_an_older_database_are_linked_once(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCINTAKE_SUPPLEMENT_DAYS", "30")
    db = connect(tmp_path / "d.db")
    uscc = "91411002MA3X4K5L2B"
    returned = _submission(db, "退回的申请", uscc, "2026-11-01T02:00:00+00:00", "returned", "2026-11-02T02:00:00+00:00")
    answer = _submission(db, "补正", uscc.lower(), "2026-11-10T02:00:00+00:00")  # case differs: same organization
    _submission(db, "太晚", uscc, "2027-03-01T02:00:00+00:00")
    _submission(db, "别家", "91410000MA44CDCG0X", "2026-11-10T02:00:00+00:00")
    db.conn.execute("DELETE FROM schema_version WHERE version = 16")  # as a database from before the migration
    db.conn.commit()
    assert db.conn.execute("SELECT COUNT(*) FROM supplement_links").fetchone()[0] == 0

    apply_migrations(db)
    assert db.conn.execute("SELECT returned_id, supplement_id FROM supplement_links").fetchall() == [(returned, answer)]
    plan = " ".join(r[-1] for r in db.conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM submissions WHERE UPPER(uscc) = UPPER(?)", (uscc,)).fetchall())
    assert "idx_submissions_uscc_upper" in plan  # the case-insensitive lookup is not a table scan
    apply_migrations(db)  # once: nothing runs again
    assert db.conn.execute("SELECT COUNT(*) FROM supplement_links").fetchone()[0] == 1
