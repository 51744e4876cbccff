"""Seal ink on a page image, shared by seal detection (seals.py), ring text reading
(seals_text.py) and signature detection (signatures.py): RGB conversion, the grayscale test,
the red and faint-red ink masks, and the ellipse a seal's bbox describes.
"""
from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from intake.model import Seal


def _to_rgb(image: Image.Image) -> np.ndarray:
    if image.mode == "RGB":
        return np.asarray(image)
    if image.mode in ("RGBA", "LA", "P", "PA"):
        bg = Image.new("RGB", image.size, (255, 255, 255))
        im = image.convert("RGBA")
        bg.paste(im, mask=im.split()[-1])
        return np.asarray(bg)
    return np.asarray(image.convert("RGB"))


def estimate_dpi(width: int, height: int) -> float:
    """DPI of an image of unknown resolution, assuming its long side spans an A4 page (297 mm)."""
    return max(width, height) / (297.0 / 25.4)


def is_grayscale(image: Image.Image | np.ndarray) -> bool:
    """True when the image carries no colour information (mode L/1/I, or R == G == B everywhere).

    A colour scan of a black-and-white page still has chroma noise (paper tint,
    JPEG fringes, sensor noise); a grayscale scan saved as RGB does not.
    """
    if isinstance(image, Image.Image):
        if image.mode in ("1", "L", "LA", "I", "I;16", "F"):
            return True
        rgb = _to_rgb(image)
    else:
        rgb = image
        if rgb.ndim == 2:
            return True
    small = rgb[:: max(1, rgb.shape[0] // 600), :: max(1, rgb.shape[1] // 600)].astype(np.int16)
    chroma = small.max(axis=2) - small.min(axis=2)
    # Fewer than 0.05% of pixels with visible chroma: no colour to go by.
    return float((chroma > 24).mean()) < 0.0005 and float(chroma.mean()) < 3.0


def red_mask(rgb: np.ndarray) -> np.ndarray:
    """uint8 0/255 mask of red (seal) ink."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    r = rgb[..., 0].astype(np.int16)
    gb = np.maximum(rgb[..., 1], rgb[..., 2]).astype(np.int16)
    redness = r - gb
    hue_ok = (h <= 12) | (h >= 155)
    m = (hue_ok & (s >= 55) & (v >= 70) & (redness >= 38)) | (redness >= 90)
    return m.astype(np.uint8) * 255


def faint_red_mask(rgb: np.ndarray, px_mm: float) -> np.ndarray:
    """uint8 0/255 mask of faint red/pink ink (a lightly inked seal, a photo under warm light):
    redness above the local background's, in the red/magenta hue band."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    redness = np.clip(rgb[..., 0].astype(np.int16) - np.maximum(rgb[..., 1], rgb[..., 2]), 0, 255).astype(np.uint8)
    k = max(5, int(8 * px_mm) | 1)
    small = cv2.resize(redness, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    bg = cv2.medianBlur(small, max(3, (k // 4) | 1))
    bg = cv2.resize(bg, (redness.shape[1], redness.shape[0]), interpolation=cv2.INTER_LINEAR)
    rel = redness.astype(np.int16) - bg.astype(np.int16)
    m = (rel >= 10) & ((h >= 150) | (h <= 14)) & (s >= 18) & (v >= 60)
    return m.astype(np.uint8) * 255


def seal_ellipse(seal: Seal) -> tuple[float, float, float, float]:
    """(cx, cy, a, b) of the axis-aligned ellipse inscribed in the seal's bbox."""
    x0, y0, x1, y1 = seal.bbox
    return (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
