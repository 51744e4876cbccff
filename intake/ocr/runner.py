"""Reading many page images: a process pool, orientation correction and a cache.

Workers are separate processes, one engine thread each (see `limit_threads`),
so N cores read N pages at once without oversubscription. Workers receive a
path to the page image and send back plain dicts, never large arrays.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from multiprocessing import get_context

from PIL import Image

from ..model import Line, Seal
from .base import clean_text, get_engine, limit_threads, settings_key_of
from .feed import URGENT, Feed

# Below this mean confidence, or with mostly tall text boxes, the page may be
# sideways or upside down: only then is orientation detection paid for.
ORIENTATION_SUSPECT_CONFIDENCE = 0.80


@dataclass
class OcrJob:
    image_path: str
    engine: str
    detect_orientation: bool = True
    # Detect the page's seals too, at the page's dpi, where the pixels already are: extraction asks
    # for every OCR'd page's seals, and the coordinator then only decides and writes (issue 16).
    seals: bool = False
    dpi: int | None = None


@dataclass
class OcrResult:
    lines: list[Line]
    rotation: int  # clockwise degrees applied before reading; the caller rotates its image the same way
    # The upright page's seals (page number 1: the caller numbers them) and the dpi they were detected
    # at; None when they were not detected with the reading (a cached reading, or a job without them).
    seals: list[Seal] | None = None
    seals_dpi: int | None = None

    def seals_for(self, page: int, dpi: int | None) -> tuple[Seal, ...] | None:
        """The seals detected with the reading, numbered for `page`; None unless detected at `dpi`."""
        if self.seals is None or self.seals_dpi != dpi:
            return None
        return tuple(replace(s, page=page) for s in self.seals)

    @classmethod
    def from_reading(cls, d: dict) -> "OcrResult":
        """The plain dict `page_reading` returns (in a pool worker or a Celery worker)."""
        seals = d.get("seals")
        return cls([Line.from_dict(x) for x in d["lines"]], d.get("rotation") or 0,
                   None if seals is None else [Seal.from_dict(s) for s in seals],
                   d.get("seals_dpi"))


def image_key(image: Image.Image) -> str:
    h = hashlib.sha256()
    h.update(f"{image.mode}{image.size}".encode())
    h.update(image.tobytes())
    return h.hexdigest()


def cache_key(image: Image.Image, settings: str) -> str:
    """The OCR cache's key for a page: its pixels plus the engine's settings."""
    return cache_key_of(image_key(image), settings)


def cache_key_of(image_sha: str, settings: str) -> str:
    """`cache_key` from an `image_key` already computed (the page image itself may be on disk only)."""
    return hashlib.sha256(f"{image_sha}|{settings}".encode()).hexdigest()


# Version of the known-lines reading (rapid.py `recognize_known`): 2 = detected boxes matched to known
# lines one to one by overlap (1 kept known lines a new box covered beside the new one).
KNOWN_READING = 2


def known_key(known) -> str:
    """The cache key's part for the lines a reading was given as known (`RegionReader.read`)."""
    payload = json.dumps([l.to_dict() for l in known], ensure_ascii=False, sort_keys=True)
    # KNOWN_READING names how the known lines are used: a reading made another way is not this one
    return hashlib.sha256(f"{KNOWN_READING}|{payload}".encode()).hexdigest()[:32]


def _quality(lines: list[Line]) -> float:
    chars = sum(len(l.text) for l in lines)
    if not chars:
        return 0.0
    return sum(l.confidence * len(l.text) for l in lines) / chars


def _suspect(lines: list[Line]) -> bool:
    if len(lines) < 3:
        return True
    tall = sum(1 for l in lines if (l.bbox[3] - l.bbox[1]) > 1.5 * (l.bbox[2] - l.bbox[0]))
    return tall > len(lines) / 2 or _quality(lines) < ORIENTATION_SUSPECT_CONFIDENCE


def rotate(image: Image.Image, clockwise: int) -> Image.Image:
    if clockwise % 360 == 0:
        return image
    return image.rotate(-clockwise, expand=True, fillcolor="white" if image.mode == "RGB" else 255)


def read_page(image: Image.Image, engine_name: str, detect_orientation: bool = True) -> OcrResult:
    engine = get_engine(engine_name)
    lines = engine.recognize(image)
    if detect_orientation and _suspect(lines):
        angle = engine.detect_rotation(image)
        if angle:
            turned = engine.recognize(rotate(image, angle))
            if _quality(turned) * max(len(turned), 1) > _quality(lines) * max(len(lines), 1):
                return OcrResult(turned, angle)
    return OcrResult(lines, 0)


def page_reading(image: Image.Image, engine_name: str, detect_orientation: bool = True, seals: bool = False,
                 dpi: int | None = None) -> dict:
    """A page's reading as plain data, the same in this process, a pool worker and a Celery worker:
    its lines and turn, and with `seals` the upright page's seals (extractors/seals.py). A seal
    detector that fails leaves them to extraction, which detects them again and logs the failure."""
    res = read_page(image, engine_name, detect_orientation)
    out = {"lines": [l.to_dict() for l in res.lines], "rotation": res.rotation}
    if seals:
        try:
            from extractors.layout import page_dpi
            from extractors.seals import detect_seals

            found = detect_seals(rotate(image, res.rotation), page_dpi(dpi))  # as extraction would
        except Exception:  # noqa: BLE001 - the page is read; extraction tries the seals again
            return out
        out["seals"] = [s.to_dict() for s in found]
        out["seals_dpi"] = dpi
    return out


def read_region(image: Image.Image, engine_name: str, keep_red: bool = False, line: bool = False,
                known=None) -> list[Line]:
    """`RegionReader.read` with the named engine, in this process."""
    engine = get_engine(engine_name)
    if keep_red:
        image = image.convert("L")  # the engines whiten red ink in colour images only
    if not line:
        if known is not None and hasattr(engine, "recognize_known"):
            return engine.recognize_known(image, known)
        return engine.recognize(image)  # an engine without a separate detector reads it all again
    ocr = getattr(engine, "_ocr", None)
    if ocr is not None:  # RapidOCR: the recogniser alone, as for a text line
        import numpy as np

        rec = ocr(np.asarray(image.convert("RGB")), use_det=False, use_cls=False, use_rec=True)
        txts = getattr(rec, "txts", None)
        scores = getattr(rec, "scores", None)
        if not txts:
            return []
        text = clean_text("".join(t for t in txts if t))
        if not text:
            return []
        return [Line(text, (0, 0, image.width, image.height), float(sum(scores) / len(scores)))]
    lines = sorted(engine.recognize(image), key=lambda l: l.bbox[0])
    if not lines:
        return []
    return [Line(clean_text("".join(l.text for l in lines)), (0, 0, image.width, image.height),
                 sum(l.confidence for l in lines) / len(lines))]


def _worker_init(engine_name: str) -> None:
    # Ctrl-C in a terminal reaches the whole process group: only the parent
    # decides whether to finish or abandon the page in hand.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_threads()
    get_engine(engine_name)  # load models once per worker, before the first page arrives


def _noop() -> None:
    """A job that only makes the pool start a worker (`OcrRunner.warm`)."""


def _region_worker(image: Image.Image, engine: str, keep_red: bool, line: bool,
                   known: list[dict] | None) -> list[dict]:
    """`read_region` in a pool worker: plain dicts both ways, as for pages."""
    lines = read_region(image, engine, keep_red, line,
                        [Line.from_dict(d) for d in known] if known is not None else None)
    return [l.to_dict() for l in lines]


def _worker(job: OcrJob) -> dict:
    with Image.open(job.image_path) as img:
        img.load()
        return page_reading(img, job.engine, job.detect_orientation, job.seals, job.dpi)


class OcrRunner:
    """Reads batches of page images; keeps its worker pool between batches."""

    def __init__(self, engine: str = "rapidocr", workers: int | None = None, progress: bool | None = None):
        self.engine = engine
        self.workers = workers or int(os.environ.get("DOCINTAKE_WORKERS", 0)) or (os.cpu_count() or 1)
        self.progress = sys.stderr.isatty() if progress is None else progress
        self._pool: ProcessPoolExecutor | None = None
        self._feed: Feed | None = None
        self._settings: str | None = None

    def settings_key(self) -> str:
        if self._settings is None:
            self._settings = settings_key_of(self.engine)
        return self._settings

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=get_context("spawn"),
                initializer=_worker_init,
                initargs=(self.engine,),
            )
        return self._pool

    def warm(self) -> None:
        """Start the pool's workers now (each loads its models) if pages are to be read in the pool:
        `ingest` calls it while it waits for freshly dropped files to settle."""
        if self.workers > 1 and self._pool is None:
            pool = self._get_pool()
            for _ in range(self.workers):  # the pool starts a process a job
                pool.submit(_noop)

    def _get_feed(self) -> Feed:
        pool = self._get_pool()
        if self._feed is None or self._feed.pool is not pool:
            self._feed = Feed(pool, self.workers)
        return self._feed

    def read(self, jobs: list[OcrJob]) -> list[OcrResult]:
        if not jobs:
            return []
        if self.workers <= 1 or (len(jobs) == 1 and self._pool is None):
            limit_threads()
            return [OcrResult.from_reading(_worker(job)) for job in self._progress(jobs)]
        futures = [self.submit(job) for job in jobs]
        return [self.result_of(f) for f in self._progress(futures, total=len(jobs))]

    def submit(self, job: OcrJob):
        """One page to the pool, read asynchronously (a Future for `result_of`)."""
        return self._get_feed().submit(_worker, job)

    @staticmethod
    def result_of(future) -> OcrResult:
        return OcrResult.from_reading(future.result())

    def read_region(self, image: Image.Image, engine: str | None = None, keep_red: bool = False,
                    line: bool = False, known=None) -> list[Line]:
        """One region for extraction (a crop, a page with red kept, a seal ring): see `model.RegionReader`.

        With the pool running it is read there, ahead of the queued read-ahead pages (`feed.Feed`):
        this process then loads no engine of its own and leaves the cores to the workers. Without a
        pool (one worker, or `docintake extract` of a file) it is read here, as is a region whose
        worker was lost (the pool is rebuilt for the pages by whoever reads them next).
        """
        engine = engine or self.engine
        if self._pool is not None:
            sent = [l.to_dict() for l in known] if known is not None else None
            try:
                got = self._get_feed().submit(_region_worker, image, engine, keep_red, line, sent,
                                              priority=URGENT).result()
                return [Line.from_dict(d) for d in got]
            except (BrokenProcessPool, RuntimeError):  # a lost worker or a pool shut down meanwhile
                pass
        limit_threads()
        return read_region(image, engine, keep_red, line, known)

    def _progress(self, it, total=None):
        if not self.progress:
            return it
        from tqdm import tqdm

        return tqdm(it, total=total, desc="OCR", unit="页", leave=False)

    def reset(self) -> None:
        """Drop a broken pool (a worker died, e.g. killed for memory); the next read starts a new one."""
        self._stop_feed()
        if self._pool is not None:
            try:
                self._pool.shutdown(wait=False, cancel_futures=True)
            except Exception:  # noqa: BLE001 - it is broken already
                pass
            self._pool = None

    def close(self) -> None:
        self._stop_feed()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _stop_feed(self) -> None:
        if self._feed is not None:
            self._feed.stop()
            self._feed = None


def cache_get(db, key: str) -> OcrResult | None:
    row = db.execute("SELECT lines, rotation FROM ocr_cache WHERE key = ?", [key]).fetchone()
    if not row:
        return None
    return OcrResult([Line.from_dict(d) for d in json.loads(row[0])], row[1] or 0)


def cache_put(db, key: str, engine: str, result: OcrResult) -> None:
    from ..db import now

    db.conn.execute(
        "INSERT OR REPLACE INTO ocr_cache (key, engine, rotation, lines, created_at) VALUES (?, ?, ?, ?, ?)",
        (key, engine, result.rotation, json.dumps([l.to_dict() for l in result.lines], ensure_ascii=False), now()),
    )
