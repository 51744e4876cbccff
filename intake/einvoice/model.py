"""Plain data of a read e-invoice."""
from __future__ import annotations

from dataclasses import dataclass, field

DPI = 300  # page images are drawn at the resolution the loader renders PDFs at


def mm_to_px(mm: float, dpi: int = DPI) -> int:
    return int(round(mm * dpi / 25.4))


@dataclass
class TextItem:
    """One piece of text on a page, in millimetres from the top left (OFD's own units):
    ``x, y`` the top left of its box, ``size`` the font size, ``advances`` each character's
    advance (the OFD DeltaX; empty: estimated)."""
    text: str
    x: float
    y: float
    size: float
    advances: tuple[float, ...] = ()
    color: tuple[int, int, int] = (0, 0, 0)
    id: str = ""

    def char_boxes(self) -> list[tuple[str, float, float, float, float]]:
        """``(char, x0, y0, x1, y1)`` in mm for every non-space character."""
        out, x = [], self.x
        for i, ch in enumerate(self.text):
            w = self.advances[i] if i < len(self.advances) else _estimate(ch, self.size)
            if ch.strip():
                out.append((ch, x, self.y, x + min(w, _estimate(ch, self.size)), self.y + self.size))
            x += w
        return out

    def box_mm(self) -> tuple[float, float, float, float]:
        boxes = self.char_boxes()
        if not boxes:
            return (self.x, self.y, self.x, self.y + self.size)
        return (min(b[1] for b in boxes), self.y, max(b[3] for b in boxes), self.y + self.size)


def _estimate(ch: str, size: float) -> float:
    return size if ord(ch) > 0x2E80 else size * 0.55


@dataclass
class EPage:
    width_mm: float
    height_mm: float
    texts: list[TextItem] = field(default_factory=list)
    lines: list[tuple[float, float, float, float]] = field(default_factory=list)  # ruled lines, mm
    color_lines: tuple[int, int, int] = (160, 60, 40)
    images: list[tuple[float, float, float, float, bytes]] = field(default_factory=list)  # x, y, w, h mm; file bytes


@dataclass
class EInvoice:
    format: str  # "ofd" or "xml"
    fields: dict  # contract key -> FieldValue (page 1, bbox in page pixels at DPI)
    pages: list[EPage]
    source: str = ""
    raw: dict = field(default_factory=dict)  # the file's own names -> text, for the record
    problems: list[str] = field(default_factory=list)  # disagreements between the file's parts
