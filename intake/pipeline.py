"""The intake pipeline: inbox → archive → pages → OCR → documents → decision.

Plain functions over plain data. Each file moves through states recorded in
the database (`archived` → `processed`, or `duplicate`, or `quarantined`), and
the inbox copy is removed only after the archived copy is recorded, so a crash
at any point is resumed by the next run without losing or double-processing a
file.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import traceback
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

import sqlite_utils

from . import archive, locks, store, webimages
from .db import log_event, now, transaction
from .errors import DatabaseError, EngineError, InputError, LockedError, TooLargeError, TransientError
from .inbox import Submission, discover, open_for_writing, wait_settled
from .loaders import check_file, type_note
from .model import Document, Page, RegionReader
from .ocr.runner import OcrRunner
from .pages import load_to_disk, read_pages
from .prefetch import Prefetcher
from .reader import OcrReader

log = logging.getLogger("docintake.pipeline")

# Submissions whose pages are read ahead while the current one is extracted.
READ_AHEAD = 3


# A file whose processing failed (or crashed the process) this many times is quarantined.
MAX_ATTEMPTS = 3


@dataclass
class Settings:
    data_dir: Path = Path("data")
    engine: str = "rapidocr"
    as_of: date | None = None
    workers: int | None = None
    progress: bool | None = None
    settle: float = 2.0  # seconds a file's mtime must lie in the past before `ingest` takes it
    max_attempts: int = MAX_ATTEMPTS
    verify_text_layer: bool = True  # OCR spot check of text layers (a broken ToUnicode map reads as garbage)

    def __post_init__(self) -> None:
        # Stored paths (archive, pages, quarantine) must not depend on the working directory.
        self.data_dir = Path(self.data_dir).resolve()

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


def read_file(path: Path, runner: OcrRunner, pages_dir: Path) -> tuple[str, list[Page], list[str]]:
    """One file to pages and the paths of their images (used by `extract`, which has no database)."""
    ext = check_file(path)
    sha = archive.sha256_file(path)
    loaded = load_to_disk(path, ext, pages_dir, sha)
    pages, _ = read_pages(loaded, pages_dir, sha, runner)
    return sha, pages, [p.image_path for p in pages]


def extract(pages: list[Page], images: list, file_name: str, engine: str,
            reader: RegionReader | None = None) -> list[Document]:
    """Pages to documents. `images` are the page images or their paths: paths are opened only while
    extraction needs them, a few at a time (extractors/pageimages.py). `reader` re-reads regions
    (an `OcrReader` through the pipeline's runner and cache; in-process engines when None)."""
    from extractors import extract_pages

    if reader is None:
        from .reader import EngineReader

        reader = EngineReader(engine)
    return extract_pages(pages, images, file_name, engine, reader=reader)


# --- ingest -----------------------------------------------------------------------------------


@contextmanager
def inbox_lock(settings: Settings, inbox: Path, wait: bool = True, db=None):
    """One ingest at a time per inbox (also taken by the watcher for each batch).

    Held in `<data>/locks/` (not the temp directory, which systemd makes private per
    service) and, when the database lives elsewhere, in the database folder's `locks/` as
    well, so two runs on one database exclude each other whatever their `--data-dir`.
    """
    dirs = [settings.locks_dir]
    folder = locks.db_folder(db) if db is not None else None
    if folder is not None:
        dirs.append(folder / "locks")
    with locks.inbox_lock(dirs, inbox, wait):
        yield


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


def _same_file(st0: os.stat_result, st1: os.stat_result) -> bool:
    return (st0.st_ino, st0.st_size, st0.st_mtime_ns) == (st1.st_ino, st1.st_size, st1.st_mtime_ns)


def _settled_since(path: Path, st0: os.stat_result, writers: set[str]) -> None:
    """Raise `TransientError` unless `path` is unchanged since `st0` and not open for writing."""
    try:
        st1 = path.lstat()
    except FileNotFoundError:
        raise TransientError("文件在处理过程中被移走，稍后重试。The file went away while it was archived.") from None
    if not _same_file(st0, st1) or str(path) in writers or str(path) in open_for_writing(path.parent):
        raise TransientError("文件仍在写入（大小或修改时间在变化），稍后重试。The file is still being written.")


def _take_file(db, settings: Settings, sid: int, sub: Submission, path: Path, writers: set[str] | None = None) -> None:
    """Archive one inbox file and record it, or record it as a duplicate, or quarantine it.

    The inbox copy is unlinked only after the archived copy was verified (its hash read
    back) and the inbox file is unchanged since it was hashed and not open for writing:
    a file still being written stays where it is and is taken by a later run, whole.
    """
    name = _relname(sub, path)
    writers = writers or set()
    try:
        st0 = path.lstat()
        ext = check_file(path)
        if str(path) in writers:
            raise TransientError("文件仍在写入，稍后重试。The file is still open for writing.")
        sha = archive.sha256_file(path)
    except FileNotFoundError:
        return  # gone since discovery (another ingest took it, or the user removed it)
    except InputError as err:
        _quarantine_inbox_file(db, settings, sid, sub, path, err)
        return
    except TransientError:
        raise
    except OSError as err:
        raise TransientError(f"文件暂时无法读取（{err.strerror}），稍后重试。", "transient") from err
    note = type_note(path, ext)

    mine = db.execute(
        "SELECT id, archive_path FROM files WHERE submission_id = ? AND name = ? AND sha256 = ? "
        "AND status != 'requeued'",
        [sid, name, sha]
    ).fetchone()
    if mine:  # a crashed run recorded it but did not get to remove the inbox copy
        if mine[1]:
            _verified_copy(settings, path, sha, ext)
        _settled_since(path, st0, writers)
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
    dest = _verified_copy(settings, path, sha, ext)  # a duplicate's earlier copy is checked too
    _settled_since(path, st0, writers)
    if earlier:
        with transaction(db):
            cur = db.conn.execute(
                "INSERT INTO files (submission_id, name, sha256, ext, size, archive_path, status, duplicate_of, "
                "received_at, processed_at, note) SELECT ?, ?, sha256, ext, size, archive_path, 'duplicate', id, ?, ?, ? "
                "FROM files WHERE id = ?",
                (sid, name, now(), now(), note, earlier[0]),
            )
            log_event(db, "duplicate", f"{name} = file {earlier[0]}", submission_id=sid, file_id=cur.lastrowid)
        path.unlink(missing_ok=True)
        return
    with transaction(db):
        cur = db.conn.execute(
            "INSERT INTO files (submission_id, name, sha256, ext, size, archive_path, status, received_at, note) "
            "VALUES (?,?,?,?,?,?, 'archived', ?, ?)",
            (sid, name, sha, ext, dest.stat().st_size, str(dest), now(), note),
        )
        log_event(db, "archived", f"{name} -> {dest}", submission_id=sid, file_id=cur.lastrowid)
        if note:
            log_event(db, "type_mismatch", f"{name}: {note}", submission_id=sid, file_id=cur.lastrowid)
    path.unlink()


def _verified_copy(settings: Settings, path: Path, sha: str, ext: str) -> Path:
    """The archived copy of `path`, written if missing, its hash read back either way."""
    try:
        return archive.store(settings.archive_dir, path, sha, ext)
    except OSError as err:
        raise TransientError(f"归档失败（{err}），稍后重试。Archiving failed: {err}", "transient") from err


def _quarantine_archived(db, settings: Settings, sid: int, sub_name: str, file_id: int, name: str,
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


def _count_attempt(db, file_id: int) -> int:
    """Record that processing of a file starts; returns the attempt number (1 for the first).

    Committed before the work, so a crash (an OOM kill, SIGKILL) counts too.
    """
    with transaction(db):
        db.conn.execute("UPDATE files SET attempts = COALESCE(attempts, 0) + 1 WHERE id = ?", (file_id,))
        return db.execute("SELECT attempts FROM files WHERE id = ?", [file_id]).fetchone()[0]


def _unexpected(exc: BaseException) -> InputError:
    return InputError(
        f"处理该文件时发生意外错误（{type(exc).__name__}），已将其隔离，其他文件照常处理；技术细节见隔离说明。"
        f"Unexpected error while processing this file ({type(exc).__name__}: {exc}).",
        "processing_error",
    )


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
    """Load, read and extract each archived file of a submission; one file's failure quarantines that file only."""
    rows = db.execute(
        "SELECT id, name, sha256, ext, archive_path FROM files WHERE submission_id = ? AND status = 'archived' "
        "ORDER BY id",
        [sid],
    ).fetchall()
    if rows:
        runner.settings_key()  # load the engine first: a kill while models load is not the file's fault
    for file_id, name, sha, ext, apath in rows:
        attempt = _count_attempt(db, file_id)
        if attempt > settings.max_attempts:
            _quarantine_archived(db, settings, sid, sub_name, file_id, name, apath, InputError(
                f"该文件已处理失败 {attempt - 1} 次（出错或程序中断，例如内存不足），已隔离，不再自动重试。"
                f"Processing this file failed {attempt - 1} times; quarantined instead of retried forever.",
                "repeated_failure"))
            continue
        try:
            loaded = (prefetch.take_loaded(sha) if prefetch else None) or load_to_disk(
                Path(apath), ext, settings.pages_dir, sha)
            pages, _ = read_pages(loaded, settings.pages_dir, sha, runner, db, prefetch,
                                  settings.verify_text_layer)
            del loaded  # the pages are on disk: extraction opens them a few at a time
            documents = extract(pages, [p.image_path for p in pages], name, runner.engine, OcrReader(runner, db))
        except InputError as err:
            _quarantine_archived(db, settings, sid, sub_name, file_id, name, apath, err)
            continue
        except (EngineError, DatabaseError):
            raise  # not this file's fault: stop, the file stays archived and is resumed
        except MemoryError as exc:
            _quarantine_archived(db, settings, sid, sub_name, file_id, name, apath, TooLargeError(
                "文件太大，处理时内存不足，已隔离。The file does not fit in memory."), traceback.format_exc())
            del exc
            continue
        except BrokenProcessPool as exc:  # an OCR worker died on one of its pages (killed for memory?)
            runner.reset()
            log.error("an OCR worker died reading %s", name)
            _quarantine_archived(db, settings, sid, sub_name, file_id, name, apath, InputError(
                "识别该文件时识别进程异常退出（可能内存不足），已隔离。An OCR worker died reading this file.",
                "processing_error"), "".join(traceback.format_exception(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - one odd file must never stop intake
            log.error("processing %s failed", name, exc_info=True)
            _quarantine_archived(db, settings, sid, sub_name, file_id, name, apath, _unexpected(exc),
                                 "".join(traceback.format_exception(exc)))
            continue
        with transaction(db):
            stored = _store_pages(db, file_id, pages)
            store.save_documents(db, sid, file_id, documents)
            db.conn.execute(
                "UPDATE files SET status = 'processed', page_count = ?, processed_at = ? WHERE id = ?",
                (len(stored), now(), file_id),
            )
            log_event(db, "ocr", f"{name}: {len(pages)} pages, {len(documents)} documents", sid, file_id)
        webimages.encode_later(db, pages)  # the viewer's WebPs, off the main thread (intake/webimages.py)


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


def decide_submission(db, sid: int, as_of: date | None = None) -> dict:
    """Validate and record the decision (`store.decide_and_save`); the submission's contract line."""
    store.decide_and_save(db, sid, as_of)
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
        "voucher_amount": amount,  # only a packet with a voucher_cap rule computes one
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
    writers = open_for_writing(sub.path if sub.path.is_dir() else sub.path.parent)
    for path in sub.files:
        try:
            _take_file(db, settings, sid, sub, path, writers)
        except (TransientError, DatabaseError, EngineError):
            raise
        except Exception as exc:  # noqa: BLE001 - an odd file in the inbox never stops the run
            log.error("taking %s failed", path, exc_info=True)
            _quarantine_inbox_file(db, settings, sid, sub, path, _unexpected(exc))
    _process_archived(db, settings, runner, sid, sub.name, prefetch)
    _copy_duplicates(db, sid)
    if sub.path.is_dir():
        _remove_empty_dirs(sub.path)
    return decide_submission(db, sid, as_of)


def resume_submission(db, settings: Settings, runner: OcrRunner, sid: int, name: str, source: str | None,
                      as_of: str | None) -> dict:
    """Finish a submission a crashed run left half done (from the archive); used by ingest and watch."""
    _process_archived(db, settings, runner, sid, name)
    _copy_duplicates(db, sid)
    if source:
        _remove_empty_dirs(Path(source))  # the folders the crashed run had emptied
    return decide_submission(db, sid, date.fromisoformat(as_of) if as_of else (settings.as_of or date.today()))


def resume_unfinished(db, settings: Settings, runner: OcrRunner, skip: Callable[[str | None], bool],
                      guard: Callable[[], AbstractContextManager] | None = None) -> Iterator[dict]:
    """Finish submissions a crashed run left half done; used by ingest and watch.

    `skip(source_path)` names those left to the normal pass (still in the inbox, so that a
    folder's remaining files join the same submission) or to another inbox's run; `guard()`
    is entered around each one (the watcher's non-blocking inbox lock; its `LockedError`
    ends the round). One that fails is logged and left for the next run (its files count
    their attempts): it never blocks newer work. Engine and database errors are not the
    submission's fault and stop the round.
    """
    for sid, name, source, as_of in store.unfinished_submissions(db):
        if skip(source):
            continue
        try:
            with guard() if guard is not None else nullcontext():
                line = resume_submission(db, settings, runner, sid, name, source, as_of)
        except (DatabaseError, EngineError, LockedError, KeyboardInterrupt):
            raise
        except Exception:  # noqa: BLE001
            log.error("resuming submission %s (%s) failed; newer work goes on", sid, name, exc_info=True)
            continue
        yield line


def ingest(inbox: Path, db: sqlite_utils.Database, settings: Settings, runner: OcrRunner | None = None
           ) -> Iterator[dict]:
    """Process everything now in the inbox once; yields one contract line per submission.

    Refuses an inbox that holds the data folder or the database (or lies in the data
    folder). Entries modified within `settings.settle` seconds (or open for writing) are
    waited for a little; what keeps changing is left for a later run.
    """
    inbox = Path(inbox).resolve()  # stored paths must not depend on the caller's working directory
    locks.check_separate(inbox, settings.data_dir, locks.db_file(db))
    own_runner = runner is None
    runner = runner or OcrRunner(settings.engine, settings.workers, settings.progress)
    prefetch = Prefetcher(runner, settings.pages_dir, db)
    try:
        with inbox_lock(settings, inbox, db=db):
            found = discover(inbox)
            submissions, busy = wait_settled(found, settings.settle, inbox)
            for sub in busy:
                log.warning("leaving %s for a later run: it is still being written", sub.name)
            pending = {str(s.path) for s in found}
            yield from resume_unfinished(db, settings, runner, lambda source: source in pending)
            for i, sub in enumerate(submissions):
                # this submission's pages first, then the next ones', while this one is extracted
                prefetch.ahead(submissions[i : i + READ_AHEAD])
                try:
                    yield ingest_submission(db, settings, runner, sub, prefetch)
                except TransientError as err:
                    log.warning("will retry %s later: %s", sub.name, err.message)
                except (DatabaseError, EngineError):
                    raise
                except Exception:  # noqa: BLE001 - the next submission still gets its turn
                    log.error("processing %s failed; it is resumed by the next run", sub.name, exc_info=True)
                finally:
                    prefetch.forget(sub)
    finally:
        prefetch.close()
        if own_runner:
            runner.close()


def dump_line(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False)
