"""Submission (folder) names are typed by staff and can hold an ID or phone number
(`李明_110105…`): the Datasette views viewers read show them through `docintake_mask_text`
with the submission's personal values (issue 13 item 9).

Views are recreated from their stored SQL; a view another migration has already reshaped
(no `s.name AS 申请名称` in it) is left alone.
"""

VERSION = 8


def up(db):
    from intake.masking import PERSONAL_VALUES_SQL

    masked = f"docintake_mask_text(s.name, {PERSONAL_VALUES_SQL.format(sid='s.id')}) AS 申请名称"
    for view in ("review_queue", "fields_masked"):
        row = db.conn.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?", (view,)).fetchone()
        if not row or "s.name AS 申请名称" not in row[0]:
            continue
        db.conn.execute(f'DROP VIEW "{view}"')
        db.conn.execute(row[0].replace("s.name AS 申请名称", masked, 1))
