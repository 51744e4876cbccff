"""Distributed mode end to end: a real redis-server, two real `docintake worker` processes, real OCR.

Every submission's contract line (and every page's OCR lines) must be what the in-process
run gives; with one worker SIGKILLed mid-batch too, with nothing lost and nothing twice.
Skipped only where redis-server is not installed (`make test` installs it).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS is None, reason="redis-server not installed (scripts/system-deps.sh test installs it)")

AS_OF = "2026-11-20"
# Small on purpose: a task outliving it is handed out again (and waits for the first reader's lease),
# and a killed worker's page comes back this soon.
VISIBILITY = "15"


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["DOCINTAKE_VISIBILITY_TIMEOUT"] = VISIBILITY
    env["DOCINTAKE_RESULT_TIMEOUT"] = "900"
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def _cli(*args) -> list[str]:
    return [sys.executable, "-m", "intake.cli", *args]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_redis(folder: Path, port: int) -> subprocess.Popen:
    """A redis-server of our own on 127.0.0.1, without persistence (a restart loses the queue)."""
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
                             "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return proc
        except redis.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("redis-server did not start")


def _stop_redis(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory):
    port = _free_port()
    proc = _start_redis(tmp_path_factory.mktemp("redis"), port)
    yield port
    _stop_redis(proc)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Two generated voucher submissions (real scans; kept small: each batch is real OCR)."""
    from tests.corpus.corpus import write_corpus

    inbox = tmp_path_factory.mktemp("corpus") / "inbox"
    write_corpus(inbox, seed=5, count=2, kinds=("voucher_redemption",))
    shutil.rmtree(inbox / ".truth", ignore_errors=True)
    return inbox


def _ingest(corpus: Path, work: Path, *extra: str, wait: bool = True):
    inbox = work / "inbox"
    shutil.copytree(corpus, inbox)
    args = _cli("ingest", str(inbox), "--db", str(work / "data" / "db.sqlite"), "--json", "--settle", "0",
                "--as-of", AS_OF, *extra)
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=work)
    return proc if not wait else _finish(proc)


def _finish(proc) -> list[dict]:
    out, err = proc.communicate(timeout=1200)
    assert proc.returncode == 0, err[-3000:]
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def _pages(work: Path) -> list[tuple]:
    """Every page's file, number, rotation and OCR lines, in a stable order."""
    con = sqlite3.connect(work / "data" / "db.sqlite")
    rows = con.execute(
        "SELECT f.name, p.number, p.rotation, p.source, "
        "(SELECT group_concat(text || '@' || x0 || ',' || y0 || ',' || x1 || ',' || y1 || ':' || confidence, '|') "
        " FROM (SELECT * FROM ocr_lines WHERE page_id = p.id ORDER BY idx)) "
        "FROM pages p JOIN files f ON f.id = p.file_id ORDER BY f.id, p.number").fetchall()
    files = con.execute("SELECT name, status, attempts FROM files ORDER BY id").fetchall()
    con.close()
    return rows, files


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory):
    work = tmp_path_factory.mktemp("inprocess")
    lines = _ingest(corpus, work, "--workers", "2")
    return lines, _pages(work)


class Workers:
    def __init__(self, port: int, db: int, names: list[str], tmp: Path):
        self.broker = f"redis://127.0.0.1:{port}/{db}"
        self.procs = {}
        for name in names:
            log = open(tmp / f"{name}.log", "w")
            self.procs[name] = subprocess.Popen(
                _cli("worker", "--broker", self.broker, "-c", "1", "--name", f"{name}@test", "--loglevel", "INFO"),
                stdout=log, stderr=subprocess.STDOUT, env=_env(), start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            out = subprocess.run(_cli("workers", "--broker", self.broker, "--json"), capture_output=True,
                                 text=True, env=_env())
            if out.returncode == 0 and len(json.loads(out.stdout)["workers"]) == len(names):
                return
            time.sleep(0.5)
        self.stop()
        pytest.fail("the workers did not come up")

    def kill(self, name: str) -> None:
        os.killpg(self.procs[name].pid, signal.SIGKILL)  # the worker and its pool process: a lost machine
        self.procs[name].wait(timeout=30)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def test_two_workers_one_killed_mid_batch_read_as_the_in_process_pool(corpus, reference, redis_port, tmp_path):
    """Two workers read a batch and one is SIGKILLed while it holds a page: every submission's
    JSON line and every page's OCR are those of the in-process pool, nothing lost or twice.
    (One test for both: each real-OCR batch costs minutes on a 2-core CI machine.)"""
    import redis

    r = redis.Redis(port=redis_port, db=2)
    workers = Workers(redis_port, 2, ["w1", "w2"], tmp_path)
    try:
        proc = _ingest(corpus, tmp_path, "--broker", workers.broker, wait=False)
        # Kill w1 while it holds a page, once at least one page is done (the batch is under way).
        victim_page = None
        deadline = time.monotonic() + 900
        while victim_page is None and time.monotonic() < deadline and proc.poll() is None:
            if next(r.scan_iter("docintake:ocr:*"), None) is not None:
                for k in r.scan_iter("docintake:lease:*"):
                    holder = r.get(k)
                    if holder and holder.startswith(b"w1@test"):
                        victim_page = k.decode().rsplit(":", 1)[1]
                        workers.kill("w1")
                        break
            time.sleep(0.05)
        assert victim_page is not None, "w1 never held a page mid-batch"
        lines = _finish(proc)
    finally:
        workers.stop()
    ref_lines, ref_pages = reference
    assert len(ref_lines) == 2
    assert lines == ref_lines  # every submission once, with the same result
    assert _pages(tmp_path) == ref_pages  # every page once, read the same
    taken_over = json.loads(r.get(f"docintake:ocr:{victim_page}"))
    assert taken_over["worker"] == "w2@test"  # the page w1 held was handed to w2


def test_broker_restart_is_survived_and_a_failing_page_quarantines_its_file(tmp_path, text_page):
    """The broker restarts empty with a page queued: the coordinator notices and queues it again.
    A page no worker can read comes back, after its attempts, as the pipeline's per-file error."""
    from PIL import Image

    from intake.distributed.backend import CeleryRunner
    from intake.errors import InputError
    from intake.ocr.runner import OcrJob, read_page

    page = tmp_path / "page.png"
    text_page(["许昌市科学技术局", "科技创新券兑付申请"], width=1000).save(page)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG not really" * 50)
    port = _free_port()
    redis_proc = _start_redis(tmp_path, port)
    broker = f"redis://127.0.0.1:{port}/0"
    os.environ["DOCINTAKE_VISIBILITY_TIMEOUT"] = VISIBILITY
    runner = CeleryRunner(broker, "rapidocr", workers=1, progress=False)
    workers = None
    try:
        future = runner.submit(OcrJob(str(page), "rapidocr"))  # queued; no worker is running yet
        _stop_redis(redis_proc)
        redis_proc = _start_redis(tmp_path, port)  # back, empty: the queued page is gone
        workers = Workers(port, 0, ["w1"], tmp_path)
        got = runner.result_of(future)
        with Image.open(page) as img:
            want = read_page(img, "rapidocr")
        assert [l.text for l in got.lines] == [l.text for l in want.lines]
        assert got.lines == want.lines
        with pytest.raises(InputError) as err:
            runner.read([OcrJob(str(bad), "rapidocr")])
        assert err.value.reason == "ocr_failed"
        assert "连续 3 次识别失败" in err.value.message
    finally:
        os.environ.pop("DOCINTAKE_VISIBILITY_TIMEOUT", None)
        runner.close()
        if workers is not None:
            workers.stop()
        _stop_redis(redis_proc)
