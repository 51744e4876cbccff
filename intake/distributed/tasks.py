"""The worker side: one task, "read this page", run by `docintake worker`.

Each worker process loads its engine once (at process start, before the first task)
and reads with one thread, as the in-process pool does, so a page reads the same on
either side. The page image comes from its own Redis key (transport "redis", fetched by the
process that reads it), the task (inline) or a shared path. The task writes its plain-JSON
result under the page's key and announces it on the coordinator's reply list; a second
delivery of the same page finds the result and does nothing, or finds the page's lease
held by the worker still reading it and looks again later (see docs/scaling.md).

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

from .app import TASK_NAME, DistributedConfig, delivery_key, lease_key, redis_client, result_key

# How long a coordinator's reply list outlives its last announcement (a coordinator that died leaves it).
REPLY_TTL = 3600

log = logging.getLogger("docintake.distributed.worker")

_clients: dict[int, object] = {}

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
        return {"error": f"识别节点的 OCR 引擎版本与协调端不一致（{mine} ≠ {payload['settings']}），请统一安装同一版本。"
                         f"Worker engine settings {mine!r} differ from the coordinator's {payload['settings']!r}.",
                "kind": "engine"}
    with _image(payload, data) as img:
        value = page_reading(img, payload["engine"], payload.get("orient", True), "seals_dpi" in payload,
                             payload.get("seals_dpi"))
    return {**value, "settings": mine}


def register(app):
    """Bind the page task to `app` (workers only; the coordinator sends it by name)."""
    config: DistributedConfig = app.conf.docintake_config

    @app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
    def ocr_page(self, payload: dict) -> str:
        r = _redis(app)
        key = payload["key"]
        if r.exists(result_key(key)):
            return _known(r, payload)  # re-delivered after the result was written (the worker died before its ack)
        worker = self.request.hostname or socket.gethostname()
        token = f"{worker}:{os.getpid()}:{self.request.id}"
        if not r.set(lease_key(key), token, nx=True, ex=LEASE_TTL):
            # Another worker is reading this page right now (the broker handed out a copy of a task
            # that outlived the visibility timeout): look again later instead of reading it twice.
            # If that worker dies its lease lapses and a later look takes the page over.
            # Look again well within the visibility timeout: a copy held unacknowledged past it would
            # itself be handed out again.
            raise self.retry(countdown=max(0.5, min(LEASE_TTL / 2, config.visibility_timeout / 4)),
                             max_retries=None)
        with _Lease(r, lease_key(key), token):
            if r.exists(result_key(key)):
                return _known(r, payload)
            data = None
            if "image" in payload:
                data = r.get(payload["image"])  # in this (the reading) process: 5 MB once, binary
                if data is None:
                    # Its coordinator died (the image expired) or another one took this page's result and
                    # deleted it: nobody waits for this copy. A live coordinator renews its images and
                    # publishes a page whose image is gone again, so nothing is lost by dropping it.
                    log.warning("page %s: image gone, task dropped", key[:12])
                    return "image gone"
            dkey = delivery_key(self.request.id)
            n = r.incr(dkey)  # before the work: a worker killed by this page counts too
            r.expire(dkey, max(60, int(config.result_ttl)))
            if n > config.attempts:
                _write(r, payload, {"error": f"识别该页时识别进程 {config.attempts} 次异常退出（可能内存不足），已隔离。"
                                              f"The worker reading this page died {config.attempts} times.",
                                     "kind": "input", "attempts": n - 1, "worker": worker}, 600)
                return "given up"
            try:
                value = read_payload(payload, data)
            except Exception as exc:  # noqa: BLE001 - reported to the coordinator, never lost
                log.warning("page %s failed on attempt %d: %s", key[:12], n, exc, exc_info=True)
                if n < config.attempts:
                    raise self.retry(exc=exc, countdown=0.5, max_retries=None)
                value = {"error": f"该页在识别节点上连续 {n} 次识别失败（{type(exc).__name__}: {exc}），"
                                  f"已隔离该文件，其他文件照常处理。"
                                  f"Reading this page failed {n} times ({type(exc).__name__}: {exc}).",
                         "kind": "input", "attempts": n}
                _write(r, payload, {**value, "worker": worker}, 600)
                return "failed"
            value["worker"] = worker
            value["deliveries"] = n
            _write(r, payload, value, config.result_ttl if "error" not in value else 600)
            return "read"

    return ocr_page


def worker_process_init(engines: list[str]) -> None:
    """In each worker process: one engine thread, models loaded before the first page arrives."""
    from ..ocr.base import get_engine, limit_threads

    limit_threads()
    for name in engines:
        get_engine(name)
