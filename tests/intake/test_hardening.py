"""Issue 13 items 1-7 and the loader items of issue 11: intake never stops, never loses an original.

Real files from tests/corpus/hostile.py, real SQLite, real processes; each test fails on
the code before the fix (named in its docstring).
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from intake.db import connect
from intake.pipeline import Settings, ingest

from .conftest import make_pdf

ROOT = Path(__file__).resolve().parents[2]
DOCINTAKE = [sys.executable, "-c", "from intake.cli import main; main()"]
ENV = dict(os.environ, OMP_THREAD_LIMIT="1", PYTHONPATH=str(ROOT))


def _cli(*args, cwd=ROOT, env=None, timeout=300):
    return subprocess.run(DOCINTAKE + [str(a) for a in args], cwd=cwd, env=env or ENV, capture_output=True,
                          text=True, timeout=timeout)


def _files(db) -> list[tuple]:
    return db.execute("SELECT name, status, reason, error, archive_path, quarantine_path, note, attempts "
                      "FROM files ORDER BY id").fetchall()


# --- 1. the data folder is never taken as input -------------------------------------------


def test_ingest_refuses_a_data_folder_inside_the_inbox(tmp_path):
    """Before: `cd INBOX && docintake ingest .` moved its own live database to quarantine."""
    inbox = tmp_path / "inbox"
    make_pdf(inbox / "a.pdf", "a scan with a text layer long enough to skip OCR")
    res = _cli("ingest", ".", cwd=inbox)  # default --db data/docintake.db: inside the inbox
    assert res.returncode == 2, res.stderr
    assert "收件箱" in res.stderr and "Traceback" not in res.stderr
    assert sorted(p.name for p in inbox.iterdir()) == ["a.pdf"]  # nothing created, nothing taken
    res = _cli("ingest", inbox, "--db", inbox / "sub" / "d.db")
    assert res.returncode == 2 and not (inbox / "sub").exists()
    data = tmp_path / "data"
    (data / "inbox").mkdir(parents=True)
    res = _cli("ingest", data / "inbox", "--db", data / "d.db")  # the inbox inside the data folder
    assert res.returncode == 2 and "数据目录" in res.stderr
    link = tmp_path / "link-to-inbox"
    link.symlink_to(inbox)
    res = _cli("ingest", link, "--db", inbox / "d.db")
    assert res.returncode == 2  # symlinks resolved
    res = _cli("watch", data / "inbox", "--db", data / "d.db")  # watch shares the same guard
    assert res.returncode == 2 and "数据目录" in res.stderr
    # the library refuses too
    db = connect(inbox.parent / "elsewhere" / "d.db")
    with pytest.raises(Exception) as info:
        list(ingest(inbox, db, Settings(data_dir=inbox / "data", settle=0)))
    assert getattr(info.value, "exit_code", None) == 2


# --- 2. one odd file never stops intake ------------------------------------------------------


def test_every_hostile_kind_is_quarantined_with_a_reason_and_the_run_goes_on(tmp_path, db, settings):
    """Before: +inf TIFF resolution, /Count 5 with one kid, 200x30000 image each aborted the whole run."""
    from tests.corpus.hostile import KINDS, READABLE, write_all

    inbox = tmp_path / "inbox"
    paths = write_all(inbox / "hostile")
    make_pdf(inbox / "good" / "scan.pdf", "a good scan after the hostile ones, with a text layer")
    assert len(KINDS) - len(READABLE) >= 35
    lines = list(ingest(inbox, db, settings))
    assert sorted(line["submission"] for line in lines) == ["good", "hostile"]
    rows = _files(db)
    by_name = {Path(r[0]).name: r for r in rows}
    for kind, path in paths.items():
        name = "scan.png" if kind == "folder nested too deep" else path.name
        row = by_name[name]
        if kind in READABLE:
            assert row[1] == "processed", (kind, row)
        else:
            assert row[1] == "quarantined" and row[2] and row[3], (kind, row)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in row[3]), (kind, row[3])  # a Chinese reason
    assert by_name["scan.pdf"][1] == "processed"
    assert db.execute("SELECT COUNT(*) FROM submissions WHERE status = 'processing'").fetchone()[0] == 0
    assert not any(p.is_file() for p in inbox.rglob("*"))  # nothing left behind, nothing lost
    for r in rows:
        if r[1] == "quarantined":
            assert Path(r[5]).is_absolute() and (Path(r[5]).exists() or Path(r[5]).is_symlink()), r


def test_an_unexpected_error_quarantines_the_file_and_requeue_takes_it_back(tmp_path, db, settings, monkeypatch):
    """Before: any exception outside InputError aborted the run and left the file `archived` for good."""
    from intake import pipeline
    from intake.requeue import requeue_file

    inbox = tmp_path / "inbox"
    make_pdf(inbox / "sub" / "bad.pdf", "this one trips a bug in extraction, text layer")
    make_pdf(inbox / "sub" / "good.pdf", "this one is fine and must be processed, text layer")
    real = pipeline.extract

    def extract(pages, images, name, *args):  # fault injection: a bug in a leaf module
        if name == "bad.pdf":
            raise ZeroDivisionError("division by zero")
        return real(pages, images, name, *args)

    monkeypatch.setattr(pipeline, "extract", extract)
    lines = list(ingest(inbox, db, settings))
    assert [line["status"] for line in lines] != ["processing"]
    rows = {r[0]: r for r in _files(db)}
    assert rows["good.pdf"][1] == "processed"
    assert rows["bad.pdf"][1] == "quarantined" and rows["bad.pdf"][2] == "processing_error"
    assert "意外错误" in rows["bad.pdf"][3]
    note = Path(rows["bad.pdf"][5] + ".error.txt").read_text("utf-8")
    assert "ZeroDivisionError" in note and "Traceback" in note  # the exception, for operators
    fid = db.execute("SELECT id FROM files WHERE name = 'bad.pdf'").fetchone()[0]
    requeue_file(db, fid)
    monkeypatch.setattr(pipeline, "extract", real)
    list(ingest(inbox, db, settings))
    assert db.execute("SELECT status, attempts FROM files WHERE id = ?", [fid]).fetchone() == ("processed", 1)


def test_a_file_that_keeps_crashing_is_quarantined_and_newer_work_still_runs(tmp_path, db, settings):
    """Before: a file whose processing killed the process was resumed first by every run, for ever."""
    from intake import taking
    from intake.inbox import Submission

    inbox = tmp_path / "inbox"
    make_pdf(inbox / "old" / "crashy.pdf", "the run died on this one three times, text layer")
    sub = Submission("old", (inbox / "old").resolve(), [(inbox / "old" / "crashy.pdf").resolve()])
    sid = taking.get_submission(db, sub, __import__("datetime").date(2026, 11, 20))
    taking.take_file(db, settings, sid, sub, sub.files[0])  # archived, inbox copy gone: the crash point
    db.conn.execute("UPDATE files SET attempts = ?", (settings.max_attempts,))  # three crashes counted
    make_pdf(inbox / "new" / "scan.pdf", "newer work arrives after the crashes, text layer")
    lines = {line["submission"]: line for line in ingest(inbox, db, settings)}
    assert set(lines) == {"old", "new"}
    status, reason = db.execute("SELECT status, reason FROM files WHERE name = 'crashy.pdf'").fetchone()
    assert (status, reason) == ("quarantined", "repeated_failure")
    assert db.execute("SELECT status FROM files WHERE name = 'scan.pdf'").fetchone()[0] == "processed"
    assert not (inbox / "old").exists()  # 7. the emptied submission folder is removed after the resume


# --- 3. a file still being written is not archived half-written ----------------------------


def test_ingest_waits_for_a_growing_file_and_never_unlinks_it_half_written(tmp_path, db):
    """Before: ingest archived the truncated file and unlinked it while the writer still wrote."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    target = inbox / "growing.pdf"
    from .conftest import pdf_bytes

    full = pdf_bytes("a scan copied in slowly over the network, text layer")
    stop = threading.Event()
    fh = open(target, "wb")
    fh.write(full[:200])
    fh.flush()

    def writer():
        while not stop.is_set():
            os.utime(target)  # still changing
            time.sleep(0.05)

    t = threading.Thread(target=writer)
    t.start()
    try:
        settings = Settings(data_dir=tmp_path / "data", workers=1, progress=False, settle=0.3)
        assert list(ingest(inbox, db, settings)) == []
        assert target.exists() and db.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 0
    finally:
        stop.set()
        t.join()
    # writer done but the file still open for writing, mtime in the past (a `cp -p`): still left alone
    old = time.time() - 3600
    os.utime(target, (old, old))
    assert list(ingest(inbox, db, Settings(data_dir=tmp_path / "data", workers=1, progress=False, settle=0.3))) == []
    assert target.exists()
    fh.write(full[200:])
    fh.close()
    os.utime(target, (old, old))
    lines = list(ingest(inbox, db, Settings(data_dir=tmp_path / "data", workers=1, progress=False, settle=0.3)))
    assert [line["submission"] for line in lines] == ["growing.pdf"]
    apath, status = db.execute("SELECT archive_path, status FROM files").fetchone()
    assert status == "processed" and Path(apath).read_bytes() == full and not target.exists()


# --- 4. memory: see test_memory.py (one page rendered at a time, a window of decoded pages) ---------


# --- 5. locks in the data folder, safe ------------------------------------------------------------

HOLDER = r"""
import sys, time
from pathlib import Path
from intake.pipeline import Settings, inbox_lock
data, inbox, flag = map(Path, sys.argv[1:4])
with inbox_lock(Settings(data_dir=data), inbox):
    (flag / 'held').write_text('1')
    while not (flag / 'release').exists():
        time.sleep(0.02)
    (flag / 'released').write_text(repr(time.time()))
"""


def test_ingest_lock_excludes_processes_with_private_temp_dirs(tmp_path):
    """Before: the lock lived in $TMPDIR, so with the unit's PrivateTmp=yes a manual ingest ran beside the watcher."""
    inbox, data, flag = tmp_path / "inbox", tmp_path / "data", tmp_path / "flag"
    flag.mkdir()
    for i in range(3):
        make_pdf(inbox / f"s{i}" / "a.pdf", f"submission {i} waiting behind the lock, text layer")
    tmp_a, tmp_b = tmp_path / "tmp-a", tmp_path / "tmp-b"
    tmp_a.mkdir(), tmp_b.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(data), str(inbox), str(flag)], cwd=ROOT,
                              env=dict(ENV, TMPDIR=str(tmp_a)))
    try:
        deadline = time.monotonic() + 60
        while not (flag / "held").exists():
            assert holder.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        ing = subprocess.Popen(DOCINTAKE + ["ingest", str(inbox), "--db", str(data / "d.db"), "--settle", "0",
                                            "--workers", "1", "--json"], cwd=ROOT, env=dict(ENV, TMPDIR=str(tmp_b)),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(4)
        assert ing.poll() is None  # waiting for the lock
        assert sorted(p.name for p in inbox.iterdir()) == ["s0", "s1", "s2"]
        (flag / "release").write_text("1")
        out, err = ing.communicate(timeout=180)
        assert ing.returncode == 0, err
        assert len(out.splitlines()) == 3
    finally:
        (flag / "release").write_text("1")
        holder.wait(timeout=30)
    released = float((flag / "released").read_text())
    conn = sqlite3.connect(data / "d.db")
    first = conn.execute("SELECT MIN(received_at) FROM submissions").fetchone()[0]
    from datetime import datetime

    assert datetime.fromisoformat(first).timestamp() >= released - 0.05
    assert list((data / "locks").glob("ingest-*.lock"))


def test_lock_files_are_never_created_through_a_symlink(tmp_path):
    from intake.errors import ConfigError
    from intake.locks import hold, inbox_digest

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    locks = tmp_path / "data" / "locks"
    locks.mkdir(parents=True)
    (locks / f"ingest-{inbox_digest(tmp_path / 'inbox')}.lock").symlink_to(victim)
    from intake.pipeline import Settings, inbox_lock

    with pytest.raises(ConfigError):
        with inbox_lock(Settings(data_dir=tmp_path / "data"), tmp_path / "inbox"):
            pass
    assert victim.read_text() == "keep me"
    (tmp_path / "d2").mkdir()
    (tmp_path / "d2" / "locks").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(ConfigError):
        with hold(tmp_path / "d2" / "locks", "x.lock", True, "busy"):
            pass
    assert not list((tmp_path / "elsewhere").iterdir())


# --- 6. WAL set once, no "database is locked" on a fresh database -------------------------------

RACER = r"""
import sys, time
from pathlib import Path
from intake.db import connect
root, me, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
errors = 0
for i in range(n):
    (root / f'ready-{i}-{me}').write_text('1')
    while not (root / f'go-{i}').exists():
        time.sleep(0.0005)
    try:
        db = connect(root / f'db-{i}' / 'd.db')
        db.conn.execute("INSERT INTO events (at, kind, detail) VALUES ('x', 'race', ?)", (me,))
        db.conn.close()
    except Exception as exc:
        errors += 1
        print('ERROR', i, type(exc).__name__, exc, flush=True)
print('errors', errors)
"""


def race_fresh_databases(root: Path, n: int) -> tuple[int, str]:
    """Two processes open each of `n` fresh databases at the same moment (a barrier file per round)."""
    root.mkdir(parents=True, exist_ok=True)
    procs = [subprocess.Popen([sys.executable, "-c", RACER, str(root), me, str(n)], cwd=ROOT, env=ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for me in ("a", "b")]
    for i in range(n):
        deadline = time.monotonic() + 120
        while not ((root / f"ready-{i}-a").exists() and (root / f"ready-{i}-b").exists()):
            if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
                break
            time.sleep(0.001)
        (root / f"go-{i}").write_text("1")
    out = "".join(p.communicate(timeout=600)[0] for p in procs)
    bad = out.count("ERROR")
    for i in range(n):
        conn = sqlite3.connect(root / f"db-{i}" / "d.db")
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT COUNT(*) FROM events WHERE kind = 'race'").fetchone()[0] == 2
        conn.close()
    return bad, out


def test_two_processes_opening_a_fresh_database_get_no_lock_error(tmp_path):
    """Before: `PRAGMA journal_mode=WAL` in every connect() raced and failed with 'database is locked' at once."""
    bad, out = race_fresh_databases(tmp_path / "race", 20)
    assert bad == 0, out


def test_opening_a_fresh_database_while_another_connection_writes_waits_instead_of_failing(tmp_path):
    """Before: connect() ran `PRAGMA journal_mode=WAL`, which needs an exclusive lock; while another
    connection held a write lock on the new file (a second process creating its tables), SQLite
    returned 'database is locked' at once, without calling the busy handler (deadlock avoidance).
    The race above hits that window only now and then; this holds it open for a second."""
    import threading

    path = tmp_path / "d.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")  # a fresh database, still in rollback-journal mode
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (1)")
    release = threading.Timer(1.0, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        db = connect(path)
        assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.conn.close()
    finally:
        release.join()
        holder.close()


# --- 7. paths independent of the working directory ---------------------------------------------


def test_paths_are_stored_absolute_whatever_the_working_directory(tmp_path):
    """Before: a relative --db stored archive/page/quarantine paths relative to the CWD."""
    work = tmp_path / "work"
    inbox = tmp_path / "inbox"
    make_pdf(inbox / "s" / "a.pdf", "a scan ingested with a relative database path, text layer")
    (inbox / "s" / "bad.pdf").write_bytes(b"%PDF-1.4\n")
    work.mkdir()
    res = _cli("ingest", inbox, "--db", "data/d.db", "--settle", "0", "--workers", "1", cwd=work)
    assert res.returncode == 0, res.stderr
    conn = sqlite3.connect(work / "data" / "d.db")
    paths = [p for (p,) in conn.execute("SELECT archive_path FROM files WHERE archive_path IS NOT NULL "
                                        "UNION ALL SELECT quarantine_path FROM files WHERE quarantine_path IS NOT NULL "
                                        "UNION ALL SELECT image_path FROM pages")]
    assert len(paths) >= 3
    os.chdir(tmp_path)  # elsewhere, as `review --db /abs/path` started from another folder
    try:
        for p in paths:
            assert Path(p).is_absolute() and Path(p).exists(), p
    finally:
        os.chdir(ROOT)


# --- issue 11: loaders ---------------------------------------------------------------------------


def test_a_jpeg_named_png_is_read_by_its_content_with_a_note(tmp_path, db, settings, text_page):
    """Before: quarantined for the extension mismatch."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    text_page(["许昌市科学技术局"], size=40, width=800, margin=40).convert("RGB").save(inbox / "微信图片.png", "JPEG")
    list(ingest(inbox, db, settings))
    name, status, reason, error, apath, qpath, note, attempts = _files(db)[0]
    assert status == "processed" and apath.endswith(".jpg")
    assert ".png" in note and ".jpg" in note and "已按实际内容读取" in note
    assert db.execute("SELECT COUNT(*) FROM events WHERE kind = 'type_mismatch'").fetchone()[0] == 1


def test_a_text_layer_with_a_broken_tounicode_map_is_ignored_and_the_page_ocrd(tmp_path, db, settings):
    """Before: the garbage text layer was taken as the page's text."""
    from tests.corpus.hostile import broken_tounicode_pdf

    font = subprocess.run(["fc-match", "-f", "%{file}", "WenQuanYi Zen Hei"], capture_output=True, text=True).stdout
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    lines = ["许昌市科学技术局创新券申请表", "申请单位：许昌瑞达科技有限公司", "统一社会信用代码：91411000MA47M7QPXU"]
    broken_tounicode_pdf(inbox / "broken.pdf", lines, font)
    from intake.loaders import load

    layer = "".join(l.text for l in load(inbox / "broken.pdf")[0].text_lines or [])
    assert "许昌市科学技术局" not in layer  # the layer really is garbage
    list(ingest(inbox, db, settings))
    source, text = db.execute("SELECT source, text FROM pages").fetchone()
    assert source == "ocr"
    assert "科学技术局" in text and "瑞达科技" in text


# --- issue 12: CLI bugs ---------------------------------------------------------------------------


def test_push_retry_failed_flag_works(tmp_path):
    """Before: the click flag `retry_failed` shadowed the function: TypeError 'bool' object is not callable."""
    db_path = tmp_path / "data" / "d.db"
    connect(db_path).conn.close()
    res = _cli("push", "http://127.0.0.1:9/hook", "--db", db_path, "--once", "--retry-failed")
    assert res.returncode == 0, res.stderr
    assert "failed deliveries queued again" in res.stderr and "Traceback" not in res.stderr


def test_an_internal_error_exits_with_the_documented_code_and_one_line():
    """Before: a bug exited 1 with a traceback."""
    from intake.errors import ExitCode

    code = ("import click; from intake import cli\n"
            "cli.cli.add_command(click.Command('boom', callback=lambda: {}['missing']))\n"
            "cli.main()")
    res = subprocess.run([sys.executable, "-c", code, "boom"], cwd=ROOT, env=ENV, capture_output=True, text=True)
    assert res.returncode == ExitCode.INTERNAL
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1 and "内部错误" in res.stderr
    res = subprocess.run([sys.executable, "-c", code.replace("cli.main()", "import sys; sys.argv[1:] = ['-v', 'boom']; cli.main()")],
                         cwd=ROOT, env=ENV, capture_output=True, text=True)
    assert res.returncode == ExitCode.INTERNAL and "Traceback" in res.stderr  # -v: the traceback in the log


def test_transient_error_is_not_an_input_error():
    from intake.errors import InputError, TransientError

    assert not issubclass(TransientError, InputError)
