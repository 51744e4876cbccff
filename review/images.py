"""Web-sized page images for the viewer, encoded once and cached on disk under the data folder.

A page is kept as a 300-dpi PNG (5-10 MB); over a bureau's LAN or VPN that is seconds per page.
The viewer asks for three sizes of the same page:

- ``thumb``: 160 px wide, for the page strip;
- ``fit``: 1400 px wide WebP, what a reviewer reads at fit width (<= 400 KB for a scan);
- ``full``: the page's own resolution as WebP, fetched by the viewer only when zoomed past fit.

Each file is named by a key that changes when its content would: the page image's sha256 (or,
without it, its path, size and mtime) and, for a viewer's masked copy, the redaction boxes. The
key is also the ETag, and URLs carry it (``?v=``) so that a browser may keep them for a year
(``immutable``). The original stays the archived file; nothing here is ever the record.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SIZES = {"thumb": 160, "fit": 1400, "full": None}
QUALITY = {"thumb": 70, "fit": 78, "full": 85}
CACHE_DIR = "webcache"
# WebP's limit is 16383 px a side; a larger page is served scaled to fit it.
WEBP_MAX = 16383


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


def source_key(path: Path, sha256: str | None) -> str:
    """What identifies the page image's content, without reading it when the sha is stored."""
    if sha256:
        return sha256[:20]
    st = path.stat()
    return hashlib.sha256(f"{path}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:20]


def version(db, page_id: int, db_path: str, boxes: list | None = None) -> str | None:
    """The key the page's URLs carry (`?v=`): content of the page, plus the redaction for viewers."""
    row = db.execute("SELECT image_path, image_sha256 FROM pages WHERE id = ?", [page_id]).fetchone()
    if row is None:
        return None
    path = resolve(row[0], db_path)
    if path is None:
        return None
    return _key(source_key(path, row[1]), boxes)


def _key(src: str, boxes: list | None) -> str:
    if boxes is None:
        return src
    digest = hashlib.sha256(repr(sorted(tuple(b) for b in boxes)).encode()).hexdigest()[:12]
    return f"{src}-m{digest}"


def _fit(im, width: int | None):
    from PIL import Image

    if width is None:
        width = min(im.width, WEBP_MAX)
    if im.width > width or im.height > WEBP_MAX:
        scale = min(width / im.width, WEBP_MAX / im.height)
        # reducing_gap: a fast box reduction first, then Lanczos over the last factor of 3
        im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.LANCZOS,
                       reducing_gap=3.0)
    return im


def _webp(im, size: str) -> bytes:
    out = io.BytesIO()
    # method 2: half the encoding time of the default 4 for 1% more bytes on a scan
    im.save(out, "WEBP", quality=QUALITY[size], method=2)
    return out.getvalue()


def _encode(path: Path, size: str, boxes: list | None) -> dict[str, bytes]:
    """`size` (and, for fit, the thumbnail from the same decode: decoding a 300-dpi PNG is the
    slow part) as WebP bytes."""
    from PIL import Image, ImageDraw

    with Image.open(path) as im:
        im.load()
        im = im.convert("L" if im.mode in ("1", "L", "LA", "I;16") else "RGB")
    if boxes:
        # redaction is drawn on the full-resolution page, before any scaling, so that a
        # masked value is never in any size of the image (fails closed: boxes grow by 2 px)
        draw = ImageDraw.Draw(im)
        fill = 60 if im.mode == "L" else (60, 60, 60)
        for x0, y0, x1, y1 in boxes:
            draw.rectangle((x0 - 2, y0 - 2, x1 + 2, y1 + 2), fill=fill)
    if size == "full":
        return {"full": _webp(_fit(im, None), "full")}
    fit = _fit(im, SIZES["fit"])
    return {"fit": _webp(fit, "fit"), "thumb": _webp(_fit(fit, SIZES["thumb"]), "thumb")}


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(name: str) -> threading.Lock:
    """One encoder per image: a second request (or the warm-up) waits for the first one's file."""
    with _locks_guard:
        if len(_locks) > 10_000:
            _locks.clear()
        return _locks.setdefault(name, threading.Lock())


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # written beside and renamed: a concurrent reader never sees half a file
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def web_image(db, page_id: int, db_path: str, size: str, boxes: list | None = None) -> WebImage | None:
    """The page as a cached WebP of `size` (redacted over `boxes` when given); encodes it the first
    time. None when the page or its image is gone."""
    if size not in SIZES:
        return None
    row = db.execute("SELECT image_path, image_sha256 FROM pages WHERE id = ?", [page_id]).fetchone()
    if row is None:
        return None
    src = resolve(row[0], db_path)
    if src is None:
        return None
    key = _key(source_key(src, row[1]), boxes)
    folder = Path(db_path).resolve().parent / CACHE_DIR / key[:2]
    target = folder / f"{key}-{size}.webp"
    if not target.is_file():
        group = "full" if size == "full" else "fit"
        with _lock(f"{key}-{group}"):
            if not target.is_file():
                for name, data in _encode(src, size, boxes).items():
                    _write(folder / f"{key}-{name}.webp", data)
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
            "cached": bool(v) and (Path(db_path).resolve().parent / CACHE_DIR / v[:2] / f"{v}-fit.webp").is_file(),
            "thumb": f"{base}/thumb.webp?v={v}", "fit": {"url": f"{base}/fit.webp?v={v}", "w": fit[0], "h": fit[1]},
            "full": {"url": f"{base}/full.webp?v={v}", "w": full[0], "h": full[1]},
        })
    return out
