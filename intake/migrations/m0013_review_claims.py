"""Who is reviewing a submission right now (issue 14: claim/assign in the queue).

One row per claimed submission: the reviewer holding it and since when. Opening a submission
claims it when nobody holds it (or the holder has been idle past the review UI's timeout); an
admin may assign it to someone. A claim is a courtesy shown in the queue, never a lock: writes
are still guarded by the submission's version.
"""

from . import run_script

VERSION = 13

SQL = """
CREATE TABLE IF NOT EXISTS review_claims (
    submission_id INTEGER PRIMARY KEY REFERENCES submissions(id),
    actor TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    assigned_by TEXT
);
CREATE INDEX IF NOT EXISTS idx_submissions_received ON submissions(received_at, id)
"""


def up(db) -> None:
    run_script(db, SQL)
