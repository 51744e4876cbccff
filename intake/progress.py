"""`ingest`'s progress on a terminal: what was found first, then one bar over the pages.

Before the run, the inbox is surveyed (`survey`): how many submissions and pages it holds,
counted without rendering a page (a PDF's page count, an image's frames). The bar then moves
on every path a page can take (`TrackedRunner`):

- OCR'd in the pool as part of a file's batch, or read ahead for the next submissions (a page
  ticks when its worker returns it, whichever path queued it);
- a text layer, a cached OCR result or a duplicate (nothing to read): their submission's pages
  count as done when its line comes back.

The bar's position is the larger of the two counts, so it never runs ahead of the truth and
ends at the total when every submission was processed. A submission left for a later run
(still being written) leaves the bar short of the total, which is what happened.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .inbox import discover

log = logging.getLogger("docintake.progress")


def count_pages(path: Path) -> int:
    """A file's page count without rendering it (1 for what cannot be opened: it is quarantined
    as one file, and the run still reports it)."""
    try:
        head = path.open("rb").read(5)
        if head == b"%PDF-":
            import pypdfium2 as pdfium

            pdf = pdfium.PdfDocument(str(path))
            try:
                return max(1, len(pdf))
            finally:
                pdf.close()
        from PIL import Image

        with Image.open(path) as im:
            return max(1, getattr(im, "n_frames", 1))
    except Exception:  # noqa: BLE001 - a count only; the pipeline reports what is wrong with the file
        return 1


@dataclass
class Survey:
    submissions: int = 0
    pages: int = 0
    pages_of: dict[str, int] = field(default_factory=dict)  # submission name -> pages

    def line(self) -> str:
        return f"找到 {self.submissions} 份申请，共 {self.pages} 页。Found {self.submissions} submissions, " \
               f"{self.pages} pages."


def survey(inbox: Path) -> Survey:
    out = Survey()
    for sub in discover(inbox):
        n = sum(count_pages(p) for p in sub.files if p.is_file() and not p.is_symlink())
        out.submissions += 1
        out.pages += n
        out.pages_of[sub.name] = out.pages_of.get(sub.name, 0) + n
    return out


class Progress:
    """One tqdm bar over the survey's pages; thread-safe (pool callbacks tick from another thread)."""

    def __init__(self, found: Survey, stream):
        from tqdm import tqdm

        self.found = found
        self._lock = threading.Lock()
        self._ocr = 0  # pages a worker returned (any path)
        self._done = 0  # pages of the submissions whose line came back
        self._subs = 0
        self.bar = tqdm(total=found.pages, unit="页", desc="处理", file=stream, dynamic_ncols=True,
                        postfix=f"申请 0/{found.submissions}")

    def _move(self) -> None:
        target = max(self._ocr, self._done)
        if self.bar.total is not None and self._done >= self.bar.total:
            target = self._done
        elif self.bar.total is not None:
            target = min(target, self.bar.total)
        if target > self.bar.n:
            self.bar.update(target - self.bar.n)

    def page_read(self, *_args) -> None:
        with self._lock:
            self._ocr += 1
            self._move()

    def submission_done(self, name: str) -> None:
        with self._lock:
            self._subs += 1
            self._done += self.found.pages_of.get(name, 0)
            if self._subs > self.found.submissions:  # a resumed submission the survey did not see
                self.bar.total = max(self.bar.total or 0, self._done)
            self.bar.set_postfix_str(f"申请 {self._subs}/{max(self._subs, self.found.submissions)}", refresh=False)
            self._move()
            self.bar.refresh()

    def write(self, text: str, stream) -> None:
        """A result line, printed above the bar (not through it)."""
        self.bar.write(text, file=stream)

    def close(self) -> None:
        self.bar.close()


class TrackedRunner:
    """An OCR runner (the pool, or Celery workers) that ticks `progress` for every page it returns."""

    def __init__(self, runner, progress: Progress):
        self._runner = runner
        self._progress = progress
        if hasattr(runner, "progress"):
            runner.progress = False  # its own per-batch bar would fight this one

    def __getattr__(self, name):
        return getattr(self._runner, name)

    def read(self, jobs):
        from .ocr.runner import OcrRunner

        if not isinstance(self._runner, OcrRunner):  # Celery workers: one batch, ticked when it is back
            results = self._runner.read(jobs)
            for _ in results:
                self._progress.page_read()
            return results
        if self._runner.workers > 1 and len(jobs) > 1:
            # page by page through the same pool (what `read` does with `map`), so the bar moves per page
            futures = [self.submit(job) for job in jobs]
            return [self._runner.result_of(f) for f in futures]
        results = []
        for job in jobs:  # in this process, one page at a time
            results.extend(self._runner.read([job]))
            self._progress.page_read()
        return results

    def submit(self, job):
        future = self._runner.submit(job)
        if hasattr(future, "add_done_callback"):
            future.add_done_callback(lambda f: f.cancelled() or self._progress.page_read())
        return future

    def result_of(self, future):
        result = self._runner.result_of(future)
        if not hasattr(future, "add_done_callback"):  # a Celery page: ticks when collected
            self._progress.page_read()
        return result
