"""Extraction strategies, looked up by name from the schemas' ``x-extract``.

A strategy is ``fn(spec, field, ctx) -> Candidate | None``: ``spec`` is one
``x-extract`` object of the schema, ``field`` the FieldSpec, ``ctx`` the
document being read (its PageViews, images, seals). Register a new one with
``@strategy("name")``; schemas then name it.

Built in:
- ``label``: the value right of (or below) a printed label, on OCR character
  boxes; multi-line values continue in the value's column.
- ``regex``: a pattern over the page text (optionally after/before an anchor,
  or inside a page region).
- ``table``: the cell in a header's column on a row label's row.
- ``checkbox``: the option whose printed box has ink inside (extractors/checkbox.py).
- ``seal``: a seal on the document, or in one party's signature block.
- ``signature``: handwriting in the box right of a 签字 label.
- ``seal_text``: the text around the seal nearest a label.
- ``qr``: a part of the invoice QR code (``01,type,code,number,amount,date,check,crc``).
"""
from __future__ import annotations

import logging
import re
import statistics
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from PIL import Image

from intake.model import Seal

from .layout import Char, LabelHit, PageView, nk, union
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


class Context:
    """One logical document being read: its pages, images and shared detections."""

    def __init__(self, doctype, views: list[PageView], images: list[Image.Image | None], engine_name: str = "rapidocr"):
        self.doctype = doctype
        self.views = views
        self.images = images
        self.engine_name = engine_name
        self._seals: dict[int, list[Seal]] = {}
        self._qr: dict[int, list] = {}
        self.stop_keys = sorted(
            {nk(lab) for f in doctype.fields for spec in f.extract for lab in spec.get("labels", [])}
            | {nk(lab) for f in doctype.fields for spec in f.extract for lab in spec.get("stop_labels", [])},
            key=len,
            reverse=True,
        )

    def image_of(self, view: PageView) -> Image.Image | None:
        i = self.views.index(view)
        return self.images[i] if i < len(self.images) else None

    def seals(self, view: PageView) -> list[Seal]:
        key = view.number
        if key not in self._seals:
            img = self.image_of(view)
            found: list[Seal] = []
            if img is not None:
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


# ---------------------------------------------------------------------------
# Label hits: ordering and anchors
# ---------------------------------------------------------------------------


def _region_ok(view: PageView, bbox, region: dict | None) -> bool:
    if not region:
        return True
    W, H = view.page.width or 1, view.page.height or 1
    cx, cy = (bbox[0] + bbox[2]) / 2 / W, (bbox[1] + bbox[3]) / 2 / H
    return region.get("x0", 0) <= cx <= region.get("x1", 1) and region.get("y0", 0) <= cy <= region.get("y1", 1)


def _first_anchor(ctx: Context, labels: list[str]) -> tuple[int, LabelHit] | None:
    for lab in labels:
        for vi, v in enumerate(ctx.views):
            hs = v.find(lab)
            if hs:
                return vi, hs[0]
    return None


def _after(pos: tuple[int, int, float], anchor: tuple[int, LabelHit]) -> bool:
    vi, hit = anchor
    p_vi, p_row, p_x = pos
    if p_vi != vi:
        return p_vi > vi
    if p_row != hit.row:
        return p_row > hit.row
    return p_x >= hit.bbox[2] - 2


def _candidate_hits(spec: dict, ctx: Context, labels: list[str]) -> list[tuple[PageView, LabelHit]]:
    """Label occurrences in preference order: label synonyms in order; per label, the spec's ordering."""
    after = _first_anchor(ctx, spec["after"]) if spec.get("after") else None
    before = _first_anchor(ctx, spec["before"]) if spec.get("before") else None
    if spec.get("after") and after is None:
        return []
    out: list[tuple[PageView, LabelHit]] = []
    for lab in labels:
        hs: list[tuple[int, PageView, LabelHit]] = []
        for vi, v in enumerate(ctx.views):
            for h in v.find(lab):
                if not _region_ok(v, h.bbox, spec.get("region")):
                    continue
                pos = (vi, h.row, h.bbox[0])
                if after and not _after(pos, after):
                    continue
                if before and _after((vi, h.row, h.bbox[0]), before):
                    continue
                hs.append((vi, v, h))
        if not hs:
            continue
        hs.sort(key=lambda t: (t[0], t[2].row, t[2].bbox[0]))
        # a label starts its line or stands after a gap; one inside running text is a last resort
        hs = [t for t in hs if _standalone(t[1], t[2])] + [t for t in hs if not _standalone(t[1], t[2])]
        near = _order_by_near(spec["near"], hs) if spec.get("near") else None
        if near is not None:
            hs = near
        elif spec.get("occurrence") == "last":
            hs.reverse()
        out += [(v, h) for _, v, h in hs]
    return out


def _order_by_near(anchors: list[str], hs):
    def dist(t):
        vi, v, h = t
        best = float("inf")
        for lab in anchors:
            for a in v.find(lab, fuzzy=False) + v.find_vertical(lab):
                if a.row == h.row and a.start <= h.start < a.end:
                    continue
                dx = max(0.0, h.bbox[0] - a.bbox[2], a.bbox[0] - h.bbox[2]) if True else 0
                dy = abs(a.cy - h.cy)
                # anchors sit above or left of their block
                penalty = 0.0 if (a.bbox[1] <= h.bbox[3] + v.median_h) else 3 * v.median_h
                penalty += 0.0 if a.bbox[0] <= h.bbox[2] else 2 * v.median_h
                best = min(best, (dx * dx + dy * dy) ** 0.5 + penalty)
        return (best, vi, h.row)

    keyed = [(dist(t), t) for t in hs]
    if all(k[0] == float("inf") for k, _ in keyed):
        return None  # no anchor on the page: the caller falls back to reading order
    return [t for _, t in sorted(keyed, key=lambda kt: kt[0])]


# ---------------------------------------------------------------------------
# label
# ---------------------------------------------------------------------------

_LEAD = ":：;；,，、.。 "


def _stop_at(keys: list[str], j: int, stop_keys: list[str], own: str) -> str | None:
    """The stop label starting at char j, if any."""
    s = "".join(keys[j : j + 14])
    for sk in stop_keys:
        if sk == own or sk in own:
            continue
        if s.startswith(sk):
            return sk
    return None


def _take_run(chars: list[Char], start_gap_ok: bool, h: float, stop_keys: list[str], own: str,
              x_limit: float) -> tuple[list[Char], float | None]:
    """Value chars from the start of `chars` until a stop label, a wide gap or x_limit.

    Returns (chars, x where a stop label or gap ended the run, or None)."""
    keys = [nk(c.text) for c in chars]
    out: list[Char] = []
    for j, c in enumerate(chars):
        if c.bbox[0] >= x_limit:
            return out, x_limit
        gap = c.bbox[0] - out[-1].bbox[2] if out else 0
        if out and gap > 3.0 * h:
            return out, c.bbox[0]
        sk = _stop_at(keys, j, stop_keys, own)
        if sk and out:
            nxt = "".join(keys[j + len(sk) : j + len(sk) + 1])
            if gap >= 0.5 * h or nxt in (":", "：") or len(sk) >= 4:
                return out, c.bbox[0]
        out.append(c)
    return out, None


def _strip_lead(chars: list[Char]) -> list[Char]:
    i = 0
    while i < len(chars) and nk(chars[i].text) in (":", ";", ",", "、", ".", "。", ""):
        i += 1
    return chars[i:]


def _value_right(view: PageView, hit: LabelHit, ctx: Context, spec: dict) -> list[list[Char]] | None:
    lab_h = max(1, hit.bbox[3] - hit.bbox[1])
    best = None
    for ri in range(max(0, hit.row - 3), min(len(view.rows), hit.row + 4)):
        r = view.rows[ri]
        if not (hit.bbox[1] - 0.6 * lab_h <= r.cy <= hit.bbox[3] + 0.6 * lab_h):
            continue
        if ri == hit.row:
            chars = r.chars[hit.end :]
        else:
            chars = [c for c in r.chars if c.bbox[0] >= hit.bbox[2] - 0.3 * lab_h]
        chars = _strip_lead(chars)
        if not chars:
            continue
        gap = chars[0].bbox[0] - hit.bbox[2]
        if gap > 9 * lab_h or gap < -0.5 * lab_h:
            continue
        score = max(gap, 0) + 2 * abs(r.cy - hit.cy)
        if best is None or score < best[0]:
            best = (score, ri, chars)
    if best is None:
        return None
    _, ri, chars = best
    h = statistics.median([c.h for c in chars[:8]] + [lab_h])
    own = nk(hit.label)
    first, x_stop = _take_run(chars, True, h, ctx.stop_keys, own, float("inf"))
    if not first:
        return None
    lines = [first]
    if spec.get("multiline"):
        max_lines = int(spec.get("max_lines", 1))
        x_start = first[0].bbox[0]
        x_limit = x_stop if x_stop is not None else float("inf")
        prev_y1 = max(c.bbox[3] for c in first)
        rj = ri + 1
        while len(lines) < max_lines and rj < len(view.rows):
            r = view.rows[rj]
            rj += 1
            if r.cy <= prev_y1:
                continue  # a row overlapping the previous line (label rows of two-line labels)
            if r.y0 - prev_y1 > 1.1 * h:
                break
            # a new label in the label column ends the value
            if any(c.bbox[2] <= x_start - 0.5 * h and c.bbox[0] >= hit.bbox[0] - 1.0 * h for c in r.chars):
                break
            cont = [c for c in r.chars if x_start - 1.0 * h <= c.bbox[0] < x_limit]
            if not cont:
                if any(x_start - 1.0 * h > c.bbox[0] for c in r.chars):
                    break
                continue
            if cont[0].bbox[0] > x_start + 2.5 * h:
                break
            keys = [nk(c.text) for c in cont]
            if _stop_at(keys, 0, ctx.stop_keys, own):
                break
            run, _ = _take_run(cont, True, h, ctx.stop_keys, own, x_limit)
            if not run:
                break
            lines.append(run)
            prev_y1 = max(c.bbox[3] for c in run)
    return lines


def _value_below(view: PageView, hit: LabelHit, ctx: Context, spec: dict) -> list[list[Char]] | None:
    lab_h = max(1, hit.bbox[3] - hit.bbox[1])
    for ri in range(hit.row + 1, min(len(view.rows), hit.row + 4)):
        r = view.rows[ri]
        if r.y0 - hit.bbox[3] > 3 * lab_h:
            break
        if r.cy <= hit.bbox[3]:
            continue
        cand = [c for c in r.chars if c.bbox[2] >= hit.bbox[0] - 2 * lab_h and c.bbox[0] <= hit.bbox[2] + lab_h]
        if not cand:
            continue
        start = r.chars.index(cand[0])
        chars = _strip_lead(r.chars[start:])
        run, _ = _take_run(chars, True, max(lab_h, r.h), ctx.stop_keys, nk(hit.label), float("inf"))
        if run:
            return [run]
    return None


def _pattern_filter(spec: dict, lines: list[list[Char]]) -> tuple[str, list[Char]] | None:
    chars = [c for ln in lines for c in ln]
    joiner = "" if spec.get("normalizer") != "multiline_text" else ""
    text = joiner.join(c.text for c in chars)
    pat = spec.get("pattern")
    if not pat:
        return text, chars
    offsets = []
    for i, c in enumerate(chars):
        offsets += [i] * len(c.text)
    m = re.search(pat, text)
    if not m:
        return None
    g = "value" if "value" in m.re.groupindex else 0
    a, b = m.span(g)
    if a == b:
        return None
    sel = chars[offsets[a] : offsets[b - 1] + 1]
    return m.group(g), sel


@strategy("label")
def label_strategy(spec: dict, fs, ctx: Context) -> Candidate | None:
    direction = spec.get("direction", "right-or-below")
    for view, hit in _candidate_hits(spec, ctx, spec.get("labels", [])):
        lines = None
        if direction in ("right", "right-or-below"):
            lines = _value_right(view, hit, ctx, spec)
            if lines and spec.get("pattern") and _pattern_filter(spec, lines) is None:
                lines = None
        if lines is None and direction in ("below", "right-or-below"):
            lines = _value_below(view, hit, ctx, spec)
        if not lines:
            continue
        picked = _pattern_filter(spec, lines)
        if picked is None:
            continue
        raw, chars = picked
        raw = _apply_strip(spec, raw)
        n = _norm(spec, raw)
        if n is None or n.value in ("", None):
            continue
        conf = _mean_conf(chars) * n.certainty * (1.0 if hit.exact else 0.85)
        return Candidate(n.value, conf, view.number, union(c.bbox for c in chars), "label", raw, hit.label,
                         n.certainty, view, chars)
    return None


# ---------------------------------------------------------------------------
# regex
# ---------------------------------------------------------------------------


@strategy("regex")
def regex_strategy(spec: dict, fs, ctx: Context) -> Candidate | None:
    pat = re.compile(spec["pattern"])
    after = _first_anchor(ctx, spec["after"]) if spec.get("after") else None
    before = _first_anchor(ctx, spec["before"]) if spec.get("before") else None
    if spec.get("after") and after is None:
        return None
    found: list[tuple[PageView, str, list[Char]]] = []
    for vi, view in enumerate(ctx.views):
        for ri, row in enumerate(view.rows):
            chars = row.chars
            if after is not None:
                chars = [c for c in chars if _after((vi, ri, c.bbox[0]), after)]
            if before is not None:
                chars = [c for c in chars if not _after((vi, ri, c.bbox[0]), before)]
            if not chars:
                continue
            text = "".join(c.text for c in chars)
            offsets = []
            for i, c in enumerate(chars):
                offsets += [i] * len(c.text)
            for m in pat.finditer(text):
                g = "value" if "value" in pat.groupindex else 0
                a, b = m.span(g)
                if a == b:
                    continue
                sel = chars[offsets[a] : offsets[b - 1] + 1]
                bb = union(c.bbox for c in sel)
                if not _region_ok(view, bb, spec.get("region")):
                    continue
                found.append((view, m.group(g), sel))
    if spec.get("occurrence") == "last":
        found.reverse()
    for view, raw, sel in found:
        n = _norm(spec, _apply_strip(spec, raw))
        if n is None or n.value in ("", None):
            continue
        conf = _mean_conf(sel) * n.certainty * 0.95
        return Candidate(n.value, conf, view.number, union(c.bbox for c in sel), "regex", raw, "", n.certainty, view, sel)
    return None


# ---------------------------------------------------------------------------
# table
# ---------------------------------------------------------------------------


def _standalone(view: PageView, hit: LabelHit) -> bool:
    if hit.start <= 0:
        return True
    row = view.rows[hit.row]
    if hit.end < len(row.chars) and nk(row.chars[hit.end].text) in (":", "："):
        return True
    row = view.rows[hit.row]
    prev = row.chars[hit.start - 1]
    return row.chars[hit.start].bbox[0] - prev.bbox[2] > 0.8 * (hit.bbox[3] - hit.bbox[1])


@strategy("table")
def table_strategy(spec: dict, fs, ctx: Context) -> Candidate | None:
    for view in ctx.views:
        # a row label stands at the start of its cell ("合计", not the end of "价税合计")
        rows_hits = [h for h in view.find_any(spec.get("row", [])) if _standalone(view, h)]
        heads = view.find_any(spec.get("header", []))
        for rh in reversed(rows_hits):  # the total row is the last one
            above = [h for h in heads if h.cy < rh.cy - 0.5 * (rh.bbox[3] - rh.bbox[1])]
            if not above:
                continue
            hh = min(above, key=lambda h: rh.cy - h.cy)
            lab_h = max(1, rh.bbox[3] - rh.bbox[1])
            # the cells of the row hit's line
            chars = []
            for r in view.rows:
                if abs(r.cy - rh.cy) <= 0.6 * lab_h:
                    chars += [c for c in r.chars if c.bbox[0] >= rh.bbox[2]]
            chars.sort(key=lambda c: c.bbox[0])
            if not chars:
                continue
            # split into cells at gaps
            cells: list[list[Char]] = [[chars[0]]]
            for a, b in zip(chars, chars[1:]):
                if b.bbox[0] - a.bbox[2] > 1.2 * lab_h:
                    cells.append([b])
                else:
                    cells[-1].append(b)
            x0, x1 = hh.bbox[0] - 3 * lab_h, hh.bbox[2] + 3 * lab_h
            hc = hh.cx

            def overlap(cell):
                a, b = cell[0].bbox[0], cell[-1].bbox[2]
                return min(b, x1) - max(a, x0), -abs((a + b) / 2 - hc)

            cell = max(cells, key=overlap)
            if overlap(cell)[0] <= 0:
                continue
            raw = "".join(c.text for c in cell)
            n = _norm(spec, raw, "money")
            if n is None:
                continue
            conf = _mean_conf(cell) * n.certainty
            return Candidate(n.value, conf, view.number, union(c.bbox for c in cell), "table", raw,
                             f"{hh.label}×{rh.label}", n.certainty, view, cell)
    return None


# ---------------------------------------------------------------------------
# seals and signatures
# ---------------------------------------------------------------------------


def _party_region(view: PageView, spec: dict) -> tuple[float, float, float, float] | None:
    labels = [spec["party"]] if spec.get("party") else []
    labels += spec.get("labels", [])
    hits = []
    for lab in labels:
        hits = view.find(lab)
        if hits:
            break
    if not hits:
        return None
    hit = hits[-1]  # signature blocks are at the end
    W = view.page.width
    # the block ends where another block's label starts on the same row
    right = W * 0.93
    for c in view.rows[hit.row].chars[hit.end :]:
        k = nk(c.text)
        if c.bbox[0] > hit.bbox[2] + view.mm(20) and k in ("甲", "乙", "丙"):
            right = min(right, c.bbox[0] - view.mm(3))
            break
    left = hit.bbox[0] - view.mm(8)
    # a block to the left ends ours too
    return (left, hit.bbox[1] - view.mm(25), right, hit.bbox[3] + view.mm(50))


@strategy("seal")
def seal_strategy(spec: dict, fs, ctx: Context) -> Candidate | None:
    party = bool(spec.get("party"))
    any_region = False
    best: tuple[Seal, PageView] | None = None
    for view in reversed(ctx.views):
        region = _party_region(view, spec) if party else None
        if party and region is None:
            continue
        any_region = True
        for s in ctx.seals(view):
            cx, cy = (s.bbox[0] + s.bbox[2]) / 2, (s.bbox[1] + s.bbox[3]) / 2
            if region and not (region[0] <= cx <= region[2] and region[1] <= cy <= region[3]):
                continue
            if best is None or s.confidence > best[0].confidence:
                best = (s, view)
        if best:
            break
    if party and not any_region:
        return None
    if best is not None:
        s, view = best
        # The detector's score grades a seal's shape; the field's confidence is how sure we are
        # a seal is there. A red ring that passed the detector's shape gates is one (bench/seals.py
        # measures it); gray impressions and square stamps stay with their score (often review).
        score = float(s.confidence or 0.5)
        if s.color == "red" and s.shape in ("round", "oval"):
            conf = 0.9 + 0.09 * min(1.0, max(0.0, (score - 0.5) / 0.45))
        else:
            conf = max(0.5, min(0.84, score))
        return Candidate(True, conf, view.number, tuple(int(v) for v in s.bbox), "seal", f"{s.color} {s.shape} seal",
                         spec.get("party", ""), 1.0, view, [])
    view = ctx.views[-1]
    ver = ctx.verifiability(view)
    if ver == "color":
        return Candidate(False, 0.9, view.number, None, "seal", "no seal", spec.get("party", ""), 1.0, view, [])
    return Candidate(False, 0.3, view.number, None, "seal", "not_verifiable", spec.get("party", ""), 1.0, view, [])


def _own_signature_check(img: Image.Image, region, view: PageView) -> tuple[bool | None, float]:
    """Fallback when extractors.signatures is absent: dark ink not explained by printed text."""
    arr = np.asarray(img.convert("RGB")).astype(np.int16)
    x0, y0, x1, y1 = (int(v) for v in region)
    H, W = arr.shape[:2]
    x0, x1, y0, y1 = max(0, x0), min(W, x1), max(0, y0), min(H, y1)
    if x1 <= x0 or y1 <= y0:
        return None, 0.0
    crop = arr[y0:y1, x0:x1]
    red = (crop[..., 0] - np.maximum(crop[..., 1], crop[..., 2])) > 50
    dark = (crop.min(axis=2) < 110) & ~red
    for r in view.rows:
        for c in r.chars:
            cx0, cy0, cx1, cy1 = c.bbox
            if cx1 < x0 or cx0 > x1 or cy1 < y0 or cy0 > y1:
                continue
            dark[max(0, cy0 - y0 - 2) : max(0, cy1 - y0 + 2), max(0, cx0 - x0 - 2) : max(0, cx1 - x0 + 2)] = False
    ratio = float(dark.mean())
    if ratio > 0.004:
        return True, min(0.95, 0.6 + ratio * 20)
    return False, 0.7


@strategy("signature")
def signature_strategy(spec: dict, fs, ctx: Context) -> Candidate | None:
    hits = _candidate_hits({**spec, "occurrence": "last"}, ctx, spec.get("labels", []))
    if not hits:
        return None
    view, hit = hits[0]
    img = ctx.image_of(view)
    if img is None:
        return None
    W = view.page.width
    region = (hit.bbox[2], hit.bbox[1] - view.mm(9), min(W * 0.95, hit.bbox[2] + view.mm(70)), hit.bbox[3] + view.mm(4))
    try:
        from .signatures import detect_signature

        present, conf = detect_signature(img, view.dpi, tuple(int(v) for v in region), ctx.seals(view))
    except ImportError:
        present, conf = _own_signature_check(img, region, view)
    bb = tuple(int(v) for v in region)
    if present is None:
        return Candidate(False, min(0.3, conf or 0.3), view.number, bb, "signature", "not_verifiable", hit.label, 1.0, view, [])
    return Candidate(bool(present), float(conf), view.number, bb, "signature",
                     "ink" if present else "blank", hit.label, 1.0, view, [])


@strategy("seal_text")
def seal_text_strategy(spec: dict, fs, ctx: Context) -> Candidate | None:
    for view, hit in _candidate_hits(spec, ctx, spec.get("labels", [])):
        seals = ctx.seals(view)
        if not seals:
            continue

        def dist(s):
            cx, cy = (s.bbox[0] + s.bbox[2]) / 2, (s.bbox[1] + s.bbox[3]) / 2
            return ((cx - hit.cx) ** 2 + (cy - hit.cy) ** 2) ** 0.5

        s = min(seals, key=dist)
        if dist(s) > 3 * max(s.bbox[2] - s.bbox[0], s.bbox[3] - s.bbox[1]):
            continue
        text = s.text
        if not text:
            img = ctx.image_of(view)
            try:
                from intake.ocr.base import get_engine

                from .seals import read_seal_text

                text = read_seal_text(img, s, get_engine(ctx.engine_name if ctx.engine_name == "rapidocr" else "rapidocr"))
            except Exception:
                log.exception("seal text reading failed")
                text = ""
            s.text = text
        if not text:
            continue
        n = _norm(spec, text, "name")
        if n is None:
            continue
        # Ring text is hard to read; only a reading the normalizer vouches for fully (an
        # authority's well-formed name) is trusted beyond the review threshold.
        conf = 0.93 if n.certainty >= 1.0 and spec.get("normalizer") != "name" else 0.8 * n.certainty
        return Candidate(n.value, conf, view.number, tuple(int(v) for v in s.bbox), "seal_text", text,
                         hit.label, n.certainty, view, [])
    return None


# ---------------------------------------------------------------------------
# qr
# ---------------------------------------------------------------------------

_QR_PARTS = {"type": 1, "code": 2, "number": 3, "amount": 4, "date": 5, "check": 6}


def parse_invoice_qr(text: str) -> dict[str, str] | None:
    parts = [p.strip() for p in (text or "").split(",")]
    if len(parts) < 7 or parts[0] != "01" or not re.fullmatch(r"\d{8}", parts[5] or ""):
        return None
    return {k: parts[i] for k, i in _QR_PARTS.items()}


@strategy("qr")
def qr_strategy(spec: dict, fs, ctx: Context) -> Candidate | None:
    part = spec.get("qr", "number")
    for view in ctx.views:
        for text, bb in ctx.qr_codes(view):
            parsed = parse_invoice_qr(text)
            if not parsed or not parsed.get(part):
                continue
            n = _norm(spec, parsed[part])
            if n is None:
                continue
            return Candidate(n.value, 0.99 * n.certainty, view.number, tuple(int(v) for v in bb), "qr", parsed[part],
                             "QR", n.certainty, view, [])
    return None


# Strategies in their own modules register themselves on import; importing them here
# keeps STRATEGIES complete for every caller that imports this module.
from . import checkbox  # noqa: E402,F401
