"""Finding submissions in the inbox.

A sub-folder of the inbox is one submission (all files below it, at any depth);
a file directly in the inbox is a submission of its own. System, hidden and
partial files are never taken; unknown extensions are quarantined as
"not a document" rather than silently ignored, so nothing dropped is lost.
"""
from __future__ import annotations

import fnmatch
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

KNOWN_EXTENSIONS = {".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"}

# Files that scanners, office suites, browsers and operating systems leave
# behind; taking them would either fail or, worse, half-read a file in flight.
IGNORED_PATTERNS = ("~$*", "*.part", "*.tmp", "*.crdownload", "*.partial", "*.swp", "*.error.txt")
IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}

MAX_DEPTH = 8  # deeper trees are quarantined as a whole: nobody scans 50 folders deep on purpose


@dataclass
class Submission:
    name: str
    path: Path  # the folder, or the single file
    files: list[Path] = field(default_factory=list)
    rejected: list[tuple[Path, str]] = field(default_factory=list)  # (path, reason) found while walking


def is_ignored(name: str) -> bool:
    """Hidden, temporary and system files: never taken, never moved."""
    low = name.lower()
    if name.startswith(".") or low in IGNORED_NAMES:
        return True
    return any(fnmatch.fnmatch(low, pat) for pat in IGNORED_PATTERNS)


def _walk(folder: Path, depth: int, sub: Submission) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        sub.rejected.append((folder, f"文件夹无法读取：{exc.strerror}"))
        return
    for entry in entries:
        if is_ignored(entry.name):
            continue
        path = Path(entry.path)
        if entry.is_symlink():
            sub.files.append(path)  # quarantined by the pipeline with a clear reason
        elif entry.is_dir(follow_symlinks=False):
            if depth >= MAX_DEPTH:
                sub.rejected.append((path, f"文件夹嵌套过深（超过 {MAX_DEPTH} 层）"))
                continue
            _walk(path, depth + 1, sub)
        else:
            sub.files.append(path)


def discover(inbox: Path) -> list[Submission]:
    """Submissions now in the inbox, oldest first (by modification time, then name)."""
    inbox = Path(inbox)
    subs: list[Submission] = []
    for entry in sorted(os.scandir(inbox), key=lambda e: e.name):
        if is_ignored(entry.name):
            continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            sub = Submission(name=entry.name, path=path)
            _walk(path, 1, sub)
            if sub.files or sub.rejected:
                subs.append(sub)
        else:
            subs.append(Submission(name=entry.name, path=path, files=[path]))

    def _mtime(s: Submission) -> float:
        try:
            return s.path.lstat().st_mtime
        except OSError:
            return 0.0

    subs.sort(key=lambda s: (_mtime(s), s.name))
    return subs


# --- settling: is a file still being written? --------------------------------------------------


def open_for_writing(root: Path) -> set[str]:
    """Paths below `root` that some process has open for writing, where the OS tells (Linux /proc).

    Only processes we may inspect are seen (our own user's, or all as root); elsewhere the
    set is empty and the size/mtime rules do the work alone.
    """
    prefix = os.path.join(os.path.realpath(root), "")
    found: set[str] = set()
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return found
    for pid in pids:
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"{fd_dir}/{fd}")
            except OSError:
                continue
            if not target.startswith(prefix):
                continue
            try:
                with open(f"/proc/{pid}/fdinfo/{fd}") as fh:
                    flags = next((int(line.split()[1], 8) for line in fh if line.startswith("flags:")), 0)
            except (OSError, ValueError):
                continue
            if flags & (os.O_WRONLY | os.O_RDWR):
                found.add(target)
    return found


def unsettled(sub: Submission, settle: float, writers: set[str], now: float | None = None) -> float:
    """Seconds a submission still has to wait before it may be taken (0 when it has settled).

    Like the watcher's rule, for a single run: every file below it (partial and hidden
    ones included, which mean a copy is in progress) last modified at least `settle`
    seconds ago, and none open for writing.
    """
    now = time.time() if now is None else now
    paths = [sub.path] if not sub.path.is_dir() else [Path(d) / f for d, _, fs in os.walk(sub.path) for f in fs]
    wait = 0.0
    for p in paths:
        try:
            st = p.lstat()
        except OSError:
            continue
        age = now - st.st_mtime
        if 0 <= age < settle:  # (a future mtime, from a skewed clock, is left to the other rules)
            wait = max(wait, settle - age)
        if os.path.realpath(p) in writers:
            wait = max(wait, settle, 0.5)
    return wait


def wait_settled(subs: list[Submission], settle: float, root: Path, max_wait: float | None = None,
                 sleep=time.sleep) -> tuple[list[Submission], list[Submission]]:
    """(settled, still being written) after waiting at most `max_wait` seconds for the fresh ones.

    `ingest` takes what was dropped a moment ago (a copy that has just finished) after a
    short wait instead of archiving it half written; what keeps changing is left for a later run.
    """
    max_wait = 3 * settle + 1.0 if max_wait is None else max_wait
    deadline = time.monotonic() + max_wait
    order = {id(s): i for i, s in enumerate(subs)}
    ready: list[Submission] = []
    pending = list(subs)
    while True:
        writers = open_for_writing(root) if pending else set()
        still = []
        for sub in pending:
            w = unsettled(sub, settle, writers)
            (still.append((sub, w)) if w > 0 else ready.append(sub))
        left = deadline - time.monotonic()
        if not still or left <= 0:
            ready.sort(key=lambda s: order[id(s)])
            return ready, [s for s, _ in still]
        sleep(min(max(w for _, w in still), left) + 0.01)
        pending = [s for s, _ in still]
