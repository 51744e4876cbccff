"""One file's pages: rendered one at a time to disk, then OCR'd (or taken from the text layer).

Memory: `render_pages` keeps only the page in hand decoded. Each page is written to
`pages/<sha>/<n>.png` as soon as it is rendered and replaced by a lazily opened handle on
that file (Pillow decodes it again only when extraction touches its pixels), so a
200-page file never has 200 rendered pages in memory. OCR workers read the page files.

A one-page JPEG or PNG scan that decodes to the page as it is (no EXIF turn, no mode change) is
kept as a byte copy of the original instead (`<n>.jpg` or `<n>.png`): encoding 5-25 MB of pixels
as PNG was the coordinator's largest cost a page (issue 16). A page OCR finds turned is written as
PNG, upright. Readers take a page image's path as stored (`Page.image_path`), whatever its suffix.
"""
from __future__ import annotations

import difflib
import logging
import re
from pathlib import Path
from typing import Iterable

from PIL import Image

from . import archive, webimages
from .loaders import LoadedPage, encode_png, iter_pages
from .model import Line, Page
from .ocr.runner import OcrJob, OcrRunner, cache_get, cache_key_of, cache_put, image_key, rotate

log = logging.getLogger("docintake.pages")

# OCR spot check of a text layer: this many of its longest lines are cropped and recognised;
# below this similarity the layer is taken for garbage (broken ToUnicode map) and the file OCR'd.
SPOT_LINES = 3
SPOT_MIN_SIMILARITY = 0.45


def _lazy(path: Path) -> Image.Image:
    return Image.open(path)  # decoded on first pixel access


def _key_file(path: Path) -> Path:
    return path.with_suffix(".key")


def _write_page(lp: LoadedPage, path: Path, file_sha: str | None) -> Path:
    """Write one page image and return where it went: at `path`, a byte copy of the original when the
    page has one and it still hashes to `file_sha`; else a PNG of the pixels (`<n>.png`)."""
    if lp.original is not None and file_sha:
        if archive.copy_checked(lp.original, path, file_sha):
            return path
        log.warning("page %d: %s no longer hashes to %s; the page is written as PNG", lp.number,
                    lp.original, file_sha[:12])
        path = path.with_suffix(".png")
    archive.atomic_write_bytes(path, encode_png(lp.image))
    return path


def render_pages(pages: Iterable[LoadedPage], folder: Path, web: bool = False,
                 file_sha: str | None = None) -> list[LoadedPage]:
    """Write each page's image as it is rendered and keep only a lazy handle on it (with its pixel key).

    The key (`image_key`) is computed here, once per page, and carried: the OCR cache key, the
    read-ahead's key and the stored `image_sha256` all come from it. `<n>.key` beside the image
    names the pixels it holds, so a resumed run reuses an earlier run's image without decoding it
    (a page turned upright has another key, and is written again). `file_sha`: the SHA-256 of the
    file the pages come from, which a byte copy of it is checked against (without it, PNG always).
    `web`: the ingest will encode the viewer's images (webimages.py): their fit-width copy is made
    now, from the pixels in memory."""
    folder.mkdir(parents=True, exist_ok=True)
    out: list[LoadedPage] = []
    for lp in pages:
        key = image_key(lp.image)
        copy = lp.original is not None and file_sha is not None
        path = folder / f"{lp.number}{lp.suffix if copy else '.png'}"
        try:
            fresh = not path.exists() or _key_file(path).read_text().strip() != key
        except OSError:  # no key file (an older run, or a crash between the two writes): write it again
            fresh = True
        if fresh:
            _key_file(path).unlink(missing_ok=True)
            path = _write_page(lp, path, file_sha)
            archive.atomic_write_bytes(_key_file(path), key.encode())
            if web:
                webimages.remember_fit(key, lp.image)
        out.append(LoadedPage(lp.number, _lazy(path), lp.dpi, lp.text_lines, key, path=path))
        del lp
    return out


def page_job(image_path: str, lp: LoadedPage, engine: str) -> OcrJob:
    """The OCR job of a page: its reading, and its seals detected with it (at the page's dpi)."""
    return OcrJob(image_path, engine, seals=True, dpi=lp.dpi)


def _page_from_loaded(lp: LoadedPage, image_path: str, lines: list[Line], source: str, engine: str,
                      rotation: int, file_sha: str, image_sha: str, seals=None) -> Page:
    return Page(
        number=lp.number,
        width=lp.image.width,
        height=lp.image.height,
        dpi=lp.dpi,
        source=source,
        image_path=image_path,
        lines=tuple(lines),
        engine=engine,
        rotation=rotation,
        image_sha256=image_sha,
        file_sha256=file_sha,
        seals=seals,
    )


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def text_layer_matches_page(lp: LoadedPage, runner: OcrRunner, db=None) -> bool:
    """Whether OCR of a few of the text layer's lines reads what the layer says.

    A broken ToUnicode map gives real characters that are not the ones drawn; only
    reading the pixels tells. Each line is cropped and recognised without the detector
    (a few tens of milliseconds), once per file, in this process, and cached.
    """
    from .reader import OcrReader

    lines = sorted((l for l in lp.text_lines or [] if len(_norm(l.text)) >= 4), key=lambda l: -len(l.text))
    lines = lines[:SPOT_LINES]
    if not lines:
        return True
    reader = OcrReader(runner, db)
    image = lp.image
    scores = []
    for line in lines:
        x0, y0, x1, y1 = line.bbox
        pad = max(4, (y1 - y0) // 4)
        crop = image.crop((max(0, x0 - pad), max(0, y0 - pad), min(image.width, x1 + pad),
                           min(image.height, y1 + pad)))
        read = "".join(l.text for l in reader.read(crop, line=True))
        scores.append(difflib.SequenceMatcher(None, _norm(line.text), _norm(read)).ratio())
    score = sum(scores) / len(scores)
    if score < SPOT_MIN_SIMILARITY:
        log.info("page %d: text layer reads %.2f like its OCR; taken for garbage", lp.number, score)
        return False
    return True


def read_pages(loaded: list[LoadedPage], pages_dir: Path, file_sha: str, runner: OcrRunner,
               db=None, prefetch=None, verify_text: bool = True) -> tuple[list[Page], list[Image.Image]]:
    """Orient and read the (rendered) pages of one file.

    Text-layer pages keep their own characters (exact, and ~100x faster than OCR) unless
    an OCR spot check of the first such page contradicts them; scanned pages are OCR'd in
    the runner's pool, with a cache by image content + engine settings when a database is given.
    """
    folder = pages_dir / file_sha[:2] / file_sha
    if loaded and loaded[0].key is None:  # pages straight from the loader: to disk first
        loaded = render_pages(loaded, folder, file_sha=file_sha)
    folder.mkdir(parents=True, exist_ok=True)
    if verify_text:
        first = next((lp for lp in loaded if lp.text_lines is not None), None)
        if first is not None and not text_layer_matches_page(first, runner, db):
            loaded = [LoadedPage(lp.number, lp.image, lp.dpi, None, lp.key, path=lp.path) for lp in loaded]
    paths = [lp.path or folder / f"{lp.number}.png" for lp in loaded]
    jobs, job_idx, cached = [], [], {}
    settings = runner.settings_key()
    for i, lp in enumerate(loaded):
        if lp.text_lines is None:
            key = cache_key_of(lp.key, settings)
            hit = cache_get(db, key) if db is not None else None
            if hit is None and prefetch is not None:
                hit = prefetch.take_result(key)
                if hit is not None and db is not None:
                    cache_put(db, key, runner.engine, hit)
            if hit is not None:
                cached[i] = hit
            else:
                jobs.append(page_job(str(paths[i]), lp, runner.engine))
                job_idx.append(i)
    results = dict(cached)
    for i, res in zip(job_idx, runner.read(jobs)):
        results[i] = res
        if db is not None:
            cache_put(db, cache_key_of(loaded[i].key, settings), runner.engine, res)
    pages, images = [], []
    for i, lp in enumerate(loaded):
        image = lp.image
        if lp.text_lines is not None:
            pages.append(_page_from_loaded(lp, str(paths[i]), lp.text_lines, "text", "pdf-text", 0, file_sha, lp.key))
        else:
            res = results[i]
            if res.rotation:
                turned = rotate(image, res.rotation)
                _key_file(paths[i]).unlink(missing_ok=True)  # the file no longer holds the rendered pixels
                upright = paths[i].with_suffix(".png")  # a turned page is no longer the scan: a PNG
                archive.atomic_write_bytes(upright, encode_png(turned))
                if upright != paths[i]:
                    paths[i].unlink(missing_ok=True)  # the byte copy of the sideways scan: read, no longer the page
                    paths[i] = upright
                rkey = image_key(turned)  # the stored page is the upright one
                del turned
                image = _lazy(paths[i])
                lp = LoadedPage(lp.number, image, lp.dpi, None, rkey, path=paths[i])
            pages.append(_page_from_loaded(lp, str(paths[i]), res.lines, "ocr", runner.engine, res.rotation,
                                           file_sha, lp.key, res.seals_for(lp.number, lp.dpi)))
        images.append(image)
    return pages, images


def load_to_disk(path: Path, ext: str, pages_dir: Path, file_sha: str, web: bool = False) -> list[LoadedPage]:
    """Render a file page by page into its pages folder (see `render_pages`)."""
    return render_pages(iter_pages(path, ext), pages_dir / file_sha[:2] / file_sha, web, file_sha)
