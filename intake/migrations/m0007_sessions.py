"""Review UI security state kept in SQLite (shared by every server process, survives restarts).

- `sessions`: one row per sign-in. The browser holds a random token; the row holds only its
  SHA-256, so a copy of the database cannot be replayed as a cookie. Sign-out, a password
  change or disabling the user sets `revoked_at`; a revoked or expired row signs nobody in.
- `login_attempts`: every sign-in attempt is written *before* the password is checked, in the
  same IMMEDIATE transaction that counts earlier failures, so parallel requests cannot all
  see "4 failures so far" (the race of issue 13 item 11). A success deletes its row.
- `override_reasons`: the written reason a reviewer gives for approving over one open error
  finding (issue 13 item 15); kept with the rule and message, since findings are rewritten on
  every re-validation.
"""

VERSION = 7

SQL = """
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    expires_at REAL NOT NULL,
    revoked_at TEXT,
    client TEXT
);
CREATE INDEX idx_sessions_user ON sessions(user_id);
CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    username TEXT NOT NULL COLLATE NOCASE,
    client TEXT NOT NULL
);
CREATE INDEX idx_login_attempts_user ON login_attempts(username, at);
CREATE INDEX idx_login_attempts_client ON login_attempts(client, at);
CREATE TABLE override_reasons (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    version INTEGER NOT NULL,
    rule TEXT NOT NULL,
    message TEXT,
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX idx_override_reasons_submission ON override_reasons(submission_id, id)
"""


def up(db):
    from . import run_script

    run_script(db, SQL)
