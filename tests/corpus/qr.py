"""Real QR codes (segno) drawn as crisp modules at the page's resolution."""
from __future__ import annotations

import numpy as np
import segno
from PIL import Image


def qr_image(data: str, size_px: int, error: str = "m") -> Image.Image:
    q = segno.make_qr(data, error=error, boost_error=False)
    m = np.array([[1 if v else 0 for v in row] for row in q.matrix], dtype=np.uint8)
    m = np.pad(m, 2)
    mod = max(1, size_px // m.shape[0])
    big = np.kron(m, np.ones((mod, mod), dtype=np.uint8))
    return Image.fromarray(((1 - big) * 255).astype(np.uint8), "L").convert("RGB")
