"""Issue 16: a scan that is already the page is kept byte for byte in pages/, not decoded and re-encoded.

A one-page JPEG or PNG whose decoded pixels need no turn and no mode change is copied (SHA-256
checked) to `pages/<sha>/1.jpg` or `1.png`; a page that had to be turned or converted is a PNG.
Everything downstream (OCR, extraction, the review images) reads either, and gives the same
output as the PNG path did.
"""
from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from PIL import Image

from intake import loaders
from intake.ocr.runner import image_key
from intake.pipeline import Settings, ingest

LINES = ["营业执照", "统一社会信用代码 91411000MA47M7QPXU", "名称 许昌瑞达精密机械有限公司", "法定代表人 张伟"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ingest(tmp_path: Path, name: str, files: dict[str, bytes], data: str = "data"):
    from intake.db import connect

    inbox = tmp_path / f"inbox-{data}"
    sub = inbox / "2026-03-18 许昌瑞达"
    sub.mkdir(parents=True, exist_ok=True)
    for fname, body in files.items():
        (sub / fname).write_bytes(body)
    settings = Settings(data_dir=tmp_path / data, workers=1, progress=False)
    db = connect(tmp_path / data / "docintake.db")
    return db, settings, list(ingest(inbox, db, settings))


def _pages(db) -> list[tuple]:
    return db.execute("SELECT f.name, p.image_path, p.image_sha256, p.rotation, p.width, p.height FROM pages p "
                      "JOIN files f ON f.id = p.file_id ORDER BY f.name, p.number").fetchall()


def _fields(db) -> list[tuple]:
    return db.execute("SELECT d.type, f.key, f.value, f.confidence, f.page, f.x0, f.y0, f.x1, f.y1 FROM fields f "
                      "JOIN documents d ON d.id = f.document_id ORDER BY d.type, f.key").fetchall()


def _encoded(image: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


def _decoded(body: bytes) -> Image.Image:
    with Image.open(io.BytesIO(body)) as im:
        return loaders.normalize_mode(im.copy())


@pytest.fixture(scope="module")
def scans(cjk_font) -> dict[str, bytes]:
    from tests.conftest import render_lines

    page = render_lines(LINES, cjk_font)
    return {"license.jpg": _encoded(page, "JPEG", quality=90, dpi=(300, 300)),
            "copy.png": _encoded(page.convert("L"), "PNG", dpi=(300, 300))}


def test_jpeg_and_png_scans_are_kept_as_they_came_and_read_like_the_png_path(tmp_path, scans, monkeypatch):
    db, settings, lines = _ingest(tmp_path, "kept", scans)
    pages = _pages(db)
    assert [(name, Path(p).name) for name, p, *_ in pages] == [("copy.png", "1.png"), ("license.jpg", "1.jpg")]
    for (name, path, key, *_), body in zip(pages, (scans["copy.png"], scans["license.jpg"])):
        stored = Path(path)
        assert stored.read_bytes() == body  # a byte copy, not a re-encoding
        assert stored.parent.name == hashlib.sha256(body).hexdigest()
        assert stored.with_suffix(".key").read_text() == key == image_key(_decoded(body))
        assert sorted(p.name for p in stored.parent.iterdir()) == sorted([stored.name, "1.key"])

    # the same scans the old way (every page re-encoded as PNG): the same documents, fields and contract lines
    monkeypatch.setattr(loaders, "COPYABLE", {})
    db_png, _, lines_png = _ingest(tmp_path, "png", scans, data="data-png")
    assert [Path(p).name for _, p, *_ in _pages(db_png)] == ["1.png", "1.png"]
    assert Path(_pages(db_png)[1][1]).read_bytes() != scans["license.jpg"]
    assert [row[2:] for row in _pages(db_png)] == [row[2:] for row in pages]  # same pixels, same keys
    assert _fields(db_png) == _fields(db) and _fields(db)
    assert json.dumps(lines_png, ensure_ascii=False, sort_keys=True) == json.dumps(lines, ensure_ascii=False,
                                                                                   sort_keys=True)


def test_a_turned_or_converted_scan_becomes_an_upright_png(tmp_path, cjk_font):
    from tests.conftest import render_lines
    from tests.intake.test_ocr import TEXT

    upright = render_lines(TEXT, cjk_font)
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90° clockwise to view": the pixels are not the page
    exif_turned = _encoded(upright.rotate(90, expand=True), "JPEG", quality=90, exif=exif.tobytes())
    sideways = _encoded(upright.rotate(180), "JPEG", quality=90)  # no metadata: OCR finds it upside down
    palette = _encoded(upright.convert("P"), "PNG")  # mode P: converted for OCR
    db, _, _ = _ingest(tmp_path, "turned", {"exif.jpg": exif_turned, "sideways.jpg": sideways,
                                             "palette.png": palette})
    by_name = {name: (Path(path), rotation, (w, h)) for name, path, _, rotation, w, h in _pages(db)}
    for name in ("exif.jpg", "palette.png", "sideways.jpg"):
        path, rotation, size = by_name[name]
        assert path.name == "1.png" and path.is_file(), name
        assert Image.open(path).format == "PNG" and size == upright.size, name
        assert not path.with_suffix(".jpg").exists(), name  # the sideways copy is gone once turned
    assert by_name["sideways.jpg"][1] == 180 and by_name["exif.jpg"][1] == 0
    assert Image.open(by_name["palette.png"][0]).mode == "RGB"


def test_the_same_scan_again_reuses_its_kept_copy(tmp_path, scans):
    from intake.pages import load_to_disk

    db, settings, _ = _ingest(tmp_path, "first", {"license.jpg": scans["license.jpg"]})
    (name, path, key, *_), = _pages(db)
    kept = Path(path)
    before = kept.stat().st_mtime_ns

    # dropped again: a duplicate by SHA-256, nothing read or written again, the page still the copy
    _, _, lines = _ingest(tmp_path, "again", {"license.jpg": scans["license.jpg"]})
    assert db.execute("SELECT COUNT(*) FROM files WHERE status = 'duplicate'").fetchone()[0] == 1
    assert _pages(db) == [(name, path, key, *_pages(db)[0][3:])]
    assert kept.stat().st_mtime_ns == before and kept.read_bytes() == scans["license.jpg"]

    # a resumed run renders the archived file again: the key beside the copy says it holds these pixels
    apath = db.execute("SELECT archive_path FROM files WHERE status = 'processed'").fetchone()[0]
    file_sha = kept.parent.name
    again = load_to_disk(Path(apath), ".jpg", settings.pages_dir, file_sha)
    assert again[0].path == kept and again[0].key == key and kept.stat().st_mtime_ns == before


def test_a_copy_that_does_not_hash_to_the_file_is_written_as_png(tmp_path, scans):
    from intake.pages import render_pages

    src = tmp_path / "license.jpg"
    src.write_bytes(scans["license.jpg"])
    lp, = loaders.load(src)
    assert lp.original == src and lp.suffix == ".jpg"
    out, = render_pages([lp], tmp_path / "pages", file_sha="0" * 64)  # not the file's SHA-256
    assert out.path.name == "1.png" and Image.open(out.path).format == "PNG"
    assert not (tmp_path / "pages" / "1.jpg").exists()
    assert image_key(Image.open(out.path)) == out.key


def test_the_review_server_serves_a_kept_jpeg(tmp_path, scans):
    from review import images
    from review.image_views import _image_bytes

    db, settings, _ = _ingest(tmp_path, "review", {"license.jpg": scans["license.jpg"]})
    page_id = db.execute("SELECT id FROM pages").fetchone()[0]
    db_path = str(tmp_path / "data" / "docintake.db")
    body, kind = _image_bytes(db, page_id, db_path, redact=False)
    assert body == scans["license.jpg"] and kind == "image/jpeg"
    masked, kind = _image_bytes(db, page_id, db_path, redact=True)
    assert kind == "image/png" and _decoded(masked).size == _decoded(body).size  # viewers get a redacted copy
    fit = images.web_image(db, page_id, db_path, "fit")
    with Image.open(fit.path) as im:
        assert im.format == "WEBP" and im.size == images.scaled(*_decoded(body).size, "fit")


@pytest.mark.parametrize("mode", ["RGB", "L", "1", "P"])
def test_a_page_png_decodes_to_the_pixels_it_was_written_from(mode, cjk_font):
    """The page PNG (a PDF page's rendering, a turned scan) is lossless whichever encoder writes it."""
    from tests.conftest import render_lines

    page = render_lines(["营业执照", "名称 许昌瑞达精密机械有限公司"], cjk_font, size=28, width=500, margin=40)
    page.paste((200, 30, 30), (20, 20, 120, 60))  # a red patch: channels kept in their order
    page = page.convert(mode)
    back = Image.open(io.BytesIO(loaders.encode_png(page)))
    back.load()
    assert back.format == "PNG" and back.mode == page.mode and back.size == page.size
    assert back.tobytes() == page.tobytes()
