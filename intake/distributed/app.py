"""The Celery app both sides share, and the Redis keys the results travel under.

Settings come from `DistributedConfig` (environment variables, so the systemd units
and the tests set them without new CLI options). Delivery is "at least once":
late acks, a task whose worker died goes back to the queue (`reject_on_worker_lost`,
and for a whole machine lost, kombu's visibility timeout), one task reserved per
worker process at a time. Results are keyed by page content + engine settings, so a
task delivered twice writes the same result twice, never a second one.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

QUEUE = "docintake.ocr"
TASK_NAME = "docintake.ocr_page"
# Regions extraction reads again (a doubtful value's crop, a page with red kept, a seal ring): a queue of
# their own, which workers take first, so that a coordinator waiting on one is not behind the whole pages.
REGION_QUEUE = "docintake.regions"
REGION_TASK = "docintake.read_region"
KEY_PREFIX = "docintake:"
TRANSPORTS = ("redis", "path", "inline")


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


@dataclass
class DistributedConfig:
    # "redis": the page PNG in a Redis key of its own (binary) beside a small task; "path": only its path
    # (a share all machines mount); "inline": base64 inside the task (what the first version did: the
    # 5 MB task then goes through the worker's main process, kombu's envelope and its unacked copy)
    image_transport: str = field(default_factory=lambda: os.environ.get("DOCINTAKE_IMAGE_TRANSPORT", "redis"))
    # a page image left in Redis by a coordinator that died expires after this long (a live coordinator
    # renews its pages' images while it waits, so a long queue never loses one)
    image_ttl: float = field(default_factory=lambda: _env_float("DOCINTAKE_IMAGE_TTL", 900))
    # a task held by a worker that vanished (machine lost) is handed out again after this many seconds
    visibility_timeout: float = field(default_factory=lambda: _env_float("DOCINTAKE_VISIBILITY_TIMEOUT", 600))
    # deliveries of one page (errors and worker deaths together) before its file is quarantined
    attempts: int = field(default_factory=lambda: int(_env_float("DOCINTAKE_TASK_ATTEMPTS", 3)))
    result_ttl: float = field(default_factory=lambda: _env_float("DOCINTAKE_RESULT_TTL", 10800))
    # the coordinator gives up (EngineError, files stay archived) after this long without any result
    result_timeout: float = field(default_factory=lambda: _env_float("DOCINTAKE_RESULT_TIMEOUT", 3600))
    # ... and after this long without reaching the broker at all
    broker_down_timeout: float = field(default_factory=lambda: _env_float("DOCINTAKE_BROKER_DOWN_TIMEOUT", 300))

    def __post_init__(self) -> None:
        if self.image_transport not in TRANSPORTS:
            from ..errors import ConfigError

            raise ConfigError(f"DOCINTAKE_IMAGE_TRANSPORT 只能是 redis、path 或 inline（现为 {self.image_transport!r}）。"
                              "Image transport must be 'redis', 'path' or 'inline'.")


def check_broker_url(url: str) -> str:
    from ..errors import UsageError

    if not url or not url.startswith(("redis://", "rediss://", "unix://")):
        raise UsageError(f"--broker 需要 Redis 地址，例如 redis://127.0.0.1:6379/0（现为 {url!r}）。"
                         "--broker takes a Redis URL such as redis://127.0.0.1:6379/0.")
    return url


def make_app(broker_url: str, config: DistributedConfig | None = None):
    """A Celery app on `broker_url` with docintake's delivery settings (no result backend: results are our keys)."""
    from celery import Celery

    config = config or DistributedConfig()
    app = Celery("docintake", broker=check_broker_url(broker_url), set_as_current=False)
    vt = max(1.0, config.visibility_timeout)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=QUEUE,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_send_task_events=True,  # Flower (and `celery events`) see the tasks unchanged
        task_send_sent_event=True,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # workers outlive a broker restart
        broker_transport_options={
            "visibility_timeout": vt,
            # scan for abandoned tasks often enough that one comes back soon after the timeout
            "unacked_restore_interval": max(1, min(10, int(vt // 4) or 1)),
            "unacked_restore_throttle": 1,
            # the queues in the order a worker names them (regions first), not round robin
            "queue_order_strategy": "priority",
        },
        docintake_config=config,
    )
    return app


def page_key(image_sha: str, settings: str, orient: bool) -> str:
    """The result's identity: the page's content and everything that can change its reading."""
    return hashlib.sha256(f"{image_sha}|{settings}|{int(orient)}".encode()).hexdigest()


def region_key(pixels: str, settings: str, line: bool, known: str | None) -> str:
    """A region reading's identity: the region's pixels (`runner.image_key`), the engine's settings,
    and the kind of reading (a text line, or a region read with these lines known)."""
    return hashlib.sha256(f"region|{pixels}|{settings}|{int(line)}|{known or ''}".encode()).hexdigest()


def result_key(key: str) -> str:
    return f"{KEY_PREFIX}ocr:{key}"


def delivery_key(task_id: str) -> str:
    return f"{KEY_PREFIX}deliveries:{task_id}"


def lease_key(key: str) -> str:
    return f"{KEY_PREFIX}lease:{key}"


def image_key(key: str) -> str:
    """Where the page's PNG bytes wait for a worker (transport "redis"): deleted once its result is taken."""
    return f"{KEY_PREFIX}img:{key}"


def reply_key(runner_id: str) -> str:
    """A coordinator's wake-up list: workers push the page key there once its result is written."""
    return f"{KEY_PREFIX}reply:{runner_id}"


def redis_client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=5, health_check_interval=15)
