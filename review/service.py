"""What the review pages read and write, as plain functions over a `sqlite_utils.Database`.

Every write checks the submission's `version` (optimistic locking), increments it and appends
to `audit` inside one IMMEDIATE transaction; re-validation runs after the commit.
"""
from __future__ import annotations

import importlib
import json
import logging
from typing import Any, Callable

from extractors.normalize import compare_key
from intake.db import now, transaction
from intake.errors import DocintakeError
from intake.localtime import to_local
from intake.model import FieldValue, parse_bool
from intake.store import _insert_field
from schemas.registry import UNKNOWN, packet_title, packet_titles

from . import audit
from .masking import mask_field, mask_text, personal_values
from .normalizing import FORM_HINT_ZH, NotNormalizable, normalize_input
from .labels import DECISION_ZH, describe_audit, display_names, outcome
from .schema_info import doc_type

log = logging.getLogger(__name__)

# A submission quarantined as a whole, or one with a quarantined file (the rest of it may be decided).
QUARANTINED_SQL = ("(s.status = 'quarantined' OR EXISTS (SELECT 1 FROM files qf WHERE qf.submission_id = s.id "
                   "AND qf.status = 'quarantined'))")
# Queue tabs: the machine's suggestions (undecided), the reviewers' decisions, quarantine.
# key -> (label, SQL condition on `submissions s`); the queue's and the export page's filter
# (review/queue.py where_clause) is this one table.
QUEUE_TABS = {
    "rejected": ("建议驳回", "s.decision IS NULL AND s.status = 'rejected'"),
    "needs_review": ("需复核", "s.decision IS NULL AND s.status = 'needs_review'"),
    "ready": ("建议通过", "s.decision IS NULL AND s.status = 'ready'"),
    "verified": ("已核验", "s.decision = 'approved'"),
    "declined": ("已驳回", "s.decision = 'rejected'"),
    "quarantined": ("已隔离", QUARANTINED_SQL),
}
PENDING_SQL = "s.decision IS NULL AND s.status IN ('rejected', 'needs_review', 'ready')"


def packets_zh() -> dict[str, str]:
    """``{packet: Chinese title}`` of every packet the registry knows, plus 未识别 (the queue's filter)."""
    return {**packet_titles(), UNKNOWN: packet_title(UNKNOWN)}


def packet_title_of(packet: str | None, default: str | None = None) -> str | None:
    """A packet's Chinese title from the registry; ``default`` for a name no packet file has."""
    return packets_zh().get(packet, default)


SEVERITY_ZH = {"error": "错误", "warning": "警告"}
FILE_STATUS_ZH = {"quarantined": "已隔离", "duplicate": "重复文件", "processed": "已处理", "ok": "已处理"}

class ReviewError(Exception):
    """A write the UI refuses; `status` is the HTTP status, the message is shown to the reviewer."""

    status = 400

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status:
            self.status = status


class Conflict(ReviewError):
    status = 409


class NotFound(ReviewError):
    status = 404


class Unchanged(Exception):
    """A save whose value equals the stored one; `version` is the (unchanged) current version."""

    def __init__(self, version: int):
        super().__init__(version)
        self.version = version


STAFF_ZH = "工作人员"  # what a viewer sees instead of another user's name
# Columns a viewer never gets: where files live on the server, and why they failed (the
# reason can quote a path or the file's content).
SERVER_ONLY_FILE_COLUMNS = ("archive_path", "quarantine_path", "error", "duplicate_of", "sha256")


def _mask_logged(h: dict, values) -> None:
    """An audit row as a viewer sees it: personal values masked, staff names hidden."""
    if h.get("field") and h.get("document_type") and h["field"] != "finding":
        h["old_value"] = mask_field(h["document_type"], h["field"], h["old_value"])
        h["new_value"] = mask_field(h["document_type"], h["field"], h["new_value"])
    h["old_value"] = mask_text(h["old_value"], values)
    h["new_value"] = mask_text(h["new_value"], values)
    h["comment"] = mask_text(h["comment"], values)
    if h.get("action") in ("user_add", "user_update"):
        h["old_value"] = h["new_value"] = h["field"] = None
    h["actor"] = STAFF_ZH


def local_time(iso: str | None) -> str:
    if not iso:
        return ""
    d = to_local(iso)
    return d.strftime("%Y-%m-%d %H:%M") if d else iso


def _rows(cur) -> list[dict]:
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


# ---------------------------------------------------------------- reading

def tab_counts(db) -> dict:
    """The queue's tab counts (and the quarantined files, which may sit in any submission)."""
    # Per status from the covering status index, then the decided ones subtracted. The decided
    # ones are counted by a plain table scan (NOT INDEXED): walking the status index and looking
    # up each row's decision is 3x slower at 10,000 submissions (14 ms against 4.7 ms).
    counts = dict(db.execute("SELECT status, COUNT(*) FROM submissions GROUP BY status").fetchall())
    decided = db.execute("SELECT status, decision, COUNT(*) FROM submissions NOT INDEXED "
                         "WHERE decision IS NOT NULL GROUP BY status, decision").fetchall()

    def undecided(st: str) -> int:
        return counts.get(st, 0) - sum(n for s_, _, n in decided if s_ == st)

    tab_counts = {
        "rejected": undecided("rejected"),
        "needs_review": undecided("needs_review"),
        "ready": undecided("ready"),
        "verified": sum(n for _, dc, n in decided if dc == "approved"),
        "declined": sum(n for _, dc, n in decided if dc == "rejected"),
        "quarantined": counts.get("quarantined", 0),
    }
    pending = sum(tab_counts[k] for k in ("rejected", "needs_review", "ready"))
    files = db.execute("SELECT COUNT(*) FROM files WHERE status = 'quarantined'").fetchone()[0]
    return {"counts": counts, "tab_counts": tab_counts, "pending": pending,
            "total": sum(counts.values()), "quarantined_files": files}


def _outcome(row: dict) -> dict:
    """The row's machine suggestion and reviewer decision, apart (labels.outcome)."""
    o = outcome(row.get("status"), row.get("decision"))
    row["status_zh"], row["status_css"], row["outcome_kind"] = o["label"], o["css"], o["kind"]
    row["decision_zh"] = DECISION_ZH.get(row.get("decision") or "", "")
    row["suggestion_zh"] = "" if row.get("decision") else (o["label"] if o["kind"] == "suggestion" else "")
    return row


def next_submission(db, after_id: int | None) -> int | None:
    """The pending submission after `after_id` in queue order (oldest first), wrapping around."""
    pending = [
        r[0]
        for r in db.execute(
            "SELECT id FROM submissions WHERE decision IS NULL AND status IN ('rejected', 'needs_review', 'ready') "
            "ORDER BY received_at, id"
        ).fetchall()
    ]
    if not pending:
        return None
    if after_id in pending:
        i = pending.index(after_id)
        rest = pending[i + 1:] + pending[:i]
        return rest[0] if rest else None
    if after_id is not None:
        row = db.execute("SELECT received_at FROM submissions WHERE id = ?", [after_id]).fetchone()
        if row:
            later = [
                r[0]
                for r in db.execute(
                    "SELECT id FROM submissions WHERE decision IS NULL AND status IN ('rejected', 'needs_review', "
                    "'ready') AND (received_at, id) > (?, ?) ORDER BY received_at, id LIMIT 1",
                    [row[0], after_id],
                ).fetchall()
            ]
            if later:
                return later[0]
    return pending[0]


def _last_change(db, submission_id: int) -> tuple[str, str]:
    row = db.execute(
        "SELECT actor, at FROM audit WHERE submission_id = ? ORDER BY id DESC LIMIT 1", [submission_id]
    ).fetchone()
    if row:
        return row[0], local_time(row[1])
    row = db.execute("SELECT updated_at FROM submissions WHERE id = ?", [submission_id]).fetchone()
    return "系统", local_time(row[0] if row else None)


def _flag(severities: list[str]) -> str:
    return "error" if "error" in severities else "warning" if severities else ""


def findings(db, submission_id: int, masked: bool = False, values=None) -> list[dict]:
    rows = _rows(
        db.execute(
            "SELECT f.id, f.rule, f.severity, f.message, f.fields, f.documents, f.source, f.document_id "
            "FROM findings f WHERE f.submission_id = ? "
            "ORDER BY CASE f.severity WHEN 'error' THEN 0 ELSE 1 END, f.id",
            [submission_id],
        )
    )
    for r in rows:
        r["fields"] = json.loads(r["fields"] or "[]")
        r["documents"] = json.loads(r["documents"] or "[]")
        r["severity_zh"] = SEVERITY_ZH.get(r["severity"], r["severity"])
        r["documents_zh"] = [doc_type(d).title for d in r["documents"]]
        if masked:
            if values is None:
                values = personal_values(db, submission_id)
            r["message"] = mask_text(r["message"], values)
    return rows


def submission(db, submission_id: int, masked: bool = False) -> dict:
    """Everything the submission page shows."""
    rows = _rows(db.execute("SELECT * FROM submissions WHERE id = ?", [submission_id]))
    if not rows:
        raise NotFound("找不到该申请。")
    sub = rows[0]
    _outcome(sub)
    sub["packet_zh"] = packet_title(sub["packet"])
    if sub.get("decided_by"):
        sub["decided_by_zh"] = display_names(db).get(sub["decided_by"], sub["decided_by"])
    sub["received_local"] = local_time(sub["received_at"])
    sub["decided_local"] = local_time(sub["decided_at"])
    values = personal_values(db, submission_id) if masked else []
    if masked:
        sub["decision_comment"] = mask_text(sub.get("decision_comment"), values)
        sub["name"] = mask_text(sub["name"], values)
        sub["source_path"] = None
        sub["decided_by"] = sub["decided_by_zh"] = STAFF_ZH if sub.get("decided_by") else None

    files = _rows(db.execute("SELECT * FROM files WHERE submission_id = ? ORDER BY id", [submission_id]))
    for f in files:
        f["status_zh"] = FILE_STATUS_ZH.get(f["status"], f["status"])
        if masked:
            f["name"] = mask_text(f["name"], values)
            f["reason"] = mask_text(f.get("reason"), values)
            for col in SERVER_ONLY_FILE_COLUMNS:
                f.pop(col, None)
    file_names = {f["id"]: f["name"] for f in files}
    pages = _rows(
        db.execute(
            "SELECT p.id, p.file_id, p.number, p.width, p.height, p.source FROM pages p "
            "JOIN files f ON f.id = p.file_id WHERE f.submission_id = ? ORDER BY p.file_id, p.number",
            [submission_id],
        )
    )
    page_by_key = {(p["file_id"], p["number"]): p for p in pages}
    for p in pages:
        p["file_name"] = file_names.get(p["file_id"], "")
        p["boxes"] = []
        p["documents"] = []

    find = findings(db, submission_id, masked, values)
    flagged: dict[tuple[str, str], list[str]] = {}
    for fd in find:
        for dt in fd["documents"] or [""]:
            for key in fd["fields"]:
                flagged.setdefault((dt, key), []).append(fd["severity"])

    documents = _rows(
        db.execute(
            "SELECT d.* FROM documents d JOIN files f ON f.id = d.file_id WHERE d.submission_id = ? "
            "ORDER BY f.id, d.idx",
            [submission_id],
        )
    )
    for d in documents:
        info = doc_type(d["type"])
        d["title"] = info.title
        d["threshold"] = info.threshold
        d["page_numbers"] = json.loads(d["pages"] or "[]")
        d["file_name"] = file_names.get(d["file_id"], "")
        d["seal_list"] = json.loads(d["seals"] or "[]")
        stored = {
            r["key"]: r
            for r in _rows(db.execute("SELECT * FROM fields WHERE document_id = ? ORDER BY id", [d["id"]]))
        }
        keys = [fi.key for fi in info.ordered()] + [k for k in stored if k not in info.fields]
        d["field_list"] = []
        for key in keys:
            fi = info.info(key)
            row = stored.get(key)
            value = None
            if row is not None:
                value = json.loads(row["value_json"]) if row["value_json"] is not None else row["value"]
            shown = mask_field(d["type"], key, value) if masked and value is not None else value
            if isinstance(shown, bool):
                shown = "true" if shown else "false"
            conf = row["confidence"] if row else None
            item = {
                "uid": f"f{d['id']}-{key}",
                "key": key,
                "label": fi.label,
                "kind": fi.kind,
                "personal": fi.personal,
                "present": row is not None,
                "value": "" if shown is None else str(shown),
                "confidence": conf,
                "low": row is not None and row["source"] != "reviewer" and (conf or 0) < info.threshold,
                "source": row["source"] if row else "",
                "updated_by": (STAFF_ZH if masked and row["updated_by"] else row["updated_by"]) if row else None,
                "updated_local": local_time(row["updated_at"]) if row else "",
                "flag": _flag(flagged.get((d["type"], key), []) + flagged.get(("", key), [])),
                "hint": FORM_HINT_ZH.get(fi.format or "", ""),
                "page_id": None,
            }
            if row is not None and row["x0"] is not None and row["page"] is not None:
                page = page_by_key.get((d["file_id"], row["page"]))
                if page is not None:
                    item["page_id"] = page["id"]
                    page["boxes"].append({
                        "uid": item["uid"],
                        "x": row["x0"], "y": row["y0"],
                        "w": max(1, row["x1"] - row["x0"]), "h": max(1, row["y1"] - row["y0"]),
                        "label": fi.label, "low": item["low"], "flag": item["flag"],
                        "title": d["title"],
                    })
            d["field_list"].append(item)
        for s in d["seal_list"]:
            page = page_by_key.get((d["file_id"], s.get("page")))
            if page is not None and s.get("bbox"):
                x0, y0, x1, y1 = s["bbox"]
                page.setdefault("seals", []).append({"x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0})
        for n in d["page_numbers"]:
            page = page_by_key.get((d["file_id"], n))
            if page is not None:
                page["documents"].append(d["title"])

    history = _rows(
        db.execute(
            "SELECT at, actor, action, document_type, field, old_value, new_value, comment FROM audit "
            "WHERE submission_id = ? ORDER BY id DESC LIMIT 200",
            [submission_id],
        )
    )
    names = display_names(db)
    for h in history:
        h["at_local"] = local_time(h["at"])
        h["action_zh"] = audit.ACTIONS_ZH.get(h["action"], h["action"])
        if masked:
            _mask_logged(h, values)
        describe_audit(h, names, masked)
    quarantined = [f for f in files if f["status"] == "quarantined" or f.get("quarantine_path")]
    return {
        "submission": sub,
        "files": files,
        "quarantined": quarantined,
        "pages": pages,
        "documents": documents,
        "findings": find,
        "history": history,
    }


# ---------------------------------------------------------------- writing

def _check_version(db, submission_id: int, version: Any) -> int:
    row = db.execute("SELECT version FROM submissions WHERE id = ?", [submission_id]).fetchone()
    if row is None:
        raise NotFound("找不到该申请。")
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise ReviewError("请求缺少版本号，请刷新后重试。") from None
    if row[0] != version:
        who, when = _last_change(db, submission_id)
        raise Conflict(f"该申请已被 {who} 于 {when} 修改，请刷新后重试。")
    return version


def _bump(db, submission_id: int, version: int) -> int:
    db.conn.execute(
        "UPDATE submissions SET version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
        (now(), submission_id, version),
    )
    return version + 1


DECIDED_MESSAGE = ("该申请已有审核结论（{decision}，{who}），不能再修改或重新审批。"
                   "如需修改，请先“重新打开”并填写理由。")


def _refuse_if_decided(db, submission_id: int) -> None:
    """A decided submission is read-only until someone reopens it (with a reason, audited)."""
    row = db.execute("SELECT decision, decided_by FROM submissions WHERE id = ?", [submission_id]).fetchone()
    if row and row[0]:
        raise Conflict(DECIDED_MESSAGE.format(decision=DECISION_ZH.get(row[0], row[0]), who=row[1] or "审核员"))


def parse_value(kind: str, raw: str, info=None):
    """The value to store for a reviewer's input: booleans from 有/无, anything else through
    the field's own normalizer (review/normalizing.py); refused with the expected form."""
    text = (raw or "").strip()
    if kind == "bool":
        value = parse_bool(text) if text else None
        if value is None:
            raise ReviewError("请选择“有”或“无”。")
        return value
    if not text:
        raise ReviewError("值不能为空。如该字段确实不在文档上，请在审批意见中说明。")
    if len(text) > 2000:
        raise ReviewError("值过长（最多 2000 个字符）。")
    if info is None:
        return text
    try:
        return normalize_input(info, text)
    except NotNormalizable as exc:
        raise ReviewError(f"“{info.label}”未保存：{exc.message}") from None


def same_value(old, new) -> bool:
    """Readers compare values after NFKC and without whitespace (the contract)."""
    if old is None or new is None or isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    return compare_key(old) == compare_key(new)


def correct_field(db, submission_id: int, version: Any, document_id: Any, key: str, raw_value: str,
                  actor: str) -> int:
    """Record a reviewer's value for one field; returns the new submission version."""
    try:
        document_id = int(document_id)
    except (TypeError, ValueError):
        raise ReviewError("缺少文档编号。") from None
    with transaction(db):
        version = _check_version(db, submission_id, version)
        _refuse_if_decided(db, submission_id)
        doc = db.execute(
            "SELECT id, type FROM documents WHERE id = ? AND submission_id = ?", [document_id, submission_id]
        ).fetchone()
        if doc is None:
            raise Conflict("该文档已被重新识别，请刷新后重试。")
        info = doc_type(doc[1])
        if key not in info.fields and not db.execute(
            "SELECT 1 FROM fields WHERE document_id = ? AND key = ?", [document_id, key]
        ).fetchone():
            raise ReviewError(f"文档类型 {info.title} 没有字段 {key}。")
        value = parse_value(info.info(key).kind, raw_value, info.info(key))
        old = db.execute(
            "SELECT id, value_json FROM fields WHERE document_id = ? AND key = ?", [document_id, key]
        ).fetchone()
        old_value = json.loads(old[1]) if old and old[1] is not None else None
        if old and same_value(old_value, value):
            # re-saving what is stored (after normalization) is not a correction: no write,
            # no audit row, no new version
            raise Unchanged(version)
        stamp = now()
        if old:
            db.conn.execute(
                "UPDATE fields SET value = ?, value_json = ?, confidence = 1.0, source = 'reviewer', "
                "updated_by = ?, updated_at = ? WHERE id = ?",
                (audit.text_of(value), json.dumps(value, ensure_ascii=False), actor, stamp, old[0]),
            )
        else:
            _insert_field(db.conn, document_id, key,
                          FieldValue(value, confidence=1.0, strategy="reviewer", source="reviewer"),
                          updated_by=actor)
        new_version = _bump(db, submission_id, version)
        audit.record(db.conn, actor, "correct", submission_id=submission_id, document_id=document_id,
                     document_type=doc[1], field=key, old_value=old_value, new_value=value, version=new_version)
    return new_version


def requeue_available() -> Callable | None:
    try:
        mod = importlib.import_module("intake.requeue")
    except ImportError:
        return None
    return getattr(mod, "requeue_file", None)


def requeue(db, submission_id: int, version: Any, file_id: Any, actor: str) -> tuple[int, Any]:
    fn = requeue_available()
    if fn is None:
        raise ReviewError("重新排队功能尚未安装。", 501)
    try:
        file_id = int(file_id)
    except (TypeError, ValueError):
        raise ReviewError("缺少文件编号。") from None
    _check_version(db, submission_id, version)
    row = db.execute("SELECT name, reason FROM files WHERE id = ? AND submission_id = ?",
                     [file_id, submission_id]).fetchone()
    if row is None:
        raise NotFound("该申请中没有这个文件。")
    _refuse_if_decided(db, submission_id)
    try:
        result = fn(db, file_id)
    except DocintakeError as exc:
        raise ReviewError(exc.message.split("。")[0] + "。" if "。" in exc.message else exc.message) from exc
    with transaction(db):
        version = _check_version(db, submission_id, version)
        new_version = _bump(db, submission_id, version)
        audit.record(db.conn, actor, "requeue", submission_id=submission_id, file_id=file_id, field="file",
                     old_value=f"{row[0]} ({row[1] or ''})", new_value=audit.text_of(result) if result is not None else None,
                     version=new_version)
    return new_version, result


def load_callable(path: str) -> Callable:
    mod, _, name = path.partition(":")
    return getattr(importlib.import_module(mod), name)


def run_revalidation(db, submission_id: int, revalidate_path: str | None = None) -> str | None:
    """Re-run validation; returns a warning for the reviewer when it could not run (the edit is kept)."""
    try:
        fn = load_callable(revalidate_path or "intake.store:revalidate")
        fn(db, submission_id)
    except ImportError as exc:
        log.warning("validation unavailable, submission %s not re-validated: %s", submission_id, exc)
        return "校验模块尚未安装，本次修改未重新校验。"
    except Exception as exc:  # noqa: BLE001 - the correction is saved; tell the reviewer
        log.exception("re-validation of submission %s failed", submission_id)
        return f"已保存，但重新校验失败：{exc}"
    return None


def audit_log(db, submission_id: int | None = None, masked: bool = False, limit: int = 500) -> list[dict]:
    sql = ("SELECT a.*, s.name AS submission_name FROM audit a LEFT JOIN submissions s ON s.id = a.submission_id"
           + (" WHERE a.submission_id = ?" if submission_id else "") + " ORDER BY a.id DESC LIMIT ?")
    rows = _rows(db.execute(sql, ([submission_id] if submission_id else []) + [limit]))
    names = display_names(db)
    for h in rows:
        h["at_local"] = local_time(h["at"])
        h["action_zh"] = audit.ACTIONS_ZH.get(h["action"], h["action"])
        if masked:
            values = personal_values(db, h["submission_id"])
            _mask_logged(h, values)
            h["submission_name"] = mask_text(h["submission_name"], values)
        describe_audit(h, names, masked)
    return rows


def personal_boxes(db, page_id: int) -> list[tuple[int, int, int, int]]:
    """Boxes of personal fields on a page (blacked out for viewers)."""
    from .schema_info import is_personal

    out = []
    for dtype, key, x0, y0, x1, y1 in db.execute(
        "SELECT d.type, f.key, f.x0, f.y0, f.x1, f.y1 FROM fields f JOIN documents d ON d.id = f.document_id "
        "JOIN pages p ON p.file_id = d.file_id AND p.number = f.page WHERE p.id = ? AND f.x0 IS NOT NULL",
        [page_id],
    ).fetchall():
        if is_personal(dtype, key):
            out.append((x0, y0, x1, y1))
    return out


def redaction_boxes(db, page_id: int) -> list[tuple[int, int, int, int]]:
    """Everything blacked out on a page for viewers (fields, and OCR words holding personal data)."""
    from .masking import redaction_boxes as boxes

    return boxes(db, page_id, personal_boxes(db, page_id))
