"""Reviewers' free-text comments can hold phone or ID numbers: viewers see them masked.

`audit_masked` is recreated with its comment column passed through
`docintake_mask_text`, a function the review UI registers on Datasette's
connections (the view is only read there; the raw `audit` table is what
every other reader uses).
"""

VERSION = 5


def up(db):
    row = db.conn.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'audit_masked'").fetchone()
    if not row:
        return
    sql = row[0]
    if "a.comment AS" not in sql:
        raise RuntimeError("audit_masked no longer has the expected shape; update this migration")
    db.conn.execute("DROP VIEW audit_masked")
    db.conn.execute(sql.replace("a.comment AS", "docintake_mask_text(a.comment) AS", 1))
