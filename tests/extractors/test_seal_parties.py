"""A contract's party seals where the seal is stamped over its own sign-off label.

The seal covers 甲方（盖章） / 乙方（盖章） so that OCR does not read the label, and the party's name is then
found only in running text (…甲方所有, 乙方对甲方…), whose neighbourhood holds no seal. That is no
evidence of a missing seal: the seals on the page are shown as present, for a reviewer to confirm,
never "no seal" (which rejects a valid contract). Generated contracts of the developed classic family.
"""
from __future__ import annotations

from extractors import extract_pages
from tests.corpus.documents import generate_document

from .conftest import generated_pages

SURE = 0.85  # schemas/service_contract.json x-review confidence_threshold
SEALS = ("client_seal_present", "provider_seal_present")


def _read(**overrides):
    doc = generate_document("service_contract", 1015, "scan", family="classic", **overrides)
    assert doc.truth["split"] == "developed"
    pages, images = generated_pages(doc)
    [got] = extract_pages(pages, images, "contract")
    return doc.truth["fields"], got


def test_seals_over_their_unread_sign_off_labels_are_present_for_review():
    truth, got = _read()
    assert [truth[k] for k in SEALS] == [True, True]
    for k in SEALS:
        f = got.fields[k]
        assert f.value is True
        if any("not read" in n for n in f.notes):
            assert f.confidence < SURE  # a reviewer confirms it; no rejection either way


def test_a_contract_without_seals_is_still_read_as_unsealed_and_surely():
    truth, got = _read(client_seal_present=False, provider_seal_present=False)
    assert [truth[k] for k in SEALS] == [False, False]
    for k in SEALS:
        f = got.fields[k]
        assert (f.value, f.confidence >= SURE) == (False, True)
