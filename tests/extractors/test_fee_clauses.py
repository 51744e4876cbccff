"""A contract's fee where the MOST model text states it: in the payment article, beside its instalments.

Generated contracts of the developed ``payment_schedule`` family, one for each way the article is
worded (tests/corpus/layouts/service_contract.py): the fee is read exactly and with confidence, not
taken from an instalment, from the telephone number beside the provider's name (河南…检验检测研究院
reads like the label 检验检测费 with one character different) or cut at a thousands separator read as
the Chinese comma (8，480.00).
"""
from __future__ import annotations

import pytest

from extractors import extract_pages
from extractors.money import parse_money_number
from tests.corpus.documents import build_values, render_values

from .conftest import generated_pages

STYLES = ("total_words", "words_first", "fee_sentence", "percent_lines")
SURE = 0.85  # schemas/service_contract.json x-review confidence_threshold


@pytest.mark.parametrize("style", STYLES)
def test_the_fee_of_the_payment_article_is_read_exactly_and_surely(style):
    v = build_values("service_contract", 2)
    v["pay_style"] = style
    doc = render_values("service_contract", v, 2, "scan", family="payment_schedule")
    assert doc.truth["split"] == "developed"
    pages, images = generated_pages(doc)
    [got] = extract_pages(pages, images, f"contract-{style}")
    assert got.type == "service_contract"
    truth = doc.truth["fields"]
    fee = got.fields["testing_fee"]
    assert (fee.value, fee.confidence >= SURE) == (truth["testing_fee"], True)
    total = got.fields.get("total_amount")
    if "total_amount" in truth:
        assert total is not None and total.value == truth["total_amount"]
    else:  # "检测费用共计…": no contract total printed, none made up
        assert total is None or total.value is None


@pytest.mark.parametrize("raw", ["联系方式：0374-5829287", "0371-65502345", "2026-02-01"])
def test_a_telephone_number_or_a_date_is_no_amount(raw):
    assert parse_money_number(raw) is None


@pytest.mark.parametrize("raw,value", [("¥3,180.00元", "3180.00"), ("0.50元", "0.50"), ("人民币8,480.00元整", "8480.00"),
                                       ("500万元", "5000000")])
def test_amounts_still_read(raw, value):
    assert str(parse_money_number(raw)) == value
