"""Finding submissions in the inbox.

A sub-folder of the inbox is one submission (all files below it, at any depth);
a file directly in the inbox is a submission of its own. System, hidden and
partial files are never taken; unknown extensions are quarantined as
"not a document" rather than silently ignored, so nothing dropped is lost.
"""
from __future__ import annotations

import fnmatch
import os
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
