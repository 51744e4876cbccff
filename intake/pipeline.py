"""The intake pipeline: inbox → archive → pages → OCR → documents → decision.

Plain functions over plain data. This module runs the steps (one submission's ingest, resume,
the inbox pass); taking inbox files into the archive is in taking.py, the archived files'
records (attempts, quarantine, pages, duplicates) in archived.py, the settings in settings.py
and the contract line in outcome.py. Each file moves through states recorded in
the database (`archived` → `processed`, or `duplicate`, or `quarantined`), and
the inbox copy is removed only after the archived copy is recorded, so a crash
at any point is resumed by the next run without losing or double-processing a
file.
"""
from __future__ import annotations

import json
import logging
import time
import traceback
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

import sqlite_utils

from . import archive, locks, store, webimages
from .archived import copy_duplicates, count_attempt, quarantine_archived, store_pages, unexpected
from .db import log_event, now, transaction
from .errors import DatabaseError, EngineError, InputError, LockedError, TooLargeError, TransientError
from .inbox import Submission, discover, open_for_writing, wait_settled
from .loaders import check_file
from .model import Document, Page, RegionReader
from .ocr.runner import OcrRunner
from .outcome import submission_json
from .pages import load_to_disk, read_pages
from .prefetch import Prefetcher
from .reader import OcrReader
from .reconcile import reconcile_submission
from .settings import MAX_ATTEMPTS, Settings
from .taking import get_submission, quarantine_inbox_file, remove_empty_dirs, take_file

__all__ = ["MAX_ATTEMPTS", "Settings", "decide_submission", "dump_line", "extract", "inbox_lock", "ingest",
           "ingest_submission", "read_file", "resume_submission", "resume_unfinished", "submission_json"]

log = logging.getLogger("docintake.pipeline")

# Submissions whose pages are read ahead while the current one is extracted.
READ_AHEAD = 3


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
        attempt = count_attempt(db, file_id)
        if attempt > settings.max_attempts:
            quarantine_archived(db, settings, sid, sub_name, file_id, name, apath, InputError(
                f"该文件已处理失败 {attempt - 1} 次（出错或程序中断，例如内存不足），已隔离，不再自动重试。"
                f"Processing this file failed {attempt - 1} times; quarantined instead of retried forever.",
                "repeated_failure"))
            continue
        try:
            loaded = (prefetch.take_loaded(sha) if prefetch else None) or load_to_disk(
                Path(apath), ext, settings.pages_dir, sha, webimages.wanted(db))
            pages, _ = read_pages(loaded, settings.pages_dir, sha, runner, db, prefetch,
                                  settings.verify_text_layer)
            del loaded  # the pages are on disk: extraction opens them a few at a time
            documents = extract(pages, [p.image_path for p in pages], name, runner.engine, OcrReader(runner, db))
        except InputError as err:
            quarantine_archived(db, settings, sid, sub_name, file_id, name, apath, err)
            continue
        except (EngineError, DatabaseError):
            raise  # not this file's fault: stop, the file stays archived and is resumed
        except MemoryError as exc:
            quarantine_archived(db, settings, sid, sub_name, file_id, name, apath, TooLargeError(
                "文件太大，处理时内存不足，已隔离。The file does not fit in memory."), traceback.format_exc())
            del exc
            continue
        except BrokenProcessPool as exc:  # an OCR worker died on one of its pages (killed for memory?)
            runner.reset()
            log.error("an OCR worker died reading %s", name)
            quarantine_archived(db, settings, sid, sub_name, file_id, name, apath, InputError(
                "识别该文件时识别进程异常退出（可能内存不足），已隔离。An OCR worker died reading this file.",
                "processing_error"), "".join(traceback.format_exception(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - one odd file must never stop intake
            log.error("processing %s failed", name, exc_info=True)
            quarantine_archived(db, settings, sid, sub_name, file_id, name, apath, unexpected(exc),
                                 "".join(traceback.format_exception(exc)))
            continue
        with transaction(db):
            stored = store_pages(db, file_id, pages)
            store.save_documents(db, sid, file_id, documents)
            db.conn.execute(
                "UPDATE files SET status = 'processed', page_count = ?, processed_at = ? WHERE id = ?",
                (len(stored), now(), file_id),
            )
            log_event(db, "ocr", f"{name}: {len(pages)} pages, {len(documents)} documents", sid, file_id)
        webimages.encode_later(db, pages)  # the viewer's WebPs, off the main thread (intake/webimages.py)
    reconcile_submission(db, runner, sid)  # re-read values two documents give differently (reconcile.py)


def decide_submission(db, sid: int, as_of: date | None = None) -> dict:
    """Validate and record the decision (`store.decide_and_save`); the submission's contract line."""
    store.decide_and_save(db, sid, as_of)
    return submission_json(db, sid)


def ingest_submission(db, settings: Settings, runner: OcrRunner, sub: Submission,
                      prefetch: Prefetcher | None = None) -> dict:
    as_of = settings.as_of or date.today()
    sid = get_submission(db, sub, as_of)
    for path, reason in sub.rejected:
        err = InputError(reason, "unreadable_folder")
        if path.is_dir():
            # A folder we will not descend into: its files are quarantined as a unit.
            for p in sorted(path.rglob("*")):
                if p.is_file() or p.is_symlink():
                    quarantine_inbox_file(db, settings, sid, sub, p, err)
        else:
            quarantine_inbox_file(db, settings, sid, sub, path, err)
    writers = open_for_writing(sub.path if sub.path.is_dir() else sub.path.parent)
    for path in sub.files:
        try:
            take_file(db, settings, sid, sub, path, writers)
        except (TransientError, DatabaseError, EngineError):
            raise
        except Exception as exc:  # noqa: BLE001 - an odd file in the inbox never stops the run
            log.error("taking %s failed", path, exc_info=True)
            quarantine_inbox_file(db, settings, sid, sub, path, unexpected(exc))
    _process_archived(db, settings, runner, sid, sub.name, prefetch)
    copy_duplicates(db, sid)
    if sub.path.is_dir():
        remove_empty_dirs(sub.path)
    return decide_submission(db, sid, as_of)


def resume_submission(db, settings: Settings, runner: OcrRunner, sid: int, name: str, source: str | None,
                      as_of: str | None) -> dict:
    """Finish a submission a crashed run left half done (from the archive); used by ingest and watch."""
    _process_archived(db, settings, runner, sid, name)
    copy_duplicates(db, sid)
    if source:
        remove_empty_dirs(Path(source))  # the folders the crashed run had emptied
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


def _warming(runner):
    """`wait_settled`'s sleep: a wait for fresh files (new ones, as a rule) lets the workers load their models."""
    def sleep(seconds: float) -> None:
        warm = getattr(runner, "warm", None)
        if warm is not None:
            warm()
        time.sleep(seconds)
    return sleep


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
            submissions, busy = wait_settled(found, settings.settle, inbox, sleep=_warming(runner))
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
