"""The notice sender as a loop: `docintake notices send --every S` and the one inside `watch`.

Both run `outbox.deliver_due` on a timer, so they share its guarantees: a lease stops two senders
taking one notice, a sent notice is marked sent in the transaction that logs the sending, and a
failure backs off. On start the loop frees the leases of senders on this machine that are no
longer running (a `watch` killed while it held a notice), so such a notice goes out at once
instead of after the lease runs out; a notice already marked sent is never taken again.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from .. import leases
from . import mail, outbox

log = logging.getLogger("docintake.notices")

DEFAULT_EVERY = 30.0  # seconds between looks at the outbox inside `watch`


def release_dead_leases(db) -> int:
    """Leases of notice senders on this machine whose process is gone: free them now."""
    return leases.release_dead(db, "notices")


def run(db, settings: mail.SmtpSettings, stop: threading.Event, every: float, max_attempts: int = 8,
        backoff: float = 60.0, report=None) -> None:
    """Send what is due, then look again every `every` seconds, until `stop` is set."""
    release_dead_leases(db)
    while not stop.is_set():
        try:
            res = outbox.deliver_due(db, settings, limit=1000, max_attempts=max_attempts, backoff=backoff)
            if res.sent or res.retrying or res.failed:
                line = f"notices: {res.sent} sent, {res.retrying} to retry, {res.failed} failed"
                (report or log.info)(line)
        except Exception:  # noqa: BLE001 - a database hiccup must not end the service; try again later
            log.exception("notices pass failed; will try again")
        stop.wait(max(every, 0.05))


def watch_settings(enabled: bool | None, env=None) -> tuple[mail.SmtpSettings | None, str]:
    """Whether `watch` sends notices, and the one line it says about it.

    `enabled` None (the default): on when DOCINTAKE_SMTP_HOST is set, off otherwise. True with no
    SMTP host is a configuration error (raised), as is a half-made SMTP configuration."""
    env = os.environ if env is None else env
    configured = bool((env.get("DOCINTAKE_SMTP_HOST") or "").strip())
    if enabled is False:
        return None, "notices: not sent by this watcher (--no-notices); run `docintake notices send`"
    if not configured and enabled is None:
        return None, ("notices: not sent (DOCINTAKE_SMTP_HOST is not set); they wait in the outbox "
                      "for `docintake notices send`")
    settings = mail.SmtpSettings.from_env(env)  # raises ConfigError with what is missing
    return settings, f"notices: sent through {settings.host}:{settings.port} ({settings.security})"


def start_thread(db_path: Path, settings: mail.SmtpSettings, stop: threading.Event,
                 every: float = DEFAULT_EVERY, report=None) -> threading.Thread:
    """The loop on its own connection in a daemon thread (the watcher's connection stays its own)."""
    def target():
        from ..db import connect

        db = connect(db_path, migrate=False)
        try:
            run(db, settings, stop, every, report=report)
        finally:
            db.conn.close()

    t = threading.Thread(target=target, name="docintake-notices", daemon=True)
    t.start()
    return t
