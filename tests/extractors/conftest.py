"""Fixtures for the extractor tests: OCR with a small on-disk cache committed beside the tests.

The cache (``fixtures/ocr/*.json.gz``) is keyed by image content + engine settings, so a
changed rendering or engine simply misses and reads again (slow once, then cached).
"""
from __future__ import annotations

import gzip
import hashlib
import json
import tempfile
from pathlib import Path

import pytest

from intake.model import Line, Page

HERE = Path(__file__).resolve().parent
OCR_CACHE = HERE / "fixtures" / "ocr"


def _image_key(image) -> str:
    h = hashlib.sha256()
    h.update(f"{image.mode}{image.size}".encode())
    h.update(image.tobytes())
    return h.hexdigest()


def ocr_lines(image, engine_name: str = "rapidocr", orient: bool = True, known=None) -> tuple[list[Line], int]:
    """(lines, rotation) of an image; with `known` lines, the reading that recognises only what they lack."""
    from intake.ocr.base import get_engine, limit_threads
    from intake.ocr.runner import OcrResult, known_key, read_page, read_region

    limit_threads()
    settings = get_engine(engine_name).settings_key()
    extra = "" if known is None else f"|known:{known_key(known)}"
    key = hashlib.sha256(f"{_image_key(image)}|{settings}|{orient}{extra}".encode()).hexdigest()[:32]
    path = OCR_CACHE / f"{key}.json.gz"
    if path.exists():
        d = json.loads(gzip.decompress(path.read_bytes()))
        return [Line.from_dict(x) for x in d["lines"]], d["rotation"]
    if known is None:
        res = read_page(image, engine_name, detect_orientation=orient)
    else:
        res = OcrResult(read_region(image, engine_name, known=known), 0)
    OCR_CACHE.mkdir(parents=True, exist_ok=True)
    payload = {"lines": [l.to_dict() for l in res.lines], "rotation": res.rotation}
    path.write_bytes(gzip.compress(json.dumps(payload, ensure_ascii=False).encode(), 9, mtime=0))
    return res.lines, res.rotation


def read_file_pages(path: Path, engine_name: str = "rapidocr"):
    """The pipeline's reading of a file (loader, text layer or cached OCR), without a database."""
    from intake.loaders import load
    from intake.ocr.runner import rotate

    pages, images = [], []
    for lp in load(path):
        image = lp.image
        if lp.text_lines is not None:
            lines, rot, source = list(lp.text_lines), 0, "text"
        else:
            lines, rot = ocr_lines(image, engine_name)
            source = "ocr"
            if rot:
                image = rotate(image, rot)
        pages.append(Page(number=lp.number, width=image.width, height=image.height, dpi=lp.dpi, source=source,
                          image_path=str(path), lines=tuple(lines), engine=engine_name, rotation=rot))
        images.append(image)
    return pages, images


def pages_of_image(image, dpi: int, engine_name: str = "rapidocr"):
    lines, rot = ocr_lines(image, engine_name)
    page = Page(number=1, width=image.width, height=image.height, dpi=dpi, source="ocr", image_path="",
                lines=tuple(lines), engine=engine_name, rotation=rot)
    return [page], [image]


def generated_pages(doc, engine_name: str = "rapidocr"):
    with tempfile.TemporaryDirectory() as tmp:
        path = doc.save(Path(tmp) / "doc")
        return read_file_pages(path, engine_name)


def read_commitment_letter(family: str, seed: int, name: str, **overrides):
    """A generated commitment letter of a developed family, with `overrides` on its values, read
    through OCR and extraction: (its fields, the truth's fields)."""
    from extractors import extract_pages
    from tests.corpus.documents import build_values, render_values

    v = build_values("commitment_letter", seed)
    v.update(overrides)
    doc = render_values("commitment_letter", v, seed, "scan", family=family)
    assert doc.truth["split"] == "developed"
    pages, images = generated_pages(doc)
    docs = extract_pages(pages, images, name)
    assert [d.type for d in docs] == ["commitment_letter"]
    return docs[0].fields, doc.truth["fields"]


class CachedReader:
    """The region reader extraction gets in these tests: the engines in this process, and second
    page readings (red kept) through the same on-disk cache as the first."""

    def read(self, image, engine=None, keep_red=False, line=False, known=None):
        from intake.reader import EngineReader

        engine = engine or "rapidocr"
        if keep_red and not line:
            return ocr_lines(image.convert("L"), engine, orient=False, known=known)[0]
        return EngineReader(engine).read(image, engine, keep_red, line, known)


@pytest.fixture(autouse=True)
def _region_reader(monkeypatch):
    import extractors.extract as ex

    monkeypatch.setattr(ex, "default_reader", CachedReader())
