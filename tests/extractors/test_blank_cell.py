"""A required value the page reading lost (a seal stamped across it) is read again from its cell.

The cell is one band of print: it is read as a text line, by the recogniser alone. With the
detector, RapidOCR scales so wide a one-line crop up to a page-sized input (about 4 CPU-s a
cell, against a quarter of a second as a line). The page readings come from the committed
fixture cache (conftest.py); the cell readings are real recogniser calls.
"""
from __future__ import annotations

from PIL import Image

from extractors import extract_pages
from extractors.extract import STATS, _has_ink

from .conftest import CachedReader, generated_pages


class Recording:
    """The tests' reader, noting how each region was read (detector or recogniser alone)."""

    def __init__(self):
        self.inner = CachedReader()
        self.calls: list[tuple[tuple[int, int], bool, bool]] = []

    def read(self, image, engine=None, keep_red=False, line=False, known=None):
        self.calls.append((image.size, keep_red, line))
        return self.inner.read(image, engine, keep_red, line, known)


def test_a_value_lost_under_a_seal_is_offered_for_review_read_from_its_cell_as_one_line():
    from tests.corpus import generate_document

    # the classic application form whose unit name the page reading loses under the applicant's seal
    doc = generate_document("application_form", seed=507, quality="scan")
    pages, images = generated_pages(doc)
    reader = Recording()
    STATS.clear()
    docs = extract_pages(pages, images, "form", reader=reader)
    assert [d.type for d in docs] == ["application_form"]
    fv = docs[0].fields.get("unit_name")
    assert fv is not None and fv.strategy == "label+blank_reread"
    assert fv.confidence <= 0.8  # never trusted without review
    assert STATS["blank_reread_filled"] == 1
    # every reading of the cell was a line reading: no detector on a one-line crop
    wide = [c for c in reader.calls if c[0][0] > 4 * c[0][1] and not c[1]]
    assert wide and all(line for _, _, line in wide)


def test_an_empty_cell_is_not_read():
    blank = Image.new("RGB", (900, 60), "white")
    assert not _has_ink(blank, (0, 0, 900, 60))
    # red seal ink alone is no print: it is removed before the cell is read
    seal = blank.copy()
    seal.paste((230, 40, 40), (100, 10, 300, 50))
    assert not _has_ink(seal, (0, 0, 900, 60))
    printed = blank.copy()
    printed.paste((30, 30, 30), (100, 20, 130, 45))
    assert _has_ink(printed, (0, 0, 900, 60))
