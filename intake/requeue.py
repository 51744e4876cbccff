"""Putting a quarantined file back in the queue (from the CLI or the review UI's button).

The file goes back where it came from: into the inbox (the parent folder of the
submission's `source_path`, unless another inbox is given), in a folder named after
its submission, under its original relative name. Its `.error.txt` note is removed, an
event recorded, and the file row's status becomes `requeued` (the row is kept: it is
the history of what happened to that upload).

If the submission is still undecided, it is reopened (status `processing`) so that the
re-queued file is processed *into the same submission* and the whole packet is
validated again with it; a submission a reviewer already decided is left alone and the
file arrives as a new submission of the same name.

A file whose original is already in the archive (it failed after archiving, e.g. a page
that could not be rendered) does not need the inbox: its row goes back to `archived`
and the reopened submission is finished by the next `ingest` or by the watcher.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import click

from . import archive
from .db import log_event, now, transaction
from .errors import UsageError


def _free(dest: Path) -> Path:
    """`dest`, or `name.1.ext`, `name.2.ext` ... when taken."""
    if not dest.exists() and not dest.is_symlink():
        return dest
    stem, dot, ext = dest.name.rpartition(".")
    n = 1
    while True:
        cand = dest.with_name(f"{stem}.{n}.{ext}" if dot and stem else f"{dest.name}.{n}")
        if not cand.exists() and not cand.is_symlink():
            return cand
        n += 1


def _safe_rel(name: str) -> Path:
    parts = [archive.safe_name(p) for p in Path(name).parts if p not in ("", ".", "..", "/")]
    return Path(*parts) if parts else Path("unnamed")


def requeue_file(db, file_id: int, inbox: str | Path | None = None) -> Path:
    """Re-queue quarantined file `file_id`; returns where it now waits to be processed."""
    row = db.execute(
        "SELECT f.id, f.submission_id, f.name, f.sha256, f.status, f.archive_path, f.quarantine_path, "
        "s.name, s.source_path, s.status, s.decision "
        "FROM files f LEFT JOIN submissions s ON s.id = f.submission_id WHERE f.id = ?",
        [int(file_id)],
    ).fetchone()
    if row is None:
        raise UsageError(f"没有编号为 {file_id} 的文件。There is no file {file_id}.")
    (fid, sid, name, sha, status, archive_path, qpath, sub_name, source, sub_status, decision) = row
    if status != "quarantined":
        raise UsageError(f"文件 {file_id}（{name}）未被隔离（状态：{status}）。File {file_id} is not quarantined ({status}).")
    undecided = sid is not None and decision is None

    # 1. The original is archived and intact: process it again from there.
    if archive_path and sha and Path(archive_path).is_file() and undecided:
        with transaction(db):
            db.conn.execute(
                "UPDATE files SET status = 'archived', reason = NULL, error = NULL, quarantine_path = NULL, "
                "processed_at = NULL, attempts = 0 WHERE id = ?",  # a fresh start: its failures are forgiven
                (fid,),
            )
            db.conn.execute("UPDATE submissions SET status = 'processing', updated_at = ? WHERE id = ?", (now(), sid))
            log_event(db, "requeued", f"{name}: from the archive", submission_id=sid, file_id=fid)
        if qpath:
            _remove_quarantined(Path(qpath))
        return Path(archive_path)

    if not qpath or not (Path(qpath).exists() or Path(qpath).is_symlink()):
        raise UsageError(
            f"文件 {file_id}（{name}）的隔离副本已不存在：{qpath}。The quarantined copy of file {file_id} is gone: {qpath}"
        )
    if inbox is None:
        if not source:
            raise UsageError(f"不知道文件 {file_id} 来自哪个收件箱，请指定 --inbox。Give --inbox for file {file_id}.")
        inbox = Path(source).parent
    inbox = Path(inbox)
    if not inbox.is_dir():
        raise UsageError(f"收件箱不存在：{inbox}。The inbox folder {inbox} does not exist.")

    # A file dropped directly in the inbox was a submission of its own: it goes back the same way.
    names = [n for (n,) in db.execute("SELECT name FROM files WHERE submission_id = ?", [sid]).fetchall()]
    single = bool(sub_name) and all(n == sub_name for n in names) and Path(name).name == name
    if single:
        dest = inbox / archive.safe_name(sub_name)
    else:
        dest = inbox / archive.safe_name(sub_name or f"requeued-{fid}") / _safe_rel(name)
    # Reopening needs the submission's own path (the pipeline resumes a submission by it), and
    # no known hash (the pipeline would take the file for one it already has): else start afresh.
    dest = _free(dest)
    entry = dest if single else inbox / dest.relative_to(inbox).parts[0]
    reopen = undecided and not sha and bool(source) and _same_path(Path(source), entry)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with transaction(db):
        _move(Path(qpath), dest)
        db.conn.execute("UPDATE files SET status = 'requeued', processed_at = ? WHERE id = ?", (now(), fid))
        if reopen:
            db.conn.execute("UPDATE submissions SET status = 'processing', updated_at = ? WHERE id = ?", (now(), sid))
        log_event(db, "requeued", f"{name} -> {dest}" + (" (submission reopened)" if reopen else ""),
                  submission_id=sid, file_id=fid)
    note = Path(f"{qpath}.error.txt")
    note.unlink(missing_ok=True)
    _rmdir_empty(Path(qpath).parent)
    return dest


def _same_path(a: Path, b: Path) -> bool:
    return os.path.abspath(a) == os.path.abspath(b)


def _move(src: Path, dest: Path) -> None:
    try:
        os.replace(src, dest)
    except OSError:
        if src.is_symlink():
            dest.symlink_to(os.readlink(src))
        else:
            shutil.copy2(src, dest)
        src.unlink()


def _remove_quarantined(path: Path) -> None:
    path.unlink(missing_ok=True)
    Path(f"{path}.error.txt").unlink(missing_ok=True)
    _rmdir_empty(path.parent)


def _rmdir_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def quarantined_ids(db) -> list[int]:
    return [r[0] for r in db.execute("SELECT id FROM files WHERE status = 'quarantined' ORDER BY id").fetchall()]


@click.command("requeue")
@click.argument("file_ids", nargs=-1, type=int)
@click.option("--all", "all_files", is_flag=True, help="Re-queue every quarantined file.")
@click.option("--db", "db_path", default="data/docintake.db", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="SQLite database.")
@click.option("--inbox", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Inbox to put the files in (default: the one each came from).")
def requeue_command(file_ids: tuple[int, ...], all_files: bool, db_path: Path, inbox: Path | None) -> None:
    """Move quarantined files (by FILE_ID, or --all) back into the inbox to be processed again."""
    from .db import connect
    from .errors import DocintakeError

    if bool(file_ids) == all_files:
        raise UsageError("请给出文件编号或 --all（二选一）。Give FILE_ID... or --all, not both.")
    if not db_path.exists():
        raise UsageError(f"数据库不存在：{db_path}。The database {db_path} does not exist.")
    db = connect(db_path)
    ids = quarantined_ids(db) if all_files else list(file_ids)
    failures = 0
    for fid in ids:
        try:
            dest = requeue_file(db, fid, inbox)
        except DocintakeError as err:
            failures += 1
            click.echo(f"file {fid}: {err.message}", err=True)
            continue
        click.echo(f"file {fid} -> {dest}")
    if all_files and not ids:
        click.echo("no quarantined files", err=True)
    if failures:
        raise UsageError(f"{failures} 个文件未能重新排队。{failures} files could not be re-queued.")
