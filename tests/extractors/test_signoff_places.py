"""A signature is found where people sign, not only right of the 签字 label (issue 11).

Generated commitment letters of the developed ``stacked_signoff`` family: the signer wrote under
the label, across its line from above (with the seal stamped over the signature), or at the far
end of the line. Each is read as signed; the same sheet with no signature, the seal where the
signature would be, is read as unsigned. Real OCR (cached in fixtures/ocr).
"""
from __future__ import annotations

import pytest

from extractors import extract_pages
from tests.corpus.documents import build_values, render_values

from .conftest import generated_pages, read_commitment_letter

SEED = 3


def _read(place: str, signed: bool = True, seal_over: bool = False):
    fields, truth = read_commitment_letter("stacked_signoff", SEED, f"stacked-{place}-{signed}", sign_place=place,
                                           seal_over_signature=seal_over, signature_present=signed)
    return fields["signature_present"], truth


@pytest.mark.parametrize("place,seal_over", [("under", False), ("over", True), ("far_right", False)])
def test_a_signature_off_the_label_line_is_found(place, seal_over):
    got, truth = _read(place, seal_over=seal_over)
    assert truth["signature_present"] is True
    assert got.value is True and got.confidence >= 0.7


def test_no_signature_is_still_read_as_none_with_the_seal_where_it_would_be():
    got, _ = _read("over", signed=False, seal_over=True)
    assert got.value is False


def _letter_with_the_label_under_the_seal():
    """The seal stamped over the signature and its label (seed 1): OCR loses the label's line, and
    the only 签字 left is inside the body's 签字并加盖公章之日起生效."""
    from tests.corpus import generate_document

    doc = generate_document("commitment_letter", seed=1, quality="scan", family="stacked_signoff")
    assert doc.truth["fields"]["signature_present"] is True
    return generated_pages(doc)


def test_a_signature_whose_label_the_seal_covers_is_found_beside_the_seal():
    """The seal marks the sign-off: the hand beside it is the signature, trusted, though below a
    reading that saw the label naming the signer."""
    pages, images = _letter_with_the_label_under_the_seal()
    got = extract_pages(pages, images, "stacked-seal-over-label")[0].fields["signature_present"]
    assert got.value is True and 0.85 <= got.confidence <= 0.9
    assert "signed beside the seal" in " ".join(got.notes)


def test_a_blank_beside_a_word_in_running_text_is_no_evidence_of_a_missing_signature():
    """The same page as read, with the hand erased (the dark ink in the seal's band; the red seal
    stays): no label, no hand beside the seal. Nothing says where the signature would be, so
    "unsigned" goes to review (below 0.85), never to a rejection."""
    import numpy as np
    from PIL import Image

    from extractors.seals import detect_seals

    pages, images = _letter_with_the_label_under_the_seal()
    page, image = pages[-1], images[-1].convert("RGB")
    arr = np.asarray(image).copy()
    for seal in detect_seals(image, page.dpi):
        x0, y0, x1, y1 = seal.bbox
        band = arr[y0:y1, :]
        rgb = band.astype(int)
        dark = (rgb.min(axis=2) < 140) & (rgb[..., 0] - np.maximum(rgb[..., 1], rgb[..., 2]) < 40)
        band[dark] = 250
    images = list(images[:-1]) + [Image.fromarray(arr)]
    got = extract_pages(pages, images, "stacked-seal-over-label-unsigned")[0].fields["signature_present"]
    assert got.value is False and got.confidence < 0.85
    assert "found only inside running text" in " ".join(got.notes)


def test_a_signature_at_the_far_end_that_ocr_read_as_characters_is_found():
    """The developed membership packet's letter (seed 0): OCR read the far-right signature as three
    tall characters on the label's row; they are the hand, not another block's print."""
    from tests.corpus.packets import generate_packet_series

    series = generate_packet_series("membership_application", 0, None, "scan", split="developed")
    doc = next(g for g in series[-1].documents if g.truth["type"] == "commitment_letter")
    assert doc.truth["family"] == "stacked_signoff" and doc.truth["fields"]["signature_present"] is True
    pages, images = generated_pages(doc)
    got = extract_pages(pages, images, "packet-letter")[0].fields["signature_present"]
    assert got.value is True and got.confidence >= 0.85


def _hand_read_with_its_label(pages, images):
    """The classic letter's pages as OCR reads a neat hand on the label's line: one line, the label and
    the name, every character's box the line's height (what RapidOCR gave on a flush-right sign-off,
    法定代表人（签字）：刘健军 in one 129 px line over 65 px print)."""
    import numpy as np
    from dataclasses import replace

    from intake.model import Line, Word

    out = []
    for k, page in enumerate(pages):
        lines = list(page.lines)
        for i, ln in enumerate(lines):
            if "签字" not in ln.text or not ln.text.rstrip().endswith(("：", ":")):
                continue
            h = ln.bbox[3] - ln.bbox[1]
            arr = np.asarray(images[k].convert("RGB")).astype(np.int16)
            x0, y0, y1 = ln.bbox[2] + 2, max(0, ln.bbox[1] - 3 * h), ln.bbox[3] + h
            crop = arr[y0:y1, x0:min(arr.shape[1], x0 + 30 * h)]
            ink = (crop.min(axis=2) < 110) & ((crop[..., 0] - np.maximum(crop[..., 1], crop[..., 2])) < 40)
            ys, xs = np.nonzero(ink)
            assert len(xs), "the generated letter is signed beside its label"
            hand = (x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()), y0 + int(ys.max()))
            top, bottom = min(ln.bbox[1], hand[1]), max(ln.bbox[3], hand[3])
            words = tuple(replace(w, bbox=(w.bbox[0], top, w.bbox[2], bottom)) for w in ln.words)
            step = (hand[2] - hand[0]) // 3
            words += tuple(Word(c, (hand[0] + j * step, top, hand[0] + (j + 1) * step, bottom), 0.9)
                           for j, c in enumerate("刘健军"))
            lines[i] = Line(ln.text + "刘健军", (ln.bbox[0], top, hand[2], bottom), 0.96, words)
        out.append(replace(page, lines=tuple(lines)))
    return out


def test_a_hand_read_as_text_on_its_labels_line_is_still_a_signature():
    v = build_values("commitment_letter", 4)
    doc = render_values("commitment_letter", v, 4, "scan", family="classic")
    pages, images = generated_pages(doc)
    merged = _hand_read_with_its_label(pages, images)
    assert merged != pages
    [got] = extract_pages(merged, images, "hand-read-as-text")
    sig = got.fields["signature_present"]
    assert sig.value is True and sig.confidence >= 0.85
