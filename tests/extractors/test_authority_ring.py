"""Registration authority read from a seal ring: the last resort, completed only when the schema's
table of the jurisdiction's authorities confirms one full name (issue 11).

The ring text is read along an arc whose ends fade into the rim: the reading loses characters at
either end or has one wrong. A reading completes to a known authority only when exactly one name of
the table fits it; a reading that fits several (区市场监督管理局 ends every district's name) stays a
doubtful reading for review. The golden case is a developed membership packet's licence whose ring
OCR read 许昌市市场监管管理局城乡一体化示范区分局 (督 read 管): real OCR, cached in fixtures/ocr.
"""
from __future__ import annotations

from extractors.normalize import NORMALIZERS
from extractors.registry import load_registry
from extractors.seals_text import complete_name
from extractors.strategies import _ring_value


def _known() -> list[str]:
    dt = load_registry().get("business_license")
    fs = next(f for f in dt.fields if f.key == "registration_authority")
    return next(s for s in fs.extract if s["strategy"] == "seal_text")["known"]


def test_a_truncated_or_misread_ring_completes_to_the_one_authority_that_fits():
    known = _known()
    assert complete_name("许昌市魏都区市场监督管", known) == "许昌市魏都区市场监督管理局"  # end faded
    assert complete_name("魏都区市场监督管理局", known) == "许昌市魏都区市场监督管理局"  # start faded
    assert complete_name("许昌市市场监管管理局城乡一体化示范区分局", known) == "许昌市市场监督管理局城乡一体化示范区分局"
    assert complete_name("禹州市市场监督管理人", known) == "禹州市市场监督管理局"  # one character wrong


def test_a_ring_reading_that_fits_several_authorities_completes_nothing():
    known = _known()
    assert complete_name("区市场监督管理局", known) is None  # every district's authority ends so
    assert complete_name("市场监督管理局", known) is None
    assert complete_name("郑州市金水区市场监督管理局", known) is None  # another city's: not in the table


def test_ring_confidence_says_how_the_value_was_got():
    spec = {"strategy": "seal_text", "normalizer": "authority", "known": _known()}
    norm = NORMALIZERS["authority"]
    # a known authority read whole: trusted, but below what a printed line earns
    value, conf, note = _ring_value(spec, "禹州市市场监督管理局", norm("禹州市市场监督管理局"))
    assert (value, note) == ("禹州市市场监督管理局", "") and 0.85 <= conf < 0.98
    # completed by the table: shown above the review threshold, with the reading in the note
    value, conf, note = _ring_value(spec, "许昌市魏都区市场监督管", norm("许昌市魏都区市场监督管"))
    assert value == "许昌市魏都区市场监督管理局" and 0.85 <= conf < 0.9 and "许昌市魏都区市场监督管" in note
    # a well-formed name of another city: kept, a little less sure
    value, conf, _ = _ring_value(spec, "郑州市金水区市场监督管理局", norm("郑州市金水区市场监督管理局"))
    assert value == "郑州市金水区市场监督管理局" and 0.85 <= conf <= 0.9
    # a piece no table entry alone completes: review
    value, conf, _ = _ring_value(spec, "区市场监督管理局", norm("区市场监督管理局"))
    assert conf < 0.85


def test_a_developed_licence_whose_ring_ocr_misread_one_character_needs_no_review():
    from extractors import extract_pages
    from tests.corpus.packets import generate_packet

    from .conftest import generated_pages

    pk = generate_packet("membership_application", seed=1, quality="scan", split="developed")
    doc = next(d for d in pk.documents if d.type == "business_license")
    assert doc.truth["split"] == "developed"
    pages, images = generated_pages(doc)
    fv = extract_pages(pages, images, "licence-ring")[0].fields["registration_authority"]
    assert fv.value == doc.truth["fields"]["registration_authority"]
    assert fv.confidence >= 0.85
