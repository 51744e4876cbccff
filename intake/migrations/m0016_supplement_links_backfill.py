"""Supplement links for submissions decided before links were made at ingest, once.

Until now the review page made any missing link each time a submission was looked at, which
wrote on a GET and scanned the submissions of one organization case-insensitively on every view.
Links are made when a submission is decided (store.decide_and_save), returned or decided by a
reviewer; this back-fill makes those of older databases, and the page only reads them.
The expression index serves the case-insensitive USCC lookups of `supplements.link`.
"""

from intake.supplements import link

from . import run_script

VERSION = 16

SQL = """
CREATE INDEX IF NOT EXISTS idx_submissions_uscc_upper ON submissions(UPPER(uscc))
"""


def up(db) -> None:
    run_script(db, SQL)
    if "supplement_links" not in db.table_names():
        return
    for (sid,) in db.conn.execute("SELECT id FROM submissions WHERE decision = 'returned' AND uscc IS NOT NULL "
                                  "ORDER BY id").fetchall():
        link(db.conn, sid)
