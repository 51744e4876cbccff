"""Distributed mode end to end: a real redis-server, two real `docintake worker` processes, real OCR.

Every submission's contract line (and every page's OCR lines) must be what the in-process
run gives; with one worker SIGKILLed mid-batch too, with nothing lost and nothing twice.
Skipped only where redis-server is not installed (`make test` installs it).

Kept cheap: one generated bank receipt (the page the kill lands on: its reading takes long
enough to be caught at it) and six small pages of a few words, so both runs of real OCR cost
seconds; the kill is a state (the receipt's lease in Redis is held), not a time.
"""
from __future__ import annotations

import hashlib
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


RECEIPT = "a-receipt/01_bank_receipt.png"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, text_page) -> Path:
    """Four submissions: a generated bank receipt (from tests/corpus, published first) with two small
    pages, a folder of three small pages, a loose one (small: each batch is real OCR, twice) and a
    generated invoice, whose red-kept regions extraction reads again (on the workers too)."""
    from tests.corpus.documents import generate_document

    inbox = tmp_path_factory.mktemp("corpus") / "inbox"
    generate_document("bank_receipt", 5, "lowres", container="png").save(inbox / RECEIPT[: -len(".png")])
    # an invoice: extraction reads regions of it again (red kept), which the workers read too
    generate_document("invoice", 5, "lowres", container="png").save(inbox / "d-invoice" / "01_invoice")
    small = {"a-receipt/02_note.png": "附件一", "a-receipt/03_note.png": "附件二", "b-notes/01.png": "说明一",
             "b-notes/02.png": "说明二", "b-notes/03.png": "说明三", "c-loose.png": "补充材料"}
    for name, title in small.items():
        # three lines (fewer make the reader try other orientations), gray, about as tall as wide
        page = text_page([f"许昌市科学技术局{title}", "科技创新券兑付申请", "2026年11月"], size=28, width=600,
                         margin=140, mode="L")
        (inbox / name).parent.mkdir(parents=True, exist_ok=True)
        page.save(inbox / name, dpi=(300, 300))
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


def _reference(corpus: Path, work: Path):
    lines = _ingest(corpus, work, "--workers", "2")
    return lines, _pages(work)


class Workers:
    def __init__(self, port: int, db: int, names: list[str], tmp: Path, wait: bool = True):
        self.broker = f"redis://127.0.0.1:{port}/{db}"
        self.procs = {}
        for name in names:
            log = open(tmp / f"{name}.log", "w")
            self.procs[name] = subprocess.Popen(
                _cli("worker", "--broker", self.broker, "-c", "1", "--name", f"{name}@test", "--loglevel", "INFO"),
                stdout=log, stderr=subprocess.STDOUT, env=_env(), start_new_session=True)
        if wait:
            self.wait_up()

    def wait_up(self) -> None:
        """Until every worker answers a ping, then `docintake workers` must list them all.

        Pinged from this process: a `docintake workers` process per look costs a second of CPU
        (Python and Celery start), many of them while the workers load on a loaded machine."""
        from intake.distributed.app import make_app

        app = make_app(self.broker)
        want = {f"{name}@test" for name in self.procs}
        deadline = time.monotonic() + 300  # a liveness bound: seconds on a quiet machine, minutes at load 25
        try:
            while time.monotonic() < deadline:
                if want <= {name for reply in app.control.ping(timeout=1.0) for name in reply}:
                    break
                if any(proc.poll() is not None for proc in self.procs.values()):
                    break  # one died: reported below
        finally:
            app.close()
        for _ in range(5):  # a reply later than --timeout (a loaded machine) is asked for again
            out = subprocess.run(_cli("workers", "--broker", self.broker, "--json", "--timeout", "3"),
                                 capture_output=True, text=True, env=_env())
            if out.returncode == 0 and len(json.loads(out.stdout)["workers"]) == len(self.procs):
                return
        self.stop()
        pytest.fail(f"the workers did not come up: {out.stdout} {out.stderr[-2000:]}")

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


def _receipt_page_key(work: Path, corpus: Path, settings: str) -> str | None:
    """The Redis key the coordinator publishes the receipt's page under, once it has rendered it
    (the page PNG's bytes + the engine's settings, as `CeleryRunner` computes it)."""
    from intake.distributed.app import page_key

    sha = hashlib.sha256((corpus / RECEIPT).read_bytes()).hexdigest()
    png = work / "data" / "pages" / sha[:2] / sha / "1.png"  # written atomically: whole once it exists
    if not png.exists():
        return None
    return page_key(hashlib.sha256(png.read_bytes()).hexdigest(), settings, True)


def test_two_workers_one_killed_mid_batch_read_as_the_in_process_pool(corpus, redis_port, tmp_path):
    """Two workers read a batch and the one reading the receipt is SIGKILLed while it holds the
    receipt's lease: every submission's JSON line and every page's OCR are those of the in-process
    pool, nothing lost or twice, and the other worker read the receipt.
    (One test for both: each real-OCR batch costs real time on a 2-core CI machine.)"""
    import redis

    from intake.distributed.app import lease_key, result_key

    r = redis.Redis(port=redis_port, db=2)
    workers = Workers(redis_port, 2, ["w1", "w2"], tmp_path, wait=False)  # they start while the reference runs
    try:
        ref_lines, ref_pages = _reference(corpus, tmp_path / "inprocess")
        from intake.ocr.base import get_engine

        # loaded before the batch starts: loading it in the watch loop could outlast the receipt's reading
        settings = get_engine("rapidocr").settings_key()
        workers.wait_up()
        work = tmp_path / "distributed"
        work.mkdir()
        proc = _ingest(corpus, work, "--broker", workers.broker, wait=False)
        victim = key = None
        deadline = time.monotonic() + 600  # a liveness bound: the kill itself waits for a state
        while victim is None and time.monotonic() < deadline and proc.poll() is None:
            key = key or _receipt_page_key(work, corpus, settings)
            holder = r.get(lease_key(key)) if key else None
            if holder:  # "w1@test:<pid>:<task id>": that worker is reading the receipt right now
                victim = holder.decode().split("@", 1)[0]
                workers.kill(victim)
                break
            time.sleep(0.01)
        assert victim is not None, "no worker was caught holding the receipt mid-batch"
        lines = _finish(proc)
    finally:
        workers.stop()
    assert len(ref_lines) == 4
    assert lines == ref_lines  # every submission once, with the same result
    assert _pages(work) == ref_pages  # every page once, read the same
    taken_over = json.loads(r.get(result_key(key)))
    assert taken_over["worker"] == ({"w1", "w2"} - {victim}).pop() + "@test"  # the other worker read it
    # every page image the coordinator put beside its tasks is gone once its result was taken
    assert r.keys("docintake:img:*") == []
    regions = [v for v in (json.loads(r.get(k)) for k in r.keys("docintake:ocr:*")) if v.get("region")]
    assert regions and all(v["worker"] in ("w1@test", "w2@test") for v in regions)  # extraction's re-reads too


def test_broker_restart_is_survived_and_a_failing_page_quarantines_its_file(tmp_path, text_page):
    """The broker restarts empty with a page queued: the coordinator notices and queues it again.
    A page no worker can read comes back, after its attempts, as the pipeline's per-file error."""
    from PIL import Image

    from intake.distributed.backend import CeleryRunner
    from intake.errors import InputError
    from intake.ocr.runner import OcrJob, read_page

    page = tmp_path / "page.png"
    text_page(["许昌市科学技术局", "科技创新券兑付申请", "2026年11月"], size=28, width=600, margin=140).save(page)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG not really" * 50)
    port = _free_port()
    redis_proc = _start_redis(tmp_path, port)
    broker = f"redis://127.0.0.1:{port}/0"
    os.environ["DOCINTAKE_VISIBILITY_TIMEOUT"] = VISIBILITY
    runner = CeleryRunner(broker, "rapidocr", workers=1, progress=False)
    workers = None
    try:
        import redis

        from intake.distributed.app import image_key

        future = runner.submit(OcrJob(str(page), "rapidocr"))  # queued; no worker is running yet
        r = redis.Redis(port=port)
        # the task is small; the page's bytes wait beside it, binary, and expire if nobody takes them
        assert r.get(image_key(future.key)) == page.read_bytes()
        assert 0 < r.ttl(image_key(future.key)) <= runner.config.image_ttl
        assert max(len(m) for m in r.lrange("docintake.ocr", 0, -1)) < 4000
        _stop_redis(redis_proc)
        redis_proc = _start_redis(tmp_path, port)  # back, empty: the queued page is gone
        workers = Workers(port, 0, ["w1"], tmp_path)
        got = runner.result_of(future)
        with Image.open(page) as img:
            want = read_page(img, "rapidocr")
        assert [l.text for l in got.lines] == [l.text for l in want.lines]
        assert got.lines == want.lines
        r = redis.Redis(port=port)
        assert not r.exists(image_key(future.key))  # published again after the restart, deleted once taken
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


def test_regions_extraction_reads_again_are_read_by_the_workers_as_in_process(redis_port, tmp_path, text_page):
    """A crop read as one text line, a region, a page with red kept and a region read with lines
    known: each goes to a worker (its result in Redis names it), the coordinator reads nothing
    itself, and each reads exactly as `read_region` does in one process."""
    import redis

    from intake.distributed.backend import CeleryRunner
    from intake.ocr.runner import read_region

    page = text_page(["许昌市科学技术局", "科技创新券兑付申请", "2026年11月"], size=28, width=600, margin=140)
    crop = page.crop((100, 120, 560, 200))
    broker = f"redis://127.0.0.1:{redis_port}/3"
    workers = Workers(redis_port, 3, ["r1"], tmp_path)
    runner = CeleryRunner(broker, "rapidocr", workers=1, progress=False)
    try:
        whole = runner.read_region(page)
        got = {"whole": whole, "line": runner.read_region(crop, line=True),
               "red kept": runner.read_region(page, keep_red=True),
               "known": runner.read_region(page, known=whole[:1])}
        assert runner.read_region(page) == whole  # asked again: the result under the same key
    finally:
        runner.close()
        workers.stop()
    r = redis.Redis(port=redis_port, db=3)
    readings = [json.loads(r.get(k)) for k in r.keys("docintake:ocr:*")]
    assert len(readings) == 4 and all(v["region"] and v["worker"] == "r1@test" for v in readings)
    assert r.keys("docintake:img:*") == []  # each region's PNG deleted once its result was taken
    want = {"whole": read_region(page, "rapidocr"), "line": read_region(crop, "rapidocr", line=True),
            "red kept": read_region(page, "rapidocr", keep_red=True),
            "known": read_region(page, "rapidocr", known=whole[:1])}
    assert [l.text for l in whole] == ["许昌市科学技术局", "科技创新券兑付申请", "2026年11月"]
    assert got == want
