"""`CeleryRunner`: the OCR runner's interface (`settings_key`, `read`, `submit`, `result_of`,
`reset`, `close`) over Celery workers, so the pipeline, the read-ahead and the OCR cache
work unchanged in distributed mode.

The coordinator publishes one task per page and polls the result keys (one MGET for all
pages in flight). A lost broker connection is retried until `broker_down_timeout`; after a
reconnect the pages in flight are published again (the broker may have restarted empty;
a page that was not lost is read once more at worst and its result is the same). A page
that failed on the workers raises `InputError`, which the pipeline turns into the file's
quarantine; no answer at all for `result_timeout` raises `EngineError` (not the file's fault:
it stays archived and is resumed).
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import sys
import time
import uuid
from pathlib import Path

from ..errors import EngineError, InputError
from ..model import Line
from ..ocr.runner import OcrJob, OcrResult
from .app import QUEUE, TASK_NAME, DistributedConfig, make_app, page_key, redis_client, result_key

log = logging.getLogger("docintake.distributed")

# A page that failed is not sent again for this long (the read-ahead's failure is the read's too).
FAILED_MEMORY = 600.0

# How often, while waiting, the coordinator checks whether the broker restarted (and lost the queue).
RESTART_CHECK = 5.0

# Pages per MGET while waiting; polling starts fast (a page takes seconds, an answer milliseconds).
POLL_MIN, POLL_MAX = 0.02, 0.1


class PageFuture:
    """What `submit` returns: `done()` without blocking, the result through `CeleryRunner.result_of`."""

    def __init__(self, runner: "CeleryRunner", key: str):
        self.runner = runner
        self.key = key

    def done(self) -> bool:
        return self.runner._peek(self.key) is not None

    def cancel(self) -> bool:
        return False  # a queued page is read anyway; its result serves a later run

    def result(self):
        return self.runner._collect([self.key])[0]


class CeleryRunner:
    # Pages are read by other processes: the read-ahead (prefetch.py) pays even with one worker.
    remote = True

    def __init__(self, broker: str, engine: str = "rapidocr", workers: int | None = None,
                 progress: bool | None = None, config: DistributedConfig | None = None):
        self.broker = broker
        self.engine = engine
        self.config = config or DistributedConfig()
        self.app = make_app(broker, self.config)
        self._redis = redis_client(broker)
        self.progress = sys.stderr.isatty() if progress is None else progress
        self._settings: str | None = None
        self._inflight: dict[str, dict] = {}  # page key -> payload (published, no result taken yet)
        self._done: dict[str, dict] = {}  # page key -> result read, not yet handed out
        self._failed: dict[str, dict] = {}  # page key -> failure (kept FAILED_MEMORY s: read-ahead then read)
        self._reconnected = False
        self._run_id: str | None = None  # the Redis server's run id: it changes when the broker restarts
        self._checked = 0.0
        # pages kept in flight ahead (the read-ahead's budget): the workers' slots, or what the caller says
        self.workers = workers or self._slots() or 2

    # -- the runner interface ------------------------------------------------------------------

    def settings_key(self) -> str:
        if self._settings is None:
            from ..ocr.base import get_engine, limit_threads

            limit_threads()
            self._settings = get_engine(self.engine).settings_key()
        return self._settings

    def read(self, jobs: list[OcrJob]) -> list[OcrResult]:
        if not jobs:
            return []
        keys = [self.submit(job).key for job in jobs]
        return self._collect(keys, progress=self.progress)

    def submit(self, job: OcrJob) -> PageFuture:
        key, payload = self._payload(job)
        failed = self._failed.get(key)
        if failed is not None and time.monotonic() - failed["_at"] > FAILED_MEMORY:
            del self._failed[key]  # e.g. a file re-queued by staff: it gets its attempts again
        if key in self._failed or key in self._done or key in self._inflight:
            return PageFuture(self, key)
        self._inflight[key] = payload
        self._broker(lambda: self._publish(key, payload))
        return PageFuture(self, key)

    @staticmethod
    def result_of(future: PageFuture) -> OcrResult:
        return future.result()

    def read_region(self, image, engine: str | None = None, keep_red: bool = False, line: bool = False):
        """A region extraction reads again (see `model.RegionReader`), in the coordinator as with
        the in-process pool: extraction waits for it, and the queue holds whole pages."""
        from ..ocr.runner import limit_threads, read_region

        limit_threads()
        return read_region(image, engine or self.engine, keep_red, line)

    def reset(self) -> None:
        """Nothing to rebuild: a lost worker's pages come back through the broker."""

    def close(self) -> None:
        self._inflight.clear()
        self._done.clear()
        try:
            self._redis.close()
        except Exception:  # noqa: BLE001 - closing
            pass

    # -- publishing ----------------------------------------------------------------------------

    def _payload(self, job: OcrJob) -> tuple[str, dict]:
        data = Path(job.image_path).read_bytes()
        settings = self.settings_key()
        key = page_key(hashlib.sha256(data).hexdigest(), settings, job.detect_orientation)
        payload = {"key": key, "engine": job.engine, "settings": settings, "orient": job.detect_orientation}
        if self.config.image_transport == "inline":
            payload["png_b64"] = base64.b64encode(data).decode("ascii")
        else:
            payload["path"] = str(Path(job.image_path).resolve())
        return key, payload

    def _broker_restarted(self) -> bool:
        """Whether the broker is another server process than when we last looked (it may have lost the queue).

        A lost connection alone does not tell: the client reconnects silently."""
        run_id = self._redis.info("server").get("run_id")
        before, self._run_id = self._run_id, run_id
        return before is not None and run_id != before

    def _publish(self, key: str, payload: dict) -> None:
        if self._run_id is None:
            self._broker_restarted()
        raw = self._redis.get(result_key(key))
        if raw is not None:
            value = json.loads(raw)
            if "error" not in value:
                return  # read already (an earlier run, or another coordinator): nothing to queue
            self._redis.delete(result_key(key))  # an earlier run's failure: this run tries again
        self.app.send_task(TASK_NAME, args=[payload], task_id=str(uuid.uuid4()), queue=QUEUE,
                           retry=True, retry_policy={"max_retries": 2, "interval_start": 0.2,
                                                     "interval_step": 0.5, "interval_max": 1})

    def _broker(self, call):
        """Run `call` against the broker, retrying a lost connection until `broker_down_timeout`."""
        from kombu.exceptions import OperationalError
        from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeout

        deadline = None
        delay = 0.2
        while True:
            try:
                return call()
            except (OperationalError, RedisConnectionError, RedisTimeout, ConnectionError, OSError) as exc:
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self.config.broker_down_timeout
                    log.warning("broker %s unreachable (%s); retrying for up to %.0fs", self.broker, exc,
                                self.config.broker_down_timeout)
                if now >= deadline:
                    raise EngineError(f"无法连接任务队列 {self.broker}（{exc}），文件保留在归档中，恢复后继续处理。"
                                      f"The broker {self.broker} is unreachable: {exc}") from exc
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                self._reconnected = True

    # -- collecting ----------------------------------------------------------------------------

    def _peek(self, key: str) -> dict | None:
        if key in self._done or key in self._failed:
            return self._done.get(key) or self._failed.get(key)
        raw = self._broker(lambda: self._redis.get(result_key(key)))
        if raw is None:
            return None
        value = json.loads(raw)
        self._take(key, value)
        return value

    def _take(self, key: str, value: dict) -> None:
        self._inflight.pop(key, None)
        if "error" in value:
            self._failed[key] = {**value, "_at": time.monotonic()}
        else:
            self._done[key] = value

    def _republish(self) -> None:
        """After a broker restart: it may have come back empty, so every page in flight goes again."""
        pending = list(self._inflight.items())
        if pending:
            log.warning("broker restarted: publishing %d pages in flight again", len(pending))
        for key, payload in pending:
            self._broker(lambda k=key, p=payload: self._publish(k, p))

    def _collect(self, keys: list[str], progress: bool = False) -> list[OcrResult]:
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(keys), desc="OCR", unit="页", leave=False)
        try:
            wait = POLL_MIN
            last_progress = time.monotonic()
            warned = last_progress
            while True:
                missing = [k for k in dict.fromkeys(keys) if k not in self._done and k not in self._failed]
                for k in keys:
                    if k in self._failed:
                        raise self._failure(self._failed[k])
                if not missing:
                    break
                self._reconnected = False
                raws = self._broker(lambda: self._redis.mget([result_key(k) for k in missing]))
                if self._reconnected or time.monotonic() - self._checked > RESTART_CHECK:
                    self._checked = time.monotonic()
                    if self._broker(self._broker_restarted):
                        self._republish()
                got = 0
                for k, raw in zip(missing, raws):
                    if raw is not None:
                        self._take(k, json.loads(raw))
                        got += 1
                now = time.monotonic()
                if got:
                    last_progress, wait = now, POLL_MIN
                    if bar is not None:
                        bar.update(got)
                    continue
                if now - last_progress > self.config.result_timeout:
                    raise EngineError(
                        f"{self.config.result_timeout:.0f} 秒内没有识别节点返回结果（请用 docintake workers 检查识别节点），"
                        "文件保留在归档中，稍后继续处理。"
                        f"No OCR worker answered for {self.config.result_timeout:.0f}s; is any `docintake worker` running?")
                if now - warned > 60:
                    warned = now
                    log.warning("waiting for OCR workers: %d pages outstanding", len(missing))
                time.sleep(wait)
                wait = min(wait * 1.5, POLL_MAX)
            out = []
            for k in keys:
                value = self._done[k]
                out.append(OcrResult([Line.from_dict(d) for d in value["lines"]], value.get("rotation") or 0))
            for k in keys:  # handed out: the OCR cache (the database) keeps it from here on
                self._done.pop(k, None)
            return out
        finally:
            if bar is not None:
                bar.close()

    @staticmethod
    def _failure(value: dict) -> Exception:
        if value.get("kind") == "engine":
            return EngineError(value["error"])
        return InputError(value["error"], "ocr_failed")

    # -- visibility ----------------------------------------------------------------------------

    def _slots(self) -> int:
        """Worker processes connected now (0 if none answer within a second)."""
        try:
            stats = self.app.control.inspect(timeout=1.0).stats() or {}
        except Exception:  # noqa: BLE001 - an unreachable broker shows at the first page
            return 0
        return sum(int((s.get("pool") or {}).get("max-concurrency") or 1) for s in stats.values())
