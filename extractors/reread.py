"""Second readings of one field's crop, for values the page-level OCR was unsure of.

Variants, cheapest first: the crop upscaled (same engine), upscaled and
binarized (Otsu; removes background tint and faint red), and the other engine
(Tesseract on the binarized crop). A reading counts when its normalizer
accepts it; a code whose check characters pass (certainty 1.0) beats one that
fails; otherwise the readings vote.
"""
from __future__ import annotations

import logging
from collections import Counter

import numpy as np
from PIL import Image, ImageOps

from .normalize import NORMALIZERS, compare_key

log = logging.getLogger(__name__)

TARGET_CHAR_PX = 44


def _crop(img: Image.Image, bbox, pad_x: float, pad_y: float) -> Image.Image:
    x0, y0, x1, y1 = bbox
    W, H = img.size
    box = (max(0, int(x0 - pad_x)), max(0, int(y0 - pad_y)), min(W, int(x1 + pad_x)), min(H, int(y1 + pad_y)))
    return img.crop(box)


def _prepare(crop: Image.Image, char_h: float) -> Image.Image:
    scale = max(1.0, min(4.0, TARGET_CHAR_PX / max(char_h, 1)))
    if scale > 1.05:
        crop = crop.resize((int(crop.width * scale), int(crop.height * scale)), Image.LANCZOS)
    return ImageOps.expand(crop.convert("RGB"), border=24, fill=(255, 255, 255))


def _binarize(img: Image.Image) -> Image.Image:
    import cv2

    arr = np.asarray(img.convert("RGB")).astype(np.int16)
    red = (arr[..., 0] - np.maximum(arr[..., 1], arr[..., 2])) > 50
    gray = arr.min(axis=2).astype(np.uint8)
    gray[red] = 255
    _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return Image.fromarray(bw).convert("RGB")


def _read(reader, engine: str, img: Image.Image) -> tuple[str, float]:
    lines = reader.read(img, engine=engine)
    if not lines:
        return "", 0.0
    # reading order: rows top to bottom, left to right
    lines = sorted(lines, key=lambda l: (round(((l.bbox[1] + l.bbox[3]) / 2) / max(1, (l.bbox[3] - l.bbox[1]))), l.bbox[0]))
    text = "".join(l.text for l in lines)
    n = sum(len(l.text) for l in lines) or 1
    conf = sum(l.confidence * len(l.text) for l in lines) / n
    return text, float(conf)


def reread_value(image: Image.Image, cand, spec: dict, engine_name: str, reader):
    """(value, certainty, confidence, description) of the best second reading, or None.

    `reader` is the `model.RegionReader` the caller passed to extraction."""
    norm = NORMALIZERS[spec.get("normalizer", "text")]
    x0, y0, x1, y1 = cand.bbox
    hs = [c.h for c in cand.chars] or [y1 - y0]
    char_h = float(np.median(hs))
    crop = _crop(image, cand.bbox, pad_x=0.6 * char_h, pad_y=0.3 * char_h)
    up = _prepare(crop, char_h)
    readings: list[tuple[str, float, float, str]] = []

    def attempt(engine, img, how):
        try:
            text, conf = _read(reader, engine, img)
        except Exception:
            log.exception("re-read with %s failed", how)
            return
        if not text:
            return
        if spec.get("strip"):
            for s in spec["strip"]:
                text = text.replace(s, "")
        # the crop may include a bit of the label: cut at the label's colon
        for sep in ("：", ":"):
            if sep in text and cand.label:
                text = text.split(sep, 1)[1]
        n = norm(text)
        if n is None or n.value in ("", None):
            return
        readings.append((n.value, n.certainty, conf, f"{how}:{text}"))

    eng = engine_name
    attempt(eng, up, "upscaled")
    if not readings or readings[-1][1] < 1.0 or not _agrees(readings[-1][0], cand.value):
        attempt(eng, _binarize(up), "binarized")
    need_other = not readings or all(r[1] < 1.0 for r in readings) or not all(_agrees(r[0], cand.value) for r in readings)
    if need_other:
        other = "tesseract" if engine_name != "tesseract" else "rapidocr"
        try:
            attempt(other, _binarize(up), other)
        except Exception:
            log.exception("other engine %s unavailable", other)
    if not readings:
        return None
    # codes whose checks pass win
    sure = [r for r in readings if r[1] >= 1.0 and r[1] > cand.certainty]
    if sure:
        votes = Counter(compare_key(r[0]) for r in sure)
        key, _ = votes.most_common(1)[0]
        r = max((r for r in sure if compare_key(r[0]) == key), key=lambda r: r[2])
        return r
    votes = Counter(compare_key(r[0]) for r in readings)
    votes[compare_key(cand.value)] += 1
    key, n = votes.most_common(1)[0]
    if key == compare_key(cand.value):
        r = max((r for r in readings if compare_key(r[0]) == key), key=lambda r: r[2], default=None)
        return r or (cand.value, cand.certainty, cand.confidence, "original")
    if n >= 2:
        r = max((r for r in readings if compare_key(r[0]) == key), key=lambda r: r[2])
        return r
    return (cand.value, cand.certainty, cand.confidence, "original")


def _agrees(a, b) -> bool:
    return compare_key(a) == compare_key(b)


def read_region(image: Image.Image, box, char_h: float, spec: dict, engine_name: str, reader):
    """(value, certainty, confidence, text) read from a region with red seal ink removed, or None.

    For a value the page-level reading lost entirely, typically under the applicant's seal
    stamped across it: the space right of its label is read again on its own."""
    from intake.imaging import remove_red

    norm = NORMALIZERS[spec.get("normalizer", "text")]
    crop = remove_red(_crop(image, box, pad_x=0, pad_y=0.2 * char_h).convert("RGB"))
    up = _prepare(crop, char_h)
    best = None
    for how, img in (("cell", up), ("cell-binarized", _binarize(up))):
        try:
            text, conf = _read(reader, engine_name, img)
        except Exception:
            log.exception("reading a blank value's region failed")
            continue
        for s in spec.get("strip", []):
            text = text.replace(s, "")
        text = text.strip("()（）[]【】 ")
        n = norm(text) if text else None
        if n is None or n.value in ("", None):
            continue
        if best is None or conf * n.certainty > best[2] * best[1]:
            best = (n.value, n.certainty, conf, f"{how}:{text}")
    return best


def crop_readings(image: Image.Image, bbox, char_h: float, normalizer: str, engine_name: str, reader,
                  label: str = "") -> list[tuple[str, float, str]]:
    """Every second reading of a value's crop: ``(value, confidence, how)`` for the crop upscaled,
    upscaled and binarized, and binarized through the other engine, each that its normalizer
    accepts.  Unlike `reread_value` nothing is chosen: the caller compares the readings with
    another document's (intake/reconcile.py)."""
    norm = NORMALIZERS[normalizer]
    crop = _crop(image, bbox, pad_x=0.6 * char_h, pad_y=0.3 * char_h)
    up = _prepare(crop, char_h)
    out: list[tuple[str, float, str]] = []
    other = "tesseract" if engine_name != "tesseract" else "rapidocr"
    for engine, img, how in ((engine_name, up, "upscaled"), (engine_name, _binarize(up), "binarized"),
                             (other, _binarize(up), other)):
        try:
            text, conf = _middle_row(reader.read(img, engine=engine), img.height)
        except Exception:  # the second engine may be missing: the other readings still count
            log.info("re-read with %s failed", how, exc_info=True)
            continue
        for sep in ("：", ":"):  # the crop may include the label's tail
            if sep in text and label:
                text = text.split(sep, 1)[1]
        n = norm(text) if text else None
        if n is not None and n.value not in ("", None):
            out.append((str(n.value), conf, f"{how}:{text}"))
    return out


def _middle_row(lines, height: int) -> tuple[str, float]:
    """The text of the row through the crop's middle (the value's own line), left to right: a
    padded crop of a skewed or tightly spaced page also catches the lines above and below."""
    if not lines:
        return "", 0.0
    mid = height / 2
    def dist(l):
        y0, y1 = l.bbox[1], l.bbox[3]
        return 0.0 if y0 <= mid <= y1 else min(abs(y0 - mid), abs(y1 - mid))
    best = min(lines, key=lambda l: (dist(l), -(l.bbox[2] - l.bbox[0])))
    b0, b1 = best.bbox[1], best.bbox[3]
    row = [l for l in lines if min(l.bbox[3], b1) - max(l.bbox[1], b0) > 0.5 * min(l.bbox[3] - l.bbox[1], b1 - b0)]
    row.sort(key=lambda l: l.bbox[0])
    text = "".join(l.text for l in row)
    n = sum(len(l.text) for l in row) or 1
    return text, float(sum(l.confidence * len(l.text) for l in row) / n)
