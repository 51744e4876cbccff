"""The watched inbox: settling, exactly-once processing, the lock, signals, retries, re-queueing."""
from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from intake import pipeline
from intake.errors import LockedError, TransientError
from intake.requeue import requeue_command, requeue_file
from intake.watch import Watcher, watch_lock

from .conftest import make_pdf, pdf_bytes

ROOT = Path(__file__).resolve().parents[2]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def names_of(db) -> list[str]:
    return sorted(r[0] for r in db.execute("SELECT name FROM submissions").fetchall())


@pytest.fixture
def inbox(tmp_path):
    box = tmp_path / "inbox"
    box.mkdir()
    return box


def test_file_is_taken_only_once_it_has_settled(inbox, db, settings):
    clock = Clock()
    w = Watcher(inbox, db, settings, settle=1.0, rescan=1000, clock=clock)
    data = pdf_bytes("A licence scan that arrives in two halves")
    f = inbox / "scan.pdf"
    f.write_bytes(data[: len(data) // 2])
    assert w.tick() == []  # first sight
    clock.t = 0.9
    with open(f, "ab") as fh:
        fh.write(data[len(data) // 2:])
    w.mark(f)
    assert w.tick() == []  # changed: the settle time starts again
    clock.t = 1.5
    assert w.tick() == [] and f.exists()
    clock.t = 2.0
    lines = w.tick()
    assert [line["submission"] for line in lines] == ["scan.pdf"]
    assert not f.exists()
    assert db.execute("SELECT sha256 FROM files").fetchall() == [(sha(data),)]
    clock.t = 10
    assert w.tick() == []
    assert names_of(db) == ["scan.pdf"]


def test_folder_waits_for_all_its_files_and_lost_events_are_found_by_rescan(inbox, db, settings):
    clock = Clock()
    w = Watcher(inbox, db, settings, settle=1.0, rescan=5, clock=clock)
    w.tick()  # the start-up rescan: nothing yet
    folder = inbox / "2026-11-20 许昌某某科技"
    make_pdf(folder / "a.pdf", "first document of the folder")
    clock.t = 3.0
    assert w.tick() == [] and not w.pending  # no event was delivered: not seen yet
    clock.t = 5.0
    assert w.tick() == [] and list(w.pending) == [folder.name]  # the rescan finds it
    clock.t = 5.8
    make_pdf(folder / "sub" / "b.pdf", "second document arrives later")
    w.mark(folder / "sub" / "b.pdf")
    assert w.tick() == []
    clock.t = 6.2
    assert w.tick() == []  # a.pdf alone has settled, the folder has not
    clock.t = 6.8
    (lines,) = [w.tick()]
    assert [line["submission"] for line in lines] == [folder.name]
    assert sorted(d["file"] for d in lines[0]["documents"]) == ["a.pdf", "sub/b.pdf"]
    assert not folder.exists()


def test_transient_failure_is_retried_with_backoff(inbox, db, settings, monkeypatch):
    clock = Clock()
    w = Watcher(inbox, db, settings, settle=1.0, rescan=1000, clock=clock)
    real = pipeline.ingest_submission
    calls = []

    def flaky(*args, **kw):
        calls.append(clock.t)
        if len(calls) <= 2:
            raise TransientError("文件被占用", "transient")
        return real(*args, **kw)

    monkeypatch.setattr(pipeline, "ingest_submission", flaky)
    make_pdf(inbox / "locked.pdf", "a file another program still holds")
    w.tick()
    clock.t = 1.0
    assert w.tick() == []  # attempt 1 fails: retry after 1 s
    clock.t = 1.5
    assert w.tick() == []
    clock.t = 2.0
    assert w.tick() == []  # attempt 2 fails: retry after 2 s
    clock.t = 3.9
    assert w.tick() == []
    clock.t = 4.0
    assert len(w.tick()) == 1
    assert calls == [1.0, 2.0, 4.0]
    assert names_of(db) == ["locked.pdf"]


def test_a_file_changed_while_processed_is_processed_again(inbox, db, settings, monkeypatch):
    clock = Clock()
    w = Watcher(inbox, db, settings, settle=0.5, rescan=1000, clock=clock)
    real = pipeline.ingest_submission
    v2 = pdf_bytes("the second version, saved during processing")

    def and_then_saved_again(db_, settings_, runner, sub):
        line = real(db_, settings_, runner, sub)
        if not v2_written:
            (inbox / "doc.pdf").write_bytes(v2)
            v2_written.append(1)
        return line

    v2_written: list = []
    monkeypatch.setattr(pipeline, "ingest_submission", and_then_saved_again)
    make_pdf(inbox / "doc.pdf", "the first version of the document")
    w.tick()
    clock.t = 1.0
    assert len(w.tick()) == 1
    assert (inbox / "doc.pdf").exists() and "doc.pdf" in w.pending
    clock.t = 1.2
    assert w.tick() == []  # the new version settles first
    clock.t = 2.0
    assert len(w.tick()) == 1
    shas = [r[0] for r in db.execute("SELECT sha256 FROM files ORDER BY id")]
    assert len(shas) == 2 and shas[1] == sha(v2)
    assert not (inbox / "doc.pdf").exists()


def _wait(pred, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _received_at(conn) -> dict[str, datetime]:
    rows = conn.execute(
        "SELECT s.name, e.at FROM events e JOIN submissions s ON s.id = e.submission_id WHERE e.kind = 'received'"
    ).fetchall()
    return {n: datetime.fromisoformat(at) for n, at in rows}


def test_slow_chunked_and_renamed_writes_are_each_processed_once(inbox, db, settings, tmp_path):
    """Real events, real time: writers in chunks slower than nothing, faster than the settle time."""
    w = Watcher(inbox, db, settings, settle=0.6, rescan=60)
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    last_write: dict[str, float] = {}
    expected: dict[str, dict[str, str]] = {}

    def chunked(path: Path, data: bytes, entry: str, n: int = 4, pause: float = 0.3):
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            for i in range(n):
                fh.write(data[i * len(data) // n:(i + 1) * len(data) // n])
                fh.flush()
                last_write[entry] = time.time()
                time.sleep(pause)

    try:
        a = pdf_bytes("slowly written single scan, chunk by chunk")
        chunked(inbox / "slow.pdf", a, "slow.pdf")
        expected["slow.pdf"] = {"slow.pdf": sha(a)}

        b1, b2 = pdf_bytes("folder file one of two"), pdf_bytes("folder file two of two, later")
        chunked(inbox / "folder" / "1.pdf", b1, "folder", n=2)
        chunked(inbox / "folder" / "2.pdf", b2, "folder", n=3)
        expected["folder"] = {"1.pdf": sha(b1), "2.pdf": sha(b2)}

        c = pdf_bytes("downloaded by a browser then renamed into place")
        chunked(inbox / "renamed.pdf.part", c, "renamed.pdf")
        os.rename(inbox / "renamed.pdf.part", inbox / "renamed.pdf")
        last_write["renamed.pdf"] = time.time()
        expected["renamed.pdf"] = {"renamed.pdf": sha(c)}

        d = pdf_bytes("copied into a folder under a temporary name")
        chunked(inbox / "dl" / "x.pdf.crdownload", d, "dl")
        os.rename(inbox / "dl" / "x.pdf.crdownload", inbox / "dl" / "x.pdf")
        last_write["dl"] = time.time()
        expected["dl"] = {"x.pdf": sha(d)}

        conn = sqlite3.connect(tmp_path / "data" / "docintake.db")
        _wait(lambda: conn.execute("SELECT COUNT(*) FROM submissions WHERE status != 'processing'").fetchone()[0]
              >= 4 and not any(inbox.iterdir()), 300, "four submissions")  # liveness, not timing: load
        time.sleep(0.8)  # nothing more happens
    finally:
        w.stop.set()
        w.wake.set()
        t.join(timeout=10)
        w.close()
    assert names_of(conn) == sorted(expected)
    for name, files in expected.items():
        got = dict(conn.execute(
            "SELECT f.name, f.sha256 FROM files f JOIN submissions s ON s.id = f.submission_id WHERE s.name = ?",
            [name]).fetchall())
        assert got == files, name
    received = _received_at(conn)
    for name, t_last in last_write.items():
        assert received[name].timestamp() >= t_last + 0.5, f"{name} taken before it settled"
    assert sorted(w.processed) == sorted(expected)
    assert conn.execute("SELECT COUNT(*) FROM events WHERE kind = 'duplicate'").fetchone()[0] == 0


def _cmd(inbox: Path, db_path: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "intake.cli", "watch", str(inbox), "--db", str(db_path), "--settle", "0.3", *extra]


ENV = {**os.environ, "DOCINTAKE_WORKERS": "1", "OMP_THREAD_LIMIT": "1"}


def test_second_watcher_exits_with_locked_code(inbox, tmp_path, settings):
    with watch_lock(settings.locks_dir, inbox.resolve()):
        with pytest.raises(LockedError):
            with watch_lock(settings.locks_dir, inbox.resolve()):
                pass
        proc = subprocess.run(_cmd(inbox, tmp_path / "data" / "docintake.db"), cwd=ROOT, env=ENV,
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 8, proc.stderr
    assert "Another watcher" in proc.stderr and "已在监视收件箱" in proc.stderr


def _make_batch(inbox: Path, text_page) -> int:
    """One submission that needs OCR (takes a second or more), then three quick ones."""
    (inbox / "a-scan").mkdir()
    text_page(["许昌市科技局", "创新券兑付申请", "第一页 扫描件"], size=32, width=700, margin=30).convert("L").save(
        inbox / "a-scan" / "page.png")
    make_pdf(inbox / "a-scan" / "cover.pdf", "cover letter of the scanned submission")
    for name in ("b", "c", "d"):
        make_pdf(inbox / name / "doc.pdf", f"quick submission {name} with a text layer")
    return 5


def _check_exactly_once(db_path: Path, n_files: int):
    conn = sqlite3.connect(db_path)
    assert names_of(conn) == ["a-scan", "b", "c", "d"]
    assert conn.execute("SELECT COUNT(*) FROM submissions WHERE status = 'processing'").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM files").fetchone()[0] == n_files
    assert conn.execute("SELECT COUNT(DISTINCT sha256) FROM files").fetchone()[0] == n_files
    assert conn.execute("SELECT COUNT(*) FROM files WHERE status != 'processed'").fetchone()[0] == 0
    return conn


def _start_and_wait_for_first(inbox, db_path):
    proc = subprocess.Popen(_cmd(inbox, db_path), cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)

    def started():
        if not db_path.exists():
            return False
        try:
            with sqlite3.connect(db_path) as c:
                return c.execute("SELECT COUNT(*) FROM events WHERE kind = 'received'").fetchone()[0] > 0
        except sqlite3.OperationalError:
            return False

    _wait(started, 60, "the first submission to start")
    return proc


def _restart_until_done(inbox, db_path):
    proc = subprocess.Popen(_cmd(inbox, db_path), cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)

    def done():
        with sqlite3.connect(db_path) as c:
            open_ = c.execute("SELECT COUNT(*) FROM submissions WHERE status = 'processing'").fetchone()[0]
            n = c.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
        return n == 4 and not open_ and not any(inbox.iterdir())

    try:
        _wait(done, 60, "the restarted watcher to finish")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return err


def test_sigterm_finishes_the_submission_in_hand_and_a_restart_the_rest(inbox, tmp_path, text_page):
    n_files = _make_batch(inbox, text_page)
    db_path = tmp_path / "data" / "docintake.db"
    proc = _start_and_wait_for_first(inbox, db_path)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err
    assert "stopping after the submission in hand" in err
    with sqlite3.connect(db_path) as conn:
        done = dict(conn.execute("SELECT name, status FROM submissions").fetchall())
    assert done.get("a-scan") not in (None, "processing")  # finished, not abandoned
    assert sorted(p.name for p in inbox.iterdir()) == ["b", "c", "d"]  # untouched
    err = _restart_until_done(inbox, db_path)
    assert err.count("b: ") == 1 and "a-scan" not in err
    _check_exactly_once(db_path, n_files)


def test_second_signal_abandons_and_the_restart_resumes(inbox, tmp_path, text_page):
    n_files = _make_batch(inbox, text_page)
    db_path = tmp_path / "data" / "docintake.db"
    proc = _start_and_wait_for_first(inbox, db_path)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err
    if "abandoned a-scan" in err:
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("SELECT status FROM submissions").fetchall() == [("processing",)]
    else:  # the machine was quick enough to finish it before the second signal
        assert "a-scan: " in err
    _restart_until_done(inbox, db_path)
    _check_exactly_once(db_path, n_files)


def test_requeue_back_into_its_submission(inbox, db, settings):
    folder = inbox / "2026-11-20 申请"
    make_pdf(folder / "good.pdf", "a perfectly readable document")
    (folder / "notes.pdf").write_text("not a pdf at all", "utf-8")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)
    clock = Clock()
    w = Watcher(inbox, db, settings, settle=0.5, rescan=5, clock=clock)
    w.tick()
    clock.t = 1
    (line,) = w.tick()
    assert sorted(e["file"] for e in line["errors"]) == ["broken.pdf", "notes.pdf"]
    files = dict(db.execute("SELECT name, id FROM files").fetchall())
    quarantined = {n: q for n, q in db.execute("SELECT name, quarantine_path FROM files WHERE status = 'quarantined'")}
    assert all(Path(f"{q}.error.txt").exists() for q in quarantined.values())

    # notes.pdf was never archived: it goes back into the inbox folder it came from
    dest = requeue_file(db, files["notes.pdf"])
    assert dest == folder / "notes.pdf" and dest.exists()
    assert not Path(f"{quarantined['notes.pdf']}.error.txt").exists()
    assert db.execute("SELECT status FROM files WHERE id = ?", [files["notes.pdf"]]).fetchone() == ("requeued",)
    assert db.execute("SELECT status FROM submissions").fetchone() == ("processing",)  # reopened
    assert db.execute("SELECT COUNT(*) FROM events WHERE kind = 'requeued'").fetchone() == (1,)
    with pytest.raises(Exception):
        requeue_file(db, files["notes.pdf"])  # not quarantined any more
    make_pdf(dest, "the fixed notes, readable this time")  # e.g. re-saved by the applicant

    # broken.pdf failed after archiving: it is processed again from the archive
    apath = requeue_file(db, files["broken.pdf"])
    assert apath.exists() and "archive" in str(apath)
    assert not Path(quarantined["broken.pdf"]).exists()

    clock.t = 2
    w.tick()
    clock.t = 6  # the rescan resumes the archived one; the inbox file settles
    w.tick()
    clock.t = 7
    w.tick()
    assert names_of(db) == ["2026-11-20 申请"]  # still one submission
    rows = dict(db.execute("SELECT name || ':' || id, status FROM files").fetchall())
    assert sorted(rows.values()) == ["processed", "processed", "quarantined", "requeued"]
    assert db.execute("SELECT status FROM submissions").fetchone()[0] != "processing"
    assert not folder.exists()


def test_requeue_cli_all(inbox, db, settings, tmp_path):
    (inbox / "junk.pdf").write_text("no pdf", "utf-8")
    (inbox / "f").mkdir()
    (inbox / "f" / "empty.pdf").write_bytes(b"")
    list(pipeline.ingest(inbox, db, settings))
    assert db.execute("SELECT COUNT(*) FROM files WHERE status = 'quarantined'").fetchone() == (2,)
    res = CliRunner().invoke(requeue_command, ["--all", "--db", str(tmp_path / "data" / "docintake.db")])
    assert res.exit_code == 0, res.output
    assert (inbox / "junk.pdf").exists() and (inbox / "f" / "empty.pdf").exists()
    assert db.execute("SELECT COUNT(*) FROM files WHERE status = 'requeued'").fetchone() == (2,)
    res = CliRunner().invoke(requeue_command, ["--db", str(tmp_path / "data" / "docintake.db")])
    assert res.exit_code != 0
