"""What every strategy shares, at the bottom of the extractors' imports: the strategy registry,
the ``Candidate`` a strategy offers, the ``Context`` of the document being read, and the small
helpers that turn read characters into a normalized value.

Nothing here imports a strategy module, so strategies (strategies.py, text_strategies.py,
checkbox.py), ranking (candidates.py) and label search (hits.py) import this module without
importing each other.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from PIL import Image

from intake.model import Seal

from .layout import Char, PageView, nk
from .normalize import NORMALIZERS, Normalized

log = logging.getLogger(__name__)

STRATEGIES: dict[str, Callable] = {}


def strategy(name: str):
    def deco(fn):
        STRATEGIES[name] = fn
        return fn

    return deco


@dataclass
class Candidate:
    value: Any
    confidence: float
    page: int | None
    bbox: tuple[int, int, int, int] | None
    strategy: str
    raw: str = ""
    label: str = ""
    certainty: float = 1.0
    view: PageView | None = None
    chars: list[Char] = field(default_factory=list)
    spec: dict | None = None
    # evidence for ranking and explain (extractors/candidates.py)
    rank: int = 0  # 0 for the preferred label occurrence / match, 1 for the next…
    label_gap: float = 0.0  # distance from the label to the value, in text heights
    ended_by: str = ""  # what ended the value: "label 性别", "gap", "column"
    notes: list[str] = field(default_factory=list)  # repairs and doubts, shown by explain
    score: float = 0.0


class Context:
    """One logical document being read: its pages, images and shared detections."""

    def __init__(self, doctype, views: list[PageView], images, engine_name: str = "rapidocr", reader=None):
        self.doctype = doctype
        self.views = views
        self.images = images  # a sequence of images (extraction passes a PageImages: decoded on demand)
        self.engine_name = engine_name
        self.reader = reader  # model.RegionReader for second readings; None: none are made
        self._seals: dict[int, list[Seal]] = {}
        self._qr: dict[int, list] = {}
        from .boundaries import stop_keys

        self.stops = stop_keys(doctype)
        self.stop_keys = list(self.stops.all())
        self.values: dict[str, Candidate] = {}  # fields already chosen, for cross-checks between fields

    def image_of(self, view: PageView) -> Image.Image | None:
        i = self.views.index(view)
        return self.images[i] if i < len(self.images) else None

    def seals(self, view: PageView) -> list[Seal]:
        key = view.number
        if key not in self._seals:
            img = self.image_of(view)
            found: list[Seal] = []
            if view.page.seals is not None:  # detected where the page was read (the OCR worker)
                # copies: a strategy fills in a seal's ring text for this reading of the document only,
                # as for seals detected here
                found = [replace(s) for s in view.page.seals]
            elif img is not None:
                try:
                    from .seals import detect_seals

                    found = detect_seals(img, view.dpi, view.number)
                except ImportError:  # the seal detector is optional at import time
                    found = []
                except Exception:  # a detector failure must not lose the document
                    log.exception("seal detection failed on page %s", view.number)
                    found = []
            self._seals[key] = found
        return self._seals[key]

    def all_seals(self) -> list[Seal]:
        out = []
        for v in self.views:
            out += self.seals(v)
        return out

    def verifiability(self, view: PageView) -> str:
        img = self.image_of(view)
        if img is None:
            return "none"
        try:
            from .seals import seal_verifiability

            return seal_verifiability(img)
        except ImportError:
            return "gray" if img.mode in ("L", "1") else "color"

    def qr_codes(self, view: PageView) -> list[tuple[str, tuple[int, int, int, int]]]:
        key = view.number
        if key not in self._qr:
            img = self.image_of(view)
            out = []
            if img is not None:
                try:
                    import zxingcpp

                    for r in zxingcpp.read_barcodes(img.convert("RGB")):
                        p = r.position
                        xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
                        ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
                        out.append((r.text, (min(xs), min(ys), max(xs), max(ys))))
                except Exception:
                    log.exception("QR decoding failed on page %s", view.number)
            self._qr[key] = out
        return self._qr[key]


def _norm(spec: dict, raw: str, default: str = "text") -> Normalized | None:
    name = spec.get("normalizer", default)
    return NORMALIZERS[name](raw)


def _mean_conf(chars: list[Char]) -> float:
    if not chars:
        return 0.0
    return float(min(1.0, sum(c.conf for c in chars) / len(chars)))


def _apply_strip(spec: dict, text: str) -> str:
    for s in spec.get("strip", []):
        text = text.replace(s, "")
        text = text.replace(nk(s), "")
    return text
