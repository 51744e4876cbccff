"""The intake pipeline: inbox → archive → pages → OCR → documents → decision.

Plain functions over plain data. Each file moves through states recorded in
the database (`archived` → `processed`, or `duplicate`, or `quarantined`), and
the inbox copy is removed only after the archived copy is recorded, so a crash
at any point is resumed by the next run without losing or double-processing a
file.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterator

import sqlite_utils
from PIL import Image

from . import archive, store
from .db import log_event, now, transaction
from .errors import InputError, LockedError, TransientError
from .inbox import Submission, discover
from .loaders import LoadedPage, check_file, encode_png, load
from .model import Document, Line, Page
from .ocr.runner import OcrJob, OcrRunner, cache_get, cache_key, cache_put, image_key, rotate
from .prefetch import Prefetcher

log = logging.getLogger("docintake.pipeline")

# Submissions whose pages are read ahead while the current one is extracted.
READ_AHEAD = 3


@dataclass
class Settings:
    data_dir: Path = Path("data")
    engine: str = "rapidocr"
    as_of: date | None = None
    workers: int | None = None
    progress: bool | None = None

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def pages_dir(self) -> Path:
        return self.data_dir / "pages"

    @property
    def locks_dir(self) -> Path:
        return self.data_dir / "locks"


# --- reading one file (no database) -----------------------------------------------------------


def _page_from_loaded(lp: LoadedPage, image_path: str, lines: list[Line], source: str, engine: str,
                      rotation: int, file_sha: str) -> Page:
    return Page(
        number=lp.number,
        width=lp.image.width,
        height=lp.image.height,
        dpi=lp.dpi,
        source=source,
        image_path=image_path,
        lines=tuple(lines),
        engine=engine,
        rotation=rotation,
        image_sha256=image_key(lp.image),
        file_sha256=file_sha,
    )


def read_pages(loaded: list[LoadedPage], pages_dir: Path, file_sha: str, runner: OcrRunner,
               db: sqlite_utils.Database | None = None, prefetch: Prefetcher | None = None
               ) -> tuple[list[Page], list[Image.Image]]:
    """Render, orient and read the pages of one file.

    Text-layer pages keep their own characters (exact, and ~100x faster than
    OCR); scanned pages are OCR'd in the runner's pool, with a cache by image
    content + engine settings when a database is given.
    """
    folder = pages_dir / file_sha[:2] / file_sha
    folder.mkdir(parents=True, exist_ok=True)
    paths, jobs, job_idx, cached = [], [], [], {}
    settings = runner.settings_key()
    for i, lp in enumerate(loaded):
        path = folder / f"{lp.number}.png"
        if not path.exists():
            archive.atomic_write_bytes(path, encode_png(lp.image))
        paths.append(path)
        if lp.text_lines is None:
            key = cache_key(lp.image, settings)
            hit = cache_get(db, key) if db is not None else None
            if hit is None and prefetch is not None:
                hit = prefetch.take_result(key)
                if hit is not None and db is not None:
                    cache_put(db, key, runner.engine, hit)
            if hit is not None:
                cached[i] = (hit, key)
            else:
                jobs.append(OcrJob(str(path), runner.engine))
                job_idx.append((i, key))
    results = dict(cached)
    for (i, key), res in zip(job_idx, runner.read(jobs)):
        results[i] = (res, key)
        if db is not None:
            cache_put(db, key, runner.engine, res)
    pages, images = [], []
    for i, lp in enumerate(loaded):
        image = lp.image
        if lp.text_lines is not None:
            pages.append(_page_from_loaded(lp, str(paths[i]), lp.text_lines, "text", "pdf-text", 0, file_sha))
        else:
            res, _ = results[i]
            if res.rotation:
                image = rotate(image, res.rotation)
                archive.atomic_write_bytes(paths[i], encode_png(image))
                lp = LoadedPage(lp.number, image, lp.dpi, None)
            pages.append(_page_from_loaded(lp, str(paths[i]), res.lines, "ocr", runner.engine, res.rotation, file_sha))
        images.append(image)
    return pages, images


def read_file(path: Path, runner: OcrRunner, pages_dir: Path) -> tuple[str, list[Page], list[Image.Image]]:
    """One file to pages (used by `extract`, which has no database)."""
    ext = check_file(path)
    sha = archive.sha256_file(path)
    loaded = load(path, ext)
    pages, images = read_pages(loaded, pages_dir, sha, runner)
    return sha, pages, images


def extract(pages: list[Page], images: list[Image.Image], file_name: str, engine: str) -> list[Document]:
    from extractors import extract_pages

    return extract_pages(pages, images, file_name, engine)


# --- ingest -----------------------------------------------------------------------------------


@contextmanager
def inbox_lock(settings: Settings, inbox: Path, wait: bool = True):
    """One ingest at a time per inbox (also taken by the watcher for each batch).

    The lock is keyed on the inbox alone, in the machine's lock folder, so two
    runs with different data folders (or databases) still exclude each other.
    """
    folder = Path(os.environ.get("DOCINTAKE_LOCK_DIR") or Path(tempfile.gettempdir()) / "docintake-locks")
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(str(Path(inbox).resolve()).encode()).hexdigest()[:16]
    lock_path = folder / f"ingest-{digest}.lock"
    with open(lock_path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            raise LockedError(f"另一个进程正在处理收件箱 {inbox}。Another process is ingesting {inbox}.") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass
class FileRecord:
    id: int
    name: str
    status: str
    sha256: str | None = None
    archive_path: str | None = None
    ext: str | None = None
    duplicate_of: int | None = None
    reason: str | None = None
    error: str | None = None


@dataclass
class SubmissionResult:
    id: int
    name: str
    files: list[FileRecord] = field(default_factory=list)


def _get_submission(db: sqlite_utils.Database, sub: Submission, as_of: date) -> int:
    """The submission row for an inbox entry; a crashed run's row is resumed, not duplicated."""
    row = db.execute(
        "SELECT id FROM submissions WHERE source_path = ? AND status = 'processing' ORDER BY id DESC LIMIT 1",
        [str(sub.path)],
    ).fetchone()
    if row:
        return row[0]
    with transaction(db):
        cur = db.conn.execute(
            "INSERT INTO submissions (name, source_path, received_at, as_of, status, updated_at) "
            "VALUES (?, ?, ?, ?, 'processing', ?)",
            (sub.name, str(sub.path), now(), as_of.isoformat(), now()),
        )
        log_event(db, "received", sub.name, submission_id=cur.lastrowid)
    return cur.lastrowid


def _relname(sub: Submission, path: Path) -> str:
    if sub.path == path:
        return path.name
    try:
        return str(path.relative_to(sub.path))
    except ValueError:
        return path.name


def _quarantine_inbox_file(db, settings: Settings, sid: int, sub: Submission, path: Path, err: InputError,
                           sha: str | None = None, duplicate_of: int | None = None) -> None:
    """Record, then move: a crash between the two is finished by the next run, never counted twice."""
    name = _relname(sub, path)
    try:
        size = path.lstat().st_size
    except FileNotFoundError:
        return
    pending = db.execute(
        "SELECT id, quarantine_path FROM files WHERE submission_id = ? AND name = ? AND status = 'quarantined' "
        "AND quarantine_path IS NOT NULL ORDER BY id DESC LIMIT 1",
        [sid, name],
    ).fetchone()
    if pending and not Path(pending[1]).exists() and not Path(pending[1]).is_symlink():
        dest = Path(pending[1])
    else:
        dest = archive.quarantine_destination(settings.quarantine_dir, path.name, sub.name)
        with transaction(db):
            cur = db.conn.execute(
                "INSERT INTO files (submission_id, name, sha256, ext, size, status, duplicate_of, reason, error, "
                "quarantine_path, received_at, processed_at) VALUES (?,?,?,?,?, 'quarantined', ?,?,?,?,?,?)",
                (sid, name, sha, path.suffix.lower(), size, duplicate_of, err.reason, err.message, str(dest),
                 now(), now()),
            )
            log_event(db, "quarantined", f"{name}: {err.message}", submission_id=sid, file_id=cur.lastrowid)
    try:
        archive.quarantine(path, dest, err.reason, err.message, sub.name)
    except FileNotFoundError:
        pass
    log.warning("quarantined %s: %s", name, err.message)


def _take_file(db, settings: Settings, sid: int, sub: Submission, path: Path) -> None:
    """Archive one inbox file and record it, or record it as a duplicate, or quarantine it."""
    name = _relname(sub, path)
    try:
        ext = check_file(path)
        sha = archive.sha256_file(path)
    except FileNotFoundError:
        return  # gone since discovery (another ingest took it, or the user removed it)
    except InputError as err:
        _quarantine_inbox_file(db, settings, sid, sub, path, err)
        return
    except OSError as err:
        raise TransientError(f"文件暂时无法读取（{err.strerror}），稍后重试。", "transient") from err

    mine = db.execute(
        "SELECT id FROM files WHERE submission_id = ? AND name = ? AND sha256 = ? AND status != 'requeued'",
        [sid, name, sha]
    ).fetchone()
    if mine:  # a crashed run recorded it but did not get to remove the inbox copy
        path.unlink(missing_ok=True)
        return
    earlier = db.execute(
        "SELECT id, status, reason, error FROM files WHERE sha256 = ? AND status IN ('archived','processed','quarantined') "
        "ORDER BY id LIMIT 1",
        [sha],
    ).fetchone()
    if earlier and earlier[1] == "quarantined":
        _quarantine_inbox_file(db, settings, sid, sub, path, InputError(earlier[3] or "", earlier[2]), sha, earlier[0])
        return
    if earlier:
        with transaction(db):
            cur = db.conn.execute(
                "INSERT INTO files (submission_id, name, sha256, ext, size, archive_path, status, duplicate_of, "
                "received_at, processed_at) SELECT ?, ?, sha256, ext, size, archive_path, 'duplicate', id, ?, ? "
                "FROM files WHERE id = ?",
                (sid, name, now(), now(), earlier[0]),
            )
            log_event(db, "duplicate", f"{name} = file {earlier[0]}", submission_id=sid, file_id=cur.lastrowid)
        path.unlink(missing_ok=True)
        return
    try:
        dest = archive.store(settings.archive_dir, path, sha, ext)
    except OSError as err:
        raise TransientError(f"归档失败（{err}），稍后重试。Archiving failed: {err}", "transient") from err
    with transaction(db):
        cur = db.conn.execute(
            "INSERT INTO files (submission_id, name, sha256, ext, size, archive_path, status, received_at) "
            "VALUES (?,?,?,?,?,?, 'archived', ?)",
            (sid, name, sha, ext, dest.stat().st_size, str(dest), now()),
        )
        log_event(db, "archived", f"{name} -> {dest}", submission_id=sid, file_id=cur.lastrowid)
    path.unlink()


def _quarantine_archived(db, settings: Settings, sid: int, sub_name: str, file_id: int, name: str,
                         archive_path: str, err: InputError) -> None:
    """A file that passed the first checks but failed later: a copy goes to quarantine, the original stays archived."""
    dest = archive.quarantine_destination(settings.quarantine_dir, Path(name).name, sub_name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(archive_path, dest)
    (dest.parent / f"{dest.name}.error.txt").write_text(f"{err.message}\nreason: {err.reason}\n", "utf-8")
    with transaction(db):
        db.conn.execute(
            "UPDATE files SET status = 'quarantined', reason = ?, error = ?, quarantine_path = ?, processed_at = ? "
            "WHERE id = ?",
            (err.reason, err.message, str(dest), now(), file_id),
        )
        log_event(db, "quarantined", f"{name}: {err.message}", submission_id=sid, file_id=file_id)


def _store_pages(db, file_id: int, pages: list[Page]) -> list[Page]:
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


def _process_archived(db, settings: Settings, runner: OcrRunner, sid: int, sub_name: str,
                      prefetch: Prefetcher | None = None) -> None:
    rows = db.execute(
        "SELECT id, name, sha256, ext, archive_path FROM files WHERE submission_id = ? AND status = 'archived' "
        "ORDER BY id",
        [sid],
    ).fetchall()
    for file_id, name, sha, ext, apath in rows:
        try:
            loaded = (prefetch.take_loaded(sha) if prefetch else None) or load(Path(apath), ext)
            pages, images = read_pages(loaded, settings.pages_dir, sha, runner, db, prefetch)
        except InputError as err:
            _quarantine_archived(db, settings, sid, sub_name, file_id, name, apath, err)
            continue
        documents = extract(pages, images, name, runner.engine)
        with transaction(db):
            stored = _store_pages(db, file_id, pages)
            store.save_documents(db, sid, file_id, documents)
            db.conn.execute(
                "UPDATE files SET status = 'processed', page_count = ?, processed_at = ? WHERE id = ?",
                (len(stored), now(), file_id),
            )
            log_event(db, "ocr", f"{name}: {len(pages)} pages, {len(documents)} documents", sid, file_id)


def _copy_duplicates(db, sid: int) -> None:
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


def _remove_empty_dirs(folder: Path) -> None:
    if not folder.is_dir() or folder.is_symlink():
        return
    for dirpath, dirnames, filenames in os.walk(folder, topdown=False):
        try:
            os.rmdir(dirpath)
        except OSError:
            pass  # not empty: ignored (hidden) files stay where the user put them


def decide_submission(db, sid: int, as_of: date) -> dict:
    """Validate the stored documents of a submission and record the decision."""
    from .validation import SqliteHistory, decide

    docs = store.load_documents(db, sid)
    files = db.execute("SELECT id, status FROM files WHERE submission_id = ?", [sid]).fetchall()
    decision = decide(docs, as_of, history=SqliteHistory(db), page_texts=store.page_texts(db, sid),
                      submission_id=sid)
    with transaction(db):
        store.save_decision(db, sid, decision)
        if files and all(s == "quarantined" for _, s in files):
            db.conn.execute("UPDATE submissions SET status = 'quarantined' WHERE id = ?", (sid,))
        log_event(db, "decided", decision.status, submission_id=sid)
    return submission_json(db, sid)


def submission_json(db, sid: int) -> dict:
    """The contract's section 3 line for a submission."""
    name, packet, status, amount = db.execute(
        "SELECT name, packet, status, voucher_amount FROM submissions WHERE id = ?", [sid]
    ).fetchone()
    documents = [
        {"file": f, "type": t}
        for f, t in db.execute(
            "SELECT f.name, d.type FROM documents d JOIN files f ON f.id = d.file_id WHERE d.submission_id = ? "
            "ORDER BY f.id, d.idx",
            [sid],
        ).fetchall()
    ]
    findings = [
        {"rule": f.rule, "severity": f.severity, "message": f.message, "documents": f.documents}
        for f in store.findings_of(db, sid)
    ]
    errors = [
        {"file": n, "error": e}
        for n, e in db.execute(
            "SELECT name, error FROM files WHERE submission_id = ? AND status = 'quarantined' ORDER BY id", [sid]
        ).fetchall()
    ]
    return {
        "submission": name,
        "packet": packet,
        "status": status,
        "documents": documents,
        "voucher_amount": amount if packet == "voucher_redemption" else None,
        "findings": findings,
        "errors": errors,
    }


def ingest_submission(db, settings: Settings, runner: OcrRunner, sub: Submission,
                      prefetch: Prefetcher | None = None) -> dict:
    as_of = settings.as_of or date.today()
    sid = _get_submission(db, sub, as_of)
    for path, reason in sub.rejected:
        err = InputError(reason, "unreadable_folder")
        if path.is_dir():
            # A folder we will not descend into: its files are quarantined as a unit.
            for p in sorted(path.rglob("*")):
                if p.is_file() or p.is_symlink():
                    _quarantine_inbox_file(db, settings, sid, sub, p, err)
        else:
            _quarantine_inbox_file(db, settings, sid, sub, path, err)
    for path in sub.files:
        _take_file(db, settings, sid, sub, path)
    _process_archived(db, settings, runner, sid, sub.name, prefetch)
    _copy_duplicates(db, sid)
    if sub.path.is_dir():
        _remove_empty_dirs(sub.path)
    return decide_submission(db, sid, as_of)


def resume_unfinished(db, settings: Settings, runner: OcrRunner, pending: set[str]) -> Iterator[dict]:
    """Finish submissions a crashed run left half done whose inbox entry holds nothing more.

    Those still in the inbox (`pending`) are resumed by the normal pass, so that
    a folder's remaining files join the same submission.
    """
    for sid, name, source, as_of in db.execute(
        "SELECT id, name, source_path, as_of FROM submissions WHERE status = 'processing' ORDER BY id"
    ).fetchall():
        if source in pending:
            continue
        _process_archived(db, settings, runner, sid, name)
        _copy_duplicates(db, sid)
        yield decide_submission(db, sid, date.fromisoformat(as_of) if as_of else (settings.as_of or date.today()))


def ingest(inbox: Path, db: sqlite_utils.Database, settings: Settings, runner: OcrRunner | None = None
           ) -> Iterator[dict]:
    """Process everything now in the inbox once; yields one contract line per submission."""
    inbox = Path(inbox).resolve()  # stored paths must not depend on the caller's working directory
    own_runner = runner is None
    runner = runner or OcrRunner(settings.engine, settings.workers, settings.progress)
    prefetch = Prefetcher(runner, settings.pages_dir, db)
    try:
        with inbox_lock(settings, inbox):
            submissions = discover(inbox)
            yield from resume_unfinished(db, settings, runner, {str(s.path) for s in submissions})
            for i, sub in enumerate(submissions):
                # this submission's pages first, then the next ones', while this one is extracted
                prefetch.ahead(submissions[i : i + READ_AHEAD])
                try:
                    yield ingest_submission(db, settings, runner, sub, prefetch)
                except TransientError as err:
                    log.warning("will retry %s later: %s", sub.name, err.message)
                finally:
                    prefetch.forget(sub)
    finally:
        prefetch.close()
        if own_runner:
            runner.close()


def dump_line(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False)
