"""Issue 12 item 3 / issue 16 item 2: extraction reads regions through the reader it is given, and
each page image is hashed once.

Real engine, real SQLite, real files; generated scans come from tests/corpus with the OCR
fixture cache of tests/extractors (so no page is OCR'd here).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def test_extractors_never_import_the_ocr_engines_the_pipeline_or_the_store():
    """Before: nine calls to intake.ocr.base.get_engine from extractors/ (re-reads, red kept, seal ring)."""
    banned = ("intake.ocr", "intake.pipeline", "intake.store", "intake.reader", "intake.pages", "intake.db")
    found = []
    for path in sorted((ROOT / "extractors").glob("*.py")):
        if path.name == "cli.py":
            continue  # the command line sits on top of every layer (tests/test_layers.py)
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            found += [f"{path.name}: {n}" for n in names if n.startswith(banned)]
    assert found == []


class Recording:
    """A real reader (the test one, through the OCR fixture cache) that also notes what it was asked."""

    def __init__(self, inner):
        self.inner = inner
        self.calls: list[tuple[str | None, bool, bool, tuple[int, int]]] = []

    def read(self, image, engine=None, keep_red=False, line=False, known=None):
        self.calls.append((engine, keep_red, line, image.size))
        return self.inner.read(image, engine, keep_red, line, known)


def test_extraction_reads_again_only_through_the_reader_it_is_given(monkeypatch):
    """An invoice (x-ocr-keep-red) is read again with red kept through the reader; without one it
    is still classified and extracted, with nothing read again (no engine loaded by extraction)."""
    import extractors.extract as ex
    from extractors import extract_pages
    from tests.corpus import generate_document
    from tests.extractors.conftest import CachedReader, generated_pages

    doc = generate_document("invoice", seed=16, quality="scan")  # a golden case: its OCR is in the fixture cache
    pages, images = generated_pages(doc)
    monkeypatch.setattr(ex, "default_reader", None)
    rec = Recording(CachedReader())
    with_reader = extract_pages(pages, images, "invoice-16", reader=rec)
    assert [d.type for d in with_reader] == ["invoice"]
    assert any(keep_red for _, keep_red, _, _ in rec.calls), rec.calls
    assert all(engine in (None, "rapidocr", "tesseract") for engine, _, _, _ in rec.calls)
    without = extract_pages(pages, images, "invoice-16")
    assert [d.type for d in without] == ["invoice"]
    assert with_reader[0].fields["invoice_number"].value == doc.truth["fields"]["invoice_number"]


@pytest.fixture(scope="module")
def runner():
    from intake.ocr.runner import OcrRunner

    r = OcrRunner("rapidocr", workers=1, progress=False)
    yield r
    r.close()


def _text_crop() -> Image.Image:
    from tests.corpus.fonts import font
    from PIL import ImageDraw

    img = Image.new("RGB", (520, 80), "white")
    ImageDraw.Draw(img).text((12, 14), "许昌市科学技术局", fill="black", font=font("hei", 44))
    return img


def test_the_pipeline_reader_caches_each_region_by_its_pixels_and_the_kind_of_reading(tmp_path, runner):
    from intake.db import connect
    from intake.reader import OcrReader

    db = connect(tmp_path / "d.db")
    reader = OcrReader(runner, db)
    crop = _text_crop()
    count = lambda: db.execute("SELECT COUNT(*) FROM ocr_cache").fetchone()[0]  # noqa: E731
    first = reader.read(crop)
    assert "科学技术局" in "".join(l.text for l in first)
    assert count() == 1
    assert reader.read(crop) == first and count() == 1  # from the cache
    line = reader.read(crop, line=True)  # recogniser only: another reading, another entry
    assert len(line) == 1 and "科学技术局" in line[0].text and count() == 2
    gray = reader.read(crop, keep_red=True)  # read as gray: keyed by the gray pixels
    assert "科学技术局" in "".join(l.text for l in gray) and count() == 3
    assert OcrReader(runner, db).read(crop.copy(), line=True) == line and count() == 3  # same pixels: a hit


def test_each_page_image_is_hashed_once_and_a_resumed_run_reuses_its_pngs(tmp_path, monkeypatch):
    """Before: a page's pixels were hashed for the read-ahead key, in read_pages and for image_sha256,
    and a resumed run decoded every earlier PNG to hash it again."""
    from fpdf import FPDF

    import intake.ocr.runner as runner_mod
    import intake.pages as pages_mod
    from intake.ocr.runner import image_key
    from intake.pages import load_to_disk, read_pages
    from intake.ocr.runner import OcrRunner

    pdf = FPDF(unit="mm", format=(120, 60))
    pdf.set_font("helvetica", size=10)
    for i in range(3):
        pdf.add_page()
        pdf.text(10, 20, f"page {i + 1} of a text-layer file, long enough to be taken as text")
    src = tmp_path / "three.pdf"
    pdf.output(str(src))
    hashed = []

    def counting(image):
        hashed.append(image.size)
        return image_key(image)

    monkeypatch.setattr(pages_mod, "image_key", counting)
    monkeypatch.setattr(runner_mod, "image_key", counting)
    pages_dir = tmp_path / "pages"
    sha = "ab" * 32
    loaded = load_to_disk(src, ".pdf", pages_dir, sha)
    pages, _ = read_pages(loaded, pages_dir, sha, OcrRunner("rapidocr", 1, False), verify_text=False)
    assert len(hashed) == 3
    for p, lp in zip(pages, loaded):
        with Image.open(p.image_path) as img:
            assert p.image_sha256 == lp.key == image_key(img)
    mtimes = [Path(p.image_path).stat().st_mtime_ns for p in pages]
    again = load_to_disk(src, ".pdf", pages_dir, sha)  # a resumed run renders again
    assert len(hashed) == 6 and [lp.key for lp in again] == [lp.key for lp in loaded]
    assert [Path(p.image_path).stat().st_mtime_ns for p in pages] == mtimes  # PNGs reused, not rewritten


def test_extraction_holds_a_window_of_decoded_pages(tmp_path):
    from extractors.pageimages import WINDOW, PageImages

    paths = []
    for i in range(WINDOW + 3):
        p = tmp_path / f"{i}.png"
        Image.new("RGB", (200, 300), (255, 255 - i, 255)).save(p)
        paths.append(str(p))
    images = PageImages(paths)
    assert images.mode(0) == "RGB" and images.decoded == 0  # the header only
    got = [images[i] for i in range(len(paths))]
    assert [im.getpixel((0, 0))[1] for im in got] == [255 - i for i in range(len(paths))]
    assert len(images._open) == WINDOW and images.decoded == len(paths)
    doc = images.subset([len(paths) - 1, len(paths) - 2])  # the last pages: still decoded, shared
    assert doc[0] is got[-1] and images.decoded == len(paths)
    assert images[0] is not got[0] and images.decoded == len(paths) + 1  # dropped, decoded again
