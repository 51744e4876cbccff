"""A page's text as positioned characters, rows and label hits.

OCR lines are split into characters (RapidOCR gives a box per character; other
engines and text layers are split evenly), traditional forms the recognizer
emits are mapped to simplified ones (extractors/chinese.py; ``Char.orig`` keeps
what was read), lines are cut where the gap between
characters is large (two table columns read as one line), and the pieces are
grouped into rows by vertical overlap. Labels are found in rows even when
their characters are spread out (``名　　称``).
"""
from __future__ import annotations

import re
import statistics
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Iterable

from PIL import Image

from intake.model import Line, Page

from .chinese import changes, to_simplified

BBox = tuple[int, int, int, int]


@lru_cache(maxsize=65536)
def nk(s: str) -> str:
    """Comparison form of a text: NFKC, simplified characters, no whitespace.

    Cached: label search asks for the same few thousand characters and labels ~10^5 times a page."""
    return to_simplified(re.sub(r"\s+", "", unicodedata.normalize("NFKC", s or "")))


@lru_cache(maxsize=4096)
def _one_off_pattern(key: str) -> re.Pattern:
    """``key`` with any one character misread (a fuzzy label hit needs such a run in the row)."""
    return re.compile("|".join(re.escape(key[:i]) + "." + re.escape(key[i + 1 :]) for i in range(len(key))))


@dataclass(frozen=True)
class Char:
    text: str  # one character (NFKC may make it more)
    bbox: BBox
    conf: float
    orig: str = ""  # what OCR read, when the page view changed it (traditional -> simplified)

    @property
    def cx(self) -> float:
        return (self.bbox[0] + self.bbox[2]) / 2

    @property
    def cy(self) -> float:
        return (self.bbox[1] + self.bbox[3]) / 2

    @property
    def h(self) -> int:
        return self.bbox[3] - self.bbox[1]


def union(boxes: Iterable[BBox]) -> BBox | None:
    boxes = list(boxes)
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


@dataclass
class Row:
    chars: list[Char]
    y0: float
    y1: float

    @cached_property
    def h(self) -> float:
        hs = [c.h for c in self.chars if c.text.strip()]
        return float(statistics.median(hs)) if hs else float(self.y1 - self.y0)

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @cached_property
    def text(self) -> str:
        return "".join(c.text for c in self.chars)

    @cached_property
    def keys(self) -> list[str]:
        """Each character's comparison form (``nk``), computed once per row, not once per label searched."""
        return [nk(c.text) for c in self.chars]

    @cached_property
    def key(self) -> str:
        return "".join(self.keys)


@dataclass
class LabelHit:
    label: str
    row: int  # index into PageView.rows
    start: int  # index of the first char in the row
    end: int  # one past the last char
    bbox: BBox
    exact: bool = True
    partial: bool = False  # only part of the label was read (its first character lost: hits.find_spread_partial)

    @property
    def cx(self) -> float:
        return (self.bbox[0] + self.bbox[2]) / 2

    @property
    def cy(self) -> float:
        return (self.bbox[1] + self.bbox[3]) / 2


def _line_chars(line: Line) -> list[Char]:
    text = line.text
    words = [w for w in line.words if w.text.strip()]
    joined = "".join(w.text for w in words)
    if words and nk(joined) == nk(text):
        out: list[Char] = []
        for w in words:
            t = w.text.strip()
            if len(t) == 1:
                out.append(Char(t, tuple(int(v) for v in w.bbox), float(w.confidence)))
                continue
            x0, y0, x1, y1 = w.bbox
            step = (x1 - x0) / len(t)
            for i, c in enumerate(t):
                if c.isspace():
                    continue
                out.append(Char(c, (int(x0 + i * step), y0, int(x0 + (i + 1) * step), y1), float(w.confidence)))
        return out
    # no usable word boxes: split the line box evenly (CJK chars count double width)
    x0, y0, x1, y1 = line.bbox
    chars = [c for c in text]
    weights = [0.0 if c.isspace() else (1.0 if unicodedata.east_asian_width(c) in "WF" else 0.55) for c in chars]
    # spaces still take room
    weights = [w if w else 0.5 for w in weights]
    total = sum(weights) or 1.0
    out = []
    pos = float(x0)
    for c, w in zip(chars, weights):
        step = (x1 - x0) * w / total
        if not c.isspace():
            out.append(Char(c, (int(pos), y0, int(pos + step), y1), float(line.confidence)))
        pos += step
    return out


def simplify_chars(chars: list[Char]) -> list[Char]:
    """The line's characters in simplified form (OpenCC over the whole line, so phrases
    give context); a changed character keeps what was read in ``orig``."""
    if not chars or not all(len(c.text) == 1 for c in chars):
        return [c if to_simplified(c.text) == c.text else Char(to_simplified(c.text), c.bbox, c.conf, c.text)
                for c in chars]
    text = "".join(c.text for c in chars)
    new = to_simplified(text)
    if new == text:
        return chars
    return [c if a == c.text else Char(a, c.bbox, c.conf, c.text) for c, a in zip(chars, new)]


def conversions(chars: Iterable[Char]) -> tuple[str, ...]:
    """What the page view changed in these characters (``('許→许',)``), for the explain output."""
    chars = list(chars)
    before = "".join(c.orig or c.text for c in chars)
    after = "".join(c.text for c in chars)
    return changes(before, after)


def _split_on_gaps(chars: list[Char], factor: float = 2.2) -> list[list[Char]]:
    if not chars:
        return []
    hs = [c.h for c in chars]
    h = statistics.median(hs) if hs else 10
    out = [[chars[0]]]
    for prev, c in zip(chars, chars[1:]):
        if c.bbox[0] - prev.bbox[2] > factor * h:
            out.append([c])
        else:
            out[-1].append(c)
    return out


DEFAULT_DPI = 200  # a page whose file named no resolution is measured as if scanned at this


def page_dpi(dpi: int | None) -> int:
    """The resolution extraction measures a page at (its own, or DEFAULT_DPI when the file named none)."""
    return dpi or DEFAULT_DPI


class PageView:
    """Positioned text of one page, with label search."""

    def __init__(self, page: Page, image: Image.Image | None = None):
        self.page = page
        self.image = image
        self.number = page.number
        self.dpi = page_dpi(page.dpi)
        segments: list[list[Char]] = []
        for line in page.lines:
            chars = simplify_chars([c for c in _line_chars(line) if c.text.strip()])
            x0, y0, x1, y1 = line.bbox
            if len(chars) >= 2 and (y1 - y0) > 1.6 * (x1 - x0):
                # a vertical line (购买方 printed top to bottom): one segment per character
                n = len(chars)
                step = (y1 - y0) / n
                segments += [[Char(c.text, (x0, int(y0 + i * step), x1, int(y0 + (i + 1) * step)), c.conf, c.orig)]
                             for i, c in enumerate(chars)]
                continue
            chars.sort(key=lambda c: c.bbox[0])
            segments += _split_on_gaps(chars)
        self.rows = self._rows(segments)
        self._cache: dict = {}

    # --- construction -----------------------------------------------------------------
    @staticmethod
    def _rows(segments: list[list[Char]]) -> list[Row]:
        """Group segments into rows: a segment joins a row whose centre line it shares.

        Membership compares centres against the row's reference centre and height
        (not the union band), so a tall title or a vertical label cannot glue two
        text lines together."""
        segs = []
        for s in segments:
            b = union(c.bbox for c in s)
            segs.append((b, s))
        segs.sort(key=lambda t: ((t[0][1] + t[0][3]) / 2, t[0][0]))
        rows: list[Row] = []
        refs: list[list[float]] = []  # per row: [sum of centres, count, reference height]
        for b, s in segs:
            cy = (b[1] + b[3]) / 2
            h = max(1, b[3] - b[1])
            best, best_d = None, None
            for k in range(max(0, len(rows) - 8), len(rows)):
                ref = refs[k]
                rcy = ref[0] / ref[1]
                d = abs(cy - rcy)
                if d <= 0.45 * min(h, ref[2]) and (best_d is None or d < best_d):
                    best, best_d = k, d
            if best is None:
                rows.append(Row(chars=list(s), y0=b[1], y1=b[3]))
                refs.append([cy, 1, h])
            else:
                r = rows[best]
                r.chars += s
                r.chars.sort(key=lambda c: c.bbox[0])
                r.y0 = min(r.y0, b[1])
                r.y1 = max(r.y1, b[3])
                for cached in ("text", "h", "keys", "key"):
                    r.__dict__.pop(cached, None)
                refs[best][0] += cy
                refs[best][1] += 1
                refs[best][2] = min(refs[best][2], h)
        rows.sort(key=lambda r: (statistics.median(c.cy for c in r.chars), r.chars[0].bbox[0] if r.chars else 0))
        return rows

    # --- text ---------------------------------------------------------------------------
    @cached_property
    def text(self) -> str:
        return "\n".join(r.text for r in self.rows)

    @cached_property
    def key_text(self) -> str:
        return nk(self.text)

    @cached_property
    def median_h(self) -> float:
        hs = [r.h for r in self.rows]
        return float(statistics.median(hs)) if hs else 20.0

    def mm(self, v: float) -> float:
        """Millimetres to pixels at this page's dpi."""
        return v * self.dpi / 25.4

    # --- labels -------------------------------------------------------------------------
    def find(self, label: str, fuzzy: bool = True) -> list[LabelHit]:
        """Every occurrence of a label, in reading order (exact first; 1 substitution if none)."""
        key = (label, fuzzy)
        if key in self._cache:
            return self._cache[key]
        target = nk(label)
        hits: list[LabelHit] = []
        if target:
            for ri, row in enumerate(self.rows):
                hits += self._find_in_row(ri, row, target, label, exact=True)
            if not hits and fuzzy and len(target) >= 4:
                for ri, row in enumerate(self.rows):
                    hits += self._find_in_row(ri, row, target, label, exact=False)
            if not hits and fuzzy and len(target) >= 4:
                # the last character lost (under a seal, at a crop edge): "登记机" for "登记机关"
                for ri, row in enumerate(self.rows):
                    for h in self._find_in_row(ri, row, target[:-1], label, exact=True):
                        h.exact = False
                        hits.append(h)
        self._cache[key] = hits
        return hits

    def _find_in_row(self, ri: int, row: Row, target: str, label: str, exact: bool) -> list[LabelHit]:
        # A hit spans consecutive characters whose comparison forms join to the target (exact) or to a
        # run of its length with one character different: rows without such a run cannot hold one.
        if target not in row.key and (exact or not _one_off_pattern(target).search(row.key)):
            return []
        keys = row.keys
        n = len(target)
        out = []
        i = 0
        while i < len(keys):
            # match target starting at char i, char by char (each key usually 1 char)
            j, k, miss = i, 0, 0
            while j < len(keys) and k < n:
                kk = keys[j]
                if not kk:
                    j += 1
                    continue
                seg = target[k : k + len(kk)]
                if seg == kk:
                    k += len(kk)
                elif not exact and miss == 0 and len(kk) == 1:
                    miss += 1
                    k += 1
                else:
                    break
                j += 1
            if k == n and (exact or miss <= 1):
                chars = row.chars[i:j]
                if self._compact(chars, n):
                    out.append(LabelHit(label, ri, i, j, union(c.bbox for c in chars), exact=exact))
                    i = j
                    continue
            i += 1
        return out

    @staticmethod
    def _compact(chars: list[Char], n: int) -> bool:
        """Label characters must sit together (spread labels allow wide gaps for short labels)."""
        if len(chars) <= 1:
            return True
        h = statistics.median(c.h for c in chars) or 1
        limit = (7.0 if n <= 2 else 4.5 if n <= 4 else 2.5) * h
        return all(b.bbox[0] - a.bbox[2] <= limit for a, b in zip(chars, chars[1:]))

    def find_vertical(self, label: str) -> list[LabelHit]:
        """A label printed top to bottom, one character per line (购/买/方 on invoices)."""
        key = ("|v", label)
        if key in self._cache:
            return self._cache[key]
        target = nk(label)
        out: list[LabelHit] = []
        if len(target) >= 2:
            by_key = self._chars_by_key
            for ri, c in by_key.get(target[0], []):
                seq = [c]
                for ch in target[1:]:
                    prev = seq[-1]
                    nxt = [
                        c2 for _, c2 in by_key.get(ch, [])
                        if abs(c2.cx - prev.cx) < 0.7 * max(prev.h, 1)
                        and 0 <= c2.bbox[1] - prev.bbox[3] + 0.2 * prev.h <= 2.6 * max(prev.h, 1)
                    ]
                    if not nxt:
                        break
                    seq.append(min(nxt, key=lambda c2: c2.bbox[1]))
                if len(seq) == len(target):
                    out.append(LabelHit(label, ri, -1, -1, union(x.bbox for x in seq)))
        self._cache[key] = out
        return out

    @cached_property
    def _chars_by_key(self) -> dict[str, list[tuple[int, Char]]]:
        """The page's characters by comparison form, in reading order (the order min() breaks ties in)."""
        by_key: dict[str, list[tuple[int, Char]]] = {}
        for ri, r in enumerate(self.rows):
            for k, c in zip(r.keys, r.chars):
                by_key.setdefault(k, []).append((ri, c))
        return by_key

    def find_any(self, labels: Iterable[str]) -> list[LabelHit]:
        out = []
        for lab in labels:
            out += self.find(lab)
        return out

    # --- geometry helpers -----------------------------------------------------------------
    def row_of(self, hit: LabelHit) -> Row:
        return self.rows[hit.row]

    def reading_key(self, hit: LabelHit) -> tuple:
        return (hit.row, hit.bbox[0])
