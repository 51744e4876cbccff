"""Throughput of page OCR: in-process pool vs 1 and 2 Celery workers, same pages, same machine.

Starts its own redis-server (127.0.0.1, free port, temp dir) and `docintake worker`
processes (one process each, one engine thread), warms every configuration with one
page (models loaded, pool started), then times `runner.read` of the same pages. Each
Celery run uses its own Redis database, so no page is answered from an earlier run.
Rounds alternate the configurations so a change in machine load hits them alike; the
best round counts.

    python bench/distributed.py [--pages 8] [--rounds 2] [--out bench/results/distributed.md]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def make_pages(folder: Path, count: int) -> list[Path]:
    """Scanned pages of generated submissions, rendered as the pipeline renders them."""
    from intake import archive
    from intake.loaders import check_file
    from intake.pages import load_to_disk
    from tests.corpus.corpus import write_corpus

    inbox = folder / "inbox"
    write_corpus(inbox, seed=5, count=3, kinds=("voucher_redemption",))
    shutil.rmtree(inbox / ".truth", ignore_errors=True)
    pages = []
    for path in sorted(p for p in inbox.rglob("*") if p.is_file() and ".truth" not in p.parts):
        sha = archive.sha256_file(path)
        for lp in load_to_disk(path, check_file(path), folder / "pages", sha):
            if lp.text_lines is None:
                pages.append(folder / "pages" / sha[:2] / sha / f"{lp.number}.png")
    return pages[:count]


_TCK = os.sysconf("SC_CLK_TCK")


def tree_cpu() -> float:
    """CPU seconds so far of this process and every live descendant (the pool's workers, the Celery
    workers and their pool processes, redis-server): all the work a configuration costs the machine."""
    stats = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    f = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(d)] = (int(f[1]), (int(f[11]) + int(f[12])) / _TCK)
    mine, frontier = set(), [os.getpid()]
    while frontier:
        pid = frontier.pop()
        mine.add(pid)
        frontier += [c for c, (pp, _) in stats.items() if pp == pid and c not in mine]
    return sum(stats[p][1] for p in mine if p in stats)


def time_read(runner, pages: list[Path], warm: Path) -> tuple[float, float]:
    """(wall s, CPU s of the whole process tree) of reading the pages, after a warm-up page per worker.

    One warm-up job would be read in this process by the in-process runner (a single job never
    goes to its pool), so its pool would start and load its models inside the timing."""
    from intake.ocr.runner import OcrJob

    runner.read([OcrJob(str(warm), runner.engine)] * max(1, runner.workers))
    c0, t0 = tree_cpu(), time.perf_counter()
    runner.read([OcrJob(str(p), runner.engine) for p in pages])
    return time.perf_counter() - t0, tree_cpu() - c0


def coordinator_cost(inbox: Path, broker: str, folder: Path) -> dict:
    """A whole `docintake ingest --broker` of the generated inbox: the coordinator's own CPU per page
    (rendering, hashing, extraction, seals, validation, writes; OCR is the workers')."""
    import sqlite3

    work = folder / "ingest"
    shutil.copytree(inbox, work / "inbox")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "intake.cli", "ingest", str(work / "inbox"), "--db",
                             str(work / "data" / "db.sqlite"), "--settle", "0", "--as-of", "2026-11-20", "--broker", broker],
                            env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    con = sqlite3.connect(work / "data" / "db.sqlite")
    pages = con.execute("SELECT count(*) FROM pages").fetchone()[0]
    con.close()
    return {"pages": pages, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "status": status}


def start_redis(folder: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--dir",
                             str(folder), "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    for _ in range(100):
        try:
            redis.Redis(port=port).ping()
            return proc, port
        except redis.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("redis-server did not start")


def start_workers(broker: str, n: int, folder: Path) -> list[subprocess.Popen]:
    procs = [subprocess.Popen([sys.executable, "-m", "intake.cli", "worker", "--broker", broker, "-c", "1",
                               "--name", f"bench{i}@%h"], env=_env(), start_new_session=True,
                              stdout=open(folder / f"worker{i}.log", "w"), stderr=subprocess.STDOUT)
             for i in range(n)]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        out = subprocess.run([sys.executable, "-m", "intake.cli", "workers", "--broker", broker, "--json"],
                             capture_output=True, text=True, env=_env())
        if out.returncode == 0 and len(json.loads(out.stdout)["workers"]) == n:
            return procs
        time.sleep(0.5)
    stop_workers(procs)
    raise SystemExit("workers did not come up")


def stop_workers(procs) -> None:
    for p in procs:
        os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--ingest", action="store_true",
                    help="also ingest the generated inbox through 2 workers and report the coordinator's CPU per page")
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    from intake.distributed.backend import CeleryRunner
    from intake.ocr.runner import OcrRunner

    cost = None
    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as tmp:
        tmp = Path(tmp)
        pages = make_pages(tmp, args.pages + 1)
        warm, pages = pages[0], pages[1:]
        redis_proc, port = start_redis(tmp)
        times: dict[str, list[float]] = {}
        cpus: dict[str, list[float]] = {}
        db = 0
        try:
            for rnd in range(args.rounds):
                for name, kind, n in (("in-process, 1 worker", "pool", 1), ("Celery, 1 worker", "celery", 1),
                                      ("in-process, 2 workers", "pool", 2), ("Celery, 2 workers", "celery", 2)):
                    if kind == "pool":
                        runner = OcrRunner("rapidocr", n, progress=False)
                        try:
                            t, c = time_read(runner, pages, warm) if n > 1 else _single(runner, pages, warm)
                        finally:
                            runner.close()
                    else:
                        db += 1
                        broker = f"redis://127.0.0.1:{port}/{db}"
                        procs = start_workers(broker, n, tmp)
                        try:
                            runner = CeleryRunner(broker, "rapidocr", n, progress=False)
                            t, c = time_read(runner, pages, warm)
                            runner.close()
                        finally:
                            stop_workers(procs)
                    times.setdefault(name, []).append(t)
                    cpus.setdefault(name, []).append(c)
                    print(f"round {rnd + 1}: {name}: {t:.1f} s, {c:.1f} CPU-s for {len(pages)} pages "
                          f"({len(pages) / t:.3f} pages/s; load {os.getloadavg()[0]:.1f})", flush=True)
            if args.ingest:
                db += 1
                broker = f"redis://127.0.0.1:{port}/{db}"
                procs = start_workers(broker, 2, tmp)
                try:
                    cost = coordinator_cost(tmp / "inbox", broker, tmp)
                finally:
                    stop_workers(procs)
                print(f"coordinator: {cost}", flush=True)
        finally:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
    best = {k: min(v) for k, v in times.items()}
    best_cpu = {k: min(v) for k, v in cpus.items()}
    rows = [
        "## Distributed mode: 1 and 2 Celery workers against the in-process pool",
        "",
        f"Command: `.venv/bin/python bench/distributed.py --pages {args.pages} --rounds {args.rounds}"
        + (" --ingest" if args.ingest else "") + "` (starts its own redis-server and `docintake worker`s)",
        "",
        f"{len(pages)} generated scan pages, {args.rounds} alternating rounds (best counts), "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "CPU-s: every process of the configuration (this one, the pool's or the Celery workers' processes, "
        "redis-server) during the timed reading; on a shared machine the figure that compares.",
        "",
        "| configuration | CPU-s/page | all rounds (CPU-s) | s/page | pages/s | all rounds (s) |",
        "| --- | ---: | --- | ---: | ---: | --- |",
    ]
    for name, t in best.items():
        rows.append(f"| {name} | {best_cpu[name] / len(pages):.2f} | {', '.join(f'{x:.1f}' for x in cpus[name])} | "
                    f"{t / len(pages):.2f} | {len(pages) / t:.3f} | {', '.join(f'{x:.1f}' for x in times[name])} |")
    o1 = best["Celery, 1 worker"] / best["in-process, 1 worker"] - 1
    o2 = best["Celery, 2 workers"] / best["in-process, 2 workers"] - 1
    c1 = best_cpu["Celery, 1 worker"] / best_cpu["in-process, 1 worker"] - 1
    c2 = best_cpu["Celery, 2 workers"] / best_cpu["in-process, 2 workers"] - 1
    rows += ["", f"Distributed-mode overhead in CPU: {100 * c1:+.1f} % with 1 worker, {100 * c2:+.1f} % with 2; "
                 f"in wall time: {100 * o1:+.1f} % with 1 worker, {100 * o2:+.1f} % with 2 (target <= 5 %)."]
    if cost:
        rows += ["", f"Coordinator (`docintake ingest --broker`, 2 workers, {cost['pages']} pages of 3 generated "
                     f"submissions): {cost['wall']:.0f} s wall, {cost['cpu']:.1f} s of its own CPU = "
                     f"{cost['cpu'] / max(cost['pages'], 1):.2f} CPU-s per page (rendering, hashing, extraction, "
                     "seals, invoice red-kept reading, validation, database writes; no OCR of its own)."]
    text = "\n".join(rows)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


def _single(runner, pages, warm) -> float:
    """One worker in-process means the pool's one process, as a Celery worker process is (not the caller)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from intake.ocr import runner as mod

    runner._pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"),
                                       initializer=mod._worker_init, initargs=(runner.engine,))
    jobs = [mod.OcrJob(str(p), runner.engine) for p in pages]
    list(runner._pool.map(mod._worker, [mod.OcrJob(str(warm), runner.engine)]))
    c0, t0 = tree_cpu(), time.perf_counter()
    list(runner._pool.map(mod._worker, jobs))
    return time.perf_counter() - t0, tree_cpu() - c0


if __name__ == "__main__":
    raise SystemExit(main())
