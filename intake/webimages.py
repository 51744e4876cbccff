"""Web-sized copies of page images (WebP), encoded once: at ingest, beside the database.

A page is kept as a 300-dpi PNG (5-10 MB); the review viewer shows three sizes of it:

- ``thumb``: 160 px wide, for the page strip;
- ``fit``: 1400 px wide, what a reviewer reads at fit width (<= 400 KB for a scan);
- ``full``: the page's own resolution, fetched by the viewer only when zoomed past fit.

``fit`` and ``thumb`` are written when a file's pages are stored (`encode_later`), so that the
first reviewer to open a submission does not wait for a 300-dpi PNG to be decoded and encoded
(seconds a page on a loaded machine). ``full`` and the masked copies for viewers are encoded on
demand by the review server (review/images.py), which reads and writes the same cache.

Each file is named by a key that changes when its content would: the page image's sha256 (or,
without it, its path, size and mtime) and, for a masked copy, the redaction boxes. The cache is
``<folder of the database>/webcache/<key[:2]>/<key>-<size>.webp``. It is a cache: deleting it
loses nothing, the original stays the archived file and the page PNG stays the record.

This module sits below the review layer (layer 3: it reads pages, it knows nothing of users).
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger("docintake.webimages")

SIZES = {"thumb": 160, "fit": 1400, "full": None}
QUALITY = {"thumb": 70, "fit": 78, "full": 85}
CACHE_DIR = "webcache"
# WebP's limit is 16383 px a side; a larger page is served scaled to fit it.
WEBP_MAX = 16383


def cache_root(db_path: str | Path) -> Path:
    return Path(db_path).resolve().parent / CACHE_DIR


def cache_path(root: Path, key: str, size: str) -> Path:
    return root / key[:2] / f"{key}-{size}.webp"


def source_key(path: Path, sha256: str | None) -> str:
    """What identifies the page image's content, without reading it when the sha is stored."""
    if sha256:
        return sha256[:20]
    st = path.stat()
    return hashlib.sha256(f"{path}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:20]


def key_of(src: str, boxes: list | None) -> str:
    """The cache key (and ETag) of a page's copy: its content key, plus the redaction when masked."""
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


def encode(path: Path, size: str, boxes: list | None = None, fit=None) -> dict[str, bytes]:
    """`size` (and, for fit, the thumbnail from the same decode: decoding a 300-dpi PNG is the
    slow part) as WebP bytes, redacted over `boxes` when given. `fit`: the page's fit-width copy
    already made from its pixels (`remember_fit`), which spares the decode."""
    from PIL import Image, ImageDraw

    if fit is not None and size == "fit" and not boxes:
        return {"fit": _webp(fit, "fit"), "thumb": _webp(_fit(fit, SIZES["thumb"]), "thumb")}
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


def write(target: Path, data: bytes) -> None:
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


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(name: str) -> threading.Lock:
    """One encoder per image in a process: a second request (or ingest's encoder) waits for the first."""
    with _locks_guard:
        if len(_locks) > 10_000:
            _locks.clear()
        return _locks.setdefault(name, threading.Lock())


def ensure(src: Path, key: str, root: Path, size: str, boxes: list | None = None, fit=None) -> Path:
    """The cached WebP of `size` for the page image `src` under cache key `key`, encoded if missing."""
    target = cache_path(root, key, size)
    if not target.is_file():
        group = "full" if size == "full" else "fit"
        with _lock(f"{key}-{group}"):
            if not target.is_file():
                for name, data in encode(src, size, boxes, fit).items():
                    write(cache_path(root, key, name), data)
    return target


# --- at ingest ---------------------------------------------------------------------------------

_encoder: ThreadPoolExecutor | None = None
_pending: list[Future] = []
_pending_guard = threading.Lock()

# Fit-width copies of pages made while their pixels were in memory (pages.render_pages), by pixel key:
# the encoder at ingest takes one instead of decoding the 300-dpi PNG again (~0.3 CPU-s a page).
# A few pages only, bounded in bytes (a 1400 px wide A4 colour copy is ~8 MB): a long file under a memory
# limit must not hold more than this beside the pages extraction has open; one not taken in time is decoded.
# 32 MB holds ~4 A4 colour pages, a usual file or two read ahead (16 MB held 2); 48 MB left the 10-page
# stack of tests/intake/test_memory.py less than 60 MB under its 300 MB limit (measured: fails at 240 MB).
FIT_MEMO = 8
FIT_MEMO_BYTES = 32 * 1024 * 1024
_fits: OrderedDict = OrderedDict()
_fits_guard = threading.Lock()


def wanted(db) -> bool:
    """Whether an ingest into `db` encodes web images (a database in a folder, not switched off)."""
    from .locks import db_file

    return db is not None and db_file(db) is not None and os.environ.get("DOCINTAKE_WEBIMAGES") != "off"


def remember_fit(key: str, image) -> None:
    """Keep the fit-width copy of a page image now decoded, under its pixel key (`image_key`).

    The same pixels and the same mode as the PNG it is written to give the same copy as `encode`
    makes from that PNG, so the WebP bytes are the same either way. Other modes go the usual way."""
    if image.mode not in ("RGB", "L"):
        return
    fit = _fit(image, SIZES["fit"])
    if fit is image:
        fit = image.copy()  # a page narrower than fit width: the caller's image may be closed
    with _fits_guard:
        _fits[key] = fit
        _fits.move_to_end(key)
        while len(_fits) > FIT_MEMO or (len(_fits) > 1 and _memo_bytes() > FIT_MEMO_BYTES):
            _fits.popitem(last=False)


def _memo_bytes() -> int:
    return sum(im.width * im.height * len(im.getbands()) for im in _fits.values())


def _take_fit(sha: str | None):
    if not sha:
        return None
    with _fits_guard:
        return _fits.pop(sha, None)


def _encode_pages(items: list[tuple[str, str | None]], root: Path) -> int:
    done = 0
    for image_path, sha in items:
        try:
            src = Path(image_path)
            ensure(src, source_key(src, sha), root, "fit", fit=_take_fit(sha))
            done += 1
        except Exception:  # noqa: BLE001 - a cache only: the review server encodes what is missing
            log.warning("web image of %s not encoded at ingest (the review server will)", image_path,
                        exc_info=True)
    return done


def encode_later(db, pages) -> Future | None:
    """Queue the fit-width and thumbnail WebPs of a file's stored `pages` (``model.Page``).

    Encoded on one background thread of the ingesting process: Pillow releases the GIL while it
    decodes, scales and encodes, so OCR and extraction on the main thread are not held up, and a
    thread (unlike the OCR pool, which `ingest` shuts down with its queue cancelled) finishes its
    queue before the process exits. Nothing is queued for an in-memory database (no folder)."""
    global _encoder
    from .locks import db_file

    path = db_file(db)
    items = [(p.image_path, p.image_sha256 or None) for p in pages if p.image_path]
    if path is None or not items or os.environ.get("DOCINTAKE_WEBIMAGES") == "off":
        return None
    root = cache_root(path)
    with _pending_guard:
        if _encoder is None:
            _encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webimages")
        future = _encoder.submit(_encode_pages, items, root)
        _pending[:] = [f for f in _pending if not f.done()] + [future]
    return future


def wait() -> None:
    """Block until every queued page has been encoded (tests, benchmarks, a caller about to exit)."""
    with _pending_guard:
        pending = list(_pending)
    for f in pending:
        f.result()
