"""`CeleryRunner`: the OCR runner's interface (`settings_key`, `read`, `submit`, `result_of`,
`reset`, `close`) over Celery workers, so the pipeline, the read-ahead and the OCR cache
work unchanged in distributed mode.

The coordinator publishes one small task per page; with the default transport ("redis") the
page's PNG bytes wait in a Redis key of their own (binary, expiring), so the 5 MB image goes
coordinator -> Redis -> the reading process once, never through the worker's main process,
kombu's base64 envelope or its unacknowledged-task copy. Workers push the page key onto this
coordinator's reply list once its result is written; the coordinator blocks on that list
(BLPOP) and then takes every result it waits for in one MGET, instead of polling. The image key
is deleted once its result is taken.

A lost broker connection is retried until `broker_down_timeout`; after a reconnect the pages
in flight are published again, images included (the broker may have restarted empty; a page
that was not lost is read once more at worst and its result is the same). A page that failed on the workers raises `InputError`, which the pipeline turns into the file's
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
from ..ocr.runner import OcrJob, OcrResult
from .app import (QUEUE, REGION_QUEUE, REGION_TASK, TASK_NAME, DistributedConfig, image_key, make_app, page_key,
                  redis_client, region_key, reply_key, result_key)

log = logging.getLogger("docintake.distributed")

# A page that failed is not sent again for this long (the read-ahead's failure is the read's too).
FAILED_MEMORY = 600.0

# How often, while waiting, the coordinator checks whether the broker restarted (and lost the queue).
RESTART_CHECK = 5.0

# Longest wait on the reply list before the results are looked up anyway (a result no worker
# announced: one written for another coordinator, or by a worker of an older version).
REPLY_WAIT = 1.0


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
        self._reply = reply_key(uuid.uuid4().hex)  # workers announce this runner's results here
        self._paths: dict[str, str] = {}  # page key -> its PNG (transport "redis": sent again if the image is gone)
        self._blobs: dict[str, bytes] = {}  # region key -> its PNG bytes (in memory only: sent again from here)
        self._engine_settings: dict[str, str] = {}
        self._drop: list[str] = []  # image keys whose result is taken: deleted at the next broker call
        # pages kept in flight ahead (the read-ahead's budget): the workers' slots, or what the caller says
        self.workers = workers or self._slots() or 2

    # -- the runner interface ------------------------------------------------------------------

    def settings_key(self) -> str:
        if self._settings is None:
            from ..ocr.base import settings_key_of

            self._settings = settings_key_of(self.engine)
        return self._settings

    def read(self, jobs: list[OcrJob]) -> list[OcrResult]:
        if not jobs:
            return []
        keys = [self.submit(job).key for job in jobs]
        return self._collect(keys, progress=self.progress)

    def submit(self, job: OcrJob) -> PageFuture:
        key, payload, data = self._payload(job)
        failed = self._failed.get(key)
        if failed is not None and time.monotonic() - failed["_at"] > FAILED_MEMORY:
            del self._failed[key]  # e.g. a file re-queued by staff: it gets its attempts again
        if key in self._failed or key in self._done or key in self._inflight:
            return PageFuture(self, key)
        self._inflight[key] = payload
        self._paths[key] = job.image_path
        self._broker(lambda: self._publish(key, payload, data))
        return PageFuture(self, key)

    @staticmethod
    def result_of(future: PageFuture) -> OcrResult:
        return future.result()

    def read_region(self, image, engine: str | None = None, keep_red: bool = False, line: bool = False,
                    known=None):
        """A region extraction reads again (see `model.RegionReader`), on the workers: the region's
        PNG goes as a page's does, on the region queue the workers take first, so this process
        loads no engine and stays the one that decides and writes. Extraction waits for it."""
        engine = engine or self.engine
        if keep_red:
            image = image.convert("L")  # the engines whiten red ink in colour images only
        key, payload, data = self._region_payload(image, engine, line, known)
        if key not in self._inflight and key not in self._done and key not in self._failed:
            self._inflight[key] = payload
            self._blobs[key] = data
            self._broker(lambda: self._publish(key, payload, data))
        return list(self._collect([key])[0].lines)

    def reset(self) -> None:
        """Nothing to rebuild: a lost worker's pages come back through the broker."""

    def close(self) -> None:
        # Images of pages still queued stay (expiring): their readings serve a later run, as before.
        self._inflight.clear()
        self._done.clear()
        self._paths.clear()
        self._blobs.clear()
        try:
            self._redis.delete(self._reply)
        except Exception:  # noqa: BLE001 - it expires by itself
            pass
        try:
            self._redis.close()
        except Exception:  # noqa: BLE001 - closing
            pass

    # -- publishing ----------------------------------------------------------------------------

    def _payload(self, job: OcrJob) -> tuple[str, dict, bytes]:
        data = Path(job.image_path).read_bytes()
        settings = self.settings_key()
        key = page_key(hashlib.sha256(data).hexdigest(), settings, job.detect_orientation)
        payload = {"key": key, "engine": job.engine, "settings": settings, "orient": job.detect_orientation,
                   "reply": self._reply}
        if job.seals:  # the worker detects the page's seals too (a result without them: extraction does)
            payload["seals_dpi"] = job.dpi
        transport = self.config.image_transport
        if transport == "redis":
            payload["image"] = image_key(key)
        elif transport == "inline":
            payload["png_b64"] = base64.b64encode(data).decode("ascii")
        else:
            payload["path"] = str(Path(job.image_path).resolve())
        return key, payload, data

    def _region_payload(self, image, engine: str, line: bool, known) -> tuple[str, dict, bytes]:
        from ..loaders import encode_png
        from ..ocr.runner import image_key as pixel_key, known_key

        settings = self.settings_key() if engine == self.engine else self._settings_of(engine)
        sent = None if known is None or line else [l.to_dict() for l in known]
        key = region_key(pixel_key(image), settings, line, None if sent is None else known_key(known))
        data = encode_png(image)
        payload = {"key": key, "engine": engine, "settings": settings, "line": line, "known": sent,
                   "reply": self._reply, "region": True}
        if self.config.image_transport == "inline":
            payload["png_b64"] = base64.b64encode(data).decode("ascii")
        else:  # a region is in memory only: its bytes wait in Redis for "path" too
            payload["image"] = image_key(key)
        return key, payload, data

    def _settings_of(self, engine: str) -> str:
        if engine not in self._engine_settings:
            from ..ocr.base import settings_key_of

            self._engine_settings[engine] = settings_key_of(engine)
        return self._engine_settings[engine]

    def _broker_restarted(self) -> bool:
        """Whether the broker is another server process than when we last looked (it may have lost the queue).

        A lost connection alone does not tell: the client reconnects silently."""
        run_id = self._redis.info("server").get("run_id")
        before, self._run_id = self._run_id, run_id
        return before is not None and run_id != before

    def _publish(self, key: str, payload: dict, data: bytes | None = None) -> None:
        if self._run_id is None:
            self._broker_restarted()
        raw = self._redis.get(result_key(key))
        if raw is not None:
            value = json.loads(raw)
            if "error" not in value:
                return  # read already (an earlier run, or another coordinator): nothing to queue
            self._redis.delete(result_key(key))  # an earlier run's failure: this run tries again
        if "image" in payload:
            if data is None:  # published again (broker restarted, image gone): the page is still on disk
                data = self._blobs[key] if key in self._blobs else Path(self._paths[key]).read_bytes()
            # before the task, so a worker that takes it finds the image
            self._redis.set(payload["image"], data, ex=max(1, int(self.config.image_ttl)))
        region = payload.get("region", False)
        self.app.send_task(REGION_TASK if region else TASK_NAME, args=[payload], task_id=str(uuid.uuid4()),
                           queue=REGION_QUEUE if region else QUEUE,
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
        self._drop_images()
        return value

    def _drop_images(self) -> None:
        """Delete the images whose results were taken (one DEL); a failure leaves them to expire."""
        if not self._drop:
            return
        keys, self._drop = self._drop, []
        try:
            self._redis.delete(*keys)
        except Exception:  # noqa: BLE001 - they expire (image_ttl)
            log.debug("could not delete %d page images; they expire", len(keys), exc_info=True)

    def _renew_images(self) -> None:
        """Keep the images of pages in flight alive while waiting, and publish again a page whose
        image is gone (expired in a long queue, or deleted by another coordinator that read the same
        page): its task would find nothing to read."""
        pending = [(k, p) for k, p in self._inflight.items() if "image" in p]
        if not pending:
            return
        pipe = self._redis.pipeline(transaction=False)
        for _, p in pending:
            pipe.expire(p["image"], max(1, int(self.config.image_ttl)))
        for (key, payload), alive in zip(pending, pipe.execute()):
            if not alive:
                log.warning("page image %s gone before it was read: publishing the page again", key[:12])
                self._publish(key, payload)

    def _take(self, key: str, value: dict) -> None:
        payload = self._inflight.pop(key, None)
        self._paths.pop(key, None)
        self._blobs.pop(key, None)
        if payload is not None and "image" in payload:
            self._drop.append(payload["image"])
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

    def _lookup(self, missing: list[str]) -> list:
        """The results of `missing` (None where not written yet) and, in the same transaction, the
        reply list emptied: an announcement pushed after it wakes the next wait at once."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.mget([result_key(k) for k in missing])
        pipe.delete(self._reply)
        return pipe.execute()[0]

    def _collect(self, keys: list[str], progress: bool = False) -> list[OcrResult]:
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(keys), desc="OCR", unit="页", leave=False)
        try:
            last_progress = time.monotonic()
            warned = last_progress
            while True:
                missing = [k for k in dict.fromkeys(keys) if k not in self._done and k not in self._failed]
                for k in keys:
                    if k in self._failed:
                        raise self._failure(self._failed[k])
                if not missing:
                    break
                raws = self._broker(lambda: self._lookup(missing))
                if self._reconnected or time.monotonic() - self._checked > RESTART_CHECK:
                    # (a reconnect during the last wait counts too: the flag is reset only here)
                    self._reconnected = False
                    self._checked = time.monotonic()
                    if self._broker(self._broker_restarted):
                        self._republish()
                    else:
                        self._broker(self._renew_images)
                got = 0
                for k, raw in zip(missing, raws):
                    if raw is not None:
                        self._take(k, json.loads(raw))
                        got += 1
                now = time.monotonic()
                if got:
                    self._drop_images()
                    last_progress = now
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
                # until a worker announces a result (ours or another page's: either way, look again)
                self._broker(lambda: self._redis.blpop([self._reply], timeout=REPLY_WAIT))
            out = []
            for k in keys:
                value = self._done[k]
                out.append(OcrResult.from_reading(value))
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
