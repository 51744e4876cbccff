"""Jobs to a process pool, at most one in flight a worker, urgent ones first.

`ProcessPoolExecutor` runs jobs in the order they were submitted. The read-ahead queues the
pages of the next submissions; a region the extraction of the current one needs read again
(a doubtful value's crop, an invoice page with red print kept) would wait behind all of them,
so it used to be read in the coordinator, which then loaded an engine of its own and competed
with the workers for the cores. The feed holds the queued jobs itself and hands the pool one a
free worker, the urgent ones first: an urgent job waits for one page at most.
"""
from __future__ import annotations

import itertools
import queue
import threading
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

URGENT, NORMAL = 0, 1

_STOP = object()


class Feed:
    def __init__(self, pool, slots: int):
        self.pool = pool
        self._slots = threading.Semaphore(slots)
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()  # FIFO within a priority
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="docintake-ocr-feed", daemon=True)
        self._thread.start()

    def submit(self, fn, *args, priority: int = NORMAL) -> Future:
        outer: Future = Future()
        if self._stopped:
            outer.set_exception(BrokenProcessPool("the OCR pool was shut down"))
            return outer
        self._queue.put((priority, next(self._order), fn, args, outer))
        return outer

    def _run(self) -> None:
        while True:
            self._slots.acquire()
            item = self._queue.get()
            if item[2] is _STOP:
                return
            _, _, fn, args, outer = item
            if not outer.set_running_or_notify_cancel():  # cancelled while queued (read-ahead dropped)
                self._slots.release()
                continue
            try:
                inner = self.pool.submit(fn, *args)
            except Exception as exc:  # noqa: BLE001 - a broken or shut pool: the caller reads again or reports
                outer.set_exception(exc)
                self._slots.release()
                continue
            inner.add_done_callback(lambda f, outer=outer: self._done(f, outer))

    def _done(self, inner: Future, outer: Future) -> None:
        try:
            if inner.cancelled():
                outer.set_exception(BrokenProcessPool("the OCR pool was reset"))
            elif inner.exception() is not None:
                outer.set_exception(inner.exception())
            else:
                outer.set_result(inner.result())
        finally:
            self._slots.release()

    def stop(self) -> None:
        """Fail what is still queued (as a shut pool would) and end the feeding thread."""
        self._stopped = True
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item[2] is not _STOP and item[4].set_running_or_notify_cancel():
                item[4].set_exception(BrokenProcessPool("the OCR pool was shut down"))
        self._queue.put((-1, -1, _STOP, (), None))
        self._slots.release()  # wake it if it waits for a slot
