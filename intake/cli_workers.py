"""`docintake worker` and `docintake workers` (the `--broker` option of ingest and watch is in
intake/runners.py). Celery is imported only by these commands and by `--broker`."""
from __future__ import annotations

import json
import os

import click


@click.command("worker")
@click.option("--broker", envvar="DOCINTAKE_BROKER", required=True, metavar="URL",
              help="Redis broker the coordinator queues pages on (or $DOCINTAKE_BROKER).")
@click.option("--concurrency", "-c", type=int, default=None,
              help="Worker processes, one engine and one thread each (default: one per core).")
@click.option("--ocr-engine", "engines", multiple=True, default=("rapidocr",), show_default=True,
              help="Engine(s) to load at start (others load on first use).")
@click.option("--name", default=None, help="Worker name (default: docintake-<pid>@<host>).")
@click.option("--loglevel", default="WARNING", show_default=True)
def worker_command(broker: str, concurrency: int | None, engines: tuple[str, ...], name: str | None,
                   loglevel: str) -> None:
    """Read pages that `docintake ingest|watch --broker` queue, until stopped (SIGTERM: finish the page in hand)."""
    from celery.signals import worker_process_init

    from .distributed.app import QUEUE, REGION_QUEUE, make_app
    from .distributed.tasks import register, worker_process_init as init
    from .ocr.base import get_engine, limit_threads

    limit_threads()
    for engine in engines:  # a missing engine is refused now, not at the first page
        get_engine(engine).settings_key()
    app = make_app(broker)
    register(app)
    worker_process_init.connect(lambda **_: init(list(engines)), weak=False)
    argv = [
        "worker", f"--concurrency={concurrency or os.cpu_count() or 1}", "--pool=prefork", f"--queues={REGION_QUEUE},{QUEUE}",
        f"--hostname={name or f'docintake-{os.getpid()}@%h'}", f"--loglevel={loglevel}",
        "--without-gossip", "--without-mingle",
    ]
    app.worker_main(argv)


@click.command("workers")
@click.option("--broker", envvar="DOCINTAKE_BROKER", required=True, metavar="URL",
              help="Redis broker (or $DOCINTAKE_BROKER).")
@click.option("--timeout", type=float, default=1.0, show_default=True, help="Seconds to wait for workers' replies.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def workers_command(broker: str, timeout: float, as_json: bool) -> None:
    """List connected workers (Celery's inspect) and the queue depth (pages waiting, pages being read)."""
    from .distributed.app import QUEUE, REGION_QUEUE, make_app, redis_client
    from .errors import EngineError

    app = make_app(broker)
    try:
        r = redis_client(broker)
        waiting = r.llen(QUEUE)
        regions = r.llen(REGION_QUEUE)
        unacked = r.hlen("unacked")  # kombu's hash of delivered, not yet acknowledged tasks
        insp = app.control.inspect(timeout=timeout)
        stats = insp.stats() or {}
        active = insp.active() or {}
    except Exception as exc:  # noqa: BLE001 - redis and kombu raise their own connection errors
        raise EngineError(f"无法连接任务队列 {broker}（{exc}）。Cannot reach the broker {broker}: {exc}") from exc
    workers = [
        {"name": name, "processes": int((s.get("pool") or {}).get("max-concurrency") or 1),
         "active": len(active.get(name) or []), "pid": s.get("pid"),
         "done": sum((s.get("total") or {}).values())}
        for name, s in sorted(stats.items())
    ]
    if as_json:
        click.echo(json.dumps({"workers": workers, "queued": waiting, "regions_queued": regions,
                               "unacked": unacked}, ensure_ascii=False))
        return
    click.echo(f"识别节点 {len(workers)} 个，排队 {waiting} 页（另有 {regions} 个区域重读），处理中 {unacked} 个任务。"
               f"{len(workers)} workers, {waiting} pages queued ({regions} region re-reads), {unacked} tasks being read.")
    for w in workers:
        click.echo(f"  {w['name']}\tprocesses {w['processes']}\tactive {w['active']}\tdone {w['done']}")
