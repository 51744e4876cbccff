"""Push: JSON over HTTP POST from the outbox, against a real local server that fails at first."""
from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import threading
import time

import pytest
from click.testing import CliRunner

from intake import leases, push
from intake.errors import DeliveryError
from intake.push import PushSettings, enqueue, push_command, push_once, retry_failed

from .conftest import Receiver, insert_verified

SECRET = "s3cret-密钥"


def _settings(url, **kw):
    return PushSettings(url=url, secret=SECRET, backoff=0.05, max_backoff=0.2, timeout=5, **kw)


def _drain(db, settings, rounds: int = 40):
    for _ in range(rounds):
        push_once(db, settings)
        left = db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
        if not left:
            return
        time.sleep(0.06)
    raise AssertionError("outbox did not drain")


def test_retries_until_delivered_exactly_once_with_signature(db):
    ids = insert_verified(db, 3)
    insert_verified(db, 1, start=3, status="needs_review")  # not verified: never sent
    with Receiver(fail_first=4) as rx:
        settings = _settings(rx.url)
        _drain(db, settings)
        # a second pass (a restart) sends nothing more
        assert push_once(db, settings).attempted == 0
    assert sorted(rx.effects) == [f"docintake-{sid}-v2" for sid in ids]
    assert len(rx.requests) == 4 + 3
    for req in rx.requests:
        h = req["headers"]
        expected = "sha256=" + hmac.new(SECRET.encode(), req["body"], hashlib.sha256).hexdigest()
        assert h["X-Docintake-Signature"] == expected
        assert abs(int(h["X-Docintake-Timestamp"]) - time.time()) < 60
        assert h["Content-Type"].startswith("application/json")
        body = json.loads(req["body"])
        assert body["idempotency_key"] == h["Idempotency-Key"]
        assert body["event"] == "submission.verified"
    body = rx.effects[f"docintake-{ids[0]}-v2"]
    assert body["record"]["submission_id"] == ids[0]
    assert body["record"]["id_card.id_number"] == "410102199001011234"
    # the same key (and bytes) on every retry of one delivery
    by_key: dict[str, set] = {}
    for req in rx.requests:
        by_key.setdefault(req["headers"]["Idempotency-Key"], set()).add(req["body"])
    assert all(len(bodies) == 1 for bodies in by_key.values())
    # every attempt is in the delivery log
    log = db.execute("SELECT status_code, error, duration_ms FROM deliveries ORDER BY id").fetchall()
    assert len(log) == 7
    assert [c for c, _, _ in log].count(503) == 4 and [c for c, _, _ in log].count(200) == 3
    assert all(ms is not None for _, _, ms in log)
    rows = db.execute("SELECT status, attempts, delivered_at FROM outbox").fetchall()
    assert all(s == "delivered" and d for s, _, d in rows)


def test_crash_after_send_resends_same_key_receiver_sees_one_effect(db, monkeypatch):
    ids = insert_verified(db, 2)
    with Receiver() as rx:
        settings = _settings(rx.url)
        real_transaction = push.transaction
        calls = {"n": 0}

        class Crash(Exception):
            pass

        def crashing(dbx):
            calls["n"] += 1
            if calls["n"] == 3:  # enqueue, claim, then the commit after the first POST: crash
                raise Crash()
            return real_transaction(dbx)

        monkeypatch.setattr(push, "transaction", crashing)
        monkeypatch.setattr(leases, "transaction", crashing)  # the claim's (intake/leases.py)
        with pytest.raises(Crash):
            push_once(db, settings)
        monkeypatch.setattr(push, "transaction", real_transaction)
        monkeypatch.setattr(leases, "transaction", real_transaction)
        assert len(rx.requests) == 1
        assert push_once(db, settings).attempted == 0  # leased by the "crashed" pusher
        # the crashed pusher was another process of this machine that is gone: its lease is freed
        gone = subprocess.Popen(["true"])
        gone.wait()
        db.conn.execute("UPDATE outbox SET lease_owner = ? WHERE lease_owner IS NOT NULL",
                        (f"{socket.gethostname()}:{gone.pid}:1",))
        assert push.release_dead_leases(db) == 2
        _drain(db, settings)
    keys = [r["headers"]["Idempotency-Key"] for r in rx.requests]
    assert len(keys) == 3 and len(set(keys)) == 2  # one resend, same key
    assert sorted(rx.effects) == sorted(f"docintake-{sid}-v2" for sid in ids)


def test_enqueue_is_idempotent_and_new_version_is_new_delivery(db):
    (sid,) = insert_verified(db, 1)
    s = PushSettings(url="http://127.0.0.1:9/x")
    assert enqueue(db, s) == 1
    assert enqueue(db, s) == 0
    db.conn.execute("UPDATE submissions SET version = version + 1 WHERE id = ?", (sid,))
    assert enqueue(db, s) == 1
    keys = [r[0] for r in db.execute("SELECT idempotency_key FROM outbox ORDER BY id")]
    assert keys == [f"docintake-{sid}-v2", f"docintake-{sid}-v3"]
    # another target has its own outbox rows
    assert enqueue(db, PushSettings(url="http://127.0.0.1:9/other")) == 1


def test_client_error_is_permanent_until_retried(db):
    insert_verified(db, 1)
    with Receiver(status_after=422) as rx:
        settings = _settings(rx.url)
        res = push_once(db, settings)
        assert (res.delivered, res.failed) == (0, 1)
        assert push_once(db, settings).attempted == 0
        assert db.execute("SELECT status, last_status_code FROM outbox").fetchone() == ("failed", 422)
        rx.status_after = 200
        assert retry_failed(db, rx.url) == 1
        assert push_once(db, settings).delivered == 1
    assert len(rx.effects) == 1


def test_gives_up_after_max_attempts_when_unreachable(db):
    insert_verified(db, 1)
    settings = PushSettings(url="http://127.0.0.1:9/closed", backoff=0.01, max_backoff=0.01, timeout=2,
                            max_attempts=3)
    for _ in range(10):
        push_once(db, settings)
        time.sleep(0.02)
    row = db.execute("SELECT status, attempts, last_error FROM outbox").fetchone()
    assert row[0] == "failed" and row[1] == 3 and row[2]
    assert db.execute("SELECT COUNT(*) FROM deliveries WHERE status_code IS NULL").fetchone()[0] == 3


def test_cli_once(db, tmp_path):
    insert_verified(db, 2)
    db_path = str(tmp_path / "data" / "docintake.db")
    runner = CliRunner()
    with Receiver(fail_first=1) as rx:
        res = runner.invoke(push_command, [rx.url, "--db", db_path, "--once", "--backoff", "60"],
                            env={"DOCINTAKE_PUSH_SECRET": SECRET})
        assert isinstance(res.exception, DeliveryError)  # one left to retry: exit code 9 from the CLI
        assert res.exception.exit_code == 9
        db.conn.execute("UPDATE outbox SET next_attempt_at = ''")  # as if the minute had passed
        res = runner.invoke(push_command, [rx.url, "--db", db_path, "--once"], env={"DOCINTAKE_PUSH_SECRET": SECRET})
        assert res.exit_code == 0, res.output
    assert len(rx.effects) == 2
    assert all("X-Docintake-Signature" in r["headers"] for r in rx.requests)
    res = runner.invoke(push_command, ["ftp://example", "--db", db_path, "--once"])
    assert res.exit_code != 0


def test_push_loop_stops_on_event(db, tmp_path):
    insert_verified(db, 2)
    with Receiver() as rx:
        stop = threading.Event()
        t = push.start_thread(tmp_path / "data" / "docintake.db", _settings(rx.url), stop, interval=0.1)
        deadline = time.monotonic() + 10
        while len(rx.effects) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        t.join(timeout=5)
        assert not t.is_alive()
    assert len(rx.effects) == 2


def test_watch_with_push_delivers_and_stops_on_sigterm(db, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    ids = insert_verified(db, 2)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    root = Path(__file__).resolve().parents[2]
    with Receiver(fail_first=1) as rx:
        proc = subprocess.Popen(
            [sys.executable, "-m", "intake.cli", "watch", str(inbox), "--db", str(tmp_path / "data" / "docintake.db"),
             "--push", rx.url],
            cwd=root, env={**os.environ, "DOCINTAKE_PUSH_SECRET": SECRET, "DOCINTAKE_WORKERS": "1"},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            deadline = time.monotonic() + 20
            while len(rx.effects) < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
    # one delivery succeeded at once; the other waits for its retry (30 s backoff by default)
    assert len(rx.effects) == 1 and next(iter(rx.effects)) in {f"docintake-{i}-v2" for i in ids}
    assert all("X-Docintake-Signature" in r["headers"] for r in rx.requests)
