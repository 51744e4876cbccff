"""Users of the review UI: argon2 password hashes, roles and the password policy.

Library functions over a `sqlite_utils.Database` (used by the plugin and by `docintake users`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from intake.db import now, transaction
from intake.errors import UsageError

from . import audit, sessions

ROLES = ("viewer", "reviewer", "admin")
ROLE_ZH = {"viewer": "查看者", "reviewer": "审核员", "admin": "管理员"}

COOKIE = sessions.COOKIE
SESSION_SECONDS = sessions.SESSION_SECONDS
MIN_PASSWORD = 8            # viewers (read masked data only)
MIN_PASSWORD_STAFF = 10     # reviewers and admins (change decisions, manage users)
MAX_PASSWORD = 256          # argon2 hashes the whole string: no megabyte passwords
# A few of the most used passwords (and this product's own words): refused for anyone.
COMMON_PASSWORDS = frozenset("""
12345678 123456789 1234567890 12345678910 0123456789 1qaz2wsx3edc qwertyuiop qwerty123 qwerty1234
password password1 password123 passw0rd admin123 admin1234 administrator 11111111 1111111111
00000000 0000000000 88888888 8888888888 66666666 6666666666 abcd1234 abc12345 abcdefgh iloveyou
woaini1314 5201314520 aa123456 a123456789 1q2w3e4r5t 123qweasd zxcvbnm123 asdfghjkl changeme
changeme123 welcome123 letmein123 docintake docintake1 docintake123 reviewer123 review1234
""".split())
_USERNAME = re.compile(r"^[\w.@-]{1,64}$")

_hasher = PasswordHasher()
_dummy_hash: str | None = None


@dataclass
class User:
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    session_epoch: int
    password_hash: str = ""

    def actor(self) -> dict:
        return {
            "id": self.username,
            "name": self.display_name or self.username,
            "role": self.role,
            "role_zh": ROLE_ZH[self.role],
            "docintake": True,
        }


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _check_new(username: str, role: str, password: str) -> None:
    if not _USERNAME.match(username or ""):
        raise UsageError(f"用户名不合法：{username!r}（1-64 个字母、数字或 . _ - @）。Invalid username.")
    if role not in ROLES:
        raise UsageError(f"角色必须是 {' / '.join(ROLES)} 之一。Role must be one of {', '.join(ROLES)}.")
    check_password(password, username, role)


def check_password(password: str, username: str = "", role: str = "admin") -> None:
    """The password policy; raises UsageError (Chinese first) when `password` breaks it."""
    least = MIN_PASSWORD if role == "viewer" else MIN_PASSWORD_STAFF
    if not password or len(password) < least:
        raise UsageError(f"密码至少 {least} 个字符。The password needs at least {least} characters.")
    if len(password) > MAX_PASSWORD:
        raise UsageError(f"密码最多 {MAX_PASSWORD} 个字符。The password may have at most {MAX_PASSWORD} characters.")
    if not password.strip():
        raise UsageError("密码不能全是空格。The password cannot be only spaces.")
    if password.strip().lower() in COMMON_PASSWORDS or len(set(password)) < 3:
        raise UsageError("密码过于常见，请换一个。The password is too common.")
    if username and password.strip().lower() == username.strip().lower():
        raise UsageError("密码不能与用户名相同。The password cannot be the user name.")


def _row_user(row) -> User:
    return User(row[0], row[1], row[2] or "", row[3], bool(row[4]), row[5], row[6])


_USER_COLS = "id, username, display_name, role, active, session_epoch, password_hash"


def get_user(db, username: str) -> User | None:
    row = db.execute(f"SELECT {_USER_COLS} FROM users WHERE username = ?", [username]).fetchone()
    return _row_user(row) if row else None


def list_users(db) -> list[dict]:
    return [
        dict(zip(["id", "username", "display_name", "role", "active", "created_at", "created_by", "last_login_at"], r))
        for r in db.execute(
            "SELECT id, username, display_name, role, active, created_at, created_by, last_login_at "
            "FROM users ORDER BY username"
        ).fetchall()
    ]


def add_user(db, username: str, role: str, password: str, display_name: str = "", created_by: str = "cli") -> int:
    username = (username or "").strip()
    _check_new(username, role, password)
    pw_hash = hash_password(password)
    with transaction(db):
        if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise UsageError(f"用户 {username} 已存在。User {username} already exists.")
        cur = db.conn.execute(
            "INSERT INTO users (username, display_name, role, password_hash, created_at, created_by) "
            "VALUES (?,?,?,?,?,?)",
            (username, display_name or None, role, pw_hash, now(), created_by),
        )
        audit.record(db.conn, created_by, "user_add", field="user", new_value=f"{username} ({role})")
        return cur.lastrowid


def update_user(db, username: str, by: str, *, role: str | None = None, active: bool | None = None,
                password: str | None = None) -> None:
    """Change a user's role, enable/disable them or reset the password.

    Disabling or a new password ends the user's sessions (the session epoch moves on).
    """
    user = get_user(db, username)
    if user is None:
        raise UsageError(f"用户 {username} 不存在。No such user.")
    if role is not None and role not in ROLES:
        raise UsageError(f"角色必须是 {' / '.join(ROLES)} 之一。")
    if password is not None:
        check_password(password, user.username, role or user.role)
    changes = []
    with transaction(db):
        if role is not None and role != user.role:
            db.conn.execute("UPDATE users SET role = ? WHERE id = ?", (role, user.id))
            changes.append(("role", user.role, role))
        if active is not None and active != user.active:
            db.conn.execute(
                "UPDATE users SET active = ?, session_epoch = session_epoch + 1 WHERE id = ?", (int(active), user.id)
            )
            changes.append(("active", user.active, active))
            if not active:
                sessions.revoke_user(db.conn, user.id)
        if password is not None:
            db.conn.execute(
                "UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1 WHERE id = ?",
                (hash_password(password), user.id),
            )
            changes.append(("password", "***", "***"))
            sessions.revoke_user(db.conn, user.id)
        for what, old, new in changes:
            audit.record(db.conn, by, "user_update", field=f"user.{what}", old_value=f"{username}: {old}",
                         new_value=f"{username}: {new}")


def authenticate(db, username: str, password: str) -> User | None:
    """The user if the password is right and the account active; None otherwise (same cost either way)."""
    global _dummy_hash
    if len(password or "") > MAX_PASSWORD:
        return None  # never hash an oversized string (no policy allows it)
    user = get_user(db, (username or "").strip())
    if user is None or not user.active:
        if _dummy_hash is None:
            _dummy_hash = hash_password("docintake-dummy-password")
        verify_password(_dummy_hash, password or "")
        return None
    if not verify_password(user.password_hash, password or ""):
        return None
    with transaction(db):
        if _hasher.check_needs_rehash(user.password_hash):
            db.conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (hash_password(password), user.id))
        db.conn.execute("UPDATE users SET last_login_at = ? WHERE id = ?", (now(), user.id))
    return user


def start_session(db, user: User, client: str = "") -> str:
    """A new server-side session for a signed-in user; returns the cookie token."""
    with transaction(db):
        return sessions.create(db.conn, user.id, client)


def end_session(db, token: str | None) -> None:
    with transaction(db):
        sessions.revoke(db.conn, token)
