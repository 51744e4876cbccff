"""Quality levels: what a scanner, a low-resolution office copier or a phone camera does to a page.

Each function returns the degraded image and a function mapping page-pixel boxes through the
same geometric transform, so seal boxes in the truth stay (approximately) right.
"""
from __future__ import annotations

import random

import cv2
import numpy as np
from PIL import Image

QUALITIES = ("clean", "scan", "lowres", "photo")
DPI = {"clean": 300, "scan": 300, "lowres": 200, "photo": 300}


def _box_through(M: np.ndarray, box, perspective: bool) -> list[int]:
    x0, y0, x1, y1 = box
    pts = np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]).reshape(-1, 1, 2)
    out = cv2.perspectiveTransform(pts, M) if perspective else cv2.transform(pts, M)
    out = out.reshape(-1, 2)
    return [int(out[:, 0].min()), int(out[:, 1].min()), int(np.ceil(out[:, 0].max())), int(np.ceil(out[:, 1].max()))]


def _noise(arr: np.ndarray, nrng, sigma: float) -> np.ndarray:
    return arr + nrng.standard_normal(arr.shape, dtype=np.float32) * np.float32(sigma)


def scan(img: Image.Image, rng: random.Random):
    nrng = np.random.default_rng(rng.randrange(2 ** 32))
    arr = np.asarray(img.convert("RGB"), dtype=np.float32)
    h, w = arr.shape[:2]
    angle = rng.uniform(-1.5, 1.5)
    M = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    M[:, 2] += (rng.uniform(-12, 12), rng.uniform(-12, 12))
    arr = cv2.warpAffine(arr, M, (w, h), flags=cv2.INTER_LINEAR, borderValue=(250, 250, 248))
    arr = cv2.GaussianBlur(arr, (0, 0), rng.uniform(0.5, 0.9))
    tint = np.float32([rng.uniform(245, 252), rng.uniform(242, 249), rng.uniform(232, 242)]) / 255
    arr = arr * tint[None, None, :]
    arr = _noise(arr, nrng, rng.uniform(3, 6))
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    return out, lambda box: _box_through(M, box, False)


def lowres(img: Image.Image, rng: random.Random):
    """Rendered at 200 dpi already; a grayscale copier pass: red seals come out mid-gray."""
    nrng = np.random.default_rng(rng.randrange(2 ** 32))
    gray = np.asarray(img.convert("L"), dtype=np.float32)
    gray = cv2.GaussianBlur(gray, (0, 0), 0.6)
    gray = (gray - 128) * rng.uniform(1.0, 1.15) + 128 + rng.uniform(-4, 6)
    gray = _noise(gray, nrng, rng.uniform(2, 5))
    return Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8), "L"), lambda box: list(box)


def photo(img: Image.Image, rng: random.Random):
    nrng = np.random.default_rng(rng.randrange(2 ** 32))
    arr = np.asarray(img.convert("RGB"), dtype=np.float32)
    h, w = arr.shape[:2]
    m = 0.06
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jit = lambda: (rng.uniform(0.01, m) * w, rng.uniform(0.01, m) * h)
    (a, b), (c, d), (e, f), (g, k) = jit(), jit(), jit(), jit()
    dst = np.float32([[a, b], [w - c, d], [w - e, h - f], [g, h - k]])
    M = cv2.getPerspectiveTransform(src, dst)
    desk = (rng.uniform(60, 120), rng.uniform(55, 100), rng.uniform(45, 90))
    arr = cv2.warpPerspective(arr, M, (w, h), flags=cv2.INTER_LINEAR, borderValue=desk)
    # uneven light: a broad bright spot plus a darker corner (phone held at an angle)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    dist = np.sqrt(((xx - cx) / w) ** 2 + ((yy - cy) / h) ** 2)
    light = 1.05 - rng.uniform(0.25, 0.45) * dist + np.float32(rng.uniform(-0.08, 0.08)) * (xx / w)
    warm = np.float32([1.0, rng.uniform(0.96, 0.99), rng.uniform(0.88, 0.95)])
    arr = arr * light[..., None] * warm[None, None, :]
    arr = cv2.GaussianBlur(arr, (0, 0), rng.uniform(0.9, 1.5))
    arr = _noise(arr, nrng, rng.uniform(4, 8))
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    return out, lambda box: _box_through(M, box, True)


def degrade(img: Image.Image, quality: str, rng: random.Random):
    if quality == "clean":
        return img, lambda box: list(box)
    return {"scan": scan, "lowres": lowres, "photo": photo}[quality](img, rng)
