"""Chinese wording of outcomes and audit rows, shared by every page that shows them.

The machine's outcome (the status validation set) is a *suggestion*; what a reviewer decided
is a *decision* (issue 14 item 2). Both pages that list audit rows (the audit log and a
submission's history) describe each row with `describe_audit`, so they always agree (item 8).
"""
from __future__ import annotations

import re

from .schema_info import doc_type

SUGGESTION_ZH = {"rejected": "建议驳回", "needs_review": "需复核", "ready": "建议通过"}
DECISION_ZH = {"approved": "已核验", "rejected": "已驳回", "returned": "已退回补正"}
STATE_ZH = {"quarantined": "已隔离", "processing": "处理中", "verified": "已核验"}

# Fields of an audit row that are not a document's field.
AUDIT_FIELD_ZH = {"status": "审核状态", "finding": "审核发现", "file": "文件", "user": "用户",
                  "user.role": "用户角色", "user.active": "用户启用", "user.password": "用户密码",
                  "notice": "通知", "claimed_by": "审核人"}
ACTOR_ZH = {"cli": "命令行", "system": "系统", "pipeline": "系统"}
_STATUS_VALUE = re.compile(r"^(?P<status>[a-z_]*)/(?P<decision>[a-z_]*)(?:\s*\((?P<who>[^)]*)\))?$")


def outcome(status: str | None, decision: str | None) -> dict:
    """{label, kind, css}: kind is "decision" (a reviewer's), "suggestion" (the machine's) or
    "state" (quarantined, processing); css is the badge's classes."""
    if decision:
        return {"label": DECISION_ZH.get(decision, decision), "kind": "decision",
                "css": f"rv-decided dc-{decision}"}
    if status in SUGGESTION_ZH:
        return {"label": SUGGESTION_ZH[status], "kind": "suggestion", "css": f"rv-suggest sg-{status}"}
    return {"label": STATE_ZH.get(status or "", status or ""), "kind": "state", "css": f"st-{status}"}


def status_text(value: str | None, names: dict | None = None) -> str | None:
    """`ready/` or `verified/approved (alice)` as logged by decisions.py -> 建议通过 / 已核验（张三）;
    `names` None: the reviewer's name is left out (what viewers see)."""
    if not value:
        return value
    m = _STATUS_VALUE.match(value.strip())
    if not m:
        return value
    text = outcome(m["status"], m["decision"] or None)["label"]
    if m["who"] and names is not None:
        text += f"（{names.get(m['who'], m['who'])}）"
    return text


def actor_name(actor: str | None, names: dict) -> str:
    if not actor:
        return ""
    return names.get(actor) or ACTOR_ZH.get(actor, actor)


ROLE_ZH = {"viewer": "查看者", "reviewer": "审核员", "admin": "管理员"}  # as auth.ROLE_ZH
_ACCOUNT_VALUE = re.compile(r"^(?P<user>.+?)(?:: | \()(?P<what>viewer|reviewer|admin|True|False)\)?$")


def _account_text(value: str | None) -> str | None:
    """`shen (reviewer)` / `shen: reviewer` / `shen: False` as logged by auth.py, in Chinese."""
    m = _ACCOUNT_VALUE.match(value or "")
    if not m:
        return value
    what = ROLE_ZH.get(m["what"]) or {"True": "启用", "False": "停用"}[m["what"]]
    return f"{m['user']}（{what}）"


def _bool_text(value: str | None) -> str | None:
    return {"true": "有", "false": "无"}.get(value or "", value)


def describe_audit(h: dict, names: dict, masked: bool = False) -> dict:
    """Add the Chinese wording to an audit row in place: document (title), field (label),
    old/new values (status and decision, 有/无), actor (display name). Raw columns are kept
    (`document_type`, `field`, ...) for the JSON answer."""
    dtype = h.get("document_type")
    field = h.get("field")
    h["document_zh"] = doc_type(dtype).title if dtype else ""
    if field and dtype and field not in AUDIT_FIELD_ZH:
        info = doc_type(dtype).info(field)
        h["field_label"] = info.label
        kind = info.kind
    else:
        h["field_label"] = AUDIT_FIELD_ZH.get(field or "", field or "")
        kind = "text"
    old, new = h.get("old_value"), h.get("new_value")
    if field == "status":
        old, new = status_text(old, None if masked else names), status_text(new, None if masked else names)
    elif (field or "").startswith("user"):
        old, new = _account_text(old), _account_text(new)
    elif field == "claimed_by":  # usernames: the display names, as everywhere else
        old, new = (None if v is None else "工作人员" if masked else actor_name(v, names) for v in (old, new))
    elif kind == "bool":
        old, new = _bool_text(old), _bool_text(new)
    h["old_zh"], h["new_zh"] = old, new
    h["actor_zh"] = actor_name(h.get("actor"), {} if masked else names)
    return h


def display_names(db) -> dict[str, str]:
    """username -> display name (or the username) for every account."""
    return {u: (d or u) for u, d in db.execute("SELECT username, display_name FROM users").fetchall()}
