"""Review UI tables: users, the append-only audit log, personal-data keys, OCR full-text search, views.

- `users`: reviewers who sign in to the review UI (argon2 hashes, never plain text).
  `session_epoch` is bumped to sign a user out everywhere (password change, disabling).
- `audit`: every change a person makes (correct / approve / reject / requeue / user_add ...).
  Append-only: triggers RAISE on UPDATE and DELETE.
- `personal_keys`: which field keys hold personal data (masked for the `viewer` role).
  The review plugin adds the keys the schemas mark `"x-personal": true` at start-up;
  these rows are the built-in fallback. `doc_type = '*'` means any document type.
- `pages_fts`: FTS5 (trigram tokenizer, so Chinese substrings match) over `pages.text`,
  kept in sync by triggers.
- Views with Chinese column names for Datasette: `review_queue`, `fields_masked`, `audit_masked`,
  `users_public`.
"""
from __future__ import annotations

import sqlite3

VERSION = 2

TABLES = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'reviewer', 'admin')),
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    session_epoch INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    created_by TEXT,
    last_login_at TEXT
);

CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    submission_id INTEGER,
    document_id INTEGER,
    document_type TEXT,
    file_id INTEGER,
    field TEXT,
    old_value TEXT,
    new_value TEXT,
    comment TEXT,
    version INTEGER
);
CREATE INDEX idx_audit_submission ON audit(submission_id, id);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only');
END;

CREATE TABLE personal_keys (
    doc_type TEXT NOT NULL,
    key TEXT NOT NULL,
    keep_head INTEGER NOT NULL DEFAULT 3,
    keep_tail INTEGER NOT NULL DEFAULT 4,
    PRIMARY KEY (doc_type, key)
);

INSERT INTO personal_keys (doc_type, key, keep_head, keep_tail) VALUES
    ('*', 'id_number', 3, 4),
    ('*', 'agent_id_number', 3, 4),
    ('*', 'phone', 3, 4),
    ('*', 'mobile', 3, 4),
    ('*', 'payer_account', 3, 4),
    ('*', 'payee_account', 3, 4),
    ('id_card', 'address', 6, 0);
"""

# A value masked the way review/masking.py masks it: head + '****' + tail (or '****' when short).
_MASK = """CASE
        WHEN {v} IS NULL THEN NULL
        WHEN length({v}) <= {h} + {t} THEN '****'
        ELSE substr({v}, 1, {h}) || '****' || CASE WHEN {t} > 0 THEN substr({v}, -{t}) ELSE '' END
    END"""

_PK = "(SELECT {col} FROM personal_keys p WHERE p.key = {key} AND p.doc_type IN ({dtype}, '*') ORDER BY p.doc_type = '*' LIMIT 1)"


def _masked(value: str, key: str, dtype: str) -> str:
    head = _PK.format(col="keep_head", key=key, dtype=dtype)
    tail = _PK.format(col="keep_tail", key=key, dtype=dtype)
    return (
        f"CASE WHEN EXISTS (SELECT 1 FROM personal_keys p WHERE p.key = {key} AND p.doc_type IN ({dtype}, '*')) "
        f"THEN {_MASK.format(v=value, h=head, t=tail)} ELSE {value} END"
    )


STATUS_ZH = (
    "CASE {c} WHEN 'rejected' THEN '已驳回' WHEN 'needs_review' THEN '待复核' WHEN 'ready' THEN '待审批' "
    "WHEN 'verified' THEN '已核验' WHEN 'quarantined' THEN '已隔离' WHEN 'processing' THEN '处理中' ELSE {c} END"
)
PACKET_ZH = (
    "CASE {c} WHEN 'membership_application' THEN '文献平台会员申请' WHEN 'voucher_redemption' THEN '创新券兑付' "
    "ELSE '未识别' END"
)


def _views() -> list[str]:
    return [
        f"""CREATE VIEW review_queue AS
SELECT s.id AS id,
       s.name AS 申请名称,
       {STATUS_ZH.format(c='s.status')} AS 状态,
       {PACKET_ZH.format(c='s.packet')} AS 材料类型,
       s.organization AS 单位名称,
       s.uscc AS 统一社会信用代码,
       s.finding_count AS 问题数,
       s.received_at AS 收到时间,
       s.decided_by AS 处理人,
       s.decided_at AS 处理时间,
       s.status AS status,
       s.packet AS packet
FROM submissions s
ORDER BY CASE s.status WHEN 'rejected' THEN 0 WHEN 'needs_review' THEN 1 WHEN 'ready' THEN 2
         WHEN 'quarantined' THEN 3 WHEN 'verified' THEN 4 ELSE 5 END, s.received_at, s.id""",
        f"""CREATE VIEW fields_masked AS
SELECT f.id AS id,
       d.submission_id AS submission_id,
       s.name AS 申请名称,
       d.type AS 文档类型,
       f.key AS 字段,
       {_masked('f.value', 'f.key', 'd.type')} AS 值,
       f.confidence AS 置信度,
       f.page AS 页码,
       CASE f.source WHEN 'reviewer' THEN '人工更正' ELSE '自动识别' END AS 来源,
       f.updated_by AS 更正人,
       f.updated_at AS 更新时间,
       f.document_id AS document_id
FROM fields f JOIN documents d ON d.id = f.document_id JOIN submissions s ON s.id = d.submission_id""",
        f"""CREATE VIEW audit_masked AS
SELECT a.id AS id,
       a.at AS 时间,
       a.actor AS 操作人,
       CASE a.action WHEN 'correct' THEN '更正字段' WHEN 'approve' THEN '批准' WHEN 'reject' THEN '驳回'
            WHEN 'requeue' THEN '重新排队' WHEN 'user_add' THEN '添加用户' WHEN 'user_update' THEN '修改用户'
            ELSE a.action END AS 操作,
       a.submission_id AS submission_id,
       a.document_type AS 文档类型,
       a.field AS 字段,
       {_masked('a.old_value', 'a.field', "coalesce(a.document_type, '')")} AS 原值,
       {_masked('a.new_value', 'a.field', "coalesce(a.document_type, '')")} AS 新值,
       a.comment AS 说明,
       a.action AS action
FROM audit a""",
        """CREATE VIEW users_public AS
SELECT id, username AS 用户名, display_name AS 姓名,
       CASE role WHEN 'admin' THEN '管理员' WHEN 'reviewer' THEN '审核员' ELSE '查看者' END AS 角色,
       CASE WHEN active THEN '启用' ELSE '停用' END AS 状态,
       created_at AS 创建时间, created_by AS 创建人, last_login_at AS 最近登录
FROM users""",
    ]


def _statements(sql: str) -> list[str]:
    """Split a script into complete statements (trigger bodies contain `;`)."""
    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def up(db):
    conn = db.conn
    for stmt in _statements(TABLES):
        conn.execute(stmt)
    # sqlite-utils' enable_fts runs its DDL through executescript, which would COMMIT the
    # migration's transaction; run the same statements one by one inside it instead.
    db.executescript = lambda script: [conn.execute(s) for s in _statements(script)]
    try:
        db["pages"].enable_fts(["text"], fts_version="FTS5", tokenize="trigram", create_triggers=True)
    finally:
        del db.executescript
    for stmt in _views():
        conn.execute(stmt)
