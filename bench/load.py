"""Load benchmark: N concurrent signed-in clients against a real `docintake review` server on 127.0.0.1.

    .venv/bin/python bench/load.py                          # 20 clients x 30 s; writes bench/results/load.md
    .venv/bin/python bench/load.py --clients 5 --seconds 5 --no-write

Each client (a thread with its own httpx connection and session) signs in as its own reviewer,
then loops: the queue page, then a random submission page, until the time is up. An error is
any exception (timeout, reset) or any status other than 200. The database is generated with
bench/scale.py's generator (default 500 submissions x 10 pages).
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import scale  # noqa: E402


def run_load(base: str, usernames: list[str], submission_ids: list[int], clients: int, seconds: float,
             password: str = scale.PASSWORD) -> dict:
    """Drive `clients` threads for `seconds`; returns latencies (ms) per page kind and the errors."""
    sessions = [scale.sign_in(base, usernames[i % len(usernames)], password) for i in range(clients)]
    times: dict[str, list[float]] = {"queue": [], "submission": []}
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def worker(n: int, c) -> None:
        rng = random.Random(n)
        mine: dict[str, list[float]] = {"queue": [], "submission": []}
        bad: list[str] = []
        start.wait()
        while time.monotonic() < stop_at[0]:
            for kind, path in (("queue", "/-/review"), ("submission", f"/-/review/submission/{rng.choice(submission_ids)}")):
                t = time.perf_counter()
                try:
                    r = c.get(path)
                    ok = r.status_code == 200
                    if not ok:
                        bad.append(f"{path}: HTTP {r.status_code}")
                except Exception as exc:  # noqa: BLE001 - every failure counts as an error
                    ok = False
                    bad.append(f"{path}: {type(exc).__name__}: {exc}")
                if ok:
                    mine[kind].append((time.perf_counter() - t) * 1000)
        with lock:
            for k, v in mine.items():
                times[k].extend(v)
            errors.extend(bad)

    threads = [threading.Thread(target=worker, args=(i, s), daemon=True) for i, s in enumerate(sessions)]
    for t in threads:
        t.start()
    stop_at[0] = time.monotonic() + seconds
    t0 = time.monotonic()
    start.wait()
    for t in threads:
        t.join(timeout=seconds + 120)
    elapsed = time.monotonic() - t0
    for s in sessions:
        s.close()
    every = times["queue"] + times["submission"]
    summary = {k: {"n": len(v), "p50": scale.pct(v, 50), "p95": scale.pct(v, 95), "max": max(v) if v else 0}
               for k, v in {**times, "all": every}.items()}
    return {"clients": clients, "seconds": elapsed, "requests": len(every) + len(errors), "errors": errors,
            "rps": (len(every) + len(errors)) / elapsed, "latency": summary,
            "hung": [t.name for t in threads if t.is_alive()]}


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (Linux /proc), seconds."""
    import os

    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


def existing(db_path: Path) -> dict:
    """The counts and reviewer accounts of a database `scale.generate` built earlier (--db)."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("submissions", "pages")}
        users = [u for (u,) in conn.execute("SELECT username FROM users WHERE username LIKE 'bench%' ORDER BY id")]
    finally:
        conn.close()
    return {"counts": counts, "users": users}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--submissions", type=int, default=500)
    ap.add_argument("--no-write", action="store_true", help="do not write bench/results/load.md")
    ap.add_argument("--db", type=Path, default=None,
                    help="reuse a database bench/scale.py generated (--keep) instead of generating one")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "load.md")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="docintake-load-"))
    try:
        if args.db:
            db_path, gen = args.db, existing(args.db)
            args.submissions = gen["counts"]["submissions"]
        else:
            db_path = work / "docintake.db"
            gen = scale.generate(db_path, args.submissions, 10)
        port = scale.free_port()
        server = scale.start_server(db_path, port)
        try:
            before = cpu_seconds(server.pid)
            result = run_load(f"http://127.0.0.1:{port}", gen["users"], list(range(1, args.submissions + 1)),
                              args.clients, args.seconds)
            result["server_cpu_s"] = cpu_seconds(server.pid) - before
        finally:
            scale.stop_server(server)
        result["loadavg"] = open("/proc/loadavg").read().split()[:3]
        result["cpu_ms_per_request"] = result["server_cpu_s"] * 1000 / max(1, result["requests"])
        lat = result["latency"]
        print(f"{result['clients']} clients, {result['seconds']:.1f} s: {result['requests']} requests "
              f"({result['rps']:.0f}/s), {len(result['errors'])} errors; server CPU "
              f"{result['cpu_ms_per_request']:.1f} ms a request; load average {' / '.join(result['loadavg'])}")
        for k, v in lat.items():
            print(f"  {k:10s} n={v['n']:6d}  p50 {v['p50']:7.1f} ms  p95 {v['p95']:7.1f} ms  max {v['max']:7.1f} ms")
        for e in result["errors"][:20]:
            print("  error:", e)
        if not args.no_write:
            write_report(args, gen, result)
        if result["errors"] or result["hung"]:
            sys.exit(1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_report(args, gen, r) -> None:
    lat = r["latency"]
    lines = [
        "# Load: concurrent signed-in reviewers",
        "",
        "Command (from the repository root; server and clients share the same 2 CPU cores):",
        "",
        "```",
        f"OMP_THREAD_LIMIT=1 .venv/bin/python bench/load.py --clients {args.clients} --seconds {args.seconds:g} "
        f"--submissions {args.submissions}",
        "```",
        "",
        f"A real `docintake review` server (one uvicorn process, Datasette 0.65.5) on 127.0.0.1 over a generated "
        f"database of {gen['counts']['submissions']:,} submissions / {gen['counts']['pages']:,} pages. "
        f"{args.clients} threads, each signed in as its own reviewer with its own keep-alive connection, "
        "loop over the queue page (`/-/review`, pending tab) and a random submission page "
        "(`/-/review/submission/<id>`) for the whole run.",
        "",
        f"**{r['requests']:,} requests in {r['seconds']:.1f} s ({r['rps']:.0f} requests/s), "
        f"{len(r['errors'])} errors** (an error: any exception or any status other than 200).",
        "",
        "| page | requests | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for k, label in (("queue", "queue `/-/review`"), ("submission", "submission page"), ("all", "all")):
        v = lat[k]
        lines.append(f"| {label} | {v['n']:,} | {v['p50']:.1f} | {v['p95']:.1f} | {v['max']:.1f} |")
    cpu = r["cpu_ms_per_request"]
    lines += ["", f"Server CPU (user + system of the review process, /proc): **{cpu:.1f} ms a request** on average "
              f"({r['server_cpu_s']:.1f} s over the run), so one process can answer at most ~{1000 / cpu:.0f} "
              f"requests/s on a core to itself; {r['rps']:.0f}/s were answered. Load average at the end: "
              f"{' / '.join(r['loadavg'])} on 2 cores (other sessions' tests and benchmarks share them).",
              "", f"Latency here is mostly queueing at {args.clients}-way concurrency: the server is one Python "
              "process (one core at most for the rendering), the clients run on the same two cores, and so does "
              "everything else on the machine. See scale.md for single-client latency.", ""]
    if r["errors"]:
        lines += ["Errors:", ""] + [f"- {e}" for e in r["errors"][:50]] + [""]
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
