"""Reviewer input goes through the schema's own normalizer (review/normalizing.py)."""
from __future__ import annotations

import pytest

from review.normalizing import NotNormalizable, input_normalizer, normalize_input
from review.schema_info import doc_type


@pytest.mark.parametrize("dtype, key, typed, stored", [
    ("invoice", "issued_on", "2026年11月27日", "2026-11-27"),
    ("invoice", "total", "¥10,600.00", "10600.00"),
    ("invoice", "total_in_words", "壹万零陆佰元整", "10600.00"),
    ("invoice", "total_in_words", "10600", "10600.00"),  # 大写 field, typed in figures
    ("business_license", "term_end", "长期", "长期"),
    ("business_license", "term_end", "2035.06.01", "2035-06-01"),
    ("business_license", "uscc", " 91411000ma47m7qpxu ", "91411000MA47M7QPXU"),
    ("id_card", "id_number", "11010519491231002x", "11010519491231002X"),
    ("service_contract", "contract_number", " xc-2026 01 ", "XC-202601"),
    ("application_form", "mobile", "138 0000 1234", "13800001234"),
    ("business_license", "legal_representative", "John Smith", "John Smith"),  # kept: no such reading
])
def test_typed_values_are_stored_as_ocr_output_would_be(dtype, key, typed, stored):
    assert normalize_input(doc_type(dtype).info(key), typed) == stored


@pytest.mark.parametrize("dtype, key, typed, expected", [
    ("invoice", "issued_on", "下周", "YYYY-MM-DD"),
    ("business_license", "term_end", "永远", "长期"),
    ("invoice", "total", "面议", "12345.00"),
    ("business_license", "uscc", "9141", "18 位"),
    ("application_form", "mobile", "12345", "11 位"),
    ("invoice", "invoice_code", "abc", "数字"),
])
def test_unreadable_values_are_refused_with_the_expected_form(dtype, key, typed, expected):
    with pytest.raises(NotNormalizable) as err:
        normalize_input(doc_type(dtype).info(key), typed)
    assert expected in err.value.message


def test_every_schema_field_has_a_known_input_normalizer_or_none():
    from extractors.normalize import NORMALIZERS

    for dtype in ("business_license", "id_card", "invoice", "service_contract", "bank_receipt",
                  "application_form", "commitment_letter", "authorization_letter"):
        for f in doc_type(dtype).ordered():
            name = input_normalizer(f)
            assert name is None or name in NORMALIZERS, (dtype, f.key)
            if f.format in ("date", "money", "date-or-long"):
                assert name in ("date", "money", "date_or_long"), (dtype, f.key, name)
