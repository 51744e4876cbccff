"""Leased outbox rows with retries: the shape the push outbox (push.py) and the notices outbox
(notices/outbox.py) share.

A sender claims due `pending` rows by writing a lease (until, owner) in the same transaction it
reads them in, so a second sender (another thread, process or machine) skips them until the
lease ends; a sender that dies leaves rows that come due again when their lease runs out. After a
failed attempt the row's `next_attempt_at` moves out by a doubling, capped delay with ±10 %
jitter (senders that failed together do not retry together), and the lease is cleared.
"""
from __future__ import annotations

import os
import random
import socket
import threading
from datetime import datetime, timedelta, timezone

from .db import transaction

# The columns every leased table has: status, next_attempt_at, lease_until, lease_owner (and id).
LEASED_TABLES = ("outbox", "notices")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def owner() -> str:
    """This sender: host, process and thread (`release_dead` reads the pid back)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def claim(db, table: str, columns: str, limit: int, lease: float, who: str,
          where: str = "", params: tuple = ()) -> list[tuple]:
    """Lease up to `limit` due rows of `table` (oldest due first) to `who` for `lease` seconds.

    `where`/`params` narrow the rows further (push: one target URL)."""
    if table not in LEASED_TABLES:  # the name goes into SQL: only the product's own tables
        raise ValueError(f"not a leased table: {table}")
    t = utcnow()
    with transaction(db):
        rows = db.execute(
            f"SELECT {columns} FROM {table} WHERE status = 'pending' {'AND ' + where if where else ''} "
            "AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) "
            "ORDER BY next_attempt_at, id LIMIT ?",
            [*params, iso(t), iso(t), limit],
        ).fetchall()
        until = iso(t + timedelta(seconds=lease))
        db.conn.executemany(f"UPDATE {table} SET lease_until = ?, lease_owner = ? WHERE id = ?",
                            [(until, who, r[0]) for r in rows])
    return rows


def release_dead(db, table: str) -> int:
    """Free the leases that senders on this machine hold in `table` when their process is gone
    (a crash or a kill): those rows go out now instead of when the lease runs out."""
    if table not in LEASED_TABLES:
        raise ValueError(f"not a leased table: {table}")
    host = socket.gethostname()
    dead = []
    for rid, who in db.execute(
            f"SELECT id, lease_owner FROM {table} WHERE status = 'pending' AND lease_owner LIKE ?",
            [f"{host}:%"]).fetchall():
        try:
            pid = int(who[len(host) + 1:].split(":")[0])
            if pid == os.getpid():
                continue
            os.kill(pid, 0)
        except ProcessLookupError:
            dead.append((rid, who))
        except (ValueError, IndexError, PermissionError):
            continue  # not ours to judge (another user's process, or an owner we do not parse)
    if dead:
        with transaction(db):
            db.conn.executemany(f"UPDATE {table} SET lease_until = NULL, lease_owner = NULL "
                                "WHERE id = ? AND lease_owner = ?", dead)
    return len(dead)


def backoff_delay(backoff: float, attempts: int, cap: float) -> float:
    """Seconds before the next try after `attempts` failed ones: doubling from `backoff`, capped, ±10 %."""
    return min(backoff * (2 ** max(attempts - 1, 0)), cap) * random.uniform(0.9, 1.1)


def retry_at(backoff: float, attempts: int, cap: float) -> str:
    """The `next_attempt_at` of a row whose attempt number `attempts` failed."""
    return iso(utcnow() + timedelta(seconds=backoff_delay(backoff, attempts, cap)))
