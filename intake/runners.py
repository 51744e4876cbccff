"""Which OCR runner reads the pages: the in-process pool, or Celery workers behind `--broker`.

Celery is imported only when a broker is given: the in-process mode (the default, and
`make run`) needs neither Celery nor Redis. Shared by `ingest` (intake/cli.py) and `watch`.
"""
from __future__ import annotations

import click


def broker_option(f):
    return click.option(
        "--broker", default=None, metavar="URL",
        help="Read pages on `docintake worker` processes through this Redis broker (redis://host:6379/0); "
             "default: in this process's own pool.")(f)


def make_runner(broker: str | None, engine: str, workers: int | None, progress: bool | None = None):
    """The OCR runner: Celery workers behind `broker`, or the in-process pool without one."""
    if not broker:
        from .ocr.runner import OcrRunner

        return OcrRunner(engine, workers, progress)
    from .distributed.backend import CeleryRunner

    return CeleryRunner(broker, engine, workers, progress)
