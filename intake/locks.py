"""Lock files in the data folder, and the rule that keeps the data folder out of the inbox.

Locks live in `<data>/locks/` (never the temp directory: systemd's `PrivateTmp=yes`
gives each service its own, so a watcher and a manual `ingest` would never see each
other's lock). The folder and the files are created without following symlinks
(`O_NOFOLLOW`, `O_EXCL` on creation, checked with `fstat`), so a link planted by
another user cannot make docintake truncate or lock a file elsewhere.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import stat
from contextlib import ExitStack, contextmanager
from pathlib import Path

from .errors import ConfigError, LockedError, UsageError


def inbox_digest(inbox: Path) -> str:
    return hashlib.sha256(str(Path(inbox).resolve()).encode()).hexdigest()[:16]


def _safe_dir(folder: Path) -> Path:
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(folder)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"锁文件夹 {folder} 不是普通文件夹（可能是符号链接），拒绝使用。"
                          f"The lock folder {folder} is not a plain directory (a symlink?); refusing to use it.")
    if st.st_uid != os.geteuid() and st.st_mode & 0o002:
        raise ConfigError(f"锁文件夹 {folder} 可被任何人写入，拒绝使用。The lock folder {folder} is world-writable.")
    return folder


def open_lock_file(folder: Path, name: str) -> int:
    """A file descriptor on `folder/name`, created if missing, never through a symlink."""
    folder = _safe_dir(folder)
    path = folder / name
    flags = os.O_RDWR | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        try:
            fd = os.open(path, flags)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EMLINK):
                raise ConfigError(f"锁文件 {path} 是符号链接，拒绝使用。The lock file {path} is a symlink.") from exc
            raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise ConfigError(f"锁文件 {path} 不是普通文件。The lock file {path} is not a regular file.")
    return fd


@contextmanager
def hold(folder: Path, name: str, wait: bool, busy_message: str, note: str = ""):
    """Hold an exclusive flock on `folder/name` for the block; `LockedError(busy_message)` if taken and not waiting."""
    fd = open_lock_file(folder, name)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").split("\n", 1)[0].strip() or "?"
            raise LockedError(busy_message.replace("{holder}", holder) + f" (lock file {folder / name})") from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n{note}\n".encode(), 0)
            yield folder / name
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def db_file(db) -> Path | None:
    """The database file a connection has open (None for an in-memory one)."""
    try:
        for _, name, file in db.conn.execute("PRAGMA database_list").fetchall():
            if name == "main" and file:
                return Path(file).resolve()
    except Exception:  # noqa: BLE001 - a closed or odd connection: the data folder's lock still holds
        return None
    return None


def db_folder(db) -> Path | None:
    path = db_file(db)
    return path.parent if path else None


@contextmanager
def inbox_lock(locks_dirs: list[Path], inbox: Path, wait: bool = True):
    """One ingest (or watcher batch) at a time per inbox, in every lock folder given.

    Callers pass the data folder's `locks/` and the database folder's `locks/`, so two
    runs on one database exclude each other even with different `--data-dir`s. The
    folders are taken in sorted order, so two holders never deadlock.
    """
    digest = inbox_digest(inbox)
    with ExitStack() as stack:
        for folder in sorted({Path(d).resolve() for d in locks_dirs}):
            stack.enter_context(hold(folder, f"ingest-{digest}.lock", wait,
                                     f"另一个进程（{{holder}}）正在处理收件箱 {inbox}。Another process ({{holder}}) "
                                     f"is ingesting {inbox}.", str(inbox)))
        yield


def check_separate(inbox: Path, data_dir: Path, db_path: Path | None = None) -> None:
    """Refuse an inbox that holds the data folder (or the database), or lies inside it.

    Shared by `ingest` and `watch`: with the data folder in the inbox, intake would take
    its own database and archive as input, quarantine them and then unlink the only
    copy of a scan. Symlinks are resolved first.
    """
    inbox = Path(inbox).resolve()
    places = [("数据目录", "data folder", Path(data_dir).resolve(), True)]
    if db_path is not None:
        # the database's folder only matters when it is in the inbox (its -wal/-shm files would be taken)
        places.append(("数据库", "database", Path(db_path).resolve().parent, False))
    for zh, en, place, both_ways in places:
        if place == inbox or inbox in place.parents:
            raise UsageError(f"{zh} {place} 位于收件箱 {inbox} 之内，会被当作待处理文件；请把它放到收件箱之外。"
                             f"The {en} {place} is inside the inbox {inbox}; move it outside the inbox.")
        if both_ways and place in inbox.parents:
            raise UsageError(f"收件箱 {inbox} 位于{zh} {place} 之内；请把收件箱放到数据目录之外。"
                             f"The inbox {inbox} is inside the {en} {place}; use an inbox outside it.")
