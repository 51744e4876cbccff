"""Delivery to other systems: the outbox, its delivery log, and the `verified_records` view.

- `outbox`: one row per (target URL, submission, submission version) to deliver. Rows are
  enqueued idempotently by `intake.push.enqueue` for every verified submission not yet in it;
  `payload` is the exact JSON body sent (a snapshot taken when enqueued, so every retry sends
  the same bytes under the same `idempotency_key`). `status` is `pending` until a 2xx answer
  (`delivered`) or until it gives up (`failed`: a 4xx answer other than 408/429, or too many
  attempts). `lease_until`/`lease_owner` stop two pushers sending the same row at once.
- `deliveries`: every HTTP attempt (status code, error, duration), append-only in practice.
  The attempt that succeeds is logged in the same transaction that marks the row delivered.
- `verified_records`: verified submissions as flat rows for Datasette's JSON API (the pull
  interface). `fields` is a JSON object `{"<type>.<key>": value}` (a second document of the
  same type is `<type>_2.<key>`); personal keys (`personal_keys`) are masked as in
  `fields_masked`, so the view is as safe for the `viewer` role as the review queue.
"""
from __future__ import annotations

from .m0002_review import _masked

VERSION = 3

TABLES = """
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    version INTEGER NOT NULL,
    event TEXT NOT NULL DEFAULT 'submission.verified',
    idempotency_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_status_code INTEGER,
    last_error TEXT,
    lease_until TEXT,
    lease_owner TEXT,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    UNIQUE (target, submission_id, version)
);
CREATE INDEX idx_outbox_due ON outbox(target, status, next_attempt_at);
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    outbox_id INTEGER NOT NULL REFERENCES outbox(id),
    attempt INTEGER NOT NULL,
    at TEXT NOT NULL,
    url TEXT NOT NULL,
    status_code INTEGER,
    error TEXT,
    duration_ms INTEGER,
    response TEXT
);
CREATE INDEX idx_deliveries_outbox ON deliveries(outbox_id, id)
"""


def _view() -> str:
    value = _masked("x.value", "x.key", "x.type")
    return f"""CREATE VIEW verified_records AS
SELECT s.id AS submission_id,
       s.name AS submission,
       s.packet AS packet,
       s.status AS status,
       s.decision AS decision,
       s.decided_by AS reviewer,
       s.decided_at AS decided_at,
       s.decision_comment AS comment,
       s.received_at AS received_at,
       s.as_of AS as_of,
       CASE WHEN s.packet = 'voucher_redemption' THEN s.voucher_amount END AS voucher_amount,
       s.organization AS organization,
       s.uscc AS uscc,
       s.year AS year,
       s.version AS version,
       (SELECT COUNT(*) FROM findings fi WHERE fi.submission_id = s.id) AS finding_count,
       (SELECT group_concat(rule, ';') FROM
            (SELECT DISTINCT fi.rule AS rule FROM findings fi WHERE fi.submission_id = s.id ORDER BY fi.rule)
       ) AS finding_rules,
       (SELECT json_group_object(x.col, {value}) FROM
            (SELECT CASE WHEN dd.n > 1 THEN dd.type || '_' || dd.n ELSE dd.type END || '.' || f.key AS col,
                    f.key AS key, dd.type AS type, f.value AS value
             FROM (SELECT d.id, d.type,
                          ROW_NUMBER() OVER (PARTITION BY d.type ORDER BY d.file_id, d.idx) AS n
                   FROM documents d WHERE d.submission_id = s.id) dd
             JOIN fields f ON f.document_id = dd.id
             ORDER BY dd.n, dd.type, f.id) x
       ) AS fields
FROM submissions s
WHERE s.status = 'verified'
ORDER BY s.decided_at, s.id"""


def up(db):
    for statement in TABLES.split(";\n"):
        if statement.strip():
            db.conn.execute(statement)
    db.conn.execute(_view())
