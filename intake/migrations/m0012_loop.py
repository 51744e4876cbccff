"""Closing the loop (issue 15 items 4-5, issue 14 退回补正): decisions, supplements, notices, the ledger.

- `decision_log`: one row per reviewer decision (approved / rejected / returned), with the
  preset return reasons as JSON. Its id is what a notice is keyed on.
- `supplement_links`: a returned submission and the later submission of the same organization
  (same USCC, within the supplement window) that answers it; both are reviewed together.
- `notices`: the outbox of notices to applicants, one per (decision, kind) -- never two for one
  decision. `content` is the notice as plain data (rendered to text and PDF when sent, so every
  retry sends the same message under the same Message-ID). `status`: pending -> sent, or
  failed (permanent SMTP error or out of attempts), or no_address (nothing to send it to: print it).
- `notice_sendings`: every SMTP attempt (append-only in practice).
- `notice_contacts`: an address for an organization that handed in no application form.
- `voucher_ledger`: every granted voucher; rows of a closed year (`ledger_closures`) cannot be
  added, changed or removed (triggers), so a closed redemption list stays what the finance bureau got.
"""
from __future__ import annotations

VERSION = 12

SQL = """
CREATE TABLE IF NOT EXISTS decision_log (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    version INTEGER NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('approved', 'rejected', 'returned')),
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    comment TEXT,
    reasons TEXT
);
CREATE INDEX IF NOT EXISTS idx_decision_log_submission ON decision_log(submission_id, id);
CREATE TABLE IF NOT EXISTS supplement_links (
    id INTEGER PRIMARY KEY,
    returned_id INTEGER NOT NULL REFERENCES submissions(id),
    supplement_id INTEGER NOT NULL REFERENCES submissions(id),
    linked_at TEXT NOT NULL,
    UNIQUE (returned_id, supplement_id),
    CHECK (returned_id <> supplement_id)
);
CREATE INDEX IF NOT EXISTS idx_supplement_links_supplement ON supplement_links(supplement_id);
CREATE TABLE IF NOT EXISTS notices (
    id INTEGER PRIMARY KEY,
    decision_id INTEGER NOT NULL REFERENCES decision_log(id),
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    kind TEXT NOT NULL CHECK (kind IN ('approval', 'returned', 'rejection')),
    recipient TEXT,
    subject TEXT NOT NULL,
    content TEXT NOT NULL,
    digest TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'no_address')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    lease_until TEXT,
    lease_owner TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    message_id TEXT NOT NULL,
    UNIQUE (decision_id, kind)
);
CREATE INDEX IF NOT EXISTS idx_notices_due ON notices(status, next_attempt_at);
CREATE INDEX IF NOT EXISTS idx_notices_submission ON notices(submission_id, id);
CREATE TABLE IF NOT EXISTS notice_sendings (
    id INTEGER PRIMARY KEY,
    notice_id INTEGER NOT NULL REFERENCES notices(id),
    attempt INTEGER NOT NULL,
    at TEXT NOT NULL,
    host TEXT,
    recipient TEXT,
    ok INTEGER NOT NULL,
    error TEXT,
    duration_ms INTEGER
);
CREATE INDEX IF NOT EXISTS idx_notice_sendings_notice ON notice_sendings(notice_id, id);
CREATE TABLE IF NOT EXISTS notice_contacts (
    uscc TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    set_at TEXT NOT NULL,
    set_by TEXT
);
CREATE TABLE IF NOT EXISTS voucher_ledger (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    client_uscc TEXT,
    client_name TEXT,
    provider_name TEXT,
    provider_uscc TEXT,
    contract_number TEXT,
    amount TEXT NOT NULL,
    submission_id INTEGER NOT NULL UNIQUE REFERENCES submissions(id),
    decision_id INTEGER REFERENCES decision_log(id),
    reviewer TEXT,
    granted_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_voucher_ledger_year ON voucher_ledger(year, provider_name);
CREATE INDEX IF NOT EXISTS idx_voucher_ledger_client ON voucher_ledger(client_uscc, year);
CREATE TABLE IF NOT EXISTS ledger_closures (
    year INTEGER PRIMARY KEY,
    closed_at TEXT NOT NULL,
    closed_by TEXT,
    vouchers INTEGER NOT NULL,
    total TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS voucher_ledger_closed_insert BEFORE INSERT ON voucher_ledger
WHEN EXISTS (SELECT 1 FROM ledger_closures c WHERE c.year = NEW.year)
BEGIN
    SELECT RAISE(ABORT, 'voucher ledger year is closed');
END;
CREATE TRIGGER IF NOT EXISTS voucher_ledger_closed_update BEFORE UPDATE ON voucher_ledger
WHEN EXISTS (SELECT 1 FROM ledger_closures c WHERE c.year IN (OLD.year, NEW.year))
BEGIN
    SELECT RAISE(ABORT, 'voucher ledger year is closed');
END;
CREATE TRIGGER IF NOT EXISTS voucher_ledger_closed_delete BEFORE DELETE ON voucher_ledger
WHEN EXISTS (SELECT 1 FROM ledger_closures c WHERE c.year = OLD.year)
BEGIN
    SELECT RAISE(ABORT, 'voucher ledger year is closed');
END;
CREATE TRIGGER IF NOT EXISTS ledger_closures_no_delete BEFORE DELETE ON ledger_closures
BEGIN
    SELECT RAISE(ABORT, 'a closed ledger year stays closed');
END
"""


def up(db):
    # Triggers contain ";\n" inside BEGIN...END: split on the statement boundaries ourselves.
    for statement in _statements(SQL):
        db.conn.execute(statement)


def _statements(sql: str) -> list[str]:
    out, buf, in_trigger = [], [], False
    for line in sql.splitlines():
        buf.append(line)
        stripped = line.strip()
        if stripped.startswith("CREATE TRIGGER"):
            in_trigger = True
        if in_trigger:
            if stripped.startswith("END"):
                out.append("\n".join(buf).rstrip(";"))
                buf, in_trigger = [], False
        elif stripped.endswith(";"):
            out.append("\n".join(buf).rstrip(";"))
            buf = []
    rest = "\n".join(buf).strip()
    if rest:
        out.append(rest)
    return [s for s in out if s.strip()]
