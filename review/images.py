"""Web-sized page images for the viewer, served from the cache `intake.webimages` fills.

The fit-width and thumbnail WebPs of each page are written at ingest (intake/webimages.py); what
is missing there (an older database, the full-resolution copy, a viewer's masked copy) is encoded
here on first request into the same cache. URLs carry the cache key (``?v=``) so that a browser
may keep them for a year (``immutable``); the key is also the ETag. The original stays the
archived file; nothing here is ever the record.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from intake.webimages import CACHE_DIR, SIZES, WEBP_MAX, cache_path, cache_root, ensure, key_of, source_key

log = logging.getLogger(__name__)

__all__ = ["CACHE_DIR", "SIZES", "WEBP_MAX", "WebImage", "resolve", "source_key", "version", "web_image",
           "warm", "scaled", "original", "viewer_pages"]


@dataclass
class WebImage:
    path: Path
    etag: str
    content_type: str = "image/webp"


def resolve(stored: str | None, db_path: str) -> Path | None:
    """A stored (absolute, or relative to the data folder or working directory) path as an
    existing file, else None."""
    if not stored:
        return None
    path = Path(stored)
    if not path.is_absolute():
        for base in (Path(db_path).resolve().parent, Path.cwd()):
            if (base / path).is_file():
                return base / path
    return path if path.is_file() else None


def _source(db, page_id: int, db_path: str) -> tuple[Path, str] | None:
    """The page image's file and its content key, or None when the page or its image is gone."""
    row = db.execute("SELECT image_path, image_sha256 FROM pages WHERE id = ?", [page_id]).fetchone()
    path = resolve(row[0], db_path) if row else None
    return (path, source_key(path, row[1])) if path else None


def version(db, page_id: int, db_path: str, boxes: list | None = None) -> str | None:
    """The key the page's URLs carry (`?v=`): content of the page, plus the redaction for viewers."""
    src = _source(db, page_id, db_path)
    return key_of(src[1], boxes) if src else None


def web_image(db, page_id: int, db_path: str, size: str, boxes: list | None = None) -> WebImage | None:
    """The page as a cached WebP of `size` (redacted over `boxes` when given); encodes it the first
    time. None when the page or its image is gone."""
    src = _source(db, page_id, db_path) if size in SIZES else None
    if src is None:
        return None
    key = key_of(src[1], boxes)
    target = ensure(src[0], key, cache_root(db_path), size, boxes)
    return WebImage(target, f'"{key}-{size}"')


_warmer = None


def warm(db_path: str, page_ids: list[int], boxes_for=None) -> None:
    """Encode the pages' fit-width images in the background (one worker), so that the browser's
    requests, arriving a moment after the page's HTML, find them ready or in progress."""
    global _warmer
    from concurrent.futures import ThreadPoolExecutor

    if _warmer is None:
        _warmer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webimage-warm")

    def work():
        from intake.db import connect

        try:
            db = connect(db_path, migrate=False)
        except Exception:  # noqa: BLE001 - a warm-up only (the database may be gone)
            return
        try:
            for pid in page_ids:
                try:
                    web_image(db, pid, db_path, "fit", boxes_for(db, pid) if boxes_for else None)
                except Exception:  # noqa: BLE001 - a warm-up only; the request itself reports errors
                    log.debug("warm-up of page %s failed", pid, exc_info=True)
        finally:
            db.conn.close()

    _warmer.submit(work)


def scaled(width: int | None, height: int | None, size: str) -> tuple[int, int]:
    """The pixel size of `size` for a page of width x height (what the viewer's pyramid declares)."""
    w, h = width or 1, height or 1
    target = SIZES.get(size)
    if target is None:
        target = min(w, WEBP_MAX)
    scale = min(1.0, target / w, WEBP_MAX / h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def original(db, file_id: int, db_path: str) -> tuple[Path, str, str] | None:
    """The archived original of a file: (path, download name, content type), or None."""
    row = db.execute("SELECT name, archive_path, ext FROM files WHERE id = ?", [file_id]).fetchone()
    if row is None:
        return None
    path = resolve(row[1], db_path)
    if path is None:
        return None
    ext = (row[2] or path.suffix or "").lower().lstrip(".")
    kind = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
            "tif": "image/tiff", "tiff": "image/tiff", "bmp": "image/bmp", "webp": "image/webp"}
    return path, row[0], kind.get(ext, "application/octet-stream")


def viewer_pages(db, pages: list[dict], db_path: str, boxes_for=None) -> list[dict]:
    """What the viewer needs of each page: its sizes' URLs (carrying the content key) and pixel
    sizes. `boxes_for(page_id)` gives a viewer's redaction boxes (None for staff)."""
    out = []
    for p in pages:
        boxes = boxes_for(p["id"]) if boxes_for else None
        v = version(db, p["id"], db_path, boxes)
        w, h = p.get("width"), p.get("height")
        if v and not (w and h):
            from PIL import Image

            row = db.execute("SELECT image_path FROM pages WHERE id = ?", [p["id"]]).fetchone()
            with Image.open(resolve(row[0], db_path)) as im:
                w, h = im.size
        base = f"/-/review/page/{p['id']}"
        fit, full = scaled(w, h, "fit"), scaled(w, h, "full")
        out.append({
            "id": p["id"], "file_id": p["file_id"], "number": p["number"], "width": w or 1, "height": h or 1,
            "missing": v is None,
            "cached": bool(v) and cache_path(cache_root(db_path), v, "fit").is_file(),
            "thumb": f"{base}/thumb.webp?v={v}", "fit": {"url": f"{base}/fit.webp?v={v}", "w": fit[0], "h": fit[1]},
            "full": {"url": f"{base}/full.webp?v={v}", "w": full[0], "h": full[1]},
        })
    return out
