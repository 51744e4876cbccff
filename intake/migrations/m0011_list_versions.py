"""Versioned reference lists, the budget's audit trail, and the lists a decision used.

- `reference_list_versions`: one row per import (kind, when, source file, row count, who,
  the file's sha256). `reference_lists.version_id` ties each entry to its import, so an old
  version's entries stay readable after a newer import; `reference_list_imports.version_id`
  names the kind's current version (the one rules read).
- `reference_lists.category`: what the file says of the entry (创新龙头企业 / 瞪羚企业 …).
- `voucher_budget_changes`: every `docintake budget set` (year, amount, the previous amount,
  when, who); `voucher_budgets` keeps the current amount.
- `submissions.lists_used`: JSON, which list version and budget each list-based rule of the
  last decision read (null for a list that was not imported: that check was not made).
Rows written by m0009 become version 1 of their kind.
"""

from . import run_script

VERSION = 11

SQL = """
CREATE TABLE IF NOT EXISTS reference_list_versions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    source TEXT,
    rows INTEGER NOT NULL,
    imported_by TEXT,
    sha256 TEXT
);
CREATE INDEX IF NOT EXISTS reference_list_versions_kind ON reference_list_versions (kind, id);
ALTER TABLE reference_lists ADD COLUMN version_id INTEGER REFERENCES reference_list_versions(id);
ALTER TABLE reference_lists ADD COLUMN category TEXT;
CREATE INDEX IF NOT EXISTS reference_lists_version ON reference_lists (version_id, uscc);
ALTER TABLE reference_list_imports ADD COLUMN version_id INTEGER REFERENCES reference_list_versions(id);
INSERT INTO reference_list_versions (kind, imported_at, source, rows)
    SELECT kind, imported_at, source, rows FROM reference_list_imports ORDER BY imported_at;
UPDATE reference_list_imports SET version_id =
    (SELECT v.id FROM reference_list_versions v WHERE v.kind = reference_list_imports.kind);
UPDATE reference_lists SET version_id =
    (SELECT i.version_id FROM reference_list_imports i WHERE i.kind = reference_lists.kind);
CREATE TABLE IF NOT EXISTS voucher_budget_changes (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    amount TEXT NOT NULL,
    previous TEXT,
    set_at TEXT NOT NULL,
    set_by TEXT
);
INSERT INTO voucher_budget_changes (year, amount, set_at) SELECT year, amount, set_at FROM voucher_budgets;
ALTER TABLE submissions ADD COLUMN lists_used TEXT
"""


def up(db):
    run_script(db, SQL)
