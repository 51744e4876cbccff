"""A two-column sign-off (unit's block left, signer's block right, a date line under each) is read
whatever the signer's label says and wherever the hand went (issue 11).

Generated commitment letters of the developed ``two_column_signoff`` family: 法定代表人（签章）/
授权代表（签字）/ 负责人（签名）, the signature beside the label, on the blank line under it (above its
date line) or across the line over it, the seal now and then over the signature. The same sheet
unsigned stays unsigned, so a missing signature is still detected. Real OCR (cached in fixtures/ocr).
"""
from __future__ import annotations

import pytest


from .conftest import read_commitment_letter

SEED = 2


def _read(place: str, label: str, signed: bool = True, seal_over: bool = False):
    return read_commitment_letter("two_column_signoff", SEED, f"twocol-{place}-{signed}", sign_place=place,
                                  sign_label=label, seal_over_signature=seal_over, signature_present=signed)


@pytest.mark.parametrize("place,label,seal_over", [
    ("beside", "法定代表人（签章）：", False),
    ("under", "授权代表（签字）：", False),
    ("over", "负责人（签名）：", True),
])
def test_a_signature_in_the_signers_column_is_found(place, label, seal_over):
    got, truth = _read(place, label, seal_over=seal_over)
    assert truth["signature_present"] is True
    assert got["signature_present"].value is True and got["signature_present"].confidence >= 0.7
    # the rest of the sign-off is read too: the unit's name under its seal, the date
    assert got["signed_on"].value == truth["signed_on"]
    assert got["organization_name"].value == truth["organization_name"]


def test_an_unsigned_two_column_sheet_is_read_as_unsigned():
    got, _ = _read("under", "法定代表人（签字）：", signed=False)
    assert got["signature_present"].value is False
    assert got["signature_present"].confidence >= 0.85  # confident: a rejection, not a review
