"""Content-addressed archive of originals, and the quarantine.

Originals are kept byte for byte at `archive/ab/<sha256>.<ext>`. Writes are
atomic (temp file, fsync, rename, fsync of the folder) so a crash leaves either
the whole file or nothing under its final name.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.{os.getpid()}.tmp"
    with open(src, "rb") as fin, open(tmp, "wb") as fout:
        shutil.copyfileobj(fin, fout, CHUNK)
        fout.flush()
        os.fsync(fout.fileno())
    os.replace(tmp, dest)
    _fsync_dir(dest.parent)


def copy_checked(src: Path, dest: Path, sha: str) -> bool:
    """Copy `src` to `dest` atomically if its bytes hash to `sha` (hashed as they are copied: read once).

    False, and nothing written, when they do not: the file changed since it was hashed."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.{os.getpid()}.tmp"
    h = hashlib.sha256()
    try:
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            while chunk := fin.read(CHUNK):
                h.update(chunk)
                fout.write(chunk)
            fout.flush()
            os.fsync(fout.fileno())
        if h.hexdigest() != sha:
            return False
        os.replace(tmp, dest)
        return True
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, dest)


def archive_path(root: Path, sha: str, ext: str) -> Path:
    return Path(root) / sha[:2] / f"{sha}{ext.lower()}"


def store(root: Path, src: Path, sha: str, ext: str) -> Path:
    """Archive `src` under its hash (idempotent: an existing, intact copy is kept)."""
    dest = archive_path(root, sha, ext)
    if dest.exists() and sha256_file(dest) == sha:
        return dest
    atomic_copy(src, dest)
    if sha256_file(dest) != sha:  # the source changed while we copied it
        dest.unlink(missing_ok=True)
        raise OSError("file changed while it was being archived")
    return dest


_UNSAFE = re.compile(r"[\x00-\x1f/\\:*?\"<>|]")


def safe_name(name: str, limit: int = 120) -> str:
    """A file name that is safe on any file system (no separators, control characters or `..`)."""
    cleaned = _UNSAFE.sub("_", name).strip(" .") or "unnamed"
    if len(cleaned.encode("utf-8")) > limit:
        stem, dot, ext = cleaned.rpartition(".")
        if not dot or len(ext) > 8:
            stem, ext = cleaned, ""
        while len((stem + ("." + ext if ext else "")).encode("utf-8")) > limit:
            stem = stem[:-1]
        cleaned = stem + ("." + ext if ext else "")
    return cleaned


def quarantine_destination(root: Path, name: str, submission: str) -> Path:
    """A free path for a quarantined file: per submission, never overwriting an earlier one."""
    folder = Path(root) / safe_name(submission)
    base = safe_name(name)
    dest = folder / base
    n = 1
    while dest.exists() or dest.is_symlink():
        stem, dot, ext = base.rpartition(".")
        dest = folder / (f"{stem}.{n}.{ext}" if dot else f"{base}.{n}")
        n += 1
    return dest


def quarantine(src: Path, dest: Path, reason: str, message: str, submission: str) -> Path:
    """Move an unreadable input out of the inbox to `dest`, with `<name>.error.txt` beside it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dest)
    except FileNotFoundError:
        raise
    except OSError:
        # Cross-device or permission trouble: copy what can be read, then remove.
        if src.is_symlink():
            dest.symlink_to(os.readlink(src))
        else:
            shutil.copy2(src, dest, follow_symlinks=False)
        src.unlink()
    note = dest.parent / f"{dest.name}.error.txt"
    note.write_text(f"{message}\nreason: {reason}\nsubmission: {submission}\noriginal name: {src.name}\n", "utf-8")
    return dest
