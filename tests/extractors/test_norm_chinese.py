"""Traditional forms in OCR output (許昌, 示範区, 發票號碼) are read as the simplified print they are.

The scans come from the generator; the recognizer's traditional output is reproduced by
mapping its simplified reading through OpenCC ``s2t`` (what RapidOCR does on some glyphs,
applied to every character so that no label or value escapes the test).
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import opencc
import pytest

from extractors import extract_pages
from extractors.chinese import to_simplified
from extractors.layout import PageView, conversions
from extractors.normalize import compare_key, normalize

from .conftest import generated_pages

GOLDEN = Path(__file__).resolve().parent / "golden"
_S2T = opencc.OpenCC("s2t")


def _traditional(pages):
    out = []
    for p in pages:
        lines = []
        for ln in p.lines:
            words = tuple(dataclasses.replace(w, text=_S2T.convert(w.text)) for w in ln.words)
            lines.append(dataclasses.replace(ln, text=_S2T.convert(ln.text), words=words))
        out.append(dataclasses.replace(p, lines=tuple(lines)))
    return out


@pytest.mark.parametrize("doc_type,seed", [("authorization_letter", 14), ("invoice", 16), ("business_license", 11)])
def test_traditional_ocr_output_gives_the_same_fields(doc_type, seed):
    from tests.corpus import generate_document

    doc = generate_document(doc_type, seed=seed, quality="scan")
    expected = json.loads((GOLDEN / f"{doc_type}.expected.json").read_text("utf-8"))
    pages, images = generated_pages(doc)
    trad = _traditional(pages)
    # the test means something only if the OCR text really changed
    assert sum(ln.text != o.text for p, q in zip(trad, pages) for ln, o in zip(p.lines, q.lines)) >= 5
    docs = extract_pages(trad, images, f"{doc_type}-{seed}-t")
    assert [d.type for d in docs] == [doc_type]
    got = docs[0].fields
    misses = {k: (v, got[k].value if k in got else None) for k, v in expected["fields"].items()
              if k not in got or compare_key(got[k].value) != compare_key(v)}
    assert misses == {}


def test_page_view_keeps_what_was_read():
    from intake.model import Line, Page, Word

    text = "發票號碼：12345678 許昌市示範区"
    words = tuple(Word(c, (10 + 20 * i, 10, 28 + 20 * i, 30), 0.9) for i, c in enumerate(text) if c != " ")
    page = Page(number=1, width=1000, height=400, dpi=200, source="ocr", image_path="",
                lines=(Line(text, (10, 10, 10 + 20 * len(text), 30), 0.9, words),), engine="rapidocr", rotation=0)
    view = PageView(page)
    assert "发票号码" in view.text and "许昌市示范区" in view.text
    assert "12345678" in view.text  # digits never change
    assert view.find("发票号码") and view.find("许昌")
    chars = view.rows[0].chars
    assert set(conversions(chars)) == {"發→发", "號→号", "碼→码", "許→许", "範→范"}


@pytest.mark.parametrize("text", ["于明", "於明", "后土", "乾隆", "乾坤", "皇后", "哪吒", "许昌市魏都区", "ABC-123 ０１２"])
def test_simplified_text_is_left_alone(text):
    # characters of the simplified set stay as read, even where OpenCC would change them
    assert to_simplified(text) == text


def test_conversion_is_recorded_and_lowers_certainty():
    n = normalize("name", "許昌市某某科技有限公司")
    assert n.value == "许昌市某某科技有限公司"
    assert n.repairs and "許→许" in n.repairs[0] and n.certainty < 1.0
    plain = normalize("name", "许昌市某某科技有限公司")
    assert plain.repairs == () and plain.certainty == 1.0
