"""Concurrency: two `docintake ingest` processes on one inbox, and the watcher writing while
reviewers write through the review UI, all against one SQLite database.

Inputs are one-page PDFs with a text layer of 20+ characters (intake/loaders.py MIN_TEXT_CHARS: a
shorter one is OCR'd as a scan), so no OCR runs and each submission takes ~0.1 s.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .conftest import make_pdf

ROOT = Path(__file__).resolve().parents[2]
DOCINTAKE = [sys.executable, "-c", "from intake.cli import main; main()"]
ENV = dict(os.environ, OMP_THREAD_LIMIT="1")


def _fill_inbox(inbox: Path, n: int, tag: str = "") -> int:
    """n submissions: folders of two PDFs and loose PDFs, plus the same bytes twice (a duplicate)."""
    files = 0
    for i in range(n):
        if i % 3 == 0:
            make_pdf(inbox / f"{tag}loose-{i}.pdf", f"loose submission {tag}{i} with a text layer")
            files += 1
        else:
            make_pdf(inbox / f"{tag}folder-{i}" / "a.pdf", f"first file of submission {tag}{i}, text layer")
            make_pdf(inbox / f"{tag}folder-{i}" / "sub" / "b.pdf", f"second file of submission {tag}{i}, text layer")
            files += 2
    (inbox / f"{tag}dup-copy").mkdir()
    (inbox / f"{tag}dup-copy" / "again.pdf").write_bytes((inbox / f"{tag}folder-1" / "a.pdf").read_bytes())
    return files + 1


def _expected_names(inbox: Path) -> list[str]:
    return sorted(p.name for p in inbox.iterdir())


def _ingest(inbox: Path, db_path: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(DOCINTAKE + ["ingest", str(inbox), "--db", str(db_path), "--json", "--workers", "1",
                                         "--as-of", "2026-11-20", *extra],
                            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _check_exactly_once(db_path: Path, names: list[str], n_files: int, lines: list[dict]) -> None:
    conn = sqlite3.connect(db_path)
    try:
        subs = sorted(r[0] for r in conn.execute("SELECT name FROM submissions"))
        assert subs == names  # one submission per inbox entry, none twice
        assert conn.execute("SELECT COUNT(*) FROM submissions WHERE status = 'processing'").fetchone()[0] == 0
        rows = conn.execute("SELECT submission_id, name, status FROM files").fetchall()
        assert len(rows) == n_files, rows  # every file recorded exactly once
        assert len({(s, n) for s, n, _ in rows}) == n_files
        statuses = sorted(s for _, _, s in rows)
        assert statuses.count("duplicate") == 1 and statuses.count("processed") == n_files - 1, statuses
        pages = conn.execute("SELECT file_id, COUNT(*) FROM pages GROUP BY file_id HAVING COUNT(*) > 1").fetchall()
        assert pages == []  # no file's pages stored twice
        docs = conn.execute("SELECT file_id, idx, COUNT(*) FROM documents GROUP BY file_id, idx "
                            "HAVING COUNT(*) > 1").fetchall()
        assert docs == []
    finally:
        conn.close()
    reported = sorted(line["submission"] for line in lines)
    assert reported == names  # together the two runs report each submission once


def _run_two(inbox: Path, db_a: Path, db_b: Path, extra_a=(), extra_b=()) -> list[dict]:
    a = _ingest(inbox, db_a, *extra_a)
    b = _ingest(inbox, db_b, *extra_b)
    lines = []
    for proc in (a, b):
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        assert "database is locked" not in err and "Traceback" not in err, err
        lines += [json.loads(line) for line in out.splitlines() if line.strip()]
    return lines


def test_two_ingests_on_one_inbox_process_each_file_once(tmp_path):
    inbox = tmp_path / "inbox"
    n_files = _fill_inbox(inbox, 12)
    names = _expected_names(inbox)
    db_path = tmp_path / "data" / "docintake.db"
    lines = _run_two(inbox, db_path, db_path)
    _check_exactly_once(db_path, names, n_files, lines)
    assert not any(inbox.iterdir())
    archived = list((tmp_path / "data" / "archive").rglob("*.pdf"))
    assert len(archived) == n_files - 1  # the duplicate's bytes are stored once


def test_two_ingests_with_different_data_dirs_still_process_each_file_once(tmp_path):
    inbox = tmp_path / "inbox"
    n_files = _fill_inbox(inbox, 12)
    names = _expected_names(inbox)
    db_path = tmp_path / "data" / "docintake.db"
    from intake.db import connect

    connect(db_path).conn.close()  # migrations applied once, so the race is the ingest's, not the schema's
    lines = _run_two(inbox, db_path, db_path, ("--data-dir", str(tmp_path / "d1")), ("--data-dir", str(tmp_path / "d2")))
    _check_exactly_once(db_path, names, n_files, lines)


# --------------------------------------------------------------------------- watcher + review UI

PASSWORD = "concurrency-pw-1"


def _review_db(db_path: Path, n: int) -> list[int]:
    """n submissions awaiting review (documents and fields written by intake.store) and two reviewers."""
    from intake.db import connect, now, transaction
    from intake.model import Document, FieldValue
    from intake.store import save_documents
    from review import auth

    db = connect(db_path)
    ids = []
    for i in range(n):
        with transaction(db):
            sid = db.conn.execute(
                "INSERT INTO submissions (name, source_path, received_at, as_of, packet, status, updated_at) "
                "VALUES (?, ?, ?, '2026-11-20', 'membership_application', 'needs_review', ?)",
                (f"review-{i}", f"/elsewhere/review-{i}", now(), now())).lastrowid
            fid = db.conn.execute(
                "INSERT INTO files (submission_id, name, sha256, ext, status, received_at) "
                "VALUES (?, 'scan.pdf', ?, '.pdf', 'processed', ?)", (sid, f"{sid:064x}", now())).lastrowid
            save_documents(db, sid, fid, [Document("business_license", [1], 0.9, {
                "name": FieldValue(f"许昌某某{i}科技有限公司", 0.6), "uscc": FieldValue("91411000MA47M7QPXU", 0.9)})])
        ids.append(sid)
    for name in ("rev1", "rev2"):
        auth.add_user(db, name, "reviewer", PASSWORD)
    db.conn.close()
    return ids


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_review(db_path: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = dict(ENV)
    env.pop("DATASETTE_SECRET", None)
    with open(log, "ab") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from review.cli import review_command; review_command(sys.argv[1:])",
             "--db", str(db_path), "--port", str(port)], cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    # liveness bounds, not timings: a loaded 2-core CI machine starts Datasette in tens of seconds
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("review server did not start")


def _sign_in(base: str, name: str):
    import httpx

    c = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    token = re.search(r'name="csrftoken" value="([^"]+)"', c.get("/-/review/login").text).group(1)
    r = c.post("/-/review/login", data={"username": name, "password": PASSWORD, "csrftoken": token})
    assert r.status_code == 302
    return c, token


def _reviewer(base: str, name: str, sids: list[int], statuses: list, stop: threading.Event) -> None:
    """Correct a field twice, then approve with a reason for each open error (a decided submission is
    read-only, so later rounds only read it); meanwhile keep reading and correcting the undecided ones."""
    c, token = _sign_in(base, name)
    try:
        rounds = 0
        while not stop.is_set() or rounds < 2:
            for sid in sids:
                r = c.get(f"/-/review/submission/{sid}.json")
                statuses.append((name, "GET", sid, r.status_code))
                if r.status_code != 200:
                    continue
                data = r.json()
                version = data["submission"]["version"]
                doc = data["documents"][0]["id"]
                if data["submission"]["decision"]:
                    continue  # decided: read-only (issue 13 item 15)
                r = c.post(f"/-/review/submission/{sid}/field",
                           data={"version": version, "document_id": doc, "key": "name",
                                 "value": f"许昌{name}更正{rounds}科技有限公司", "csrftoken": token},
                           headers={"accept": "application/json"})
                statuses.append((name, "field", sid, r.status_code))
                if r.status_code == 200 and rounds == 1:
                    errors = c.get(f"/-/review/submission/{sid}.json").json()["findings"]
                    overrides = {f"override_{f['id']}": "已核实" for f in errors if f["severity"] == "error"}
                    r = c.post(f"/-/review/submission/{sid}/decide",
                               data={"version": r.json()["version"], "decision": "approve", "comment": "同意",
                                     "csrftoken": token, **overrides})
                    statuses.append((name, "decide", sid, r.status_code))
                statuses.append((name, "queue", sid, c.get("/-/review").status_code))
            rounds += 1
    finally:
        c.close()


def test_watcher_and_review_writes_share_the_database_without_lock_errors(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    data = tmp_path / "data"
    db_path = data / "docintake.db"
    sids = _review_db(db_path, 8)
    review_log = tmp_path / "review.log"
    server, base = _start_review(db_path, review_log)
    watch_err = tmp_path / "watch.err"
    with open(watch_err, "w") as err_fh:
        watcher = subprocess.Popen(
            DOCINTAKE + ["watch", str(inbox), "--db", str(db_path), "--settle", "0.3", "--rescan", "2", "--workers", "1",
                         "--json"], cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=err_fh, text=True)
    statuses: list = []
    stop = threading.Event()
    threads = [threading.Thread(target=_reviewer, args=(base, name, part, statuses, stop))
               for name, part in (("rev1", sids[:4]), ("rev2", sids[4:]))]
    dropped = []
    try:
        for t in threads:
            t.start()
        for i in range(16):  # new scans arrive while the reviewers work
            name = f"drop-{i}"
            make_pdf(inbox / name / "scan.pdf", f"dropped while reviewers work, number {i}")
            dropped.append(name)
            time.sleep(0.4)

        def drained() -> bool:
            with sqlite3.connect(db_path) as c:
                n = c.execute("SELECT COUNT(*) FROM submissions WHERE name LIKE 'drop-%' AND status != 'processing'"
                              ).fetchone()[0]
            return n == len(dropped) and not any(inbox.iterdir())

        deadline = time.monotonic() + 400
        while not drained():
            assert time.monotonic() < deadline, "the watcher did not take every dropped submission"
            assert watcher.poll() is None, watch_err.read_text()
            time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join(timeout=120)
    finally:
        stop.set()
        watcher.send_signal(signal.SIGTERM)
        try:
            out, _ = watcher.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            watcher.kill()
            out, _ = watcher.communicate()
        server.terminate()
        server.wait(timeout=20)
    bad = [s for s in statuses if not 200 <= s[3] < 400]
    assert bad == [], bad
    writes = [s for s in statuses if s[1] in ("field", "decide")]
    assert len([s for s in writes if s[1] == "decide"]) == len(sids) and len(writes) > len(sids) * 2
    assert watcher.returncode == 0
    err = watch_err.read_text()
    assert "locked" not in err.lower() and "Traceback" not in err and " ERROR " not in err, err
    log = review_log.read_text(errors="replace")
    assert "database is locked" not in log and "Traceback" not in log and "500 Internal" not in log, log[-3000:]
    lines = [json.loads(x) for x in out.splitlines() if x.strip()]
    assert sorted(line["submission"] for line in lines) == sorted(dropped)  # each taken exactly once
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("SELECT COUNT(*) FROM files WHERE submission_id IN "
                            "(SELECT id FROM submissions WHERE name LIKE 'drop-%')").fetchone()[0] == len(dropped)
        approved = conn.execute(f"SELECT COUNT(*) FROM submissions WHERE id IN ({','.join(map(str, sids))}) "
                                "AND status = 'verified'").fetchone()[0]
        assert approved == len(sids)
        audited = conn.execute("SELECT COUNT(*) FROM audit WHERE action IN ('correct', 'approve')").fetchone()[0]
        assert audited == len(writes)  # every acknowledged write is in the audit trail
    finally:
        conn.close()
