"""Contract fields that were right but held below the review threshold (0.8) on a developed family
(issue 11): the causes were no real doubt.

- client_name: the sign-off line 甲方（盖章） with the seal over the name read as “(盖章中)原汽店”; the
  label strategy offered that as a rival organization name, so the right name lost confidence.
  A name never opens with a label's bracketed note (甲方（盖章）, 委托人（签字）).
- testing_fee: the amount in words agreeing with the figures (伍万叁仟元整（¥53,000.00)) was noted as
  “amount in words = amount in figures”, and the doubt filter took every note starting
  “amount in words” for the disagreement note, so the confirmation capped the value at 0.8.

Real OCR (cached in fixtures/ocr) of the developed voucher packet's contract (party_table, seed 1);
the disagreeing case still goes to review.
"""
from __future__ import annotations

from extractors.candidates import keep_doubt
from extractors.context import Candidate
from extractors.value_types import check


def test_a_name_opening_with_a_labels_bracketed_note_is_no_organization():
    assert check("organization", "（盖章中）原汽店")[0] < 0.9
    assert check("person", "(签字)王")[0] < 0.9
    assert check("organization", "禹州中原汽车零部件有限公司")[0] == 1.0


def test_words_agreeing_with_figures_is_no_doubt_but_disagreeing_is():
    agree = Candidate("53000.00", 0.95, 1, None, "regex", notes=["amount in words = amount in figures"])
    keep_doubt(agree)
    assert agree.confidence == 0.95
    differ = Candidate("53000.00", 0.95, 1, None, "regex", notes=["amount in words 5300.00 ≠ figures 53000.00"])
    keep_doubt(differ)
    assert differ.confidence < 0.85


def test_the_developed_contract_fields_are_right_and_need_no_review():
    from extractors import extract_pages
    from tests.corpus.packets import generate_packet

    from .conftest import generated_pages

    pk = generate_packet("voucher_redemption", seed=1, quality="scan", split="developed")
    doc = next(d for d in pk.documents if d.type == "service_contract")
    assert doc.truth["split"] == "developed"
    pages, images = generated_pages(doc)
    fields = extract_pages(pages, images, "contract-party-table")[0].fields
    for key in ("client_name", "testing_fee", "total_amount", "provider_name"):
        assert fields[key].value == doc.truth["fields"][key], key
        assert fields[key].confidence >= 0.85, (key, fields[key].confidence)
