"""The notice sender inside `docintake watch` (a real watch process, a real aiosmtpd server):
a decision taken while the watcher runs is mailed exactly once; the watcher SIGKILLed and
started again sends nothing twice, and a notice the killed one had claimed goes out at once."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from intake.errors import ConfigError
from intake.notices import sender
from review import decisions, returned

from . import notices_smtp
from .test_notices import EMAIL, membership, version

ROOT = Path(__file__).resolve().parents[2]


def _wait(pred, timeout: float, what: str, proc=None, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.05)
    tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


def _watch(inbox: Path, db_path: Path, env: dict, log: Path) -> subprocess.Popen:
    out = open(log, "w", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "intake.cli", "watch", str(inbox), "--db", str(db_path), "--settle", "0.3",
         "--notices-every", "0.2"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=out)
    out.close()
    _wait(lambda: "watching " in log.read_text(encoding="utf-8"), 90, "the watcher to start", proc, log)
    return proc


def test_watch_sends_a_decision_s_notice_once_across_a_kill_and_restart(db, tmp_path):
    box = notices_smtp.Mailbox()
    controller, port, _ = notices_smtp.start(box)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    db_path = tmp_path / "data" / "docintake.db"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DOCINTAKE_SMTP")},
           **notices_smtp.env(port), "PYTHONPATH": str(ROOT), "DOCINTAKE_WORKERS": "1", "OMP_THREAD_LIMIT": "1"}
    procs = []
    try:
        first = membership(db)
        log1 = tmp_path / "watch1.log"
        procs.append(_watch(inbox, db_path, env, log1))
        assert "notices: sent through 127.0.0.1" in log1.read_text(encoding="utf-8")
        # 1. a reviewer returns a submission while the watcher runs: one mail, and only one
        returned.return_submission(db, first, version(db, first), ["missing"], {"missing": "缺少机构用户使用承诺书"},
                                   "请补正", "shen")
        _wait(lambda: db.execute("SELECT status FROM notices").fetchone()[0] == "sent", 60, "the notice to be sent",
              procs[0], log1)
        assert len(box.messages) == 1 and box.messages[0]["To"] == EMAIL
        assert "缺少机构用户使用承诺书" in box.bodies()[0]

        # 2. SIGKILL (no clean stop), then a rejection is queued and claimed as if by the killed
        #    watcher's own pass: its lease (300 s) names a process that is gone
        procs[0].kill()
        procs[0].wait(30)
        second = membership(db, name="2026-11-21 许昌恒达科技 另一申请", email="wang@hengda.example.cn")
        decisions.decide(db, second, version(db, second), "reject", "不符合申报条件", "shen")
        until = (datetime.now(timezone.utc) + timedelta(seconds=300)).isoformat(timespec="milliseconds")
        db.conn.execute("UPDATE notices SET lease_until = ?, lease_owner = ? WHERE submission_id = ?",
                        (until, f"{socket.gethostname()}:{procs[0].pid}:1", second))

        # 3. the restarted watcher frees that lease and sends it now; the first is not sent again
        log2 = tmp_path / "watch2.log"
        procs.append(_watch(inbox, db_path, env, log2))
        _wait(lambda: len(box.messages) >= 2, 60, "the second notice", procs[1], log2)
        procs[1].send_signal(signal.SIGTERM)
        assert procs[1].wait(60) == 0, log2.read_text(encoding="utf-8")
        assert [m["To"] for m in box.messages] == [EMAIL, "wang@hengda.example.cn"]
        assert "审核未通过" in box.messages[1]["Subject"]
        assert db.execute("SELECT submission_id, status, attempts FROM notices ORDER BY id").fetchall() == [
            (first, "sent", 1), (second, "sent", 1)]
        assert db.execute("SELECT COUNT(*), SUM(ok) FROM notice_sendings").fetchone() == (2, 2)
        assert db.execute("SELECT COUNT(*) FROM audit WHERE action = 'notice_sent'").fetchone()[0] == 2
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(30)
        controller.stop()


def test_watch_without_smtp_says_so_once_and_leaves_notices_queued():
    settings, line = sender.watch_settings(None, {})
    assert settings is None and "DOCINTAKE_SMTP_HOST is not set" in line
    settings, line = sender.watch_settings(False, notices_smtp.env(2525))
    assert settings is None and "--no-notices" in line
    settings, line = sender.watch_settings(None, notices_smtp.env(2525))
    assert settings.port == 2525 and "127.0.0.1:2525" in line
    with pytest.raises(ConfigError, match="DOCINTAKE_SMTP_HOST"):
        sender.watch_settings(True, {})  # asked for, not configured: refuse to start rather than drop them
    with pytest.raises(ConfigError, match="DOCINTAKE_NOTICE_FROM"):
        sender.watch_settings(None, {"DOCINTAKE_SMTP_HOST": "mail.example.cn"})
