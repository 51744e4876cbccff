"""Seal detection: real samples, synthetic seals in colour and grayscale, red print that is not a seal."""
from __future__ import annotations

import importlib.util
import os
import sys
from functools import lru_cache

import numpy as np
import pytest
from PIL import Image, ImageDraw

from extractors.seals import (
    detect_seals,
    is_invoice_supervision_seal,
    read_seal_text,
    seal_verifiability,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = "/work/shared/samples"


def bench():
    spec = importlib.util.spec_from_file_location("bench_seals", os.path.join(ROOT, "bench", "seals.py"))
    mod = sys.modules.get("bench_seals")
    if mod is None:
        mod = importlib.util.module_from_spec(spec)
        sys.modules["bench_seals"] = mod
        spec.loader.exec_module(mod)
    return mod


@lru_cache(maxsize=None)
def page(seed, quality="scan", seal=True, signature=True, extra_red=None):
    return bench().synth_page(seed, quality, seal=seal, signature=signature, dpi=150, extra_red=extra_red)


def iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])
    return inter / (area(a) + area(b) - inter)


def sample(path):
    full = os.path.join(SAMPLES, path)
    if not os.path.exists(full):
        pytest.skip(f"{full} not present")
    im = Image.open(full)
    im.load()
    return im


# --------------------------------------------------------------------------- real samples
@pytest.mark.parametrize(
    "path,count",
    [
        ("seals/contract_two_seals.jpg", 2),
        ("seals/certificate_seal_photo.jpg", 1),
        ("seals/no_seal_screenshot.png", 0),
        # README says "several"; one round seal is visible, the rest of the form is blurred
        ("seals/form_several_seals.png", 1),
        # the tax bureau's printed oval 发票监制章 at the top plus the seller's 发票专用章
        ("invoices/vat_special_test_specimen_scan.jpg", 1),
        ("invoices/vat_normal_phone_photo.jpg", 2),
        ("invoices/vat_special_phone_photo.jpg", 2),
        ("invoices/e_invoice_render.png", 2),
    ],
)
def test_real_samples_count(path, count):
    im = sample(path)
    seals = detect_seals(im, None)  # dpi unknown: estimated assuming A4
    assert len(seals) == count, seals
    for s in seals:
        assert s.color == "red"
        assert 0 < s.confidence <= 1


def test_real_contract_seal_positions():
    seals = detect_seals(sample("seals/contract_two_seals.jpg"), None)
    (a, b) = sorted(seals, key=lambda s: s.bbox[0])
    assert a.shape == "round" and iou(a.bbox, (88, 507, 186, 606)) > 0.7
    assert b.shape == "oval" and iou(b.bbox, (303, 529, 404, 604)) > 0.6


def test_real_invoice_seals_are_oval_and_supervision_seal_is_recognised():
    im = sample("invoices/vat_normal_phone_photo.jpg")
    seals = detect_seals(im, None)
    assert all(s.shape == "oval" for s in seals)
    kinds = sorted(is_invoice_supervision_seal(s, im.size) for s in seals)
    assert kinds == [False, True]


def test_brown_invoice_table_and_title_are_not_seals():
    # the e-invoice prints its title and table in brown/red ink: only the two seals count
    im = sample("invoices/e_invoice_render.png")
    seals = detect_seals(im, None)
    for s in seals:
        x0, y0, x1, y1 = s.bbox
        assert (x1 - x0) < 0.25 * im.width and (y1 - y0) < 0.3 * im.height


# --------------------------------------------------------------------------- synthetic
@pytest.mark.parametrize("seed,quality", [(1, "clean"), (2, "scan"), (3, "photo"), (4, "lowres")])
def test_synthetic_colour_seal_found(seed, quality):
    doc = page(seed, quality, seal=True)
    seals = detect_seals(doc.pages[0], doc.truth["dpi"])
    truth = [t["bbox"] for t in doc.truth["seals"]]
    assert len(seals) == len(truth)
    for t in truth:
        best = max(seals, key=lambda s: iou(s.bbox, t))
        assert iou(best.bbox, t) > 0.7
        assert best.color == "red"
    assert any(s.shape == "round" and s.confidence >= 0.7 for s in seals)


def test_synthetic_grayscale_seal_found_as_gray():
    doc = page(5, "gray", seal=True)
    img = doc.pages[0]
    assert seal_verifiability(img) == "gray"
    seals = detect_seals(img, doc.truth["dpi"])
    assert len(seals) == len(doc.truth["seals"]) >= 1
    assert all(s.color == "gray" for s in seals)
    assert iou(seals[0].bbox, doc.truth["seals"][0]["bbox"]) > 0.7


def test_grayscale_without_seal_is_not_verifiable_rather_than_missing():
    doc = page(6, "gray", seal=False)
    img = doc.pages[0]
    assert detect_seals(img, doc.truth["dpi"]) == []
    assert seal_verifiability(img) == "gray"  # caller reports "seal not verifiable (grayscale scan)"


def test_verifiability_colour_none():
    doc = page(7, "scan", seal=False)
    assert seal_verifiability(doc.pages[0]) == "color"
    assert seal_verifiability(Image.new("RGB", (800, 1100), "white")) == "none"
    assert seal_verifiability(doc.pages[0].convert("1")) == "none"


@pytest.mark.parametrize("seed", [11, 12, 13, 14])
def test_red_print_is_not_a_seal(seed):
    # red title or red underline, brown/red table rules and text, no seal
    doc = page(seed, "scan", seal=False, extra_red=True)
    assert detect_seals(doc.pages[0], doc.truth["dpi"]) == []


def test_red_title_and_filled_red_shapes_are_not_seals():
    from tests.corpus.fonts import font

    dpi = 150
    px = lambda mm: int(mm * dpi / 25.4)
    im = Image.new("RGB", (px(210), px(297)), "white")
    d = ImageDraw.Draw(im)
    d.text((px(30), px(20)), "营业执照", font=font("song_bold", px(22)), fill=(210, 30, 40))
    d.text((px(40), px(120)), "合同", font=font("hei_bold", px(30)), fill=(200, 30, 45))  # square-ish red text
    d.ellipse([px(120), px(200), px(160), px(240)], fill=(220, 40, 50))  # filled red disc (a logo)
    d.rectangle([px(30), px(250), px(180), px(262)], fill=(200, 40, 50))  # red banner
    assert detect_seals(im, dpi) == []


def test_square_name_stamp():
    from tests.corpus.canvas import Page
    from tests.corpus.fonts import font

    dpi = 200
    p = Page(210, 297, dpi)
    p.wrap(25, 50, 160, "本单位自愿申请成为许昌市科技文献资源共享平台机构用户" * 6, size=12)
    s = p.px(18)
    img = Image.new("L", (s, s), 0)
    d = ImageDraw.Draw(img)
    d.rectangle([2, 2, s - 3, s - 3], outline=255, width=p.px(1.0))
    f = font("song_bold", int(s * 0.38))
    for i, ch in enumerate("张伟之印"):
        d.text((s * (0.72 if i < 2 else 0.28), s * (0.3 if i % 2 == 0 else 0.7)), ch, font=f, fill=255, anchor="mm")
    bb = p.stamp(np.asarray(img, dtype=np.float32) / 255 * 0.9, (210, 35, 45), 120, 150)
    seals = detect_seals(p.img, dpi)
    assert len(seals) == 1
    assert seals[0].shape == "square" and seals[0].confidence < 0.7
    assert iou(seals[0].bbox, bb) > 0.7


@pytest.mark.parametrize("doc_type,seed,quality", [
    ("commitment_letter", 2, "scan"), ("authorization_letter", 1, "photo"), ("business_license", 3, "scan"),
])
def test_seal_text_read_along_upper_arc(doc_type, seed, quality):
    """Seal text at a real scan's resolution (300 dpi), read by polar unwrap."""
    from tests.corpus import generate_document

    doc = generate_document(doc_type, seed=seed, quality=quality)
    truth = doc.truth["seals"][0]
    img = doc.pages[truth["page"] - 1]
    seals = detect_seals(img, doc.truth["dpi"], truth["page"])
    best = max(seals, key=lambda s: iou(s.bbox, truth["bbox"]))
    from intake.reader import EngineReader

    text = read_seal_text(img, best, EngineReader())
    common = sum(1 for ch in set(truth["text"]) if ch in text)
    assert common >= 0.85 * len(set(truth["text"])), (text, truth["text"])

def test_a_seal_cut_by_the_page_edge_is_found():
    """The half of a cross-page seal (骑缝章) on a two-page contract's first page."""
    from tests.corpus import generate_document

    doc = generate_document("service_contract", seed=5084, quality="scan", seal=True)
    edge = [s for s in doc.truth["seals"] if s["page"] == 1]
    assert edge and edge[0]["bbox"][2] >= doc.pages[0].width - 1  # the generator cut it at the edge
    found = detect_seals(doc.pages[0], doc.truth["dpi"])
    assert any(iou(s.bbox, tuple(edge[0]["bbox"])) > 0.6 for s in found)
