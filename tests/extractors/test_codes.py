"""Check characters (GB 32100, GB 11714, GB 11643) and OCR repair."""
from __future__ import annotations

import random
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.codes import (USCC_ALPHABET, idno_check_char, idno_valid, org_code_check_char, repair_idno,
                              repair_uscc, uscc_check_char, uscc_inner_valid, uscc_valid)


def test_domain_examples():
    for s in ("91110000600037341L", "91411000MA47M7QPXU", "914110237241033719"):
        assert uscc_valid(s) and uscc_inner_valid(s)
    # the standard's own examples, including a birth year before the county code existed
    for s in ("11010519491231002X", "440524188001010014"):
        assert idno_valid(s)
    assert idno_valid("411003198001010019") or idno_check_char("41100319800101001") != "9"


def test_invalid():
    assert not uscc_valid("91411000MA47M7QPXV")  # V is not in the alphabet
    assert not uscc_valid("91411000MA47M7QPX")
    assert not idno_valid("110105194912310020")
    assert not idno_valid("110105194902310021")  # 31 Feb... no such birth date


def _make_uscc(rng: random.Random) -> str:
    while True:
        body = "".join(rng.choice(USCC_ALPHABET[:10] + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
        inner = org_code_check_char(body)
        if inner in USCC_ALPHABET:
            first = rng.choice(["91", "92", "12", "52"]) + rng.choice(["411002", "411000", "411081", "310110"]) + body + inner
            return first + uscc_check_char(first)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_uscc_generated_valid_and_repaired(seed):
    rng = random.Random(seed)
    u = _make_uscc(rng)
    assert uscc_valid(u)
    confusions = {"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B"}
    t = "".join(confusions.get(c, c) if rng.random() < 0.3 else c for c in u)
    r = repair_uscc(t)
    assert r is None or uscc_valid(r)
    if all(c in confusions.values() or c in "0123456789" for c in (t[i] for i in range(2, 8))):
        assert r in (u, None)


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)), st.integers(0, 999))
def test_idno_repair(birth, seq):
    first = f"411003{birth:%Y%m%d}{seq:03d}"
    s = first + idno_check_char(first)
    assert idno_valid(s)
    assert repair_idno(s[:8] + s[8:14].replace("0", "O", 1).replace("1", "l", 1) + s[14:]) == s
    assert repair_idno(s[:6] + " " + s[6:]) == s
