"""An e-invoice page drawn with Pillow (text, ruled lines and the OFD's image objects such as the
QR code; the signature seal is not drawn), and the loader's pages: the image plus text lines like
a PDF's text layer."""
from __future__ import annotations

import io
import logging
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .model import DPI, EInvoice, EPage, mm_to_px

log = logging.getLogger(__name__)
MAX_PIXELS = 25_000_000  # an image object larger than this is not a QR or a logo: not drawn

FONT_FILES = ("/usr/share/fonts/truetype/arphic/uming.ttc", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
              "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
              "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


@lru_cache(maxsize=32)
def _font(px: int):
    for f in FONT_FILES:
        if Path(f).exists():
            return ImageFont.truetype(f, px)
    return ImageFont.load_default()  # no CJK font installed: boxes still drawn, glyphs may be missing


def draw_page(page: EPage, dpi: int = DPI) -> Image.Image:
    img = Image.new("RGB", (mm_to_px(page.width_mm, dpi), mm_to_px(page.height_mm, dpi)), (255, 255, 255))
    for x, y, w, h, blob in page.images:
        try:
            with Image.open(io.BytesIO(blob)) as im:
                if im.width * im.height > MAX_PIXELS:
                    raise ValueError("image too large")
                size = (max(1, mm_to_px(w, dpi)), max(1, mm_to_px(h, dpi)))
                # nearest: a QR's modules stay crisp, so the page's QR reads like the PDF's
                img.paste(im.convert("RGB").resize(size, Image.NEAREST), (mm_to_px(x, dpi), mm_to_px(y, dpi)))
        except Exception:  # an image Pillow cannot open is left out of the display, the fields stand
            log.warning("e-invoice image object not drawn (unreadable image)")
    d = ImageDraw.Draw(img)
    for x0, y0, x1, y1 in page.lines:
        d.line([(mm_to_px(x0, dpi), mm_to_px(y0, dpi)), (mm_to_px(x1, dpi), mm_to_px(y1, dpi))],
               fill=page.color_lines, width=max(1, mm_to_px(0.3, dpi)))
    for t in page.texts:
        f = _font(max(6, mm_to_px(t.size, dpi)))
        for ch, x0, y0, _x1, _y1 in t.char_boxes():
            d.text((mm_to_px(x0, dpi), mm_to_px(y0 + t.size * 0.86, dpi)), ch, font=f, fill=t.color, anchor="ls")
    return img


def page_chars(page: EPage, dpi: int = DPI) -> list[tuple[str, float, float, float, float]]:
    k = dpi / 25.4
    return [(ch, x0 * k, y0 * k, x1 * k, y1 * k) for t in page.texts for ch, x0, y0, x1, y1 in t.char_boxes()]


def loaded_pages(einv: EInvoice, dpi: int = DPI):
    from ..loaders import LoadedPage, chars_to_lines

    return [LoadedPage(i, draw_page(p, dpi), dpi, chars_to_lines(page_chars(p, dpi)) or None)
            for i, p in enumerate(einv.pages, 1)]
