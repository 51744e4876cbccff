"""USCC (GB 32100) and resident ID (GB 11643) checks: examples, traps, and a property test."""
from __future__ import annotations

import random
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from intake.validation.formats import (USCC_ALPHABET, id_check_char, idno_problem, idno_valid, org_code_check_char,
                                       uscc_check_char, uscc_problem, uscc_valid, uscc_region)
from tests.corpus import ids as corpus_ids


def test_domain_examples_pass():
    for code in ("91110000600037341L", "91411000MA47M7QPXU", "914110237241033719"):
        assert uscc_valid(code), code
    for num in ("11010519491231002X", "440524188001010014"):
        assert idno_valid(num), num


def test_uscc_region():
    assert uscc_region("914110237241033719") == "411023"
    assert uscc_region("9141 1002MA3X") is None


def test_letter_authority_allowed_where_stdnum_rejects():
    first17 = "N2411002" + "MA3X4K5L" + org_code_check_char("MA3X4K5L")
    code = first17 + uscc_check_char(first17)
    assert uscc_valid(code)
    first17 = "Y1411002" + "12345678" + org_code_check_char("12345678")
    assert uscc_valid(first17 + uscc_check_char(first17))


def test_uscc_problems_map_to_rules():
    assert uscc_problem("91411000MA47M7QPXW")[0] == "uscc.checksum"  # final check char
    assert uscc_problem("91411000MA47M7QQXU")[0] == "uscc.checksum"  # inner GB 11714 check (pos 17)
    assert uscc_problem("91411000MA47M7QP")[0] == "schema.format"  # too short
    assert uscc_problem("91411000MA47M7QPXO")[0] == "schema.format"  # O is not in the alphabet
    assert uscc_problem("Z1411000MA47M7QPXU")[0] == "schema.format"
    assert uscc_problem("B1411000MA47M7QPXU")[0] == "uscc.checksum"  # B is no registration authority
    assert uscc_problem("9141 1000MA47M7QPXU") is None  # OCR spaces do not matter


def test_id_traps_that_stdnum_validate_gets_wrong():
    # 411003 建安区 for someone born before 2016, 411071 (statistical code only): lawful numbers.
    for region, birth in (("411003", "19800101"), ("411071", "19920512"), ("411025", "19900101")):
        first17 = region + birth + "123"
        assert idno_valid(first17 + id_check_char(first17))


def test_id_birth_date_checked():
    first17 = "41100219900230123"  # 30 February
    assert idno_problem(first17 + id_check_char(first17))[0] == "id.checksum"
    first17 = "41100230000101123"  # born in the future
    assert idno_problem(first17 + id_check_char(first17), as_of=date(2026, 1, 1))[0] == "id.checksum"
    assert idno_problem("4110021990030712")[0] == "schema.format"
    lower = "11010519491231002x"
    assert idno_problem(lower) is None  # lowercase x is read as X


def test_agrees_with_stdnum_check_digits_and_the_corpus_generator():
    rng = random.Random(7)
    for _ in range(300):
        code = corpus_ids.make_uscc(rng, rng.choice(["411002", "411081", "310110"]))
        assert uscc_valid(code)
        assert stdnum_uscc.calc_check_digit(code[:17]) == uscc_check_char(code[:17])
        num = corpus_ids.make_id_number(rng, "411002", date(1990, 3, 7), "男")
        assert idno_valid(num)
        assert stdnum_ric.calc_check_digit(num) == id_check_char(num[:17])


_body = st.text(alphabet=USCC_ALPHABET, min_size=8, max_size=8)
_region = st.sampled_from(["411002", "411003", "411023", "411081", "110101", "310110", "440305"])


@st.composite
def valid_usccs(draw):
    head = draw(st.sampled_from(["91", "92", "93", "12", "52", "N2", "Y1"]))
    while True:
        body = draw(_body)
        inner = org_code_check_char(body)
        if inner in USCC_ALPHABET:
            break
    first17 = head + draw(_region) + body + inner
    return first17 + uscc_check_char(first17)


@st.composite
def valid_idnos(draw):
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)))
    first17 = draw(st.sampled_from(["411002", "411023", "412601", "110105"])) + birth.strftime("%Y%m%d") + \
        draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    return first17 + id_check_char(first17)


@settings(max_examples=300, deadline=None)
@given(valid_usccs(), st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_valid_uscc_passes_and_any_single_change_fails(code, pos, ch):
    assert uscc_valid(code)
    if code[pos] == ch:
        return
    # 31 is prime and every weight is below it: any single substitution changes the check sum.
    assert not uscc_valid(code[:pos] + ch + code[pos + 1:])


@settings(max_examples=300, deadline=None)
@given(valid_idnos(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_valid_idno_passes_and_any_single_change_fails(num, pos, ch):
    assert idno_valid(num)
    if num[pos] == ch:
        return
    assert not idno_valid(num[:pos] + ch + num[pos + 1:])
