"""The viewer's WebPs are written at ingest, where the review server looks for them."""
from __future__ import annotations

import os
import sqlite3

from PIL import Image

from intake import webimages
from intake.db import connect
from intake.pipeline import ingest

from .test_progress import _pdf


def test_fit_and_thumbnail_are_encoded_when_the_pages_are_stored(tmp_path, settings):
    from review import images

    _pdf(tmp_path / "inbox" / "甲公司" / "材料.pdf", 2)
    db_path = settings.data_dir / "intake.db"
    db = connect(db_path)
    lines = list(ingest(tmp_path / "inbox", db, settings))
    assert len(lines) == 1
    webimages.wait()
    rows = sqlite3.connect(db_path).execute("SELECT id, image_path, image_sha256, width FROM pages").fetchall()
    assert len(rows) == 2
    root = settings.data_dir / "webcache"
    for page_id, image_path, sha, width in rows:
        fit = root / sha[:2] / f"{sha[:20]}-fit.webp"
        thumb = root / sha[:2] / f"{sha[:20]}-thumb.webp"
        assert Image.open(fit).format == "WEBP" and Image.open(fit).width == min(width, 1400)
        assert Image.open(thumb).width == 160
        # the review server serves that very file: nothing is encoded again on first view
        before = os.stat(fit).st_mtime_ns
        served = images.web_image(db, page_id, str(db_path), "fit")
        assert served.path == fit and os.stat(fit).st_mtime_ns == before
        assert images.viewer_pages(db, [{"id": page_id, "file_id": 1, "number": 1, "width": width,
                                         "height": 100}], str(db_path))[0]["cached"]
    # the full-resolution copy is still made on demand only
    assert not list(root.rglob("*-full.webp"))


def test_fit_copy_made_from_the_rendered_pixels_gives_the_same_webp_as_decoding_the_png(tmp_path):
    """Ingest keeps the fit-width copy of a page while it is rendered (no second decode of the
    300-dpi PNG); the WebPs made from it are byte for byte those made from the PNG."""
    import numpy as np

    from intake.ocr.runner import image_key
    from intake.pages import encode_png

    rng = np.random.default_rng(7)
    for mode, shape in (("RGB", (1900, 1500, 3)), ("L", (1200, 900))):  # wider than fit width, and narrower
        image = Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode)
        png = tmp_path / f"{mode}.png"
        png.write_bytes(encode_png(image))
        key = image_key(image)
        webimages.remember_fit(key, image)
        from_memory = webimages.encode(png, "fit", fit=webimages._take_fit(key))
        assert from_memory == webimages.encode(png, "fit")
        assert webimages._take_fit(key) is None  # taken once
