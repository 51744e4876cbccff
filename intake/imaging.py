"""Image preparation shared by the OCR engines and extraction (no engine imported here).

Extraction removes red seal ink from a crop before it upscales and binarizes it; the
engines do the same to whole pages. One function for both, at a layer both may import.
"""
from __future__ import annotations

import numpy as np
from PIL import Image


def remove_red(image: Image.Image) -> Image.Image:
    """Whiten red seal ink so the print beneath a seal reads.

    Measured (domain.md): without it, text under a seal is lost or garbled.
    The value floor (V >= 140) keeps JPEG colour bleed around black strokes from
    being erased, and the narrow hue band keeps brown invoice print intact.
    Grayscale pages are returned unchanged (no colour to go by).
    """
    if image.mode not in ("RGB", "RGBA"):
        return image
    import cv2

    rgb = to_rgb_array(image)  # an RGB page is read in place: `convert` would copy 5-25 MB a page
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    red = ((h <= 10) | (h >= 160)) & (s >= 70) & (v >= 140)
    if not red.any():
        return image
    out = rgb.copy()
    out[red] = 255
    return Image.fromarray(out)


def to_rgb_array(image: Image.Image) -> np.ndarray:
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.asarray(image)
