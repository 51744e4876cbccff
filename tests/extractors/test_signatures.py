"""Signature presence beside the 法定代表人…签字 label, with and without a seal over it."""
from __future__ import annotations

import importlib.util
import os
import sys
from functools import lru_cache

import pytest
from PIL import Image

from extractors.seals import detect_seals
from extractors.signatures import detect_signature

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@lru_cache(maxsize=None)
def page(seed, quality="scan", seal=True, signature=True):
    spec = importlib.util.spec_from_file_location("bench_seals", os.path.join(ROOT, "bench", "seals.py"))
    mod = sys.modules.get("bench_seals")
    if mod is None:
        mod = importlib.util.module_from_spec(spec)
        sys.modules["bench_seals"] = mod
        spec.loader.exec_module(mod)
    return mod.synth_page(seed, quality, seal=seal, signature=signature, dpi=150)


def run(doc, region=None):
    img = doc.pages[0]
    dpi = doc.truth["dpi"]
    return detect_signature(img, dpi, region or doc.sig_region, detect_seals(img, dpi))


@pytest.mark.parametrize("quality", ["clean", "scan", "photo", "lowres", "gray"])
@pytest.mark.parametrize("signed", [True, False])
def test_signature_with_seal_over_it(quality, signed):
    doc = page(21 if signed else 22, quality, seal=True, signature=signed)
    present, conf = run(doc)
    if quality == "gray" and not signed and present is None:
        # A gray seal disc over an empty signature box leaves no evidence either
        # way: "not verifiable" (routed to review), never a signature.
        assert conf < 0.5
        return
    assert present is signed, (present, conf)
    assert conf >= 0.5


@pytest.mark.parametrize("signed", [True, False])
def test_signature_without_seal(signed):
    doc = page(23 if signed else 24, "scan", seal=False, signature=signed)
    present, conf = run(doc)
    assert present is signed
    assert conf >= 0.5


def test_printed_label_inside_region_is_not_a_signature():
    doc = page(25, "scan", seal=False, signature=False)
    x0, y0, x1, y1 = doc.sig_region
    # widen the region leftwards over half of the printed label and down over the date line
    present, _ = run(doc, (x0 - (x1 - x0) // 2, y0, x1, y1 + (y1 - y0)))
    assert present is False


def test_grayscale_seal_alone_does_not_read_as_signature():
    doc = page(26, "gray", seal=True, signature=False)
    present, _ = run(doc)
    assert present is not True


def test_cannot_tell_on_tiny_region_or_very_low_resolution():
    assert detect_signature(Image.new("RGB", (400, 400), "white"), 300, (10, 10, 14, 14), [])[0] is None
    small = Image.new("RGB", (200, 280), "white")  # an A4 page at ~24 dpi
    assert detect_signature(small, None, None, [])[0] is None


def test_blank_region_is_absent_with_confidence():
    present, conf = detect_signature(Image.new("RGB", (1240, 1754), (250, 250, 248)), 150, (600, 800, 1000, 900), [])
    assert present is False and conf >= 0.8
