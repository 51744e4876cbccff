"""Read ahead: the next submissions' pages are OCR'd while the current one is extracted.

Without it the pool sits idle while the main process extracts, detects seals and
writes the database, and a one-page file keeps one core of N busy. The prefetcher
loads the files of the submissions that come next (read only: the inbox copy is
archived and removed by the normal pass, as before), writes their page images where
`read_pages` would, and hands their OCR to the pool. `read_pages` then takes the
finished result instead of queuing the page again.

Nothing here is a source of truth: a file that changes after it was read ahead
has another SHA-256 and simply misses; a crash loses only work in flight.
"""
from __future__ import annotations

import logging
from concurrent.futures import Future
from pathlib import Path

from . import archive, webimages
from .inbox import Submission
from .loaders import LoadedPage, check_file
from .ocr.runner import OcrResult, OcrRunner, cache_get, cache_key_of
from .pages import page_job

log = logging.getLogger("docintake.prefetch")


class Prefetcher:
    def __init__(self, runner: OcrRunner, pages_dir: Path, db=None, max_pending: int | None = None):
        self.runner = runner
        self.pages_dir = pages_dir
        self.db = db
        # enough queued pages to keep every worker busy while one file is extracted
        self.max_pending = max_pending or 2 * runner.workers + 1
        self._futures: dict[str, Future] = {}  # OCR cache key -> result in flight
        # file SHA-256 -> its pages, rendered to disk (lazy handles: nothing decoded is kept)
        self._loaded: dict[str, list[LoadedPage]] = {}
        self._sha_of: dict[str, str] = {}  # inbox path -> SHA-256
        self._web = webimages.wanted(db)  # the viewer's images are encoded at ingest (webimages.py)

    @property
    def enabled(self) -> bool:
        # A runner whose pages are read elsewhere (Celery workers: `remote`) reads while this process
        # extracts even with one worker; the in-process runner with one worker reads in this process.
        return self.runner.workers > 1 or bool(getattr(self.runner, "remote", False))

    def ahead(self, submissions: list[Submission]) -> None:
        """Queue OCR for the pages of these submissions, in order, up to the pending limit."""
        if not self.enabled:
            return
        settings = self.runner.settings_key()
        for sub in submissions:
            for path in sub.files:
                if self._pending() >= self.max_pending:
                    return
                if str(path) in self._sha_of:
                    continue
                self._sha_of[str(path)] = ""
                try:
                    ext = check_file(path)
                    sha = archive.sha256_file(path)
                    if sha in self._loaded or self._known(sha):
                        continue
                    from .pages import load_to_disk

                    loaded = load_to_disk(path, ext, self.pages_dir, sha, self._web)
                except Exception:  # noqa: BLE001 - the normal pass reports (and quarantines) it
                    continue
                self._sha_of[str(path)] = sha
                self._loaded[sha] = loaded
                for lp in loaded:
                    if lp.text_lines is not None:
                        continue
                    key = cache_key_of(lp.key, settings)
                    if key in self._futures or (self.db is not None and cache_get(self.db, key) is not None):
                        continue
                    self._futures[key] = self.runner.submit(page_job(str(lp.path), lp, self.runner.engine))

    def _known(self, sha: str) -> bool:
        """Already in the archive: the normal pass records it as a duplicate and reads nothing."""
        if self.db is None:
            return False
        return self.db.execute("SELECT 1 FROM files WHERE sha256 = ? AND status IN ('archived', 'processed', "
                               "'quarantined') LIMIT 1", [sha]).fetchone() is not None

    def _pending(self) -> int:
        return sum(1 for f in self._futures.values() if not f.done())

    def take_loaded(self, sha: str) -> list[LoadedPage] | None:
        return self._loaded.pop(sha, None)

    def take_result(self, key: str) -> OcrResult | None:
        fut = self._futures.pop(key, None)
        if fut is None:
            return None
        try:
            return self.runner.result_of(fut)
        except Exception:  # noqa: BLE001 - read again the ordinary way, which reports errors
            log.warning("read-ahead of a page failed; reading it again", exc_info=True)
            return None

    def forget(self, sub: Submission) -> None:
        """Drop what was read ahead for a submission that is done (duplicates never take theirs)."""
        for path in sub.files:
            sha = self._sha_of.pop(str(path), "")
            self._loaded.pop(sha, None)

    def close(self) -> None:
        for fut in self._futures.values():
            fut.cancel()
        self._futures.clear()
        self._loaded.clear()
