"""Reliability benchmark: random SIGKILLs during `ingest` and `watch`, hostile files, and a two-writer race.

    OMP_THREAD_LIMIT=1 nice -n 10 .venv/bin/python bench/reliability.py     # writes bench/results/reliability.md
    .venv/bin/python bench/reliability.py --kills-ingest 10 --kills-watch 10 --race 50 --no-write   # a quick look

1. Kills: rounds of a fresh inbox (6 submissions, 10 files, one duplicate); each round starts
   `docintake ingest` (or `docintake watch`) and SIGKILLs it at a random moment, a few times,
   then finishes with one uninterrupted `ingest`. Afterwards every original must be in the
   archive byte for byte (files lost), and no file, page set or submission recorded twice
   (processed twice).
2. Hostile files: every kind of tests/corpus/hostile.py in one inbox with a good scan after them;
   one `docintake ingest` must exit 0, quarantine each hostile kind with a reason and process the
   good one.
3. Race: two processes open the same fresh database at the same moment (a barrier file per
   round), N rounds; `database is locked` count.
4. Test loops (`--test-loops 20`, a separate run): tests/intake/test_crash.py,
   tests/intake/test_distributed.py and tests/intake/test_concurrency.py each run N times in a row
   (issue 13: no flaky test; `--loop-files` picks some, e.g. to run two streams at once); the
   table replaces the "Test loops" block of bench/results/reliability.md (rows of files not run
   are kept) and is kept when the other phases re-write the file. A failed run's output goes to
   bench/results/loop-failure-<test>-<run>.log.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ENV = dict(os.environ, OMP_THREAD_LIMIT="1", PYTHONPATH=str(ROOT))
DOCINTAKE = [sys.executable, "-c", "from intake.cli import main; main()"]
KILLS_PER_ROUND = 5


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _fill(inbox: Path, tag: str) -> dict[str, str]:
    from tests.intake.conftest import make_pdf

    for i in range(6):
        if i % 3 == 0:
            make_pdf(inbox / f"{tag}-loose-{i}.pdf", f"loose submission {tag} {i} with a text layer")
        else:
            make_pdf(inbox / f"{tag}-folder-{i}" / "a.pdf", f"first file of {tag} {i}, with a text layer")
            make_pdf(inbox / f"{tag}-folder-{i}" / "sub" / "b.pdf", f"second file of {tag} {i}, text layer")
    (inbox / f"{tag}-dup").mkdir()
    (inbox / f"{tag}-dup" / "again.pdf").write_bytes((inbox / f"{tag}-folder-1" / "a.pdf").read_bytes())
    old = time.time() - 60  # dropped a minute ago: ingest's settle wait does not hide the kill points
    out = {}
    for p in inbox.rglob("*.pdf"):
        os.utime(p, (old, old))
        out[str(p.relative_to(inbox))] = _sha(p)
    return out


def _check(db_path: Path, originals: dict[str, str]) -> dict:
    conn = sqlite3.connect(db_path)
    try:
        # lost: not recorded, or its archived copy missing or different (a quarantined file keeps its archived copy)
        recorded = {sha for (sha,) in conn.execute("SELECT sha256 FROM files WHERE status IN "
                                                   "('processed', 'duplicate', 'quarantined')")}
        paths = {sha: p for sha, p in conn.execute("SELECT sha256, archive_path FROM files WHERE archive_path IS NOT NULL")}
        lost = 0
        for rel, sha in originals.items():
            p = paths.get(sha)
            if sha not in recorded or not p or not Path(p).exists() or _sha(Path(p)) != sha:
                lost += 1
        twice = conn.execute("SELECT COUNT(*) FROM (SELECT submission_id, name FROM files GROUP BY submission_id, name "
                             "HAVING COUNT(*) > 1)").fetchone()[0]
        twice += conn.execute("SELECT COUNT(*) FROM (SELECT name FROM submissions GROUP BY name HAVING COUNT(*) > 1)"
                              ).fetchone()[0]
        twice += conn.execute("SELECT COUNT(*) FROM (SELECT file_id, number FROM pages GROUP BY file_id, number "
                              "HAVING COUNT(*) > 1)").fetchone()[0]
        stuck = conn.execute("SELECT COUNT(*) FROM submissions WHERE status = 'processing'").fetchone()[0]
        repeated = conn.execute("SELECT COUNT(*) FROM files WHERE reason = 'repeated_failure'").fetchone()[0]
        return {"lost": lost, "twice": twice, "stuck": stuck, "repeated": repeated}
    finally:
        conn.close()


def _kill_round(root: Path, mode: str, kills: int, rng: random.Random, tag: str) -> tuple[dict, int]:
    inbox, data = root / "inbox", root / "data"
    inbox.mkdir(parents=True)
    originals = _fill(inbox, tag)
    db = data / "d.db"
    done = 0
    for _ in range(kills):
        if mode == "ingest":
            cmd = DOCINTAKE + ["ingest", str(inbox), "--db", str(db), "--workers", "1", "--settle", "0"]
        else:
            cmd = DOCINTAKE + ["watch", str(inbox), "--db", str(db), "--workers", "1", "--settle", "0.2",
                               "--rescan", "1"]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        time.sleep(rng.uniform(0.8, 4.0))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            done += 1
        proc.wait()
    res = subprocess.run(DOCINTAKE + ["ingest", str(inbox), "--db", str(db), "--workers", "1", "--settle", "0"],
                         cwd=ROOT, env=ENV, capture_output=True, text=True)
    out = _check(db, originals)
    out["final_rc"] = res.returncode
    out["left"] = sum(1 for p in inbox.rglob("*") if p.is_file())
    return out, done


def kills(mode: str, target: int, rng: random.Random, tmp: Path) -> dict:
    total = {"lost": 0, "twice": 0, "stuck": 0, "repeated": 0, "left": 0, "bad_rc": 0, "kills": 0, "rounds": 0,
             "files": 0}
    r = 0
    while total["kills"] < target:
        res, done = _kill_round(tmp / f"{mode}-{r}", mode, KILLS_PER_ROUND, rng, f"r{r}")
        for k in ("lost", "twice", "stuck", "repeated", "left"):
            total[k] += res[k]
        total["bad_rc"] += res["final_rc"] != 0
        total["kills"] += done
        total["rounds"] += 1
        total["files"] += 10
        r += 1
        print(f"{mode} round {r}: {total}", flush=True)
    return total


def hostile(tmp: Path) -> dict:
    from tests.corpus.hostile import READABLE, write_all
    from tests.intake.conftest import make_pdf

    inbox, data = tmp / "hostile" / "inbox", tmp / "hostile" / "data"
    paths = write_all(inbox / "hostile")
    make_pdf(inbox / "zz-good" / "scan.pdf", "a good scan after the hostile ones, with a text layer")
    res = subprocess.run(DOCINTAKE + ["ingest", str(inbox), "--db", str(data / "d.db"), "--workers", "1",
                                      "--settle", "0"], cwd=ROOT, env=ENV, capture_output=True, text=True)
    conn = sqlite3.connect(data / "d.db")
    rows = {Path(n).name: (s, r, e) for n, s, r, e in conn.execute("SELECT name, status, reason, error FROM files")}
    kinds = []
    for kind, path in paths.items():
        name = "scan.png" if kind == "folder nested too deep" else path.name
        status, reason, error = rows.get(name, (None, None, None))
        ok = status == "processed" if kind in READABLE else bool(status == "quarantined" and reason and error)
        kinds.append((kind, status, reason, ok))
    return {"rc": res.returncode, "kinds": kinds, "good": rows.get("scan.pdf", (None,))[0],
            "traceback": "Traceback" in res.stderr}


def race(n: int, tmp: Path) -> tuple[int, int]:
    from tests.intake.test_hardening import race_fresh_databases

    bad, _ = race_fresh_databases(tmp / "race", n)
    return bad, n


def render(args, took: float, h: dict, race_res, ki: dict | None, kw: dict | None, partial: bool) -> str:
    cmd = "OMP_THREAD_LIMIT=1 nice -n 10 .venv/bin/python bench/reliability.py" + (
        f" --kills-ingest {args.kills_ingest} --kills-watch {args.kills_watch} --race {args.race}"
        if (args.kills_ingest, args.kills_watch, args.race) != (100, 100, 1000) else "")
    quarantined = sum(1 for k in h["kinds"] if k[1] == "quarantined" and k[3])

    def kill_row(label: str, k: dict | None) -> str:
        if k is None:
            return f"| SIGKILL during `{label}` | not run (the run was stopped before this phase) | |"
        return (f"| SIGKILL during `{label}` | {k['kills']} kills in {k['rounds']} rounds ({k['files']} files) | "
                f"files lost {k['lost']}, processed twice {k['twice']}, left unfinished {k['stuck']}, "
                f"quarantined after repeated kills {k['repeated']}, final run failed {k['bad_rc']} |")

    lines = [
        "# Reliability: random SIGKILLs, hostile files, two writers on a fresh database",
        "",
        "Command (from the repository root, 2 shared CPU cores):",
        "",
        "```",
        cmd,
        "```",
        "",
        f"Took {took / 60:.1f} min. Seed {args.seed}." + (" **Partial: stopped before every phase ran.**" if partial else ""),
        "",
        "| check | tried | result |",
        "|---|---|---|",
        kill_row("ingest", ki),
        kill_row("watch", kw),
        f"| hostile-file kinds | {len(h['kinds'])} kinds in one run | {quarantined} quarantined with a reason, "
        f"{sum(1 for k in h['kinds'] if k[1] == 'processed' and k[3])} odd-but-readable read; run exit code {h['rc']}, "
        f"good scan after them: {h['good']}; every kind as expected: {all(k[3] for k in h['kinds'])} |",
        f"| two processes open a fresh database at once | {race_res[1]} repetitions | `database is locked` {race_res[0]} |",
        "",
        "Each kill round: a fresh inbox of 6 submissions (10 files, one a duplicate), "
        f"{KILLS_PER_ROUND} starts each SIGKILLed (process group) after 0.8-4 s, then one uninterrupted `ingest`. "
        "Lost = an original not recorded, or not in the archive byte for byte; twice = a file, "
        "submission or page recorded more than once. A file whose processing was killed more than "
        "`MAX_ATTEMPTS` (3) times is quarantined by design (intake cannot tell an OOM kill caused by the file "
        "from an operator's kill): it keeps its archived copy and `docintake requeue` takes it back.",
        "",
        "| hostile kind | status | reason |",
        "|---|---|---|",
    ] + [f"| {k} | {s} | {r or ''} |" for k, s, r, _ in h["kinds"]]
    return "\n".join(lines) + "\n"


LOOPS_START, LOOPS_END = "<!-- test-loops -->", "<!-- /test-loops -->"
LOOP_FILES = ("tests/intake/test_crash.py", "tests/intake/test_distributed.py", "tests/intake/test_concurrency.py")


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def test_loops(n: int, files=LOOP_FILES, cmd: str = "", after_run=None) -> list[dict]:
    """Each test file run `n` times in a row, in its own pytest process; `after_run(rows)` after each run
    (the table so far is written: a loop stopped at a deadline keeps what it ran)."""
    rows = []
    for f in files:
        row = {"file": f, "cmd": cmd, "runs": 0, "passed": 0, "failures": [], "seconds": 0.0, "longest": 0.0,
               "started": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "load_start": _load()}
        for i in range(n):
            t = time.time()
            res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f], cwd=ROOT,
                                 env=ENV, capture_output=True, text=True)
            took = time.time() - t
            row["seconds"] += took
            row["longest"] = max(row["longest"], took)
            row["runs"] += 1
            if res.returncode == 0:
                row["passed"] += 1
            else:
                failed = [line for line in res.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
                row["failures"].append(f"run {i + 1}: " + ("; ".join(failed) or res.stdout[-200:]))
                log = ROOT / "bench" / "results" / f"loop-failure-{Path(f).stem}-{i + 1}.log"
                log.write_text(res.stdout[-20000:] + "\n--- stderr ---\n" + res.stderr[-5000:], "utf-8")
            print(f, i + 1, res.returncode, f"{took:.0f}s", "load", _load(), flush=True)
            row["ended"] = time.strftime("%H:%M", time.gmtime())
            row["load_end"] = _load()
            if after_run is not None:
                after_run(rows + [row])
        rows.append(row)
    return rows


ROW_HEAD = ("| test file | runs | passed | failed runs | minutes (total) | longest run (s) | run (UTC) | "
            "load average at start / end (1, 5, 15 min) | command |")


def _row(r: dict) -> str:
    return (f"| {r['file']} | {r['runs']} | {r['passed']} | {'; '.join(r['failures']) or '—'} | "
            f"{r['seconds'] / 60:.1f} | {r['longest']:.0f} | {r['started']}–{r['ended']} | "
            f"{r['load_start']} / {r['load_end']} | `{r['cmd']}` |")


def loops_block(rows: list[dict], kept_rows: list[str] = ()) -> str:
    """The test-loops block: this run's rows, and the rows of files not run this time (from the old block)."""
    mine = {r["file"] for r in rows}
    older = [line for line in kept_rows if line.split("|")[1].strip() not in mine]
    lines = [LOOPS_START, "", "### Test loops (no flaky test)", "",
             "Each run is its own pytest process, one after the other, on the shared 2-core machine (commands "
             "from the repository root; two commands may run at once, one a file; a row stays until its file "
             "is looped again):", "", ROW_HEAD, "|---|---|---|---|---|---|---|---|---|"]
    lines += [_row(r) for r in rows] + older
    return "\n".join(lines + ["", LOOPS_END]) + "\n"


def _rows_in(block: str | None) -> list[str]:
    if not block:
        return []
    return [line for line in block.splitlines() if line.startswith("| tests/")]


def _with_loops(text: str, block: str | None) -> str:
    """`text` with the test-loops block (the new one, or the one already in the file) at its end."""
    if block is None:
        return text
    return text.rstrip("\n") + "\n\n" + block


def _loops_in(path: Path) -> str | None:
    if not path.exists():
        return None
    old = path.read_text("utf-8")
    if LOOPS_START not in old or LOOPS_END not in old:
        return None
    return old[old.index(LOOPS_START):old.index(LOOPS_END) + len(LOOPS_END)] + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--test-loops", type=int, default=0,
                    help="only run the crash, distributed and concurrency tests this many times each and record it")
    ap.add_argument("--loop-files", nargs="+", default=list(LOOP_FILES), metavar="TEST_FILE",
                    help="with --test-loops: these test files (default: %(default)s)")
    ap.add_argument("--kills-ingest", type=int, default=100)
    ap.add_argument("--kills-watch", type=int, default=100)
    ap.add_argument("--race", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    t0 = time.time()
    out = ROOT / "bench" / "results" / "reliability.md"

    kept = _loops_in(out)

    def write(text: str) -> None:
        text = _with_loops(text, kept)
        print(text, flush=True)
        if not args.no_write:
            out.write_text(text, "utf-8")

    if args.test_loops:
        cmd = f"OMP_THREAD_LIMIT=1 nice -n 10 .venv/bin/python bench/reliability.py --test-loops {args.test_loops}"
        if list(args.loop_files) != list(LOOP_FILES):
            cmd += " --loop-files " + " ".join(args.loop_files)
        def record(rows: list[dict]) -> str:
            kept = _loops_in(out)  # read again each time: another stream may have written its rows meanwhile
            block = loops_block(rows, _rows_in(kept))
            old = out.read_text("utf-8") if out.exists() else ""
            if kept:
                old = old.replace(kept, "")
            if not args.no_write:
                out.write_text(_with_loops(old, block), "utf-8")
            return block

        print(record(test_loops(args.test_loops, args.loop_files, cmd, record)), flush=True)
        return

    with tempfile.TemporaryDirectory(prefix="docintake-rel-") as tmp:
        tmp = Path(tmp)
        h = hostile(tmp)
        print("hostile", h["rc"], sum(k[3] for k in h["kinds"]), "/", len(h["kinds"]), flush=True)
        race_res = race(args.race, tmp)
        write(render(args, time.time() - t0, h, race_res, None, None, True))
        ki = kills("ingest", args.kills_ingest, rng, tmp)
        write(render(args, time.time() - t0, h, race_res, ki, None, True))
        kw = kills("watch", args.kills_watch, rng, tmp)
        write(render(args, time.time() - t0, h, race_res, ki, kw, False))


if __name__ == "__main__":
    main()
