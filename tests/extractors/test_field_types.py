"""A field's value from another field's check digits, and a value's wrap that stops where its
type stops: generated id cards (tests/corpus, developed families), read through cached OCR."""
from __future__ import annotations

from dataclasses import replace

from extractors import extract_pages
from tests.corpus import generate_document

from .conftest import generated_pages


def test_birth_date_is_read_from_the_id_number_when_its_line_is_lost():
    """GB 11643: digits 7-14 of the citizen ID number are the birth date. A card whose 出生 line
    the OCR lost (a copy's stamp, a fold) still gives it, and the two readings agree when both are read."""
    doc = generate_document("id_card", seed=1, quality="scan", family="classic")
    pages, images = generated_pages(doc)
    want = doc.truth["fields"]["birth_date"]
    both = extract_pages(pages, images, "card")[0].fields["birth_date"]
    assert both.value == want and both.strategy == "label" and "agree" in both.why
    lost = [replace(p, lines=tuple(ln for ln in p.lines if "出生" not in ln.text)) for p in pages]
    alone = extract_pages(lost, images, "card")[0].fields["birth_date"]
    assert alone.value == want and alone.strategy == "regex"


def test_an_address_does_not_run_on_into_the_id_number_printed_under_it():
    doc = generate_document("id_card", seed=2, quality="scan", family="tilted")
    pages, images = generated_pages(doc)
    fields = extract_pages(pages, images, "card")[0].fields
    assert fields["address"].value == doc.truth["fields"]["address"]
    assert fields["id_number"].value == doc.truth["fields"]["id_number"]


def test_a_wrapped_labels_value_on_the_row_of_its_second_part_is_read():
    """科技人员及预计 / 使用人员 wrapped in its cell, the value printed between the two parts: OCR
    groups the value with the second part's row, which is the label's rest, not another label."""
    doc = generate_document("application_form", seed=2, quality="scan", family="pair_grid")
    pages, images = generated_pages(doc)
    got = extract_pages(pages, images, "form")[0].fields["expected_users"]
    assert got.value == doc.truth["fields"]["expected_users"]  # not the part after 预计使用人员 inside it
