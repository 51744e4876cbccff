"""Handwriting-like signatures: Kai glyphs with jitter, slant, joined by a pen flourish."""
from __future__ import annotations

import math
import random

import cv2
import numpy as np
from PIL import Image, ImageDraw

from .fonts import font

INKS = ((25, 35, 95), (20, 20, 25), (30, 45, 120), (35, 35, 40))


def signature(name: str, dpi: int, rng: random.Random, height_mm: float = 9.0) -> np.ndarray:
    px = lambda mm: mm * dpi / 25.4
    h = int(px(height_mm * 1.8))
    w = int(px(height_mm * 1.05) * (len(name) + 1.2))
    img = Image.new("L", (w, h), 0)
    x = px(height_mm * 0.3)
    for i, ch in enumerate(name):
        size = int(px(height_mm) * rng.uniform(0.85, 1.2) * (1.1 if i == 0 else 1.0))
        g = Image.new("L", (size * 2, size * 2), 0)
        ImageDraw.Draw(g).text((size, size), ch, font=font("kai", size), fill=255, anchor="mm",
                               stroke_width=max(1, size // 40))
        g = g.rotate(rng.uniform(-12, 8), resample=Image.BICUBIC)
        g = g.crop(g.getbbox() or (0, 0, 1, 1))
        g = g.resize((max(1, int(g.width * rng.uniform(0.7, 0.95))), g.height), Image.LANCZOS)
        y = h / 2 - g.height / 2 + rng.uniform(-0.12, 0.12) * size - i * size * 0.04
        img.paste(255, (int(x), int(y)), g)
        x += g.width * rng.uniform(0.7, 0.92)
    arr = np.asarray(img).copy()
    # shear to a right-leaning hand
    shear = rng.uniform(0.12, 0.3)
    M = np.float32([[1, -shear, shear * h / 2], [0, 1, 0]])
    arr = cv2.warpAffine(arr, M, (w, h), flags=cv2.INTER_LINEAR)
    # a connecting flourish under the name (quadratic bezier)
    if rng.random() < 0.7:
        t = np.linspace(0, 1, 60)[:, None]
        p0 = np.array([px(height_mm * 0.4), h * rng.uniform(0.62, 0.8)])
        p2 = np.array([min(w - 2, x + px(height_mm * 0.3)), h * rng.uniform(0.45, 0.7)])
        p1 = np.array([(p0[0] + p2[0]) / 2, h * rng.uniform(0.85, 1.0)])
        pts = ((1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t ** 2 * p2).astype(np.int32)
        cv2.polylines(arr, [pts.reshape(-1, 1, 2)], False, 255, max(1, int(px(0.35))), cv2.LINE_AA)
    a = cv2.GaussianBlur(arr.astype(np.float32) / 255.0, (0, 0), 0.6)
    ys, xs = np.nonzero(a > 0.1)
    a = a[max(0, ys.min() - 4):ys.max() + 5, max(0, xs.min() - 4):xs.max() + 5]
    return np.clip(a * rng.uniform(0.85, 1.0), 0, 1)


def ink(rng: random.Random):
    return rng.choice(INKS)
