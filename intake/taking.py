"""Taking inbox files into the archive: one submission row per inbox entry, each file archived
(hash read back) and recorded, or recorded as a duplicate, or quarantined with its reason.

The inbox copy is removed only after the archived copy is recorded, so a crash at any point is
finished by the next run without losing or double-counting a file (pipeline.py runs these steps).
"""
from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path

import sqlite_utils

from . import archive
from .db import log_event, now, transaction
from .errors import InputError, TransientError
from .inbox import Submission, open_for_writing
from .loaders import check_file, type_note
from .settings import Settings

log = logging.getLogger("docintake.pipeline")


def get_submission(db: sqlite_utils.Database, sub: Submission, as_of: date) -> int:
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


def relname(sub: Submission, path: Path) -> str:
    if sub.path == path:
        return path.name
    try:
        return str(path.relative_to(sub.path))
    except ValueError:
        return path.name


def quarantine_inbox_file(db, settings: Settings, sid: int, sub: Submission, path: Path, err: InputError,
                           sha: str | None = None, duplicate_of: int | None = None) -> None:
    """Record, then move: a crash between the two is finished by the next run, never counted twice."""
    name = relname(sub, path)
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


def take_file(db, settings: Settings, sid: int, sub: Submission, path: Path, writers: set[str] | None = None) -> None:
    """Archive one inbox file and record it, or record it as a duplicate, or quarantine it.

    The inbox copy is unlinked only after the archived copy was verified (its hash read
    back) and the inbox file is unchanged since it was hashed and not open for writing:
    a file still being written stays where it is and is taken by a later run, whole.
    """
    name = relname(sub, path)
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
        quarantine_inbox_file(db, settings, sid, sub, path, err)
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
        quarantine_inbox_file(db, settings, sid, sub, path, InputError(earlier[3] or "", earlier[2]), sha, earlier[0])
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


def remove_empty_dirs(folder: Path) -> None:
    if not folder.is_dir() or folder.is_symlink():
        return
    for dirpath, dirnames, filenames in os.walk(folder, topdown=False):
        try:
            os.rmdir(dirpath)
        except OSError:
            pass  # not empty: ignored (hidden) files stay where the user put them
