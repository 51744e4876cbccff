"""A page to draw on in millimetres at a given dpi, with ink stamps blended by multiplication."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from .fonts import font

BLACK = (20, 20, 20)


@dataclass
class SealMark:
    page: int
    bbox: list[int]
    color: str
    shape: str
    text: str


@dataclass
class Page:
    w_mm: float
    h_mm: float
    dpi: int
    bg: tuple = (255, 255, 255)
    img: Image.Image = field(init=False)
    seals: list = field(default_factory=list)

    def __post_init__(self):
        self.img = Image.new("RGB", (self.px(self.w_mm), self.px(self.h_mm)), self.bg)
        self.draw = ImageDraw.Draw(self.img)

    def px(self, mm: float) -> int:
        return int(round(mm * self.dpi / 25.4))

    def pt(self, size_pt: float) -> int:
        return int(round(size_pt * self.dpi / 72))

    # --- text -----------------------------------------------------------------
    def font(self, family: str, size_pt: float):
        return font(family, self.pt(size_pt))

    def text(self, x, y, s, family="song", size=10.5, fill=BLACK, anchor="ls", tracking=0.0):
        """Draw at (x mm, y mm baseline). tracking is extra mm between characters."""
        f = self.font(family, size)
        if not tracking:
            self.draw.text((self.px(x), self.px(y)), s, font=f, fill=fill, anchor=anchor)
            return x + self.width(s, family, size)
        total = self.width(s, family, size, tracking)
        if anchor[0] == "m":
            x -= total / 2
        elif anchor[0] == "r":
            x -= total
        cx = x
        for ch in s:
            self.draw.text((self.px(cx), self.px(y)), ch, font=f, fill=fill, anchor="l" + anchor[1])
            cx += self.width(ch, family, size) + tracking
        return cx

    def width(self, s, family="song", size=10.5, tracking=0.0) -> float:
        f = self.font(family, size)
        return f.getlength(s) * 25.4 / self.dpi + tracking * max(0, len(s) - 1)

    def spread(self, x0, x1, y, s, family="song", size=10.5, fill=BLACK):
        """Justify a short label across [x0, x1] like '名    称' on certificates."""
        if len(s) < 2:
            return self.text(x0, y, s, family, size, fill)
        w = sum(self.width(c, family, size) for c in s)
        gap = (x1 - x0 - w) / (len(s) - 1)
        self.text(x0, y, s, family, size, fill, tracking=gap)

    def lines(self, s, width, family="song", size=10.5, indent=0.0) -> list[str]:
        """Character-wise line breaking (CJK has no word spaces), with simple kinsoku rules."""
        lines, cur, cur_w = [], "", indent
        for ch in s:
            w = self.width(ch, family, size)
            if cur_w + w > width and cur:
                if ch in "，。、；：）」”！？":  # closing punctuation never starts a line
                    lines.append(cur + ch)
                    cur, cur_w = "", 0.0
                    continue
                carry = ""
                if cur[-1] in "（「“":  # opening punctuation never ends one
                    cur, carry = cur[:-1], cur[-1]
                lines.append(cur)
                cur = carry
                cur_w = self.width(carry, family, size) if carry else 0.0
            cur += ch
            cur_w += w
        if cur:
            lines.append(cur)
        return lines

    def wrap(self, x, y, width, s, family="song", size=10.5, leading=1.6, fill=BLACK, indent=0.0,
             max_lines=None) -> float:
        """Returns the baseline of the last line drawn."""
        line_h = self.line_height(size, leading)
        lines = self.lines(s, width, family, size, indent)
        if max_lines:
            lines = lines[:max_lines]
        for i, line in enumerate(lines):
            self.text(x + (indent if i == 0 else 0), y + i * line_h, line, family, size, fill)
        return y + max(0, len(lines) - 1) * line_h

    def line_height(self, size, leading=1.6) -> float:
        return size * 25.4 / 72 * leading

    # --- rules ----------------------------------------------------------------
    def line(self, x0, y0, x1, y1, w=0.25, fill=BLACK):
        self.draw.line([(self.px(x0), self.px(y0)), (self.px(x1), self.px(y1))], fill=fill,
                       width=max(1, self.px(w)))

    def rect(self, x0, y0, x1, y1, w=0.25, outline=BLACK, fill=None):
        self.draw.rectangle([self.px(x0), self.px(y0), self.px(x1), self.px(y1)], outline=outline,
                            fill=fill, width=max(1, self.px(w)))

    # --- ink --------------------------------------------------------------------
    def stamp(self, alpha: np.ndarray, color, cx_mm, cy_mm) -> list[int]:
        """Multiply-blend an ink layer centred at (cx, cy); returns its pixel bbox on the page."""
        h, w = alpha.shape
        x0, y0 = self.px(cx_mm) - w // 2, self.px(cy_mm) - h // 2
        W, H = self.img.size
        ax0, ay0, ax1, ay1 = max(0, -x0), max(0, -y0), min(w, W - x0), min(h, H - y0)
        if ax1 <= ax0 or ay1 <= ay0:
            return [0, 0, 0, 0]
        arr = np.asarray(self.img, dtype=np.float32)
        region = arr[y0 + ay0:y0 + ay1, x0 + ax0:x0 + ax1]
        a = alpha[ay0:ay1, ax0:ax1, None]
        tint = np.asarray(color, dtype=np.float32)[None, None, :] / 255.0
        region *= 1.0 - a * (1.0 - tint)
        arr[y0 + ay0:y0 + ay1, x0 + ax0:x0 + ax1] = region
        self.img = Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "RGB")
        self.draw = ImageDraw.Draw(self.img)
        ys, xs = np.nonzero(alpha > 0.15)
        if len(xs) == 0:
            return [0, 0, 0, 0]
        return [int(x0 + xs.min()), int(y0 + ys.min()), int(x0 + xs.max() + 1), int(y0 + ys.max() + 1)]

    def paste_gray(self, tile: Image.Image, x_mm, y_mm):
        self.img.paste(tile, (self.px(x_mm), self.px(y_mm)))
