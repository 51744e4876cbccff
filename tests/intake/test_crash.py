"""Crash safety: real `docintake ingest` and `watch` processes SIGKILLed at chosen moments, restarted,
lose and repeat nothing, and end with what one uninterrupted run gives.

The kill moments are program states, not wall-clock times: each round waits until the process
under test has reached its trigger (an original archived, a scan's reading started, a text-layer
file's processing started, a file's pages and documents committed), then waits a short seeded
delay and SIGKILLs the whole process group (the OCR pool too: a lost machine). The sequence of
triggers and delays comes from a seeded RNG, so every run kills at the same points of the
pipeline whatever the machine's load; only a pure liveness bound uses the clock.

Kept cheap on purpose (the kill semantics do not depend on OCR cost): text-layer PDFs for most
files, four small one-line scans for the OCR path, broken files for the quarantine path.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
N_FOLDERS = 10
SCAN_FOLDERS = (2, 4, 6, 8)  # spread over the run: each "scan" round finds a scan not yet begun
AS_OF = "2026-11-20"
SEED = 20261201
# The trigger of each round, in order: each moment twice, the scarce one (4 scans) spread out so that
# every round finds its moment. Each round is a process start (~3 s of CPU: imports, the OCR models,
# the schema check), which is most of this test's cost.
KINDS = ("scan", "archive", "pdf", "written", "scan", "archive", "pdf", "written")
WATCH_ROUNDS = 3
# A liveness bound only (the triggers are states): one round's progress takes seconds even at load 25.
ROUND_LIVENESS = 600

# trigger -> (what is counted, how many new ones to wait for, delay range in seconds after it)
TRIGGERS = {
    # a new archived copy on disk: the kill lands between the copy, its DB row and the inbox unlink
    "archive": ("archive", (1, 2), (0.0, 0.02)),
    # a scan's processing has begun (its attempt is counted first): the kill lands in rendering or OCR
    "scan": ("SELECT COUNT(*) FROM files WHERE ext = '.png' AND attempts >= 1", (1, 1), (0.0, 0.05)),
    # a text-layer file's processing has begun: loading, the spot check, extraction, the DB write
    "pdf": ("SELECT COUNT(*) FROM files WHERE ext = '.pdf' AND attempts >= 1", (1, 1), (0.0, 0.15)),
    # a file's pages and documents committed: the kill lands in the decision or the next file
    "written": ("SELECT COUNT(*) FROM events WHERE kind = 'ocr'", (1, 1), (0.0, 0.05)),
}
# A file killed while processing counts an attempt; past MAX_ATTEMPTS it is quarantined by design
# (an OOM kill looks the same). No kill while a file is on its second attempt keeps every file
# below that, so the result must equal the uninterrupted run's.
RETRYING = "SELECT COUNT(*) FROM files WHERE status = 'archived' AND attempts >= 2"
# after a kill: a file whose processing it interrupted
INTERRUPTED = "SELECT COUNT(*) FROM files WHERE status = 'archived' AND attempts >= 1"


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _pdf(path: Path, tag: str) -> None:
    """A one-page text-layer PDF: one line shared by all (the OCR spot check of text layers reads its
    crop once, then the product's `ocr_cache` answers) and a short tag of its own (too short for the
    spot check) that makes each file distinct."""
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format=(120, 40))
    pdf.set_auto_page_break(False)
    pdf.set_margins(5, 5)
    pdf.add_page()
    pdf.set_font("helvetica", size=9)
    pdf.cell(110, 5, "Technology voucher contract of the Xuchang science bureau")
    pdf.set_xy(5, 20)
    pdf.cell(20, 5, tag)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))


def _make_inbox(inbox: Path, text_page) -> dict[str, str]:
    """49 files: 10 folders of 3 text-layer PDFs and 1 broken file, 4 small scans, 3 loose PDFs,
    a PDF in a sub-folder and a duplicate of an earlier file."""
    for i in range(N_FOLDERS):
        folder = inbox / f"sub{i:02d}"
        for j in range(3):
            _pdf(folder / f"doc{j}.pdf", f"{i}{j}")
        (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + random.Random(i).randbytes(64))
        if i in SCAN_FOLDERS:
            # three lines (fewer make the OCR runner try other orientations), gray (no second reading
            # with red kept), 300 dpi and about as tall as wide (the detector's input stays small)
            page = text_page([f"许昌第{i}号扫描件", "科技创新券", "兑付申请"], size=28, width=520, margin=150, mode="L")
            page.save(folder / "scan.png", dpi=(300, 300))
    for k in range(3):
        _pdf(inbox / f"loose{k}.pdf", f"L{k}")
    _pdf(inbox / "sub03" / "annex" / "c.pdf", "A3")
    (inbox / "sub07" / "again.pdf").write_bytes((inbox / "sub01" / "doc0.pdf").read_bytes())
    old = time.time() - 60  # dropped a minute ago: nothing waits for the settle rule
    originals = {}
    for p in sorted(inbox.rglob("*")):
        if p.is_file():
            os.utime(p, (old, old))
            originals[str(p.relative_to(inbox))] = _sha(p)
    return originals


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_THREAD_LIMIT": "1"}


def _cmd(mode: str, inbox: Path, db: Path, *extra: str) -> list[str]:
    common = ["--db", str(db), "--workers", "1", "--as-of", AS_OF, *extra]
    if mode == "ingest":
        return [sys.executable, "-m", "intake.cli", "ingest", str(inbox), "--settle", "0", *common]
    return [sys.executable, "-m", "intake.cli", "watch", str(inbox), "--settle", "0.2", "--rescan", "1", *common]


def _count(db: Path, what: str) -> int:
    """The trigger's counter, read without disturbing the writer (-1: no database or table yet)."""
    if what == "archive":
        folder = db.parent / "archive"
        return sum(1 for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")) if folder.exists() else 0
    if not db.exists():
        return -1
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute(what).fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return -1


def _plan(rng: random.Random) -> list[tuple[str, str, int, float]]:
    """(mode, trigger, how many, delay) per round; the command, counts and delays drawn from `rng`."""
    watch = set(rng.sample(range(1, len(KINDS)), WATCH_ROUNDS))
    plan = []
    for r, kind in enumerate(KINDS):
        _, (lo, hi), (d0, d1) = TRIGGERS[kind]
        plan.append(("watch" if r in watch else "ingest", kind, rng.randint(lo, hi), rng.uniform(d0, d1)))
    return plan


def _kill_round(cmd: list[str], db: Path, kind: str, n: int, delay: float) -> bool | None:
    """Start `cmd`, SIGKILL it `delay` s after its trigger counted `n` more; None if it ended first,
    else whether the kill interrupted a file's processing."""
    what = TRIGGERS[kind][0]
    start = max(0, _count(db, what))
    proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + ROUND_LIVENESS
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return None
            if _count(db, what) >= start + n:
                time.sleep(delay)
                if _count(db, RETRYING) == 0:
                    break
                start = _count(db, what) - n + 1  # a file on its second try: wait for the next one instead
            time.sleep(0.01)
        else:
            raise AssertionError(f"{cmd[3]} made no progress to its {kind} trigger in {ROUND_LIVENESS} s")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return _count(db, INTERRUPTED) > 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _results(db: Path) -> tuple[list[dict], list[tuple], list[tuple]]:
    """Every submission's contract line, every file's record and every page's text, in a stable order."""
    from intake.db import connect
    from intake.pipeline import submission_json

    d = connect(db)
    try:
        lines = sorted((submission_json(d, sid) for (sid,) in d.execute("SELECT id FROM submissions")),
                       key=lambda line: line["submission"])
        files = sorted(d.execute(
            "SELECT s.name, f.name, f.status, f.reason, f.sha256, f.page_count, f.duplicate_of IS NOT NULL "
            "FROM files f JOIN submissions s ON s.id = f.submission_id").fetchall())
        pages = sorted(d.execute(
            "SELECT s.name, f.name, p.number, p.source, p.rotation, p.text FROM pages p "
            "JOIN files f ON f.id = p.file_id JOIN submissions s ON s.id = f.submission_id").fetchall())
        return lines, files, pages
    finally:
        d.conn.close()


def test_sigkill_at_chosen_moments_loses_and_repeats_nothing(tmp_path, text_page):
    inbox = tmp_path / "inbox"
    originals = _make_inbox(inbox, text_page)
    # the uninterrupted run over an identical inbox, alongside the killed ones (its own data folder)
    shutil.copytree(inbox, tmp_path / "ref-inbox", copy_function=shutil.copy2)
    ref_db = tmp_path / "ref" / "d.db"
    ref = subprocess.Popen(_cmd("ingest", tmp_path / "ref-inbox", ref_db), cwd=ROOT, env=_env(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    db = tmp_path / "data" / "d.db"
    done = []
    for mode, kind, n, delay in _plan(random.Random(SEED)):
        mid_file = _kill_round(_cmd(mode, inbox, db), db, kind, n, delay)
        print(mode, kind, n, f"{delay:.3f}", "->", mid_file, flush=True)  # shown if the test fails
        if mid_file is not None:
            done.append((mode, kind, mid_file))
        elif mode == "ingest":
            break  # the run finished before its trigger: nothing is left to interrupt
    final = subprocess.run(_cmd("ingest", inbox, db), cwd=ROOT, env=_env(), capture_output=True, text=True,
                           timeout=ROUND_LIVENESS)
    assert final.returncode == 0, final.stderr[-3000:]
    _, ref_err = ref.communicate(timeout=ROUND_LIVENESS)
    assert ref.returncode == 0, ref_err[-3000:]

    # the kills happened, at every kind of moment, under both commands
    assert len(done) == len(KINDS), done
    assert {k for _, k, _ in done} == set(TRIGGERS), done
    assert {m for m, _, _ in done} == {"ingest", "watch"}, done
    assert any(mid for _, _, mid in done), f"no kill interrupted a file's processing: {done}"

    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = con.execute(
        "SELECT s.name, f.name, f.status, f.sha256, f.archive_path, f.quarantine_path, f.attempts FROM files f "
        "JOIN submissions s ON s.id = f.submission_id").fetchall()
    seen = {}
    for sub, name, status, sha, apath, qpath, attempts in rows:
        key = name if sub == name else f"{sub}/{name}"
        assert key not in seen, f"{key} recorded twice"
        seen[key] = status
        assert status in ("processed", "duplicate", "quarantined"), (key, status)
        assert _sha(Path(apath or qpath)) == originals[key] == (sha or originals[key]), f"{key}: its copy differs"
        if status == "quarantined":
            assert Path(qpath).exists(), f"{key}: row points at a missing quarantined file"
    assert set(seen) == set(originals), "every file accounted for exactly once"
    assert con.execute("SELECT COUNT(*) FROM submissions WHERE status = 'processing'").fetchone()[0] == 0
    assert con.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == N_FOLDERS + 3
    for (path,) in con.execute("SELECT image_path FROM pages"):
        assert Path(path).exists()
    con.close()
    assert not [p for p in inbox.rglob("*") if p.is_file()], "the inbox is empty afterwards"
    assert sorted(v for v in seen.values() if v == "duplicate") == ["duplicate"]
    assert all(seen[f"sub{i:02d}/broken.pdf"] == "quarantined" for i in range(N_FOLDERS))

    # and everything is what the uninterrupted run gives
    got, want = _results(db), _results(ref_db)
    assert json.dumps(got[0], ensure_ascii=False, indent=1) == json.dumps(want[0], ensure_ascii=False, indent=1)
    assert got[1] == want[1]
    assert got[2] == want[2]
