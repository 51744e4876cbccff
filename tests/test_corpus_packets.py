"""Packets pass ``split=`` / ``family=`` through to their documents' layout families."""
from __future__ import annotations

import pytest

from tests.corpus import packets

families = pytest.importorskip("tests.corpus.families")


def _truth_only(doc_type, v, seed, quality="clean", container=None, family=None, split=None):
    """render_values without drawing pages: what the packet asked for is what we check."""
    from types import SimpleNamespace
    from tests.corpus.documents import pick_family
    return SimpleNamespace(type=doc_type, truth={"type": doc_type, "family": pick_family(doc_type, seed, family, split)},
                           suffix=".png")


@pytest.fixture
def no_rendering(monkeypatch):
    monkeypatch.setattr(packets, "render_values", _truth_only)


@pytest.mark.parametrize("split", ["developed", "held_out"])
def test_split_picks_each_document_family_from_that_split(no_rendering, split):
    for kind in packets.KINDS:
        for seed in range(3):
            p = packets.generate_packet(kind, seed, split=split)
            assert p.truth["split"] == split
            for d in p.documents:
                assert d.truth["family"] in families.families(d.type, split), (d.type, d.truth["family"])
                assert p.truth["families"][d.type] == d.truth["family"]


def test_held_out_documents_use_the_held_out_family(no_rendering):
    p = packets.generate_packet(packets.MEMBERSHIP, 1, split="held_out")
    for d in p.documents:
        assert d.truth["family"] == families.held_out(d.type)


def test_series_carry_the_split(no_rendering):
    series = packets.generate_packet_series(packets.VOUCHER, 2, "voucher.cap_exceeded", split="held_out")
    assert all(p.truth["split"] == "held_out" for p in series)


def test_family_forces_one_family_and_defaults_stay_classic(no_rendering):
    p = packets.generate_packet(packets.MEMBERSHIP, 0, family="classic")
    assert {d.truth["family"] for d in p.documents} == {"classic"}
    plain = packets.generate_packet(packets.MEMBERSHIP, 0)
    assert "split" not in plain.truth and "families" not in plain.truth


def test_a_rendered_held_out_packet_records_its_families():
    p = packets.generate_packet(packets.VOUCHER, 0, split="held_out", quality="clean")
    assert p.truth["split"] == "held_out"
    assert all(d.truth.get("family") == families.held_out(d.type) for d in p.documents)
