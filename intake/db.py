"""The SQLite database: opening it safely and applying migrations.

WAL mode lets the review UI read while the pipeline writes; a generous busy
timeout turns short write contention into waiting instead of
"database is locked" errors reaching a user.
"""
from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from .errors import DatabaseError
from .migrations import all_migrations

BUSY_TIMEOUT_MS = 30_000


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def connect(path: str | Path, migrate: bool = True) -> sqlite_utils.Database:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            _enable_wal(conn, path)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        register_functions(conn)
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"无法打开数据库 {path}：{exc}。The database file {path} cannot be opened: {exc}") from exc
    db = sqlite_utils.Database(conn)
    if migrate:
        apply_migrations(db)
    return db


def _enable_wal(conn: sqlite3.Connection, path: Path) -> None:
    """Switch a database to WAL once, under a lock file, retrying while another connection is busy.

    Changing the journal mode needs an exclusive lock, and SQLite does not call the busy
    handler for it: two processes opening a fresh database at once got "database is
    locked" at once. So the switch is serialised between docintake processes (flock on
    `<db folder>/locks/<db>.wal.lock`) and retried with a short backoff while any other
    reader holds the file, up to the busy timeout.
    """
    from .locks import hold

    if str(path) == ":memory:":
        return
    with hold(path.parent / "locks", f"{path.name}.wal.lock", True, "database initialisation"):
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        delay = 0.01
        while True:
            try:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                mode = None
            if mode == "wal":
                return
            if time.monotonic() > deadline:
                raise sqlite3.OperationalError("database is locked (could not switch to WAL mode)")
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


def register_functions(conn: sqlite3.Connection) -> None:
    """SQL functions the product's views use, on every connection it opens."""
    from .masking import register

    register(conn)


def current_version(db: sqlite_utils.Database) -> int:
    if "schema_version" not in db.table_names():
        return 0
    row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return row[0] or 0


def apply_migrations(db: sqlite_utils.Database) -> int:
    """Run pending migrations, each in its own immediate transaction (safe with concurrent starters)."""
    db.conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT)")
    def applied() -> set[int]:
        return {v for (v,) in db.conn.execute("SELECT version FROM schema_version")}

    # Each migration is checked by its own number, not against the highest one,
    # so a migration merged later with a lower number still runs.
    for mod in all_migrations():
        if mod.VERSION in applied():
            continue
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-check inside the lock: another process may have just applied it.
            if mod.VERSION in applied():
                db.conn.execute("COMMIT")
                continue
            mod.up(db)
            db.conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (mod.VERSION, now()))
            db.conn.execute("COMMIT")
        except Exception:
            db.conn.execute("ROLLBACK")
            raise
    return current_version(db)


class transaction:
    """`with transaction(db):` an IMMEDIATE transaction (takes the write lock up front)."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def __enter__(self):
        self.db.conn.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, exc, tb):
        self.db.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        return False


def log_event(db: sqlite_utils.Database, kind: str, detail: str = "", submission_id=None, file_id=None) -> None:
    db.conn.execute(
        "INSERT INTO events (at, submission_id, file_id, kind, detail) VALUES (?, ?, ?, ?, ?)",
        (now(), submission_id, file_id, kind, detail),
    )
