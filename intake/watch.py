"""The watched inbox: `docintake watch`, a long-running service over the ingest pipeline.

How a drop becomes a submission:

- File-system events (watchdog; `--poll` for SMB/NFS shares, where inotify sees nothing)
  only mark a top-level inbox entry as worth a look; a full rescan every `rescan` seconds
  catches whatever events were lost.
- An entry is taken only when its *signature* (every file below it: relative name, size,
  mtime; hidden and partial files included, so an rsync or browser download in progress
  counts as activity) has stayed the same for `settle` seconds of our own observations.
  A folder is therefore taken only when all its files are. Empty files wait four times as
  long (a copy that has created the file but not written it yet looks like an empty file).
- Entries are processed one at a time, oldest first, each under `pipeline.inbox_lock`
  (non-blocking: while a manual `docintake ingest` holds it, the watcher waits its turn).
  Just before processing the signature is checked once more; after processing, an entry
  that is still there with different content was changed while being processed and is
  simply taken again once it has settled (the archive step verifies the hash of what it
  copied, so a half-written file is never archived as complete).
- A `TransientError` (file locked, unreadable for now) is retried with exponential backoff;
  permanent problems are quarantined by the pipeline with their reason and can be
  re-queued (`docintake requeue`, or the review UI), which the watcher notices.
- SIGTERM/SIGINT: the submission in hand is finished, then the watcher exits 0. A second
  signal abandons it at once; the pipeline's per-file states make it resume on restart.

One watcher per inbox: `<data>/locks/watch-<hash>.lock` is held (flock) for the life of
the process; a second watcher exits with `LockedError`'s code.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import click

from . import locks
from .runners import broker_option, make_runner
from .errors import DocintakeError, LockedError, TransientError, UsageError
from .inbox import MAX_DEPTH, Submission, _walk, is_ignored

log = logging.getLogger("docintake.watch")

MAX_BACKOFF = 300.0  # seconds between retries of a transient failure, at most
EMPTY_FILE_FACTOR = 4  # an empty file must stay unchanged this many settle periods
REQUEUE_CHECK = 2.0  # seconds between looks for files re-queued from the archive

Signature = tuple  # ((relative name, size, mtime_ns), ...) sorted


class Abandon(BaseException):
    """Raised by the second stop signal to leave the submission in hand (resumed on restart)."""


@contextmanager
def watch_lock(locks_dir: Path, inbox: Path):
    """Hold the one-watcher-per-inbox lock for the duration of the block (created safely, see `locks`)."""
    with locks.hold(locks_dir, f"watch-{locks.inbox_digest(inbox)}.lock", False,
                    f"另一个 docintake watch（进程 {{holder}}）已在监视收件箱 {inbox}，本进程退出。"
                    f"Another watcher (pid {{holder}}) is already watching {inbox}.", str(inbox)) as path:
        yield path


def signature(path: Path) -> tuple[Signature, bool, bool] | None:
    """(signature, has a file the pipeline would take, has an empty such file) of an inbox entry.

    None when the entry is gone.
    """
    try:
        st = path.lstat()
    except FileNotFoundError:
        return None
    except OSError:
        return (("!", 0, 0),), True, False
    if not os.path.isdir(path) or path.is_symlink():
        real = not is_ignored(path.name)
        return ((("", st.st_size, st.st_mtime_ns),), real, real and st.st_size == 0)
    items: list[tuple[str, int, int]] = []
    real = empty = False

    def walk(folder: Path, rel: str, depth: int, ignored: bool) -> None:
        nonlocal real, empty
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            return
        except OSError as exc:
            items.append((f"{rel}!", exc.errno or 0, 0))
            return
        for e in entries:
            name = f"{rel}{e.name}"
            skip = ignored or is_ignored(e.name)
            try:
                if e.is_dir(follow_symlinks=False):
                    if depth <= MAX_DEPTH + 1:
                        walk(Path(e.path), name + "/", depth + 1, skip)
                    continue
                est = e.stat(follow_symlinks=False)
            except OSError:
                continue
            items.append((name, est.st_size, est.st_mtime_ns))
            if not skip:
                real = True
                empty = empty or est.st_size == 0

    walk(path, "", 1, False)
    return tuple(sorted(items)), real, empty


def entry_submission(inbox: Path, name: str) -> Submission | None:
    """The submission an inbox entry is now, exactly as `inbox.discover` would see it."""
    path = inbox / name
    if is_ignored(name) or not (path.exists() or path.is_symlink()):
        return None
    if path.is_dir() and not path.is_symlink():
        sub = Submission(name=name, path=path)
        _walk(path, 1, sub)
        return sub if (sub.files or sub.rejected) else None
    return Submission(name=name, path=path, files=[path])


@dataclass
class Entry:
    signature: Signature
    since: float  # monotonic time this signature was first seen
    real: bool = True
    empty: bool = False
    attempts: int = 0
    retry_at: float = 0.0


@dataclass
class Watcher:
    """Watches one inbox and feeds settled entries to the pipeline. Drive it with `run()` or `tick()`."""

    inbox: Path
    db: object  # sqlite_utils.Database
    settings: object  # pipeline.Settings
    settle: float = 5.0
    rescan: float = 60.0
    poll: bool = False
    runner: object | None = None  # OcrRunner
    on_result: Callable[[dict], None] | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self.inbox = Path(self.inbox).resolve()
        self.pending: dict[str, Entry] = {}
        self.in_flight: set[str] = set()
        self.processed: list[str] = []  # entry names, in the order they were processed (for tests and logs)
        self.abandoned: list[str] = []
        self.wake = threading.Event()
        self._dirty: set[str] = set()
        self._dirty_lock = threading.Lock()
        self._next_rescan = 0.0
        self._next_requeue_check = 0.0
        self._last_requeue_event: int | None = None
        self._observer = None

    # -- events ------------------------------------------------------------------------------

    def mark(self, path: str | os.PathLike | None) -> None:
        """Note that something happened at `path` (any depth below the inbox)."""
        if not path:
            return
        try:
            rel = Path(os.path.abspath(os.fsdecode(path))).relative_to(self.inbox)
        except ValueError:
            return
        if not rel.parts:
            return
        with self._dirty_lock:
            self._dirty.add(rel.parts[0])
        self.wake.set()

    def start_observer(self) -> None:
        from watchdog.events import FileSystemEventHandler

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):
                if event.event_type in ("opened", "closed_no_write"):
                    return
                watcher.mark(event.src_path)
                watcher.mark(getattr(event, "dest_path", None))

        if self.poll:
            from watchdog.observers.polling import PollingObserver

            observer = PollingObserver(timeout=max(1.0, min(self.settle, 5.0)))
        else:
            from watchdog.observers import Observer

            observer = Observer()
        try:
            observer.schedule(Handler(), str(self.inbox), recursive=True)
            observer.start()
        except OSError as exc:
            log.warning("file-system events unavailable (%s); relying on rescans every %ss", exc, self.rescan)
            return
        self._observer = observer

    def stop_observer(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None

    # -- one round ---------------------------------------------------------------------------

    def _observe(self, names: set[str], t: float) -> None:
        for name in names:
            if is_ignored(name):
                self.pending.pop(name, None)
                continue
            state = signature(self.inbox / name)
            if state is None or not state[1]:
                self.pending.pop(name, None)
                continue
            sig, real, empty = state
            old = self.pending.get(name)
            if old is None or old.signature != sig:
                self.pending[name] = Entry(sig, t, real, empty)
            # an unchanged entry keeps its `since`, attempts and retry time

    def settle_for(self, entry: Entry) -> float:
        return self.settle * (EMPTY_FILE_FACTOR if entry.empty else 1)

    def ready(self, t: float | None = None) -> list[str]:
        t = self.clock() if t is None else t
        names = [
            n for n, e in self.pending.items()
            if n not in self.in_flight and t - e.since >= self.settle_for(e) and t >= e.retry_at
        ]
        return sorted(names, key=lambda n: (self.pending[n].since, n))

    def tick(self) -> list[dict]:
        """Look at what changed, process what has settled. Returns the contract lines produced."""
        t = self.clock()
        with self._dirty_lock:
            names, self._dirty = self._dirty, set()
        names |= set(self.pending)
        if t >= self._next_rescan:
            names |= self._list_inbox()
            self._next_rescan = t + self.rescan
            self._resume()
        elif t >= self._next_requeue_check:
            self._check_requeued()
        self._observe(names, t)
        out: list[dict] = []
        todo = self.ready()
        if not todo:
            return out
        from .pipeline import inbox_lock

        try:
            with inbox_lock(self.settings, self.inbox, wait=False, db=self.db):
                for name in todo:
                    if self.stop.is_set():
                        break
                    line = self._process(name)
                    if line is not None:
                        out.append(line)
        except LockedError:
            log.info("another process is ingesting %s; waiting", self.inbox)
            for name in todo:
                if name in self.pending:
                    self.pending[name].retry_at = self.clock() + max(self.settle, 1.0)
        return out

    def _list_inbox(self) -> set[str]:
        try:
            return {e.name for e in os.scandir(self.inbox) if not is_ignored(e.name)}
        except OSError as exc:
            log.warning("cannot list the inbox %s: %s", self.inbox, exc)
            return set()

    def _process(self, name: str) -> dict | None:
        from . import pipeline

        entry = self.pending[name]
        state = signature(self.inbox / name)
        if state is None or not state[1]:
            self.pending.pop(name, None)
            return None
        if state[0] != entry.signature:  # changed since it was judged settled: wait again
            self.pending[name] = Entry(state[0], self.clock(), state[1], state[2])
            return None
        sub = entry_submission(self.inbox, name)
        if sub is None:
            self.pending.pop(name, None)
            return None
        self.in_flight.add(name)
        try:
            line = pipeline.ingest_submission(self.db, self.settings, self._runner(), sub)
        except TransientError as err:
            self._retry_later(name, err.message)
            return None
        except (KeyboardInterrupt, Abandon):
            self.abandoned.append(name)
            raise
        except DocintakeError as err:
            self._retry_later(name, err.message, error=True)
            return None
        except Exception as err:  # noqa: BLE001 - one bad submission must not stop the service
            log.exception("processing %s failed", name)
            self._retry_later(name, f"{type(err).__name__}: {err}", error=True)
            return None
        finally:
            self.in_flight.discard(name)
        self.processed.append(name)
        after = signature(self.inbox / name)
        if after is None or not after[1]:
            self.pending.pop(name, None)
        elif after[0] == entry.signature:
            # The pipeline took nothing (it should always take or quarantine): do not spin on it.
            entry.retry_at = float("inf")
            log.error("%s was left unchanged after processing; it is taken again only when it changes", name)
        else:
            log.warning("%s changed while it was processed; it will be taken again once settled", name)
            self.pending[name] = Entry(after[0], self.clock(), after[1], after[2])
        if self.on_result:
            self.on_result(line)
        return line

    def _retry_later(self, name: str, message: str, error: bool = False) -> None:
        entry = self.pending.get(name)
        if entry is None:
            return
        entry.attempts += 1
        delay = min(max(self.settle, 1.0) * 2 ** (entry.attempts - 1), MAX_BACKOFF)
        entry.retry_at = self.clock() + delay
        (log.error if error else log.warning)("%s: %s; retry %d in %.0fs", name, message, entry.attempts, delay)

    def _runner(self):
        if self.runner is None:
            from .ocr.runner import OcrRunner

            self.runner = OcrRunner(self.settings.engine, self.settings.workers, False)
        return self.runner

    # -- submissions left half done ----------------------------------------------------------

    def _resume(self) -> None:
        """Finish this inbox's submissions whose inbox entry is gone (a crash, or a re-queue from the archive)."""
        from . import pipeline

        def skip(source: str | None) -> bool:
            if not source or os.path.dirname(os.path.abspath(source)) != str(self.inbox):
                return True  # another inbox's: its own ingest or watcher resumes it
            # files of it still in the inbox: the normal pass resumes it with them
            return entry_submission(self.inbox, Path(source).name) is not None

        if self.stop.is_set():
            return
        try:
            for line in pipeline.resume_unfinished(
                    self.db, self.settings, self._runner(), skip,
                    lambda: pipeline.inbox_lock(self.settings, self.inbox, wait=False, db=self.db)):
                self.processed.append(line["submission"])
                if self.on_result:
                    self.on_result(line)
                if self.stop.is_set():
                    return
        except LockedError:
            self._next_rescan = self.clock() + max(self.settle, 1.0)
        except DocintakeError as err:  # the engine or the database: tried again at the next rescan
            log.error("resuming unfinished submissions stopped: %s", err)

    def _check_requeued(self) -> None:
        self._next_requeue_check = self.clock() + REQUEUE_CHECK
        row = self.db.execute("SELECT MAX(id) FROM events WHERE kind = 'requeued'").fetchone()
        last = row[0] if row else None
        if self._last_requeue_event is None:
            self._last_requeue_event = last or 0
        elif last and last != self._last_requeue_event:
            self._last_requeue_event = last
            self._resume()

    # -- the loop ----------------------------------------------------------------------------

    def interval(self) -> float:
        return max(0.05, min(self.settle / 4, 1.0))

    def run(self) -> None:
        """Until `stop` is set: wait for events or the next look, then `tick()`."""
        self.start_observer()
        try:
            while not self.stop.is_set():
                self.tick()
                if self.stop.is_set():
                    break
                if self.pending:
                    timeout = self.interval()
                    waits = [e.retry_at - self.clock() for e in self.pending.values() if e.retry_at > self.clock()]
                    if waits and len(waits) == len(self.pending):
                        timeout = max(timeout, min(min(waits), self.interval() * 4))
                else:
                    timeout = min(max(self._next_rescan - self.clock(), 0.05), REQUEUE_CHECK)
                self.wake.wait(timeout)
                self.wake.clear()
        finally:
            self.stop_observer()

    def close(self) -> None:
        if self.runner is not None:
            self.runner.close()
            self.runner = None


def _line_text(line: dict) -> str:
    n_err = len(line.get("errors") or [])
    return (
        f"{line['submission']}: {line['status']} ({line['packet']}, {len(line['documents'])} documents, "
        f"{len(line['findings'])} findings" + (f", {n_err} quarantined" if n_err else "") + ")"
    )


@click.command("watch")
@click.argument("inbox", type=click.Path(file_okay=False, path_type=Path))
@click.option("--db", "db_path", default="data/docintake.db", show_default=True, type=click.Path(path_type=Path),
              help="SQLite database to record into.")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Where the archive, quarantine, page images and locks go (default: the database's folder).")
@click.option("--poll", is_flag=True, help="Poll the folder instead of OS events (SMB/NFS shares, some Docker mounts).")
@click.option("--settle", type=float, default=5.0, show_default=True,
              help="Seconds a file (all files of a folder) must stay unchanged before it is taken.")
@click.option("--rescan", type=float, default=60.0, show_default=True,
              help="Seconds between full rescans of the inbox (events can be lost).")
@click.option("--json", "as_json", is_flag=True, help="Print each submission's contract line (JSON) to stdout.")
@click.option("--workers", type=int, default=None, help="OCR worker processes (default: one per core).")
@click.option("--ocr-engine", default="rapidocr", show_default=True, help="OCR engine for scanned pages.")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Submission date validity rules compare against (default: the day each submission arrives).")
@click.option("--push", "push_url", default=None, metavar="URL",
              help="Also deliver verified submissions to URL (as `docintake push URL` does).")
@click.option("--secret", envvar="DOCINTAKE_PUSH_SECRET", default=None,
              help="HMAC secret for --push (or $DOCINTAKE_PUSH_SECRET).")
@click.option("--notices/--no-notices", "notices", default=None,
              help="Send due notices to applicants from the outbox (default: on when DOCINTAKE_SMTP_HOST is set).")
@click.option("--notices-every", type=float, default=30.0, show_default=True, metavar="SECONDS",
              help="Seconds between looks at the notices outbox.")
@broker_option
def watch_command(inbox: Path, db_path: Path, data_dir: Path | None, poll: bool, settle: float, rescan: float,
                  as_json: bool, workers: int | None, ocr_engine: str, as_of, push_url: str | None,
                  secret: str | None, notices: bool | None = None, notices_every: float = 30.0,
                  broker: str | None = None) -> None:
    """Watch INBOX and process each submission once it has settled; runs until stopped.

    A file (or all files of a sub-folder) is taken when unchanged for --settle
    seconds. One watcher per inbox. SIGTERM or Ctrl-C finishes the submission in
    hand and exits; a second signal stops at once (it is resumed on restart).
    """
    from .db import connect
    from .pipeline import Settings, dump_line

    if not inbox.is_dir():
        raise UsageError(f"收件箱不存在：{inbox}。The inbox folder {inbox} does not exist.")
    if settle < 0 or rescan <= 0:
        raise UsageError("--settle 不能为负，--rescan 必须大于 0。--settle must be >= 0 and --rescan > 0.")
    inbox = inbox.resolve()
    data = (data_dir or db_path.parent).resolve()
    locks.check_separate(inbox, data, db_path)
    push_settings = None
    if push_url:
        from .push import PushSettings, check_url

        push_settings = PushSettings(url=check_url(push_url), secret=secret or None)
    from .notices import sender

    smtp, notices_line = sender.watch_settings(notices)  # a half-made SMTP setup fails here, before we start
    settings = Settings(data_dir=data, engine=ocr_engine, as_of=as_of.date() if as_of else None, workers=workers,
                        progress=False)
    stop = threading.Event()

    with watch_lock(settings.locks_dir, inbox):
        db = connect(db_path)

        def on_result(line: dict) -> None:
            if as_json:
                click.echo(dump_line(line))
            click.echo(_line_text(line), err=True)

        watcher = Watcher(inbox, db, settings, settle=settle, rescan=rescan, poll=poll, on_result=on_result,
                          stop=stop, runner=make_runner(broker, ocr_engine, workers, False) if broker else None)

        def on_signal(signum, frame):
            if stop.is_set():
                raise Abandon()
            stop.set()
            watcher.wake.set()
            click.echo("stopping after the submission in hand (signal again to stop now)", err=True)

        old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        pusher = None
        if push_settings:
            from .push import start_thread

            pusher = start_thread(db_path, push_settings, stop)
        click.echo(notices_line, err=True)
        noticer = sender.start_thread(db_path, smtp, stop, notices_every,
                                      lambda line: click.echo(line, err=True)) if smtp else None
        click.echo(f"watching {inbox} (settle {settle:g}s, rescan {rescan:g}s{', polling' if poll else ''})", err=True)
        try:
            watcher.run()
        except (Abandon, KeyboardInterrupt):  # KeyboardInterrupt: Ctrl-C also reached an OCR worker
            click.echo(f"abandoned {', '.join(watcher.abandoned) or 'nothing'}; "
                       "it will be resumed on the next start", err=True)
        finally:
            stop.set()
            for s in old:  # from here on a further signal changes nothing: we are already leaving
                signal.signal(s, lambda *_: None)
            watcher.close()
            if pusher is not None:
                pusher.join(timeout=30)
            if noticer is not None:
                noticer.join(timeout=60)
            for s, h in old.items():
                signal.signal(s, h)
            db.conn.close()
    click.echo("stopped", err=True)
