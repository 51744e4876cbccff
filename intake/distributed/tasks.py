"""The worker side: two tasks, "read this page" and "read this region", run by `docintake worker`.

Each worker process loads its engine once (at process start, before the first task)
and reads with one thread, as the in-process pool does, so a page reads the same on
either side. The page image comes from its own Redis key (transport "redis", fetched by the
process that reads it), the task (inline) or a shared path. The task writes its plain-JSON
result under the page's key and announces it on the coordinator's reply list; a second
delivery of the same page finds the result and does nothing, or finds the page's lease
held by the worker still reading it and looks again later (see docs/scaling.md). A region
extraction reads again (a doubtful value's crop, an invoice page with red kept, a seal ring) comes
the same way on a queue of its own that workers take first, so the coordinator loads no engine.

Failures: an exception is retried (a new delivery of the same task) until the page
has been tried `attempts` times; a worker that dies mid-task (OOM, SIGKILL, a lost
machine) also counts, because the delivery counter is bumped before the work. Past
the limit the task writes a failure result, which the coordinator turns into the
file's quarantine.
"""
from __future__ import annotations

import base64
import io
import json
import logging
import os
import socket
import threading

from .app import REGION_TASK, TASK_NAME, DistributedConfig, delivery_key, lease_key, redis_client, result_key

# How long a coordinator's reply list outlives its last announcement (a coordinator that died leaves it).
REPLY_TTL = 3600

log = logging.getLogger("docintake.distributed.worker")

_clients: dict[int, object] = {}

# A region's result is taken by the coordinator waiting for it within seconds, then kept in its OCR cache.
REGION_RESULT_TTL = 600

# A worker reading a page holds its lease, renewed while it reads; a dead worker's lease lapses.
LEASE_TTL = 20
LEASE_RENEW = 4


class _Lease:
    """Renews the page's lease from a thread while the engine reads (the engine releases the GIL)."""

    def __init__(self, r, key: str, token: str):
        self.r, self.key, self.token = r, key, token
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, daemon=True)

    def _renew(self) -> None:
        while not self._stop.wait(LEASE_RENEW):
            try:
                if self.r.get(self.key) == self.token.encode():
                    self.r.expire(self.key, LEASE_TTL)
            except Exception:  # noqa: BLE001 - a broker blip: the next renewal tries again
                pass

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            if self.r.get(self.key) == self.token.encode():
                self.r.delete(self.key)
        except Exception:  # noqa: BLE001 - it lapses by itself
            pass


def _redis(app):
    pid = os.getpid()  # a connection never crosses a fork
    if pid not in _clients:
        _clients[pid] = redis_client(app.conf.broker_url)
    return _clients[pid]


def _write(r, payload: dict, value: dict, ttl: float) -> None:
    """The result, and its announcement to the coordinator waiting for it, in one transaction."""
    pipe = r.pipeline(transaction=True)
    pipe.set(result_key(payload["key"]), json.dumps(value, ensure_ascii=False), ex=max(1, int(ttl)))
    _announce(pipe, payload)
    pipe.execute()


def _announce(r, payload: dict) -> None:
    reply = payload.get("reply")
    if reply:  # a coordinator of an older version has none: it looks the result up by itself
        r.rpush(reply, payload["key"])
        r.expire(reply, REPLY_TTL)


def _known(r, payload: dict) -> str:
    """The result is there already (a re-delivery, or another coordinator's copy): say so, read nothing."""
    pipe = r.pipeline(transaction=False)
    _announce(pipe, payload)
    pipe.execute()
    return "known"


def _image(payload: dict, data: bytes | None):
    from PIL import Image

    if data is not None:
        img = Image.open(io.BytesIO(data))
    elif "png_b64" in payload:
        img = Image.open(io.BytesIO(base64.b64decode(payload["png_b64"])))
    else:
        img = Image.open(payload["path"])
    img.load()
    return img


def read_payload(payload: dict, data: bytes | None = None) -> dict:
    """The reading itself, exactly as the in-process pool does it (`runner.read_page`)."""
    from ..ocr.base import get_engine, limit_threads
    from ..ocr.runner import page_reading

    limit_threads()
    mine = get_engine(payload["engine"]).settings_key()
    if mine != payload["settings"]:
        return _mismatch(mine, payload["settings"])
    with _image(payload, data) as img:
        value = page_reading(img, payload["engine"], payload.get("orient", True), "seals_dpi" in payload,
                             payload.get("seals_dpi"))
    return {**value, "settings": mine}


def read_region_payload(payload: dict, data: bytes) -> dict:
    """A region extraction reads again, exactly as the in-process pool reads it (`runner.read_region`)."""
    from ..model import Line
    from ..ocr.base import get_engine, limit_threads
    from ..ocr.runner import read_region

    limit_threads()
    mine = get_engine(payload["engine"]).settings_key()
    if mine != payload["settings"]:
        return _mismatch(mine, payload["settings"])
    known = payload.get("known")
    with _image(payload, data) as img:
        lines = read_region(img, payload["engine"], False, bool(payload.get("line")),
                            None if known is None else [Line.from_dict(d) for d in known])
    return {"lines": [l.to_dict() for l in lines], "rotation": 0, "settings": mine, "region": True}


def _mismatch(mine: str, theirs: str) -> dict:
    return {"error": f"识别节点的 OCR 引擎版本与协调端不一致（{mine} ≠ {theirs}），请统一安装同一版本。"
                     f"Worker engine settings {mine!r} differ from the coordinator's {theirs!r}.",
            "kind": "engine"}


def _deliver(task, app, payload: dict, read, ttl: float) -> str:
    """One delivery of a page or a region: the result written once under its key, whoever reads it.

    A re-delivery after the result was written does nothing; a copy of a task another worker is
    reading waits for that worker's lease; a delivery is counted before the work, so a worker
    killed by this input counts too, and past `attempts` a failure is written instead."""
    config: DistributedConfig = app.conf.docintake_config
    r = _redis(app)
    key = payload["key"]
    if r.exists(result_key(key)):
        return _known(r, payload)  # re-delivered after the result was written (the worker died before its ack)
    worker = task.request.hostname or socket.gethostname()
    token = f"{worker}:{os.getpid()}:{task.request.id}"
    if not r.set(lease_key(key), token, nx=True, ex=LEASE_TTL):
        # Another worker is reading this right now (the broker handed out a copy of a task that
        # outlived the visibility timeout): look again later instead of reading it twice. If that
        # worker dies its lease lapses and a later look takes it over. Look again well within the
        # visibility timeout: a copy held unacknowledged past it would itself be handed out again.
        raise task.retry(countdown=max(0.5, min(LEASE_TTL / 2, config.visibility_timeout / 4)),
                         max_retries=None)
    with _Lease(r, lease_key(key), token):
        if r.exists(result_key(key)):
            return _known(r, payload)
        data = None
        if "image" in payload:
            data = r.get(payload["image"])  # in this (the reading) process: once, binary
            if data is None:
                # Its coordinator died (the image expired) or another one took this result and deleted
                # the image: nobody waits for this copy. A live coordinator renews its images and
                # publishes again what lost its image, so nothing is lost by dropping it.
                log.warning("%s: image gone, task dropped", key[:12])
                return "image gone"
        dkey = delivery_key(task.request.id)
        n = r.incr(dkey)  # before the work: a worker killed by this input counts too
        r.expire(dkey, max(60, int(config.result_ttl)))
        if n > config.attempts:
            _write(r, payload, {"error": f"识别该页时识别进程 {config.attempts} 次异常退出（可能内存不足），已隔离。"
                                          f"The worker reading this page died {config.attempts} times.",
                                 "kind": "input", "attempts": n - 1, "worker": worker}, 600)
            return "given up"
        try:
            value = read(payload, data)
        except Exception as exc:  # noqa: BLE001 - reported to the coordinator, never lost
            log.warning("%s failed on attempt %d: %s", key[:12], n, exc, exc_info=True)
            if n < config.attempts:
                raise task.retry(exc=exc, countdown=0.5, max_retries=None)
            value = {"error": f"该页在识别节点上连续 {n} 次识别失败（{type(exc).__name__}: {exc}），"
                              f"已隔离该文件，其他文件照常处理。"
                              f"Reading this page failed {n} times ({type(exc).__name__}: {exc}).",
                     "kind": "input", "attempts": n}
            _write(r, payload, {**value, "worker": worker}, 600)
            return "failed"
        value["worker"] = worker
        value["deliveries"] = n
        _write(r, payload, value, ttl if "error" not in value else 600)
        return "read"


def register(app):
    """Bind the page and region tasks to `app` (workers only; the coordinator sends them by name)."""
    config: DistributedConfig = app.conf.docintake_config

    @app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
    def ocr_page(self, payload: dict) -> str:
        return _deliver(self, app, payload, read_payload, config.result_ttl)

    @app.task(name=REGION_TASK, bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
    def read_region(self, payload: dict) -> str:
        # a region's reading is wanted by the extraction waiting for it, and by the OCR cache after
        return _deliver(self, app, payload, read_region_payload, REGION_RESULT_TTL)

    return ocr_page, read_region


def worker_process_init(engines: list[str]) -> None:
    """In each worker process: one engine thread, models loaded before the first page arrives."""
    from ..ocr.base import get_engine, limit_threads

    limit_threads()
    for name in engines:
        get_engine(name)
