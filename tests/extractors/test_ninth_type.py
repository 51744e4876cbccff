"""Adding a document type is a schema file: 事业单位法人证书 (public_institution_certificate).

No Python file of the product names the type; a rendered certificate classifies and
extracts through schemas/public_institution_certificate.json alone.
"""
from __future__ import annotations

from pathlib import Path

from extractors import extract_pages
from extractors.normalize import compare_key

from .certificate import TRUTH, render
from .conftest import pages_of_image

ROOT = Path(__file__).resolve().parents[2]


def test_no_extraction_code_names_the_ninth_type():
    """Classification and extraction (the extractors package and the OCR layer) never name it."""
    offenders = []
    for pkg in ("extractors", "intake/ocr"):
        for py in (ROOT / pkg).rglob("*.py"):
            text = py.read_text(encoding="utf-8", errors="replace")
            if "public_institution_certificate" in text or "事业单位法人证书" in text:
                offenders.append(str(py.relative_to(ROOT)))
    assert offenders == []
    assert (ROOT / "schemas" / "public_institution_certificate.json").exists()


def test_certificate_classifies_and_extracts_from_the_schema_alone():
    image, dpi = render()
    pages, images = pages_of_image(image, dpi)
    docs = extract_pages(pages, images, "certificate.png")
    assert [d.type for d in docs] == ["public_institution_certificate"]
    doc = docs[0]
    assert doc.confidence >= 0.8
    got = {k: v.value for k, v in doc.fields.items()}
    for key in ("name", "uscc", "scope", "address", "legal_representative", "funding_source", "funding",
                "sponsor", "registration_authority", "term_start", "term_end"):
        assert compare_key(got.get(key)) == compare_key(TRUTH[key]), (key, got.get(key))
    for fv in doc.fields.values():
        assert fv.page == 1 and fv.bbox is not None and fv.strategy


def test_certificate_is_not_a_business_license():
    image, dpi = render(seed=8)
    pages, images = pages_of_image(image, dpi)
    docs = extract_pages(pages, images, "certificate.png")
    assert docs[0].type != "business_license"
