"""Sign-in throttling per client and per account, in SQLite (table `login_attempts`, m0007).

`begin` counts recent failures and records this attempt as a failure in one IMMEDIATE
transaction, before the password is checked; `succeeded` deletes the row again. So however
many requests arrive at once (or in how many server processes), at most the limit of them get
to try a password.

The per-client limit is lower than the per-account one: a single client guessing is stopped
before it can lock the account. When many clients together reach the account limit, the
account is locked for a short while and only for clients that have failed recently; a client
with no recent failure (the real user on their own machine) still signs in.
"""
from __future__ import annotations

import time

from intake.db import transaction

CLIENT_LIMIT = 5          # failures per client (any account) ...
CLIENT_WINDOW = 600       # ... within 10 minutes
ACCOUNT_LIMIT = 20        # failures per account from all clients ...
ACCOUNT_WINDOW = 300      # ... within 5 minutes: a short lock, and only against failing clients


class Throttled(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def begin(db, username: str, client: str, at: float | None = None) -> int:
    """Record an attempt (as failed until `succeeded`); raise Throttled when over a limit."""
    at = time.time() if at is None else at
    username = (username or "").strip()[:64]
    with transaction(db):
        conn = db.conn
        conn.execute("DELETE FROM login_attempts WHERE at < ?", (at - max(CLIENT_WINDOW, ACCOUNT_WINDOW),))
        by_client = conn.execute("SELECT COUNT(*) FROM login_attempts WHERE client = ? AND at > ?",
                                 (client, at - CLIENT_WINDOW)).fetchone()[0]
        if by_client >= CLIENT_LIMIT:
            raise Throttled("登录失败次数过多，请 10 分钟后再试。")
        by_account = conn.execute("SELECT COUNT(*) FROM login_attempts WHERE username = ? AND at > ?",
                                  (username, at - ACCOUNT_WINDOW)).fetchone()[0]
        if by_account >= ACCOUNT_LIMIT and by_client > 0:
            raise Throttled("该账户近期登录失败次数过多，请 5 分钟后再试。")
        return conn.execute("INSERT INTO login_attempts (at, username, client) VALUES (?,?,?)",
                            (at, username, client)).lastrowid


def succeeded(db, attempt_id: int) -> None:
    with transaction(db):
        db.conn.execute("DELETE FROM login_attempts WHERE id = ?", (attempt_id,))
