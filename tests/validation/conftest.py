"""Fixtures shared by the validation tests that decide generated packets from their truth."""
from __future__ import annotations

from types import SimpleNamespace

import pytest


def _truth_only(doc_type, v, seed, quality="clean", container=None, **_):
    """Stands in for render_values: the same truth, without drawing a page."""
    from tests.corpus.documents import LAYOUTS

    layout = LAYOUTS[doc_type]
    truth = {"type": doc_type, "pages": [1], "fields": layout.fields(v)}
    if hasattr(layout, "extra"):
        truth["extra"] = layout.extra(v)
    return SimpleNamespace(type=doc_type, truth=truth, suffix=".png")


@pytest.fixture
def no_rendering(monkeypatch):
    """Generated packets carry their truth fields but no page is drawn (decisions from truth)."""
    packets = pytest.importorskip("tests.corpus.packets")
    monkeypatch.setattr(packets, "render_values", _truth_only)
