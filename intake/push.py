"""Delivering verified submissions to another system: JSON over HTTP POST from an outbox.

1. `enqueue` adds one `outbox` row per (target, submission, version) for every verified
   submission not yet in it. The body (the export record, see `intake.export`) is built
   then and stored, so every retry sends the same bytes under the same
   `Idempotency-Key: docintake-<submission id>-v<version>`.
2. `deliver_due` POSTs the rows that are due. Every attempt is logged in `deliveries`; a 2xx
   answer marks the row delivered in the same transaction as its log entry. A crash after
   the receiver answered but before that commit means one more delivery with the same key
   (at-least-once): receivers dedupe on `Idempotency-Key`.
3. Failures are retried with exponential backoff (`attempts`, `next_attempt_at`) up to
   `max_attempts`; a 4xx answer other than 408/429 is permanent (`failed`), as is running out
   of attempts. `docintake push --retry-failed` puts failed rows back in the queue.

With a secret, each request carries `X-Docintake-Timestamp` (Unix seconds) and
`X-Docintake-Signature: sha256=<hex HMAC-SHA256 of the raw body>`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import click

from . import __version__, leases
from .db import log_event, now, transaction
from .errors import DeliveryError, UsageError
from .export import iter_records

log = logging.getLogger("docintake.push")

EVENT = "submission.verified"
USER_AGENT = f"docintake/{__version__}"
RESPONSE_EXCERPT = 500


@dataclass
class PushSettings:
    url: str
    secret: str | None = None
    timeout: float = 15.0
    max_attempts: int = 12
    backoff: float = 30.0  # seconds before the 2nd attempt; doubles each time
    max_backoff: float = 6 * 3600.0
    lease: float = 120.0  # a row in hand is not picked by another pusher for this long
    since: str | None = None  # enqueue only submissions decided on/after this (ISO)


@dataclass
class Result:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.failed


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"推送地址无效：{url}。The push URL must be an http:// or https:// URL.")
    return url


def idempotency_key(submission_id: int, version: int) -> str:
    return f"docintake-{submission_id}-v{version}"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def payload(record: dict, key: str) -> bytes:
    body = {"event": EVENT, "idempotency_key": key, "record": record}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def enqueue(db, settings: PushSettings) -> int:
    """Add outbox rows for verified submissions (at their current version) not yet queued for this target."""
    params: list = [settings.url]
    since = ""
    if settings.since:
        since = " AND s.decided_at >= ?"
        params.append(settings.since)
    rows = db.execute(
        "SELECT s.id, s.version FROM submissions s WHERE s.status = 'verified' AND NOT EXISTS "
        "(SELECT 1 FROM outbox o WHERE o.target = ? AND o.submission_id = s.id AND o.version = s.version)"
        + since + " ORDER BY s.id",
        params,
    ).fetchall()
    if not rows:
        return 0
    added = 0
    wanted = dict(rows)
    for i in range(0, len(rows), 500):
        chunk = [sid for sid, _ in rows[i:i + 500]]
        records = list(iter_records(db, "verified", None, chunk))
        with transaction(db):
            for rec in records:
                sid, version = rec["submission_id"], rec["version"]
                if wanted.get(sid) != version:
                    continue  # edited between the two reads; the next pass takes the new version
                key = idempotency_key(sid, version)
                cur = db.conn.execute(
                    "INSERT OR IGNORE INTO outbox (target, submission_id, version, event, idempotency_key, payload, "
                    "status, attempts, next_attempt_at, created_at) VALUES (?,?,?,?,?,?, 'pending', 0, ?, ?)",
                    (settings.url, sid, version, EVENT, key, payload(rec, key).decode("utf-8"), now(), now()),
                )
                if cur.rowcount:
                    added += 1
                    log_event(db, "outbox", f"{key} -> {settings.url}", submission_id=sid)
    return added


def _claim(db, settings: PushSettings, owner: str, limit: int) -> list[tuple]:
    """Take a lease on up to `limit` due rows, so a second pusher does not send them too."""
    return leases.claim(db, "outbox", "id, submission_id, idempotency_key, payload, attempts", limit,
                        settings.lease, owner, "target = ?", (settings.url,))


def _post(settings: PushSettings, key: str, body: bytes, delivery: str) -> tuple[int | None, str, str | None]:
    """One HTTP POST: (status code or None, response excerpt, error or None)."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Idempotency-Key": key,
        "X-Docintake-Event": EVENT,
        "X-Docintake-Delivery": delivery,
    }
    if settings.secret:
        headers["X-Docintake-Timestamp"] = str(int(time.time()))
        headers["X-Docintake-Signature"] = signature(settings.secret, body)
    req = urllib.request.Request(settings.url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=settings.timeout) as resp:
            text = resp.read(RESPONSE_EXCERPT).decode("utf-8", "replace")
            return resp.status, text, None
    except urllib.error.HTTPError as exc:
        try:
            text = exc.read(RESPONSE_EXCERPT).decode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - the body of an error answer is best effort
            text = ""
        return exc.code, text, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, "", f"{type(exc).__name__}: {reason}"


def _permanent(code: int | None) -> bool:
    return code is not None and 400 <= code < 500 and code not in (408, 409, 425, 429)


def deliver_due(db, settings: PushSettings, limit: int = 100, stop: threading.Event | None = None) -> Result:
    """Try every due outbox row of this target once."""
    owner = leases.owner()
    result = Result()
    while not (stop and stop.is_set()):
        rows = _claim(db, settings, owner, min(limit, 20))
        if not rows:
            break
        for oid, sid, key, body, attempts in rows:
            if stop and stop.is_set():
                _release(db, oid, owner)
                continue
            attempt = attempts + 1
            t0 = time.monotonic()
            code, text, error = _post(settings, key, body.encode("utf-8"), f"{oid}.{attempt}")
            ms = int((time.monotonic() - t0) * 1000)
            ok = code is not None and 200 <= code < 300
            with transaction(db):
                db.conn.execute(
                    "INSERT INTO deliveries (outbox_id, attempt, at, url, status_code, error, duration_ms, response) "
                    "VALUES (?,?,?,?,?,?,?,?)",
                    (oid, attempt, now(), settings.url, code, error, ms, text or None),
                )
                if ok:
                    db.conn.execute(
                        "UPDATE outbox SET status = 'delivered', attempts = ?, delivered_at = ?, last_status_code = ?, "
                        "last_error = NULL, lease_until = NULL, lease_owner = NULL WHERE id = ?",
                        (attempt, now(), code, oid),
                    )
                    log_event(db, "delivered", f"{key} -> {settings.url} ({code})", submission_id=sid)
                elif _permanent(code) or attempt >= settings.max_attempts:
                    db.conn.execute(
                        "UPDATE outbox SET status = 'failed', attempts = ?, last_status_code = ?, last_error = ?, "
                        "lease_until = NULL, lease_owner = NULL WHERE id = ?",
                        (attempt, code, error, oid),
                    )
                    log_event(db, "delivery_failed", f"{key} -> {settings.url}: {error}", submission_id=sid)
                else:
                    nxt = leases.retry_at(settings.backoff, attempt, settings.max_backoff)
                    db.conn.execute(
                        "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_status_code = ?, last_error = ?, "
                        "lease_until = NULL, lease_owner = NULL WHERE id = ?",
                        (attempt, nxt, code, error, oid),
                    )
            if ok:
                result.delivered += 1
            elif _permanent(code) or attempt >= settings.max_attempts:
                result.failed += 1
                log.warning("delivery of %s failed for good: %s", key, error)
            else:
                result.retrying += 1
                log.info("delivery of %s failed (%s), will retry", key, error)
        if result.attempted >= limit:
            break
    return result


def _release(db, oid: int, owner: str) -> None:
    with transaction(db):
        db.conn.execute(
            "UPDATE outbox SET lease_until = NULL, lease_owner = NULL WHERE id = ? AND lease_owner = ?", (oid, owner)
        )


def retry_failed(db, url: str) -> int:
    with transaction(db):
        cur = db.conn.execute(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE target = ? AND status = 'failed'",
            (now(), url),
        )
    return cur.rowcount


def next_due(db, url: str) -> datetime | None:
    row = db.execute(
        "SELECT MIN(next_attempt_at) FROM outbox WHERE target = ? AND status = 'pending'", [url]
    ).fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


def release_dead_leases(db) -> int:
    """Leases of pushers on this machine that are no longer running (a crash): free them now."""
    return leases.release_dead(db, "outbox")


def push_once(db, settings: PushSettings, stop: threading.Event | None = None) -> Result:
    enqueue(db, settings)
    return deliver_due(db, settings, limit=10_000, stop=stop)


def run_forever(db_path: Path, settings: PushSettings, stop: threading.Event, interval: float = 10.0) -> None:
    """Enqueue and deliver until `stop` is set (used by `push` and by `watch --push`)."""
    from .db import connect

    db = connect(db_path)
    release_dead_leases(db)
    try:
        while not stop.is_set():
            try:
                res = push_once(db, settings, stop)
                if res.attempted:
                    log.info("push: %d delivered, %d to retry, %d failed", res.delivered, res.retrying, res.failed)
            except Exception:  # noqa: BLE001 - a database hiccup must not end the service; try again later
                log.exception("push pass failed; will try again")
            wait = interval
            due = next_due(db, settings.url)
            if due is not None:
                wait = max(0.05, min(interval, (due - leases.utcnow()).total_seconds()))
            stop.wait(wait)
    finally:
        db.conn.close()


def start_thread(db_path: Path, settings: PushSettings, stop: threading.Event, interval: float = 10.0
                 ) -> threading.Thread:
    t = threading.Thread(target=run_forever, args=(db_path, settings, stop, interval), name="docintake-push",
                         daemon=True)
    t.start()
    return t


@click.command("push")
@click.argument("url")
@click.option("--db", "db_path", default="data/docintake.db", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="SQLite database to read and record into.")
@click.option("--secret", envvar="DOCINTAKE_PUSH_SECRET", default=None,
              help="Sign each request with HMAC-SHA256 (X-Docintake-Signature). Also read from $DOCINTAKE_PUSH_SECRET.")
@click.option("--once", is_flag=True,
              help="Deliver what is due now, then exit (exit code 9 if anything is left undelivered).")
@click.option("--interval", type=float, default=10.0, show_default=True,
              help="Seconds between looks for newly verified submissions.")
@click.option("--since", default=None, metavar="DATE",
              help="Only submissions verified on or after DATE (useful on the first run against a new system).")
@click.option("--max-attempts", type=int, default=12, show_default=True, help="Attempts before a delivery is marked failed.")
@click.option("--backoff", type=float, default=30.0, show_default=True,
              help="Seconds before the first retry; doubles with each further attempt (up to 6 hours).")
@click.option("--timeout", type=float, default=15.0, show_default=True, help="Seconds to wait for the receiver.")
@click.option("--retry-failed", "requeue_failed", is_flag=True, help="Put deliveries that failed for good back in the queue first.")
def push_command(url: str, db_path: Path, secret: str | None, once: bool, interval: float, since: str | None,
                 max_attempts: int, backoff: float, timeout: float, requeue_failed: bool) -> None:
    """Deliver each newly verified submission to URL as JSON over HTTP POST.

    Runs until stopped (SIGTERM/Ctrl-C), or with --once delivers what is due and
    exits. Each delivery has a stable Idempotency-Key; receivers must dedupe on it.
    """
    import signal

    from .db import connect
    from .export import parse_since

    check_url(url)
    if not db_path.exists():
        raise UsageError(f"数据库不存在：{db_path}。The database {db_path} does not exist.")
    settings = PushSettings(url=url, secret=secret or None, timeout=timeout, max_attempts=max_attempts,
                            backoff=backoff, since=parse_since(since))
    db = connect(db_path)
    if requeue_failed:  # (the flag is not named `retry_failed`: that would shadow the function)
        click.echo(f"{retry_failed(db, url)} failed deliveries queued again", err=True)
    if once:
        release_dead_leases(db)
        res = push_once(db, settings)
        pending, failed = db.execute(
            "SELECT COALESCE(SUM(status = 'pending'), 0), COALESCE(SUM(status = 'failed'), 0) FROM outbox "
            "WHERE target = ?", [url]
        ).fetchone()
        click.echo(f"push: {res.delivered} delivered; {pending} waiting to be retried, {failed} failed", err=True)
        if pending or failed:
            raise DeliveryError(
                f"{pending + failed} 条推送尚未送达（{failed} 条已放弃），详见 deliveries 表。"
                f"{pending + failed} deliveries are not delivered ({failed} gave up); see the deliveries table."
            )
        return
    db.conn.close()
    stop = threading.Event()

    def _stop(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"pushing verified submissions to {url} (Ctrl-C to stop)", err=True)
    run_forever(db_path, settings, stop, interval)
    click.echo("push stopped", err=True)
