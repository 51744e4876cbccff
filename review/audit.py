"""Writing to the append-only `audit` table (see intake/migrations/m0002_review.py)."""
from __future__ import annotations

import json
from typing import Any

from intake.db import now

ACTIONS_ZH = {
    "correct": "更正字段",
    "approve": "批准",
    "reject": "驳回",
    "requeue": "重新排队",
    "reopen": "重新打开",
    "override": "超越错误",
    "user_add": "添加用户",
    "user_update": "修改用户",
    "return": "退回补正",
    "notice_sent": "发送通知",
    "notice_retry": "通知重试",
    "notice_failed": "通知发送失败",
    "notice_skipped": "通知未重复发送",
    "notice_contact": "设置通知邮箱",
    "ledger_close": "关闭创新券台账",
    "claim": "认领审核",
    "release": "释放认领",
    "take_over": "接手审核",
    "assign": "分配审核",
}


def text_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def record(
    conn,
    actor: str,
    action: str,
    *,
    submission_id: int | None = None,
    document_id: int | None = None,
    document_type: str | None = None,
    file_id: int | None = None,
    field: str | None = None,
    old_value: Any = None,
    new_value: Any = None,
    comment: str | None = None,
    version: int | None = None,
) -> int:
    """Append one audit row on `conn` (inside the caller's transaction); returns its id."""
    cur = conn.execute(
        "INSERT INTO audit (at, actor, action, submission_id, document_id, document_type, file_id, field, "
        "old_value, new_value, comment, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            now(),
            actor,
            action,
            submission_id,
            document_id,
            document_type,
            file_id,
            field,
            text_of(old_value),
            text_of(new_value),
            comment,
            version,
        ),
    )
    return cur.lastrowid
