"""Handwritten signature presence in a region, without a model.

1. Seal ink is blanked first: red pixels in colour scans; in grayscale scans the
   discs of the detected seals lose everything lighter than pen/toner black, and
   mid-gray ink anywhere is not counted (an undetected gray seal would otherwise
   read as a signature).
2. Ruled lines (underlines, table rules) are removed by morphological opening with
   long horizontal/vertical kernels.
3. The remaining dark ink is grouped into blobs (strokes joined over ~0.8 mm).
   Printed labels (`法定代表人或企业负责人签字：`, a date line) form blobs of one
   height (body text 3-5 mm) whose strokes run horizontally/vertically; handwriting
   forms taller, irregular blobs with slanted, curved strokes.

Returns (present, confidence); present is None when the region cannot be judged
(too small, too low a resolution, or mostly covered by a grayscale seal).
"""
from __future__ import annotations

import math
import os

import cv2
import numpy as np
from PIL import Image

from intake.model import Seal

from .seals import _to_rgb, estimate_dpi, faint_red_mask, is_grayscale, red_mask, seal_ellipse

__all__ = ["detect_signature", "signature_features"]

_DEBUG = bool(os.environ.get("SEAL_DEBUG"))

PRINT_MAX_MM = 5.6  # blobs up to this height can be body print (10.5-14 pt)
HAND_MIN_MM = 6.0  # a blob this tall is not body text
# Handwriting ink (mm²) past which more ink adds no certainty: about one signed character 8 mm tall.
# Measured on developed commitment-letter families (scan, 77 signed, 28 unsigned): unsigned sign-offs
# give no tall blob at all, and a signed two-character name half under a seal keeps 8-12 mm², which a
# saturation at 25 mm² (two or three characters) left below the review threshold.
HAND_INK_SURE_MM2 = 12.0


def _axis_share(ink: np.ndarray) -> float:
    """Share of the ink's edge energy whose direction is horizontal or vertical (print-like)."""
    f = cv2.GaussianBlur(ink.astype(np.float32), (0, 0), 1.0)
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.hypot(gx, gy)
    strong = mag > (mag.max() * 0.2 if mag.max() > 0 else 1)
    if strong.sum() < 20:
        return 1.0
    ang = np.degrees(np.arctan2(gy[strong], gx[strong])) % 90.0
    near = (ang < 12) | (ang > 78)
    w = mag[strong]
    return float((w * near).sum() / w.sum())


def _blank_seals(gray: np.ndarray, rgb: np.ndarray | None, seals, offset, gray_page: bool, px_mm: float) -> tuple[np.ndarray, float]:
    """Blank seal ink; returns the cleaned gray crop and the share of it covered by seal discs."""
    g = gray.copy()
    h, w = g.shape
    covered = np.zeros((h, w), bool)
    if rgb is not None and not gray_page:
        red = red_mask(rgb) | faint_red_mask(rgb, px_mm)
        red = cv2.dilate(red, np.ones((3, 3), np.uint8))
        g[red > 0] = 255
    ox, oy = offset
    for s in seals or ():
        cx, cy, a, b = seal_ellipse(s)
        cx, cy = cx - ox, cy - oy
        if cx + a < 0 or cy + b < 0 or cx - a > w or cy - b > h:
            continue
        disc = np.zeros((h, w), np.uint8)
        cv2.ellipse(disc, ((float(cx), float(cy)), (float(2 * a * 1.04), float(2 * b * 1.04)), 0.0), 255, -1)
        d = disc > 0
        covered |= d
        if gray_page or s.color == "gray":
            # keep only pen/toner black inside a gray seal
            g[d & (g > 75)] = 255
    return g, float(covered.mean())


def _paper_level(gray: np.ndarray, px_mm: float) -> np.ndarray:
    """The paper's brightness around every pixel: a max filter wider than any pen stroke (3 mm),
    smoothed. A photo's shadow, a toner copy's gray cast or a tinted form darken the paper locally;
    one threshold for the whole crop would read a shadowed corner as ink or miss strokes in it."""
    k = max(3, int(3 * px_mm) | 1)
    bg = cv2.dilate(gray, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return cv2.GaussianBlur(bg, (0, 0), max(1.0, 1.5 * px_mm)).astype(np.int16)


def signature_features(gray: np.ndarray, px_mm: float, gray_page: bool, printed: np.ndarray | None = None) -> dict:
    """Ink blobs and their print/handwriting statistics in a cleaned gray crop.

    ``printed`` (bool, the crop's shape) marks the OCR'd printed characters: their ink still joins
    a blob (a hand that crosses the label's line keeps its full height), but a blob's handwriting
    measures (its own ink, its stroke directions) count only the ink outside them, so print merged
    with a signature does not make it look printed, and print alone is no ink at all."""
    if not gray.size:
        return {"ink": np.zeros((0, 0), np.uint8), "ink_mm2": 0.0, "blobs": []}
    paper = _paper_level(gray, px_mm)
    thr = np.minimum(paper - 60, 100 if gray_page else 150)
    ink = (gray.astype(np.int16) < thr).astype(np.uint8) * 255
    # remove ruled lines: long straight horizontal / vertical runs
    L = max(10, int(8 * px_mm))
    lines = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (L, 1)))
    lines |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, L)))
    if lines.any():
        ink = cv2.bitwise_and(ink, cv2.bitwise_not(cv2.dilate(lines, np.ones((3, 3), np.uint8))))
    # drop specks (scan noise, dust)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(ink, 8)
    min_area = max(3, int(0.08 * px_mm * px_mm))
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    ink = (keep[lab]).astype(np.uint8) * 255
    own = ink > 0
    if printed is not None and printed.shape == ink.shape:
        own &= ~printed
    ink_mm2 = float(own.sum()) / (px_mm * px_mm)
    # blobs: strokes joined over ~0.8 mm
    k = max(3, int(round(0.8 * px_mm)) | 1)
    joined = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(joined, 8)
    blobs = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        hm, wm = (h - k + 1) / px_mm, (w - k + 1) / px_mm
        if hm < 1.2:
            continue  # a flat sliver (what a removed ruling leaves where strokes crossed it): no hand alone
        sub = (lab[y:y + h, x:x + w] == i) & own[y:y + h, x:x + w]
        n_own = int(sub.sum())
        if printed is not None and n_own < 1.0 * px_mm * px_mm:
            continue  # printed characters only (the OCR read them)
        blobs.append({"x": int(x), "y": int(y), "w": int(w), "h": int(h), "h_mm": hm, "w_mm": wm,
                      "ink": n_own, "axis": _axis_share(sub)})
    return {"ink": ink, "ink_mm2": ink_mm2, "blobs": blobs}


def _classify(feat: dict, px_mm: float) -> tuple[bool, float, dict]:
    blobs = feat["blobs"]
    if feat["ink_mm2"] < 2.0 or not blobs:
        return False, 0.92, {"reason": "no ink"}
    heights = np.array([b["h_mm"] for b in blobs])
    # body print: blobs of one height (the dominant print height in the region)
    printish = [b for b in blobs if b["h_mm"] <= PRINT_MAX_MM]
    tall = [b for b in blobs if b["h_mm"] >= HAND_MIN_MM]
    hand_ink = sum(b["ink"] for b in tall) / (px_mm * px_mm)
    info = {"n": len(blobs), "tall": len(tall), "hand_ink_mm2": round(hand_ink, 1),
            "heights": [round(float(h), 1) for h in sorted(heights)]}
    if tall:
        axis = np.average([b["axis"] for b in tall], weights=[b["ink"] for b in tall])
        info["axis"] = round(float(axis), 3)
        # a tall blob of axis-aligned strokes is large print (a title) or a box, not a hand
        if hand_ink >= 6.0 and axis < 0.62:
            conf = 0.7 + 0.25 * min(1.0, (0.62 - axis) / 0.2) * min(1.0, hand_ink / HAND_INK_SURE_MM2)
            return True, round(min(conf, 0.97), 3), info
    # no tall blobs: small handwriting (initials) vs print rows
    small_hand = [b for b in blobs if 2.0 <= b["h_mm"] < HAND_MIN_MM and b["axis"] < 0.42 and b["ink"] / (px_mm * px_mm) > 3]
    if small_hand and len(printish) <= 2:
        info["small_hand"] = len(small_hand)
        return True, 0.55, info
    if tall:
        return False, 0.6, info
    return False, 0.8, info


def _printed_mask(shape, boxes, offset, f: float, px_mm: float) -> np.ndarray | None:
    """The crop's pixels inside the printed characters' boxes (page pixels), a little widened."""
    if not boxes:
        return None
    m = np.zeros(shape, bool)
    ox, oy = offset
    pad = max(1, int(round(0.25 * px_mm)))
    for bx0, by0, bx1, by1 in boxes:
        x0, y0 = int(bx0 * f - ox) - pad, int(by0 * f - oy) - pad
        x1, y1 = int(bx1 * f - ox) + pad + 1, int(by1 * f - oy) + pad + 1
        if x1 <= 0 or y1 <= 0 or x0 >= shape[1] or y0 >= shape[0]:
            continue
        m[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = True
    return m


def detect_signature(image: Image.Image, dpi: int | None, region: tuple[int, int, int, int] | None,
                     seals: list[Seal] | None = None, printed: list | None = None) -> tuple[bool | None, float]:
    """Is there a handwritten signature in `region` (x0, y0, x1, y1 of the page image)?

    ``printed``: boxes (page pixels) of the printed characters the OCR read in or near the region
    (the label, the date line, the unit's name); their ink is print, not hand.
    (True/False, confidence) or (None, low confidence) when it cannot be told.
    """
    W, H = image.size
    d = float(dpi) if dpi and dpi > 0 else estimate_dpi(W, H)
    if region is None:
        x0, y0, x1, y1 = 0, 0, W, H
    else:
        x0, y0, x1, y1 = (int(v) for v in region)
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None, 0.0
    # analyse at <= 150 dpi (strokes stay >= 2 px), at >= the page's own resolution otherwise
    f = min(1.0, 150.0 / d)
    px_mm = d * f / 25.4
    if px_mm < 1.6:  # < 40 dpi: strokes are not resolved
        return None, 0.1
    gray_page = is_grayscale(image)
    crop = image.crop((x0, y0, x1, y1))
    rgb = None if gray_page else _to_rgb(crop)
    gray = np.asarray(crop.convert("L"))
    if f < 1.0:
        size = (max(1, int(gray.shape[1] * f)), max(1, int(gray.shape[0] * f)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        if rgb is not None:
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    scaled = [Seal(s.page, tuple(int(v * f) for v in s.bbox), s.color, s.shape, s.text, s.confidence) for s in (seals or ())]
    gray, covered = _blank_seals(gray, rgb, scaled, (x0 * f, y0 * f), gray_page, px_mm)
    feat = signature_features(gray, px_mm, gray_page, _printed_mask(gray.shape, printed, (x0 * f, y0 * f), f, px_mm))
    present, conf, info = _classify(feat, px_mm)
    if _DEBUG:
        print("signature", present, conf, info, "covered", round(covered, 2))
    if gray_page and covered > 0.35 and not present:
        # a signature lighter than the pen-black floor could hide in the seal disc
        return None, 0.3
    if region is None:
        conf *= 0.7
    return present, round(float(conf), 3)
