"""A signature written over a printed fill-in line (法定代表人（签字）：______) is found, and the same
line left blank is read as unsigned with confidence (issue 11).

Generated commitment letters of the developed ``underline_signoff`` family: 承诺单位（盖章）：____ /
法定代表人（签字）：____ on printed underlines, the block at the left or in the right half of the page,
the hand's lower strokes crossing the rule. The rule itself, the label and the date line under it
are print, never a signature. Real OCR (cached in fixtures/ocr).
"""
from __future__ import annotations

import pytest


from .conftest import read_commitment_letter

SEED = 2


def _read(signed: bool, left: float, label: str):
    fields, _ = read_commitment_letter("underline_signoff", SEED, f"underline-{signed}-{left}",
                                       signature_present=signed, block_left=left, sign_label=label)
    return fields["signature_present"]


@pytest.mark.parametrize("left,label", [(30.0, "法定代表人（签字）："), (104.0, "法定代表人或授权代表（签字）：")])
def test_a_signature_over_the_fill_in_line_is_found(left, label):
    got = _read(True, left, label)
    assert got.value is True and got.confidence >= 0.85


def test_a_blank_fill_in_line_is_unsigned_not_a_doubt():
    # the printed rule, the label and the date under it leave no ink that could be a hand: a
    # confident "unsigned" (signature.missing is an error), not a review
    got = _read(False, 104.0, "负责人（签名）：")
    assert got.value is False and got.confidence >= 0.85
