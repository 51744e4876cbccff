"""Reading the text along a detected seal's ring (its unit name): the upper arc of the ring
band unwrapped to a straight strip (polar unwrap) and read as one text line through the
`RegionReader` extraction was given. Detection is in seals.py.
"""
from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image

from intake.model import Seal

from .seals_ink import _to_rgb, is_grayscale, seal_ellipse


def _unwrap(arr: np.ndarray, seal: Seal, span_deg: float = 260.0, inner: float = 0.5,
            outer: float = 0.95, text_h: int = 64) -> np.ndarray:
    """Upper arc of the seal's ring band as a strip: left to right = clockwise along the arc,
    top = outer edge, so characters that face outwards stand upright."""
    cx, cy, a, b = seal_ellipse(seal)
    R = max(a, b)
    band = (outer - inner) * R
    scale = text_h / max(band, 1.0)
    mid = (inner + outer) / 2 * R
    width = int(max(32, 2 * math.pi * mid * span_deg / 360 * scale))
    height = int(max(16, band * scale))
    th = np.radians(np.linspace(-span_deg / 2, span_deg / 2, width, dtype=np.float32))[None, :]
    rs = np.linspace(outer, inner, height, dtype=np.float32)[:, None]
    map_x = (cx + rs * a * np.sin(th)).astype(np.float32)
    map_y = (cy - rs * b * np.cos(th)).astype(np.float32)
    return cv2.remap(arr, map_x, map_y, cv2.INTER_LINEAR, borderValue=255)


def seal_ink_image(image: Image.Image, seal: Seal, box: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """Gray image (dark ink on white) of the seal's own ink: redness in colour, gray otherwise.

    `box`: only that part of the page (what the ring is read from); whether the page has colour
    at all is still judged on the whole page."""
    part = image.crop(box) if box is not None else image
    if seal.color == "red" and not is_grayscale(image):
        rgb = _to_rgb(part).astype(np.int16)
        redness = rgb[..., 0] - np.maximum(rgb[..., 1], rgb[..., 2])
        return np.clip(255 - redness * 2.2, 0, 255).astype(np.uint8)
    return np.asarray(part.convert("L"))


def _normalize(strip: np.ndarray) -> np.ndarray:
    """Stretch a strip to dark ink on white paper and trim it to the ink's extent."""
    lo, hi = np.percentile(strip, 2), np.percentile(strip, 90)
    if hi - lo < 8:
        return strip
    out = np.clip((strip.astype(np.float32) - lo) * 255.0 / (hi - lo), 0, 255).astype(np.uint8)
    cols = np.nonzero((out < 128).sum(axis=0) > 0)[0]
    if len(cols):
        pad = out.shape[0] // 3
        out = out[:, max(0, cols[0] - pad):cols[-1] + pad + 1]
    return out


def read_seal_text(image: Image.Image, seal: Seal, reader) -> str:
    """The text along the seal's upper arc, read by polar unwrap and OCR ("" if none).

    `reader` is the `model.RegionReader` extraction was given; ring text is read with RapidOCR
    (Tesseract reads none of it)."""
    x0, y0, x1, y1 = seal.bbox
    pad = int(0.1 * max(x1 - x0, y1 - y0))
    W, H = image.size
    cx0, cy0 = max(0, x0 - pad), max(0, y0 - pad)
    # the ink of the seal's neighbourhood only: the whole page's was 0.5 CPU-s a seal
    crop = seal_ink_image(image, seal, (cx0, cy0, min(W, x1 + pad), min(H, y1 + pad)))
    local = Seal(page=seal.page, bbox=(x0 - cx0, y0 - cy0, x1 - cx0, y1 - cy0), color=seal.color, shape=seal.shape)
    best, best_score = "", -1.0
    # band of the ring that holds the name: inside the rim, outside the star/centre text
    for outer, inner in ((0.93, 0.55), (0.88, 0.5), (0.97, 0.6)):
        strip = _normalize(_unwrap(crop, local, inner=inner, outer=outer, text_h=48))
        rgb = np.ascontiguousarray(np.stack([strip] * 3, axis=-1))
        text, score = _ocr_strip(reader, Image.fromarray(rgb))
        if text and score > best_score:
            best, best_score = text, score
        if best_score > 0.85:
            break
    return best


def _ocr_strip(reader, strip: Image.Image) -> tuple[str, float]:
    # the strip is one text line: recognition alone is fast and avoids the
    # detector's trouble with very wide, short images
    lines = reader.read(strip, engine="rapidocr", line=True)
    if lines and lines[0].text:
        return lines[0].text, lines[0].confidence
    items = sorted(reader.read(strip, engine="rapidocr"), key=lambda l: l.bbox[0])
    if not items:
        return "", 0.0
    text = "".join(l.text for l in items).strip()
    n = sum(len(l.text) for l in items) or 1
    return text, sum(l.confidence * len(l.text) for l in items) / n


def edit_distance(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions) between two short strings."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def complete_name(reading: str, known: list[str]) -> str | None:
    """The one full name of `known` that a ring reading is a truncated or slightly misread form of,
    or None. Ring text is read along an arc whose ends fade into the rim, so the reading often
    lacks its first or last characters (区市场监督管理局, 许昌市魏都区市场监督管) or has one or two
    characters wrong. A name is completed only when the table confirms it: the reading is a
    contiguous part of exactly one known name and covers at least 70% of it, or it is within
    edit distance 2 (and 20% of the name) of exactly one known name and nearer to it than to any
    other. A reading that fits two names (区市场监督管理局 is the end of every district's
    authority) completes nothing."""
    r = "".join(reading.split())
    if len(r) < 4 or not known:
        return None
    parts = [k for k in known if r in k and len(r) >= 0.7 * len(k)]
    if len(parts) == 1:
        return parts[0]
    if parts:
        return None
    dist = sorted((edit_distance(r, k), k) for k in known)
    best_d, best = dist[0]
    if best_d <= min(2, int(0.2 * len(best))) and (len(dist) == 1 or dist[1][0] > best_d):
        return best
    return None
