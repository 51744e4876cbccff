"""The records of a submission's archived files while the pipeline reads them: attempts counted,
a failed file quarantined (its archived original stays), pages and OCR lines stored, and
duplicates given the earlier file's documents.
"""
from __future__ import annotations

import logging
import shutil
from pathlib import Path

from . import archive, store
from .db import log_event, now, transaction
from .errors import InputError
from .model import Document, Page
from .settings import Settings

log = logging.getLogger("docintake.pipeline")


def quarantine_archived(db, settings: Settings, sid: int, sub_name: str, file_id: int, name: str,
                         archive_path: str, err: InputError, detail: str = "") -> None:
    """A file that passed the first checks but failed later: a copy goes to quarantine, the original stays archived.

    `detail` (a traceback) is for operators: it goes to the `.error.txt` note and the event log,
    never to the message staff read.
    """
    dest = archive.quarantine_destination(settings.quarantine_dir, Path(name).name, sub_name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copyfile(archive_path, dest)
    except OSError as exc:  # the archived copy is unreadable: the record still says why
        log.error("could not copy %s to quarantine: %s", archive_path, exc)
    (dest.parent / f"{dest.name}.error.txt").write_text(
        f"{err.message}\nreason: {err.reason}\n" + (f"\n{detail}" if detail else ""), "utf-8")
    with transaction(db):
        db.conn.execute(
            "UPDATE files SET status = 'quarantined', reason = ?, error = ?, quarantine_path = ?, processed_at = ? "
            "WHERE id = ?",
            (err.reason, err.message, str(dest), now(), file_id),
        )
        log_event(db, "quarantined", f"{name}: {err.message}" + (f"\n{detail}" if detail else ""),
                  submission_id=sid, file_id=file_id)
    log.warning("quarantined %s: %s", name, err.message)


def count_attempt(db, file_id: int) -> int:
    """Record that processing of a file starts; returns the attempt number (1 for the first).

    Committed before the work, so a crash (an OOM kill, SIGKILL) counts too.
    """
    with transaction(db):
        db.conn.execute("UPDATE files SET attempts = COALESCE(attempts, 0) + 1 WHERE id = ?", (file_id,))
        return db.execute("SELECT attempts FROM files WHERE id = ?", [file_id]).fetchone()[0]


def unexpected(exc: BaseException) -> InputError:
    return InputError(
        f"处理该文件时发生意外错误（{type(exc).__name__}），已将其隔离，其他文件照常处理；技术细节见隔离说明。"
        f"Unexpected error while processing this file ({type(exc).__name__}: {exc}).",
        "processing_error",
    )


def store_pages(db, file_id: int, pages: list[Page]) -> list[Page]:
    stored = []
    db.conn.execute("DELETE FROM ocr_words WHERE page_id IN (SELECT id FROM pages WHERE file_id = ?)", (file_id,))
    db.conn.execute("DELETE FROM ocr_lines WHERE page_id IN (SELECT id FROM pages WHERE file_id = ?)", (file_id,))
    db.conn.execute("DELETE FROM pages WHERE file_id = ?", (file_id,))
    for p in pages:
        cur = db.conn.execute(
            "INSERT INTO pages (file_id, number, width, height, dpi, source, engine, rotation, image_path, "
            "image_sha256, text) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (file_id, p.number, p.width, p.height, p.dpi, p.source, p.engine, p.rotation, p.image_path,
             p.image_sha256, p.text),
        )
        pid = cur.lastrowid
        db.conn.executemany(
            "INSERT INTO ocr_lines (page_id, idx, text, x0, y0, x1, y1, confidence) VALUES (?,?,?,?,?,?,?,?)",
            [(pid, i, l.text, *l.bbox, l.confidence) for i, l in enumerate(p.lines)],
        )
        db.conn.executemany(
            "INSERT INTO ocr_words (page_id, line_idx, text, x0, y0, x1, y1, confidence) VALUES (?,?,?,?,?,?,?,?)",
            [(pid, i, w.text, *w.bbox, w.confidence) for i, l in enumerate(p.lines) for w in l.words],
        )
        stored.append(Page(**{**p.__dict__, "page_id": pid}))
    return stored


def copy_duplicates(db, sid: int) -> None:
    """Duplicates reuse the earlier file's documents: no second OCR or extraction."""
    for file_id, original in db.execute(
        "SELECT id, duplicate_of FROM files WHERE submission_id = ? AND status = 'duplicate' AND id NOT IN "
        "(SELECT file_id FROM documents WHERE submission_id = ?)",
        [sid, sid],
    ).fetchall():
        src = db.execute(
            "SELECT submission_id FROM documents WHERE file_id = ? LIMIT 1", [original]
        ).fetchone()
        if not src:
            continue
        docs = [d for d in store.load_documents(db, src[0]) if _doc_file_id(db, d) == original]
        for d in docs:
            for fv in d.fields.values():
                fv.source = "extractor"  # a correction made on the other submission is not this one's
        with transaction(db):
            store.save_documents(db, sid, file_id, docs)


def _doc_file_id(db, doc: Document) -> int | None:
    row = db.execute("SELECT file_id FROM documents WHERE id = ?", [doc.document_id]).fetchone()
    return row[0] if row else None
