"""What viewers read in Datasette's views shows no personal data typed where masking did not
look, and no staff accounts (issue 13 items 9 and 18):

- `review_queue`, `fields_masked`: the submission (folder) name is typed by staff and can
  hold an ID or phone number (`张三_158…`): shown through `docintake_mask_text` with the
  submission's personal values. Who decided or corrected is shown as 工作人员.
- `audit_masked`: rebuilt over `audit_masked_base` (the former view): the actor is 工作人员,
  user administration rows (`user_add`/`user_update`, "name (role)") show nothing, and old
  value, new value and comment are masked with the submission's personal values (an
  override's old value quotes the finding's message, which can quote an ID number).

Reviewers and admins read names from the raw tables (`audit`, `submissions`, `fields`).
Views are recreated from their stored SQL; a view another migration has already reshaped
is left alone.
"""

VERSION = 8

STAFF = "'工作人员'"


def _recreate(db, view: str, replacements: list[tuple[str, str]]) -> None:
    row = db.conn.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?", (view,)).fetchone()
    if not row:
        return
    sql = row[0]
    for old, new in replacements:
        if old in sql:
            sql = sql.replace(old, new, 1)
    if sql != row[0]:
        db.conn.execute(f'DROP VIEW "{view}"')
        db.conn.execute(sql)


def up(db):
    from intake.masking import PERSONAL_VALUES_SQL

    masked_name = f"docintake_mask_text(s.name, {PERSONAL_VALUES_SQL.format(sid='s.id')}) AS 申请名称"
    _recreate(db, "review_queue", [
        ("s.name AS 申请名称", masked_name),
        ("s.decided_by AS 处理人", f"CASE WHEN s.decided_by IS NULL THEN NULL ELSE {STAFF} END AS 处理人"),
    ])
    _recreate(db, "fields_masked", [
        ("s.name AS 申请名称", masked_name),
        ("f.updated_by AS 更正人", f"CASE WHEN f.updated_by IS NULL THEN NULL ELSE {STAFF} END AS 更正人"),
    ])
    row = db.conn.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'audit_masked'").fetchone()
    if not row or "CREATE VIEW audit_masked AS" not in row[0]:
        return
    db.conn.execute("DROP VIEW audit_masked")
    db.conn.execute(row[0].replace("CREATE VIEW audit_masked AS", "CREATE VIEW audit_masked_base AS", 1))
    values = PERSONAL_VALUES_SQL.format(sid="b.submission_id")
    hidden = "b.action IN ('user_add', 'user_update')"
    db.conn.execute(f"""CREATE VIEW audit_masked AS
SELECT b.id AS id, b.时间 AS 时间, {STAFF} AS 操作人, b.操作 AS 操作, b.submission_id AS submission_id,
       b.文档类型 AS 文档类型,
       CASE WHEN {hidden} THEN NULL ELSE b.字段 END AS 字段,
       CASE WHEN {hidden} THEN NULL ELSE docintake_mask_text(b.原值, {values}) END AS 原值,
       CASE WHEN {hidden} THEN NULL ELSE docintake_mask_text(b.新值, {values}) END AS 新值,
       docintake_mask_text(b.说明, {values}) AS 说明,
       b.action AS action
FROM audit_masked_base b""")
