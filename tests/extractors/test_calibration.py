"""Confidence caps per (strategy, value type) (extractors/calibration.py, schemas/meta/calibration.json).

The document is a developed-family business license (seed 1, its page OCR in the committed cache,
as the goldens); the caps are files written here, so the behaviour does not move with the
measured built-in file.
"""
from __future__ import annotations

import json

import pytest

from extractors import calibration as cal
from extractors import extract_pages
from extractors.extract import explain
from intake.errors import SchemaError
from tests.corpus import generate_document
from tests.extractors.conftest import CachedReader, generated_pages


@pytest.fixture(scope="module")
def license_pages():
    doc = generate_document("business_license", seed=1, quality="scan", family="classic")
    assert doc.truth["split"] == "developed"
    return doc, generated_pages(doc)


def _extract(license_pages):
    _doc, (pages, images) = license_pages
    return extract_pages(pages, images, "license", reader=CachedReader())[0]


@pytest.fixture
def caps_file(tmp_path, monkeypatch):
    def write(*caps):
        p = tmp_path / "calibration.json"
        p.write_text(json.dumps({"caps": [dict(zip(("strategy", "value_type", "cap"), c)) for c in caps]}))
        monkeypatch.setenv(cal.ENV, str(p))
        cal.clear_cache()
        return p
    yield write
    cal.clear_cache()


def test_a_capped_pair_shows_at_most_its_cap_and_explain_says_why(license_pages, caps_file, monkeypatch):
    monkeypatch.setenv(cal.ENV, "off")
    cal.clear_cache()
    plain = _extract(license_pages)
    rep = plain.fields["legal_representative"]
    assert rep.confidence >= 0.98 and cal.strategy_key(rep.strategy) == "label"
    caps_file(("label", "person", 0.9))
    capped = _extract(license_pages)
    fv = capped.fields["legal_representative"]
    assert fv.value == rep.value and fv.confidence == 0.9
    assert any(n.startswith("calibrated:") and "capped at 0.90" in n for n in fv.notes)
    assert "note: calibrated:" in explain([capped])
    # only that pair: the organization name read by its label keeps what it was given
    assert capped.fields["name"].confidence == plain.fields["name"].confidence


def test_a_cap_never_raises_a_confidence(license_pages, caps_file, monkeypatch):
    monkeypatch.setenv(cal.ENV, "off")
    cal.clear_cache()
    plain = _extract(license_pages)
    caps_file(*[(s, t, 0.999) for s in ("label", "regex", "table", "seal", "seal_text", "qr")
                for t in ("person", "organization", "text", "uscc", "money", "date", "date_or_long", "bool")])
    again = _extract(license_pages)
    assert {k: fv.confidence for k, fv in again.fields.items()} == {
        k: min(fv.confidence, 0.999) for k, fv in plain.fields.items()}


def test_derive_caps_only_pairs_right_less_often_than_they_say():
    rows = ([{"strategy": "label", "value_type": "person", "confidence": 0.99, "ok": i < 9} for i in range(10)]
            + [{"strategy": "label+reread", "value_type": "money", "confidence": 0.985, "ok": True}] * 20
            + [{"strategy": "regex", "value_type": "uscc", "confidence": 0.9, "ok": False}] * 5  # not shown as certain
            + [{"strategy": "table", "value_type": "money", "confidence": 0.99, "ok": False}])  # too few to say
    assert cal.derive(rows) == [{"strategy": "label", "value_type": "person", "cap": 0.9, "given": 10, "right": 9}]
    # never at certainty: a pair right 97 times in 99 still goes below 0.98
    many = [{"strategy": "qr", "value_type": "money", "confidence": 1.0, "ok": i < 97} for i in range(99)]
    assert cal.derive(many)[0]["cap"] == 0.97


def test_strategy_keys_keep_the_reread_apart():
    assert cal.strategy_key("label+reread+reconciled") == "label+reread"
    assert cal.strategy_key("label+blank_reread") == "label"
    assert cal.strategy_key("qr") == "qr" and cal.strategy_key(None) == ""


def test_a_broken_or_missing_calibration_file_is_an_error_not_silence(tmp_path, monkeypatch):
    bad = tmp_path / "c.json"
    bad.write_text(json.dumps({"caps": [{"strategy": "label", "value_type": "person", "cap": 1.5}]}))
    for path in (bad, tmp_path / "missing.json"):
        monkeypatch.setenv(cal.ENV, str(path))
        cal.clear_cache()
        with pytest.raises(SchemaError, match=path.name):
            cal.caps()
    cal.clear_cache()


def test_the_builtin_file_is_well_formed_and_learnt_on_developed_families():
    data = json.loads(cal.builtin_path().read_text(encoding="utf-8"))
    assert "--split developed" in data["measured"]["command"]
    cal.clear_cache()
    for c in data["caps"]:
        assert 0 < c["cap"] < cal.CERTAIN and c["right"] < c["given"]
