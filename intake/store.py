"""Reading and writing documents, fields and findings of a submission.

The one place that maps the plain dataclasses of `model.py` onto the tables
of `migrations/m0001_core.py`, shared by the pipeline, the review UI and
export. A reviewer's correction (`source = 'reviewer'`) always wins over a
later pipeline run: `save_documents` keeps such fields as they are.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlite_utils

from . import supplements
from .db import log_event, now, transaction
from .model import Document, FieldValue, Finding, Seal


def _value_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def save_documents(db: sqlite_utils.Database, submission_id: int, file_id: int, documents: list[Document]) -> None:
    """Replace the extractor's documents of one file, keeping reviewer corrections."""
    conn = db.conn
    kept: dict[tuple[int, str], dict] = {}
    old_docs = conn.execute(
        "SELECT id, idx FROM documents WHERE submission_id = ? AND file_id = ?", (submission_id, file_id)
    ).fetchall()
    for doc_id, idx in old_docs:
        for row in conn.execute(
            "SELECT * FROM fields WHERE document_id = ? AND source = 'reviewer'", (doc_id,)
        ).fetchall():
            cols = [d[0] for d in conn.execute("SELECT * FROM fields LIMIT 0").description]
            kept[(idx, row[cols.index("key")])] = dict(zip(cols, row))
        conn.execute("DELETE FROM fields WHERE document_id = ?", (doc_id,))
        conn.execute("UPDATE findings SET document_id = NULL WHERE document_id = ?", (doc_id,))
        conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
    for idx, doc in enumerate(documents):
        cur = conn.execute(
            "INSERT INTO documents (submission_id, file_id, idx, type, pages, confidence, seals, signatures) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                submission_id,
                file_id,
                idx,
                doc.type,
                json.dumps(doc.pages),
                float(doc.confidence),
                json.dumps([s.__dict__ for s in doc.seals], ensure_ascii=False, default=list),
                json.dumps(doc.signatures, ensure_ascii=False, default=list),
            ),
        )
        doc.document_id = cur.lastrowid
        for key, fv in doc.fields.items():
            if (idx, key) in kept:
                continue
            _insert_field(conn, doc.document_id, key, fv)
        for (k_idx, key), row in kept.items():
            if k_idx == idx:
                row = dict(row)
                row.pop("id", None)
                row["document_id"] = doc.document_id
                conn.execute(
                    f"INSERT INTO fields ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                    tuple(row.values()),
                )


def _insert_field(conn, document_id: int, key: str, fv: FieldValue, updated_by: str | None = None) -> None:
    bbox = list(fv.bbox) if fv.bbox else [None] * 4
    conn.execute(
        "INSERT INTO fields (document_id, key, value, value_json, confidence, page, x0, y0, x1, y1, "
        "strategy, raw, label, source, updated_by, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            document_id,
            key,
            _value_text(fv.value),
            json.dumps(fv.value, ensure_ascii=False),
            float(fv.confidence),
            fv.page,
            *bbox,
            fv.strategy,
            fv.raw,
            fv.label,
            fv.source,
            updated_by,
            now(),
        ),
    )


def load_documents(db: sqlite_utils.Database, submission_id: int) -> list[Document]:
    """The submission's documents as the validator sees them (reviewer corrections included)."""
    docs: list[Document] = []
    rows = db.execute(
        "SELECT d.id, d.type, d.pages, d.confidence, d.seals, d.signatures, f.name, f.sha256 "
        "FROM documents d JOIN files f ON f.id = d.file_id WHERE d.submission_id = ? ORDER BY f.id, d.idx",
        [submission_id],
    ).fetchall()
    for doc_id, dtype, pages, conf, seals, sigs, fname, sha in rows:
        doc = Document(
            type=dtype,
            pages=json.loads(pages),
            confidence=conf or 0.0,
            file=fname,
            file_sha256=sha or "",
            document_id=doc_id,
            seals=[Seal(**{**s, "bbox": tuple(s["bbox"])}) for s in json.loads(seals or "[]")],
            signatures=json.loads(sigs or "[]"),
        )
        for key, vjson, conf_f, page, x0, y0, x1, y1, strategy, raw, label, source in db.execute(
            "SELECT key, value_json, confidence, page, x0, y0, x1, y1, strategy, raw, label, source "
            "FROM fields WHERE document_id = ? ORDER BY id",
            [doc_id],
        ).fetchall():
            doc.fields[key] = FieldValue(
                value=json.loads(vjson) if vjson is not None else None,
                confidence=conf_f or 0.0,
                page=page,
                bbox=(x0, y0, x1, y1) if x0 is not None else None,
                strategy=strategy or "",
                raw=raw or "",
                label=label or "",
                source=source or "extractor",
            )
        docs.append(doc)
    return docs


def page_texts(db: sqlite_utils.Database, submission_id: int) -> list[str]:
    """The OCR text of each document's pages, in the order of `load_documents`."""
    texts = []
    for file_id, pages in db.execute(
        "SELECT d.file_id, d.pages FROM documents d JOIN files f ON f.id = d.file_id "
        "WHERE d.submission_id = ? ORDER BY f.id, d.idx",
        [submission_id],
    ).fetchall():
        nums = json.loads(pages)
        parts = [
            r[0] or ""
            for r in db.execute(
                f"SELECT text FROM pages WHERE file_id = ? AND number IN ({','.join('?' * len(nums))}) ORDER BY number",
                [file_id, *nums],
            ).fetchall()
        ]
        texts.append("\n".join(parts))
    return texts


def save_decision(db: sqlite_utils.Database, submission_id: int, decision) -> None:
    """Replace the submission's findings and routing with a fresh decision."""
    conn = db.conn
    conn.execute("DELETE FROM findings WHERE submission_id = ?", (submission_id,))
    doc_ids = {
        t: i
        for i, t in conn.execute("SELECT id, type FROM documents WHERE submission_id = ? ORDER BY id DESC", (submission_id,))
    }
    for f in decision.findings:
        doc_id = doc_ids.get(f.documents[0]) if len(f.documents) == 1 else None
        conn.execute(
            "INSERT INTO findings (submission_id, document_id, rule, severity, message, fields, documents, source, "
            "evidence, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                submission_id,
                doc_id,
                f.rule,
                f.severity,
                f.message,
                json.dumps(f.fields, ensure_ascii=False),
                json.dumps(f.documents, ensure_ascii=False),
                f.source,
                json.dumps(f.evidence, ensure_ascii=False, default=str),
                now(),
            ),
        )
    row = conn.execute("SELECT status, decision FROM submissions WHERE id = ?", (submission_id,)).fetchone()
    status = decision.status
    if row and row[1]:
        status = row[0]  # a reviewer's approval or rejection is not undone by re-validation
    conn.execute(
        "UPDATE submissions SET packet = ?, status = ?, voucher_amount = ?, organization = ?, uscc = ?, year = ?, "
        "finding_count = ?, lists_used = ?, updated_at = ? WHERE id = ?",
        (
            decision.packet,
            status,
            decision.voucher_amount,
            decision.organization,
            decision.uscc,
            decision.year,
            len(decision.findings),
            # which list versions and budget the decision read (migration m0011)
            json.dumps(getattr(decision, "lists_used", None), ensure_ascii=False, default=str),
            now(),
            submission_id,
        ),
    )


def findings_of(db: sqlite_utils.Database, submission_id: int) -> list[Finding]:
    out = []
    for rule, sev, msg, fields, docs, source, evidence in db.execute(
        "SELECT rule, severity, message, fields, documents, source, evidence FROM findings "
        "WHERE submission_id = ? ORDER BY id",
        [submission_id],
    ).fetchall():
        out.append(
            Finding(rule, sev, msg, json.loads(fields or "[]"), json.loads(docs or "[]"), source or "",
                    json.loads(evidence or "{}"))
        )
    return out


def decide_and_save(db: sqlite_utils.Database, submission_id: int, as_of: date | None = None,
                    event: str = "decided"):
    """Validate a submission's stored documents and record the decision: the one place that does.

    Used by ingest and watch when a submission's files are done (`event` "decided") and by the
    review UI after an edit (`revalidate`). `as_of` None: the date the submission was received
    for. A submission whose every file was quarantined, and that no reviewer decided, is
    marked quarantined.
    """
    from .validation import SqliteHistory, decide

    if as_of is None:
        row = db.execute("SELECT as_of FROM submissions WHERE id = ?", [submission_id]).fetchone()
        as_of = date.fromisoformat(row[0]) if row and row[0] else date.today()
    docs = load_documents(db, submission_id)
    decision = decide(
        docs, as_of, history=SqliteHistory(db), page_texts=page_texts(db, submission_id), submission_id=submission_id
    )
    files = db.execute("SELECT status FROM files WHERE submission_id = ?", [submission_id]).fetchall()
    with transaction(db):
        save_decision(db, submission_id, decision)
        supplements.link(db.conn, submission_id)  # a supplement to a 退回补正 is linked as it is decided
        if files and all(s == "quarantined" for (s,) in files):
            db.conn.execute("UPDATE submissions SET status = 'quarantined' WHERE id = ? AND decision IS NULL",
                            (submission_id,))
        detail = decision.status if event == "decided" else f"{decision.status}; {len(decision.findings)} findings"
        log_event(db, event, detail, submission_id=submission_id)
    return decision


def revalidate(db: sqlite_utils.Database, submission_id: int, as_of: date | None = None):
    """Re-run the packet's validation from what is stored (after a reviewer's edit)."""
    return decide_and_save(db, submission_id, as_of, event="revalidated")


def unfinished_submissions(db: sqlite_utils.Database) -> list[tuple[int, str, str | None, str | None]]:
    """(id, name, source_path, as_of) of the submissions a run left in processing, oldest first."""
    return db.execute(
        "SELECT id, name, source_path, as_of FROM submissions WHERE status = 'processing' ORDER BY id"
    ).fetchall()
