"""Server-side sessions of the review UI (table `sessions`, migration m0007).

The cookie carries a random token; the database keeps only its SHA-256. A session ends when it
expires, when its user signs out, changes or is given a new password, or is disabled: the row
is revoked and the same cookie, copied anywhere, signs nobody in any more.
"""
from __future__ import annotations

import hashlib
import secrets
import time

from intake.db import now

SESSION_SECONDS = 12 * 3600
COOKIE = "docintake_session"
SECURE_COOKIE = "__Host-docintake_session"  # only sent over HTTPS, host-only, path / (RFC 6265bis)
_TOKEN_MAX = 128


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def create(conn, user_id: int, client: str = "") -> str:
    """A new session for `user_id` (inside the caller's transaction); returns the cookie token."""
    token = secrets.token_urlsafe(32)
    # Rows a day past expiry are of no further use: keep the table small.
    conn.execute("DELETE FROM sessions WHERE expires_at < ?", (time.time() - 86400,))
    conn.execute(
        "INSERT INTO sessions (id, user_id, created_at, expires_at, client) VALUES (?,?,?,?,?)",
        (token_id(token), user_id, now(), time.time() + SESSION_SECONDS, client[:100]),
    )
    return token


LOOKUP_SQL = (
    "SELECT u.id, u.username, u.display_name, u.role, u.session_epoch FROM sessions s "
    "JOIN users u ON u.id = s.user_id "
    "WHERE s.id = :sid AND s.revoked_at IS NULL AND s.expires_at > :now AND u.active = 1"
)


def lookup_params(token: str | None) -> dict | None:
    """Parameters for LOOKUP_SQL, or None when the cookie cannot be a token of ours."""
    if not token or len(token) > _TOKEN_MAX:
        return None
    return {"sid": token_id(token), "now": time.time()}


def revoke(conn, token: str | None) -> None:
    if token and len(token) <= _TOKEN_MAX:
        conn.execute("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (now(), token_id(token)))


def revoke_user(conn, user_id: int) -> int:
    """End every session of a user (password change, disabling); returns how many were open."""
    cur = conn.execute("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", (now(), user_id))
    return cur.rowcount
