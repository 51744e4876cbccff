"""Throughput of page OCR: in-process pool vs 1 and 2 Celery workers, same pages, same machine.

Starts its own redis-server (127.0.0.1, free port, temp dir) and `docintake worker`
processes (one process each, one engine thread), warms every reading process with a page
of its own (models loaded, pool started, the runtime's first-reading set-up done), then
times `runner.read` of the same pages. Each Celery run uses its own Redis database, so no
page is answered from an earlier run. Rounds interleave the configurations (the order
rotates each round) so a change in machine load hits them alike.

The figure is CPU seconds of every process of a configuration (this one, the pool's or the
Celery workers' processes, redis-server), split into the reading processes and the rest.
Per round, each Celery configuration is compared with the in-process pool of the same
worker count in the same round; the median over rounds is the overhead.

    python bench/distributed.py [--pages 8] [--rounds 3] [--transports redis path inline] [--out FILE]
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
                pages.append(lp.path)  # <n>.png, or a kept scan's 1.jpg
    return pages[:count]


_TCK = os.sysconf("SC_CLK_TCK")


def tree_cpu_by_pid() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds so far) of this process and every live descendant (the pool's
    workers, the Celery workers and their pool processes, redis-server)."""
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
    return {p: stats[p] for p in mine if p in stats}


def tree_cpu() -> float:
    """CPU seconds so far of the whole tree: all the work a configuration costs the machine."""
    return sum(c for _, c in tree_cpu_by_pid().values())


def split_cpu(before: dict, after: dict, redis_pid: int | None) -> dict[str, float]:
    """CPU seconds between two snapshots by role: this process (the coordinator's runner), the
    reading processes (the pool's processes, the Celery workers' pool processes), the Celery
    workers' main processes (consumer, events, heartbeats), redis-server."""
    me = os.getpid()
    out = {"coordinator": 0.0, "reading": 0.0, "worker main": 0.0, "redis": 0.0}
    for pid, (ppid, cpu) in after.items():
        used = cpu - before.get(pid, (ppid, 0.0))[1]
        if pid == me:
            out["coordinator"] += used
        elif pid == redis_pid:
            out["redis"] += used
        elif ppid == me and _is_celery_worker(pid):
            out["worker main"] += used
        else:
            out["reading"] += used
    return out


def _is_celery_worker(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"\0worker\0" in fh.read()
    except OSError:
        return False


def time_read(runner, pages: list[Path], warm: list[Path], redis_pid: int | None) -> tuple[float, dict]:
    """(wall s, CPU s by role) of reading the pages, after a warm-up page per worker.

    One warm-up job would be read in this process by the in-process runner (a single job never
    goes to its pool), so its pool would start and load its models inside the timing; and one page
    twice is one Celery task (same key), so each worker gets a page of its own."""
    from intake.ocr.runner import OcrJob

    runner.read([OcrJob(str(w), runner.engine) for w in warm[: max(2, runner.workers)]])
    c0, t0 = tree_cpu_by_pid(), time.perf_counter()
    runner.read([OcrJob(str(p), runner.engine) for p in pages])
    return time.perf_counter() - t0, split_cpu(c0, tree_cpu_by_pid(), redis_pid)


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


def _configs(transports: list[str]) -> list[tuple[str, str, int, str | None]]:
    """(name, kind, workers, transport): each Celery configuration beside the pool of its worker count."""
    out = [("in-process, 1 worker", "pool", 1, None)]
    out += [(f"Celery, 1 worker, {t}", "celery", 1, t) for t in transports]
    out += [("in-process, 2 workers", "pool", 2, None), (f"Celery, 2 workers, {transports[0]}", "celery", 2,
                                                          transports[0])]
    return out


def _median(xs: list[float]) -> float:
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--transports", nargs="+", default=["redis", "path", "inline"],
                    help="image transports measured with 1 worker (the first also with 2)")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--ingest", action="store_true",
                    help="also ingest the generated inbox through 2 workers and report the coordinator's CPU per page")
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    from intake.distributed.app import DistributedConfig
    from intake.distributed.backend import CeleryRunner
    from intake.ocr.runner import OcrRunner

    configs = _configs(args.transports)
    cost = None
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    loads: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as tmp:
        tmp = Path(tmp)
        pages = make_pages(tmp, args.pages + 2)
        warm, pages = pages[:2], pages[2:]
        redis_proc, port = start_redis(tmp)
        times: dict[str, list[float]] = {}
        cpus: dict[str, list[dict]] = {}
        db = 0
        try:
            for rnd in range(args.rounds):
                shift = rnd % len(configs)  # rotate: no configuration always runs first or after another
                for name, kind, n, transport in configs[shift:] + configs[:shift]:
                    loads.append(os.getloadavg()[0])
                    if kind == "pool":
                        runner = OcrRunner("rapidocr", n, progress=False)
                        try:
                            t, c = (time_read(runner, pages, warm, redis_proc.pid) if n > 1
                                    else _single(runner, pages, warm[0], redis_proc.pid))
                        finally:
                            runner.close()
                    else:
                        db += 1
                        broker = f"redis://127.0.0.1:{port}/{db}"
                        procs = start_workers(broker, n, tmp)
                        try:
                            runner = CeleryRunner(broker, "rapidocr", n, progress=False,
                                                  config=DistributedConfig(image_transport=transport))
                            t, c = time_read(runner, pages, warm, redis_proc.pid)
                            runner.close()
                        finally:
                            stop_workers(procs)
                    times.setdefault(name, []).append(t)
                    cpus.setdefault(name, []).append(c)
                    split = ", ".join(f"{k} {v:.2f}" for k, v in c.items())
                    print(f"round {rnd + 1}: {name}: {t:.1f} s, {sum(c.values()):.1f} CPU-s for {len(pages)} pages "
                          f"({split}; load {os.getloadavg()[0]:.1f})", flush=True)
                    if args.out:  # the table so far: a run stopped at a deadline keeps its finished rounds
                        _write(args.out, report(args, configs, pages, times, cpus, None, started, loads + [
                            os.getloadavg()[0]], rnd + (name == (configs[shift:] + configs[:shift])[-1][0])))
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
    loads.append(os.getloadavg()[0])
    text = report(args, configs, pages, times, cpus, cost, started, loads, args.rounds)
    print(text)
    if args.out:
        _write(args.out, text)
    return 0


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")


def report(args, configs, pages, times, cpus, cost, started, loads, done: int) -> str:
    n_pages = len(pages)
    total = {k: [sum(c.values()) for c in v] for k, v in cpus.items()}
    cmd = (f"nice -n 10 .venv/bin/python bench/distributed.py --pages {args.pages} --rounds {args.rounds} "
           f"--transports {' '.join(args.transports)}" + (" --ingest" if args.ingest else ""))
    rows = [
        "## Distributed mode: 1 and 2 Celery workers against the in-process pool",
        "",
        f"Command: `{cmd}` (starts its own redis-server and `docintake worker`s)",
        "",
        f"{n_pages} generated scan pages, {done} interleaved rounds"
        + (f" of {args.rounds} (stopped early)" if done < args.rounds else "") + " (the order rotates each round), "
        f"{os.cpu_count()} cores, run {started}-{time.strftime('%H:%M', time.gmtime())} UTC, load average "
        f"{min(loads):.1f}-{max(loads):.1f} (median {_median(loads):.1f}).",
        "",
        "CPU-s: every process of the configuration during the timed reading (this process, the reading "
        "processes, the Celery workers' main processes, redis-server); on a shared machine the figure that "
        "compares. Overhead: each Celery configuration against the in-process pool with as many workers "
        "in the same round; the median of the rounds counts.",
        "",
        "| configuration | CPU-s/page (median) | rounds (CPU-s/page) | overhead per round | **overhead (median)** "
        "| outside the reading, CPU-s/page | s/page (median) |",
        "| --- | ---: | --- | --- | ---: | ---: | ---: |",
    ]
    summary = []
    configs = [c for c in configs if c[0] in cpus]
    for name, kind, n, transport in configs:
        per = [c / n_pages for c in total[name]]
        outside = _median([(sum(c.values()) - c["reading"]) / n_pages for c in cpus[name]])
        over, med = "—", ""
        if kind == "celery":
            base = "in-process, 1 worker" if n == 1 else "in-process, 2 workers"
            ratios = [a / b - 1 for a, b in zip(total[name], total.get(base, []))]
            if not ratios:
                continue
            med_r = _median(ratios)
            over = ", ".join(f"{100 * r:+.1f} %" for r in ratios)
            med = f"**{100 * med_r:+.1f} %**"
            summary.append(f"{name}: {100 * med_r:+.1f} %")
        rows.append(f"| {name} | {_median(per):.2f} | {', '.join(f'{x:.2f}' for x in per)} | {over} | {med} | "
                    f"{outside:.3f} | {_median(times[name]) / n_pages:.2f} |")
    rows += ["", "CPU-s by process, all rounds summed, per page:", "",
             "| configuration | coordinator | reading processes | worker main processes | redis-server |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for name, *_ in configs:
        sums = {k: sum(c[k] for c in cpus[name]) / (n_pages * len(cpus[name])) for k in cpus[name][0]}
        rows.append(f"| {name} | {sums['coordinator']:.3f} | {sums['reading']:.3f} | {sums['worker main']:.3f} | "
                    f"{sums['redis']:.3f} |")
    rows += ["", "Distributed-mode overhead in CPU (median of rounds; target <= 5 %): " + "; ".join(summary) + "."]
    if cost:
        rows += ["", f"Coordinator (`docintake ingest --broker`, 2 workers, {cost['pages']} pages of 3 generated "
                     f"submissions): {cost['wall']:.0f} s wall, {cost['cpu']:.1f} s of its own CPU = "
                     f"{cost['cpu'] / max(cost['pages'], 1):.2f} CPU-s per page (rendering, hashing, extraction, "
                     "seals, invoice red-kept reading, validation, database writes; no OCR of its own)."]
    return "\n".join(rows)


def _single(runner, pages, warm, redis_pid) -> tuple[float, dict]:
    """One worker in-process means the pool's one process, as a Celery worker process is (not the caller)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from intake.ocr import runner as mod

    runner._pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"),
                                       initializer=mod._worker_init, initargs=(runner.engine,))
    jobs = [mod.OcrJob(str(p), runner.engine) for p in pages]
    list(runner._pool.map(mod._worker, [mod.OcrJob(str(warm), runner.engine)]))
    c0, t0 = tree_cpu_by_pid(), time.perf_counter()
    list(runner._pool.map(mod._worker, jobs))
    return time.perf_counter() - t0, split_cpu(c0, tree_cpu_by_pid(), redis_pid)


if __name__ == "__main__":
    raise SystemExit(main())
