"""The ``checkbox`` strategy: which printed option is marked.

Forms mark an option in many ways: a tick (✓/√, printed or handwritten) or an X in
a printed box, a filled box (■), a printed ☑ glyph that OCR reads with the option
(``☑企业``, ``√企业``, ``■企业``), a circle drawn around the option's text, or a
tick in a table cell beside the option. Each option found on the page gets one
measurement per kind of evidence:

- ``glyph``: the character OCR read just left of the option (☑ ■ √ ✓ ✔ ☒ ● … = marked,
  □ ☐ ○ = empty);
- ``box``: ink inside the printed box left of the option (its border excluded);
- ``left``: handwriting strokes left of the option, with ruled lines (box borders,
  table rulings) removed: a tick without a box, or in a table cell;
- ``ring``: strokes in a band around the option's text: a circle drawn around it;
- ``right``: strokes right of the option (a table whose tick column follows the
  option), consulted last since in a row of options the next option's box is there.

Evidence kinds are looked at in that order; the first where some option stands
out decides. Confidence says how clearly one option stands out (and rises when a
second kind agrees); when two options stand out alike the best one is returned
with a low confidence, so a reviewer looks rather than a wrong option being taken
silently. No mark anywhere gives no value.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from .layout import LabelHit, PageView, nk
from .strategies import Candidate, Context, _norm, strategy

_MARKED = set("☑☒■▣◼◾●◉⦿✓✔√✗✘×⊠⊗") | {"\u2705", "\u2611", "\u25a0"}
_EMPTY = set("□☐○◯〇▢◻◽口")

# (name, least value that counts as a mark). Values are ink fractions of the measured area.
_KINDS = (("box", 0.04), ("left", 0.02), ("ring", 0.75), ("right", 0.02))
# Spread below which the unmarked options' values count as equal (noise, a photo's shadow).
_FLOOR = {"box": 0.01, "left": 0.005, "ring": 0.08, "right": 0.005}

# Confidence when two options carry marks of the same strength: a reviewer decides.
AMBIGUOUS_CONFIDENCE = 0.35


def _groups(mask: np.ndarray) -> list[tuple[int, int]]:
    out, start = [], None
    for i, m in enumerate(list(mask) + [False]):
        if m and start is None:
            start = i
        elif not m and start is not None:
            out.append((start, i))
            start = None
    return out


def _box_ink(ink: np.ndarray, window) -> tuple[float, tuple[int, int, int, int]]:
    """Ink inside the printed box found in `window` (the box's own border excluded).

    The box is found from its border lines: the outermost columns and rows of the
    window that are mostly ink. Without a recognisable box, the window's ink ratio."""
    H, W = ink.shape
    x0, y0, x1, y1 = (int(round(v)) for v in window)
    x0, x1, y0, y1 = max(0, x0), min(W, x1), max(0, y0), min(H, y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return 0.0, (x0, y0, x1, y1)
    win = ink[y0:y1, x0:x1]
    cols = _groups(win.mean(axis=0) > 0.22)
    if len(cols) == 1 and cols[0][1] - cols[0][0] >= 0.25 * (y1 - y0):
        # one solid block as wide as a box: a filled box (■) — its rows are ink too
        c0, c1 = cols[0]
        rows = _groups(win[:, c0:c1].mean(axis=1) > 0.6)
        if rows:
            r0, r1 = max(rows, key=lambda r: r[1] - r[0])
            if r1 - r0 >= 0.6 * (c1 - c0) and r1 - r0 <= 1.6 * (c1 - c0):
                block = win[r0:r1, c0:c1]
                return float(block.mean()), (x0 + c0, y0 + r0, x0 + c1, y0 + r1)
    if len(cols) >= 2:
        left, right = cols[0][1], cols[-1][0]
        if right - left >= 4:
            sub = win[:, left:right]
            rows = _groups(sub.mean(axis=1) > 0.5)
            if len(rows) >= 2:
                top, bottom = rows[0][1], rows[-1][0]
                if bottom - top >= 4:
                    m = max(1, int(0.12 * (right - left)))
                    inner = win[top + m : bottom - m, left + m : right - m]
                    if inner.size:
                        return float(inner.mean()), (x0 + left, y0 + top, x0 + right, y0 + bottom)
    return float(win.mean()) * 0.5, (x0, y0, x1, y1)


def _ink(img) -> np.ndarray:
    """Dark ink of the page (any colour but the red of seals)."""
    arr = np.asarray(img.convert("RGB")).astype(np.int16)
    # tick ink may be coloured (blue pen): darkness = min channel; red seal ink ignored
    red = (arr[..., 0] - np.maximum(arr[..., 1], arr[..., 2])) > 60
    ink = (arr.min(axis=2) < 150) & ~red
    return ink


def _strokes(ink: np.ndarray, box: tuple[int, int, int, int], line_len: int) -> np.ndarray:
    """The ink of a region without horizontal/vertical runs of ``line_len`` or more (rulings, box borders)."""
    x0, y0, x1, y1 = box
    sub = ink[y0:y1, x0:x1].astype(np.uint8)
    if sub.size == 0:
        return sub.astype(bool)
    n = max(3, int(line_len))
    horiz = cv2.morphologyEx(sub, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (n, 1)))
    vert = cv2.morphologyEx(sub, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, n)))
    lines = cv2.dilate(horiz | vert, np.ones((3, 3), np.uint8))
    return (sub > 0) & ~(lines > 0)


def _clip(box, W, H) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    return max(0, x0), max(0, y0), min(W, x1), min(H, y1)


def _glyph(view: PageView, h: LabelHit) -> int:
    """+1 a marked glyph read just left of the option, -1 an empty box glyph, 0 none."""
    if h.start < 0:
        return 0
    row = view.rows[h.row]
    ch = max(1, h.bbox[3] - h.bbox[1])
    for c in reversed(row.chars[: h.start]):
        if h.bbox[0] - c.bbox[2] > 1.2 * ch:
            break
        t = c.text.strip()
        if not t:
            continue
        if t in _MARKED or t in "Vv" and h.bbox[0] - c.bbox[2] < 0.4 * ch:
            return 1
        if t in _EMPTY:
            return -1
        break
    return 0


def _measure(view: PageView, ink: np.ndarray, h: LabelHit) -> dict[str, float]:
    H, W = ink.shape
    ch = max(4, h.bbox[3] - h.bbox[1])
    cy = (h.bbox[1] + h.bbox[3]) / 2
    line_len = int(0.55 * ch)
    out: dict[str, float] = {}
    window = (h.bbox[0] - 2.0 * ch, cy - 0.95 * ch, h.bbox[0] - 0.03 * ch, cy + 0.95 * ch)
    out["box"], box = _box_ink(ink, window)
    left = _clip((h.bbox[0] - 2.2 * ch, cy - 1.0 * ch, h.bbox[0] - 0.08 * ch, cy + 1.0 * ch), W, H)
    s = _strokes(ink, left, line_len)
    out["left"] = float(s.mean()) if s.size else 0.0
    right = _clip((h.bbox[2] + 0.08 * ch, cy - 1.0 * ch, h.bbox[2] + 2.2 * ch, cy + 1.0 * ch), W, H)
    s = _strokes(ink, right, line_len)
    out["right"] = float(s.mean()) if s.size else 0.0
    out["ring"] = _ring(ink, h.bbox, ch)
    return out


def _ring(ink: np.ndarray, bbox, ch: int, sectors: int = 12) -> float:
    """How far strokes go round the option's text (0..1): a drawn circle goes all the way,
    a neighbour's text or the option's own box covers a few sectors at most."""
    H, W = ink.shape
    x0, y0, x1, y1 = bbox
    reg = _clip((x0 - 0.9 * ch, y0 - 0.7 * ch, x1 + 0.9 * ch, y1 + 0.7 * ch), W, H)
    st = _strokes(ink, reg, int(1.0 * ch))
    if st.size == 0:
        return 0.0
    # the glyphs' own rows: the longest run of dense rows inside the OCR box (OCR boxes are
    # padded, and a tight circle can sit inside that padding)
    bx0, bx1 = max(0, x0 - reg[0]), max(1, x1 - reg[0])
    by0, by1 = max(0, y0 - reg[1]), max(1, y1 - reg[1])
    dense = ink[reg[1] + by0 : reg[1] + by1, reg[0] + bx0 : reg[0] + bx1].mean(axis=1) > 0.08
    runs = _groups(dense)
    if runs:
        r0, r1 = max(runs, key=lambda r: r[1] - r[0])
        cy0, cy1 = by0 + r0, by0 + r1
    else:
        cy0, cy1 = by0, by1
    m = int(0.06 * ch)
    core = np.zeros_like(st, dtype=bool)
    core[max(0, cy0 - m) : cy1 + m, max(0, bx0 - m) : bx1 + m] = True
    ys, xs = np.nonzero(st & ~core)
    if len(xs) == 0:
        return 0.0
    cx, cyc = (bx0 + bx1) / 2, (cy0 + cy1) / 2
    rx, ry = max(1.0, (bx1 - bx0) / 2), max(1.0, (cy1 - cy0) / 2)
    ang = np.arctan2((ys - cyc) / ry, (xs - cx) / rx)
    bins = np.floor((ang + np.pi) / (2 * np.pi) * sectors).astype(int) % sectors
    counts = np.bincount(bins, minlength=sectors)
    return float((counts >= max(3, 0.15 * ch)).mean())


def _stand_out(values: list[float], least: float) -> tuple[str, int, float]:
    """('clear', index, ratio) / ('ambiguous', index, ratio) / ('flat', -1, 0)."""
    order = sorted(range(len(values)), key=lambda i: values[i], reverse=True)
    low = sorted(values)[: max(1, len(values) // 2)]
    empty = float(np.median(low)) if len(values) >= 4 else min(values)
    marked = [i for i in order if values[i] >= least and values[i] >= 2.5 * empty + least / 2]
    if not marked:
        return "flat", -1, 0.0
    top = marked[0]
    second = values[order[1]] if order[0] == top else values[order[0]]
    ratio = values[top] / max(second, empty, least / 4)
    if len(marked) >= 2 and ratio < 2.0:
        return "ambiguous", top, ratio
    return "clear", top, ratio


def _clarity(values: list[float], idx: int, ratio: float, kind: str) -> float:
    """Confidence from how far the marked option stands out: against the runner-up (ratio) and
    against the spread of the unmarked ones (z, when there are enough of them)."""
    # 2x the runner-up is the least that counts; 8x and more is as clear as a mark gets
    by_ratio = min(1.0, max(0.0, (math.log(max(ratio, 1.0)) - math.log(2)) / (math.log(8) - math.log(2))))
    others = np.array([v for i, v in enumerate(values) if i != idx])
    if len(others) >= 3:
        z = (values[idx] - float(others.mean())) / (float(others.std()) + _FLOOR.get(kind, 0.01))
        by_z = min(1.0, max(0.0, (z - 1.5) / 2.5))
    else:
        by_z = by_ratio
    return 0.6 + 0.35 * (by_ratio + by_z) / 2


def _options_found(view: PageView, spec: dict) -> list[tuple[str, LabelHit]]:
    anchors = view.find_any(spec.get("labels", []))
    found = []
    for opt in spec.get("options", []):
        hits = view.find(opt)
        if anchors:
            a = anchors[0]
            ah = a.bbox[3] - a.bbox[1]
            hits = [h for h in hits if a.bbox[1] - 4 * ah <= h.cy <= a.bbox[3] + 5 * ah and h.bbox[0] > a.bbox[0]]
        if hits:
            found.append((opt, hits[0]))
    return found


def decide(glyphs: list[int], measures: list[dict[str, float]]) -> tuple[int, float, str] | None:
    """(index of the marked option, confidence, which evidence decided) or None when nothing is marked."""
    votes: list[tuple[str, str, int, float]] = []
    if sum(g > 0 for g in glyphs) == 1:
        votes.append(("glyph", "clear", glyphs.index(1), 8.0))  # confidence set below
    elif sum(g > 0 for g in glyphs) >= 2:
        votes.append(("glyph", "ambiguous", glyphs.index(1), 1.0))
    for kind, least in _KINDS:
        state, idx, ratio = _stand_out([m[kind] for m in measures], least)
        if state != "flat":
            votes.append((kind, state, idx, ratio))
    if not votes:
        return None
    kind, state, idx, ratio = votes[0]
    if state == "ambiguous":
        return idx, AMBIGUOUS_CONFIDENCE, kind
    # an option whose box OCR read as empty (□) is not the marked one
    if glyphs[idx] < 0 and kind != "glyph":
        return idx, AMBIGUOUS_CONFIDENCE, kind
    conf = 0.95 if kind == "glyph" else _clarity([m[kind] for m in measures], idx, ratio, kind)
    if kind != "glyph" and len(glyphs) >= 3 and all(g < 0 for i, g in enumerate(glyphs) if i != idx):
        conf += 0.04  # OCR read every other option's box as empty (□): the text agrees
    clear_others = [v for v in votes[1:] if v[1] == "clear" and v[0] != "right"]
    if any(v[2] != idx for v in clear_others[:1]):
        return idx, min(conf, 0.5), kind  # the next kind of evidence points elsewhere: doubt
    if any(v[2] == idx for v in clear_others):
        conf = min(0.99, conf + 0.04)
    return idx, round(conf, 3), kind


@strategy("checkbox")
def checkbox_strategy(spec: dict, fs, ctx: Context) -> Candidate | None:
    for view in ctx.views:
        img = ctx.image_of(view)
        if img is None:
            continue
        found = _options_found(view, spec)
        if len(found) < 2:
            continue
        ink = _ink(img)
        glyphs = [_glyph(view, h) for _, h in found]
        measures = [_measure(view, ink, h) for _, h in found]
        got = decide(glyphs, measures)
        if got is None:
            return None  # nothing marked: let review decide
        idx, conf, kind = got
        opt, h = found[idx]
        ch = h.bbox[3] - h.bbox[1]
        n = _norm(spec, opt)
        bb = (int(h.bbox[0] - 2.0 * ch), int(h.bbox[1]), int(h.bbox[2]), int(h.bbox[3]))
        return Candidate(n.value if n else opt, conf, view.number, bb, "checkbox", f"[{kind}]{opt}",
                         spec.get("labels", [""])[0], 1.0, view, [])
    return None
