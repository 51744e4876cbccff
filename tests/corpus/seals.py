"""Official seals as ink layers (float alpha arrays), to be multiply-blended onto a page.

Real seals are hand-stamped: the ring is never perfectly even, ink thins out in patches and
the name runs along the upper arc with every character turned to face outwards.
"""
from __future__ import annotations

import math
import random

import cv2
import numpy as np
from PIL import Image, ImageDraw

from .fonts import font

SEAL_REDS = ((214, 38, 48), (200, 30, 45), (226, 52, 60), (190, 25, 40), (230, 40, 70))


def _glyph(ch: str, size_px: int, family: str, squeeze: float) -> Image.Image:
    f = font(family, size_px)
    img = Image.new("L", (size_px * 2, size_px * 2), 0)
    ImageDraw.Draw(img).text((size_px, size_px), ch, font=f, fill=255, anchor="mm")
    bbox = img.getbbox() or (0, 0, 1, 1)
    img = img.crop(bbox)
    return img.resize((max(1, int(img.width * squeeze)), max(1, int(img.height * 1.05))), Image.LANCZOS)


def _paste_rotated(canvas: Image.Image, glyph: Image.Image, cx: float, cy: float, angle_deg: float):
    rot = glyph.rotate(-angle_deg, resample=Image.BICUBIC, expand=True)
    canvas.paste(255, (int(cx - rot.width / 2), int(cy - rot.height / 2)), rot)


def _star(draw: ImageDraw.ImageDraw, cx, cy, r):
    pts = []
    for i in range(10):
        rr = r if i % 2 == 0 else r * 0.382
        a = -math.pi / 2 + i * math.pi / 5
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    draw.polygon(pts, fill=255)


def _uneven(mask: np.ndarray, rng: random.Random, strength: float = 1.0) -> np.ndarray:
    """Ink coverage varies over the stamp: low-frequency fading plus speckled dropouts."""
    h, w = mask.shape
    nrng = np.random.default_rng(rng.randrange(2 ** 32))
    low = cv2.resize(nrng.random((6, 6), dtype=np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    tilt = np.linspace(0, 1, w, dtype=np.float32)[None, :] * rng.uniform(-0.35, 0.35)
    cover = np.clip(0.5 + 0.75 * low + tilt, 0.25, 1.0)
    speck = nrng.random((h, w), dtype=np.float32)
    speck = cv2.GaussianBlur(speck, (0, 0), 1.2)
    dropout = np.where(speck < 0.5 - 0.06 * strength, 0.35, 1.0).astype(np.float32)
    a = mask.astype(np.float32) / 255.0
    a = cv2.GaussianBlur(a, (0, 0), 0.7)
    return np.clip(a * cover * dropout * rng.uniform(0.82, 0.95), 0, 1)


def round_seal(org: str, dpi: int, rng: random.Random, purpose: str | None = None,
               diameter_mm: float = 40.0, code: str | None = None) -> np.ndarray:
    px = lambda mm: mm * dpi / 25.4
    size = int(px(diameter_mm + 2))
    c = size / 2
    R = px(diameter_mm) / 2
    ring = px(rng.uniform(1.0, 1.4))
    img = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(img)
    d.ellipse([c - R, c - R, c + R, c + R], outline=255, width=max(2, int(ring)))
    _star(d, c, c, R * 0.30)
    # name along the upper arc: roughly 210-250 degrees for long names
    n = len(org)
    span = min(250.0, max(150.0, 13.0 * n + 40))
    ch_px = int(min(px(6.5), 2 * math.pi * (R * 0.72) * span / 360 / n * 1.05))
    r_text = R - ring - ch_px * 0.62 - px(0.7)
    family = rng.choice(["song_bold", "hei_bold", "song_bold"])
    for i, ch in enumerate(org):
        theta = -span / 2 + span * (i + 0.5) / n
        t = math.radians(theta)
        _paste_rotated(img, _glyph(ch, ch_px, family, 0.72), c + r_text * math.sin(t), c - r_text * math.cos(t), theta)
    if purpose:
        f = font("song_bold" if family != "hei_bold" else "hei_bold", int(px(4.6) * min(1.0, 5.5 / len(purpose))))
        d.text((c, c + R * 0.47), purpose, font=f, fill=255, anchor="mm")
    if code:  # 13-digit seal registration code along the lower arc on newer seals
        cpx = int(px(2.2))
        m = len(code)
        for i, ch in enumerate(code):
            theta = 180 + 50 - 100 * (i + 0.5) / m
            t = math.radians(theta)
            _paste_rotated(img, _glyph(ch, cpx, "hei", 0.8), c + (R - ring - cpx) * math.sin(t),
                           c - (R - ring - cpx) * math.cos(t), theta - 180)
    return _uneven(np.asarray(img), rng)


def oval_seal(org: str, tax_id: str, dpi: int, rng: random.Random, w_mm: float = 40.0,
              h_mm: float = 30.0, purpose: str = "发票专用章") -> np.ndarray:
    px = lambda mm: mm * dpi / 25.4
    W, H = int(px(w_mm + 2)), int(px(h_mm + 2))
    cx, cy = W / 2, H / 2
    a, b = px(w_mm) / 2, px(h_mm) / 2
    ring = px(1.0)
    img = Image.new("L", (W, H), 0)
    d = ImageDraw.Draw(img)
    d.ellipse([cx - a, cy - b, cx + a, cy + b], outline=255, width=max(2, int(ring)))
    n = len(org)
    span = min(170.0, 10.0 * n + 50)
    ch_px = int(min(px(3.4), px(w_mm) * 1.45 / n))
    for i, ch in enumerate(org):
        theta = math.radians(-span / 2 + span * (i + 0.5) / n)
        ta, tb = a - ring - ch_px * 0.7 - px(0.6), b - ring - ch_px * 0.7 - px(0.6)
        x, y = cx + ta * math.sin(theta), cy - tb * math.cos(theta)
        normal = math.degrees(math.atan2(math.sin(theta) / ta, math.cos(theta) / tb))
        _paste_rotated(img, _glyph(ch, ch_px, "song_bold", 0.7), x, y, normal)
    f = font("hei_bold", int(px(3.1)))
    tid = Image.new("L", (int(px(34)), int(px(5))), 0)
    ImageDraw.Draw(tid).text((tid.width / 2, tid.height / 2), tax_id, font=f, fill=255, anchor="mm")
    bb = tid.getbbox()
    tid = tid.crop(bb).resize((int(min(px(27), (bb[2] - bb[0]) * 0.85)), bb[3] - bb[1]), Image.LANCZOS)
    img.paste(255, (int(cx - tid.width / 2), int(cy - tid.height / 2)), tid)
    f2 = font("song_bold", int(px(4.0)))
    d.text((cx, cy + b * 0.58), purpose, font=f2, fill=255, anchor="mm")
    return _uneven(np.asarray(img), rng)


def seal_color(rng: random.Random):
    return rng.choice(SEAL_REDS)
