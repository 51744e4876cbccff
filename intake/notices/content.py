"""A notice as plain data: who it goes to, what was decided, the reasons and where they come from.

Built once, when the decision is taken (inside its transaction), and stored in `notices.content`,
so every retry and every reprint says the same thing. Platform credentials are the exception:
they are asked of the configured hook at sending time and never stored (see `credentials`).
"""
from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import re

from ..errors import ConfigError
from ..localtime import to_local
from ..validation.rules import RULES
from . import reasons as presets

log = logging.getLogger("docintake.notices")

KIND_OF = {"approved": "approval", "returned": "returned", "rejected": "rejection"}
TITLE_OF = {"approval": "审核通过通知书", "returned": "退回补正通知书", "rejection": "审核未通过通知书"}

# The policy texts a rule's `source` names, by their short name (shared/seeds).
DOCUMENT_TITLES = {
    "guide": "《许昌科技文献信息共享平台使用申请流程指南》",
    "细则": "《许昌市科研设施和仪器开放共享双向奖补实施细则》",
}
# Where the bureau's guide tells applicants to send their materials; deployments override these.
DEFAULT_OFFICE = "许昌市科学技术情报研究所"
DEFAULT_ADDRESS = "河南省许昌市城乡一体化示范区魏武大道智慧信息产业园3号厂房许昌科技大市场"
DEFAULT_PHONE = "0374-2965381"
HOOK_ENV = "DOCINTAKE_CREDENTIALS_HOOK"
EMAIL = re.compile(r"^[^@\s<>,;\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")

def office() -> dict:
    return {"name": os.environ.get("DOCINTAKE_NOTICE_OFFICE", DEFAULT_OFFICE),
            "address": os.environ.get("DOCINTAKE_NOTICE_ADDRESS", DEFAULT_ADDRESS),
            "phone": os.environ.get("DOCINTAKE_NOTICE_PHONE", DEFAULT_PHONE),
            "email": os.environ.get("DOCINTAKE_NOTICE_REPLY_TO", "")}


def article(source: str | None) -> str:
    """`细则 第十五条, 第二十二条` -> 《…实施细则》第十五条、第二十二条; `schemas` and unknowns -> ''."""
    if not source:
        return ""
    parts = []
    for chunk in source.split(";"):
        chunk = chunk.strip()
        short, _, rest = chunk.partition(" ")
        if short in DOCUMENT_TITLES:
            parts.append(DOCUMENT_TITLES[short] + rest.replace(", ", "、").replace(",", "、"))
        elif re.match(r"^GB", chunk):
            parts.append(f"国家标准 {chunk}")
    return "；".join(parts)


def local_date(iso: str | None) -> str:
    d = to_local(iso)
    return f"{d.year}年{d.month}月{d.day}日" if d else (iso or "")[:10]


def valid_email(value: str | None) -> str | None:
    value = (value or "").strip().replace("＠", "@")
    return value if EMAIL.match(value) else None


def recipient(conn, submission_id: int) -> str | None:
    """The e-mail address on the application form: this submission's, else that of a submission it
    supplements or of an earlier one of the same organization (same USCC), else the contact the
    bureau set for the organization (`docintake notices contact`)."""
    row = conn.execute(
        "SELECT f.value FROM fields f JOIN documents d ON d.id = f.document_id "
        "WHERE d.submission_id = ? AND d.type = 'application_form' AND f.key = 'email' ORDER BY d.id DESC",
        (submission_id,)).fetchall()
    for (value,) in row:
        if valid_email(value):
            return valid_email(value)
    uscc = (conn.execute("SELECT uscc FROM submissions WHERE id = ?", (submission_id,)).fetchone() or [None])[0]
    linked = [r for (r,) in conn.execute(
        "SELECT returned_id FROM supplement_links WHERE supplement_id = ?", (submission_id,))]
    others = conn.execute(
        "SELECT f.value FROM fields f JOIN documents d ON d.id = f.document_id JOIN submissions s "
        "ON s.id = d.submission_id WHERE d.type = 'application_form' AND f.key = 'email' AND s.id <> ? AND "
        f"(s.id IN ({','.join('?' * len(linked)) or 'NULL'}) OR (? IS NOT NULL AND UPPER(s.uscc) = UPPER(?))) "
        "ORDER BY s.id DESC", (submission_id, *linked, uscc, uscc)).fetchall()
    for (value,) in others:
        if valid_email(value):
            return valid_email(value)
    if uscc:
        row = conn.execute("SELECT email FROM notice_contacts WHERE uscc = UPPER(?)", (uscc,)).fetchone()
        if row and valid_email(row[0]):
            return valid_email(row[0])
    return None


def _findings(conn, submission_id: int, severities: tuple[str, ...]) -> list[dict]:
    rows = conn.execute(
        f"SELECT rule, severity, message, source FROM findings WHERE submission_id = ? AND severity IN "
        f"({','.join('?' * len(severities))}) ORDER BY severity, id", (submission_id, *severities)).fetchall()
    out = []
    for rule, severity, message, source in rows:
        info = RULES.get(rule)
        out.append({"title": info.title if info else rule, "detail": message,
                    "article": article(source or (info.source if info else ""))})
    return out


def build(conn, decision_id: int) -> dict:
    """The notice for one `decision_log` row, as plain data (JSON-safe)."""
    d = conn.execute(
        "SELECT l.id, l.submission_id, l.decision, l.comment, l.reasons, l.at, s.name, s.packet, s.organization, "
        "s.uscc, s.voucher_amount, s.year FROM decision_log l JOIN submissions s ON s.id = l.submission_id "
        "WHERE l.id = ?", (decision_id,)).fetchone()
    if d is None:
        raise ConfigError(f"决定 {decision_id} 不存在。Decision {decision_id} does not exist.")
    (_, sid, decision, comment, reasons_json, at, name, packet, organization, uscc, amount, year) = d
    kind = KIND_OF[decision]
    items: list[dict] = []
    todo: list[str] = []
    if kind == "returned":
        for r in json.loads(reasons_json or "[]"):
            items.append({"title": presets.label(r["code"]), "detail": r.get("detail") or "", "article": ""})
            todo.append(presets.advice(r["code"]) + (f"（{r['detail']}）" if r.get("detail") else ""))
        # the machine's findings back the reviewer's reasons with the article each enforces
        items += _findings(conn, sid, ("error", "warning"))
    elif kind == "rejection":
        items = _findings(conn, sid, ("error",))
    supplements = [r for (r,) in conn.execute(
        "SELECT s.name FROM supplement_links k JOIN submissions s ON s.id = k.returned_id "
        "WHERE k.supplement_id = ? ORDER BY k.returned_id", (sid,))]
    content = {
        "kind": kind, "title": TITLE_OF[kind], "decision_id": decision_id, "submission_id": sid,
        "submission": name, "packet": _packet_title(packet), "organization": organization or "",
        "uscc": uscc or "", "decided_on": local_date(at), "comment": comment or "", "reasons": items,
        "todo": todo, "office": office(), "supplements": supplements,
        "voucher_amount": amount if kind == "approval" and amount else None,
        "year": year, "membership": _packet_data(packet).get("grants_platform_account", False),
    }
    return content


def digest(content: dict) -> str:
    """What a notice says, as a hash (two notices with the same digest say the same thing)."""
    same = {k: v for k, v in content.items() if k not in ("decision_id", "decided_on")}
    return hashlib.sha256(json.dumps(same, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def credentials(content: dict) -> dict | None:
    """What the platform returns for an approved member (user name, password), from the hook named
    in $DOCINTAKE_CREDENTIALS_HOOK (`module:function`, called with the notice content); None
    when no hook is set, it returns nothing or it fails (the notice then says they will follow)."""
    spec = os.environ.get(HOOK_ENV, "").strip()
    if not spec or content.get("kind") != "approval":
        return None
    module, _, attr = spec.partition(":")
    try:
        fn = getattr(importlib.import_module(module), attr)
        result = fn(dict(content))
    except Exception:  # noqa: BLE001 - the platform being down must not stop the notice
        log.exception("credentials hook %s failed; the notice says they will follow", spec)
        return None
    if not result:
        return None
    return {str(k): str(v) for k, v in dict(result).items()}


def _packet_data(packet: str | None) -> dict:
    from schemas.registry import packet_definitions

    found = packet_definitions().get(packet or "")
    return found[0] if found else {}


def _packet_title(packet: str | None) -> str:
    return _packet_data(packet).get("title") or "申请"
