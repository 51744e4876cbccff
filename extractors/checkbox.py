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
from .context import Candidate, Context, _norm, strategy

_MARKED = set("☑☒■▣◼◾●◉⦿✓✔√✗✘×⊠⊗") | {"\u2705", "\u2611", "\u25a0"}
_EMPTY = set("□☐○◯〇▢◻◽口")

# Evidence kinds in the order they are consulted, and per kind (least value that counts as a
# mark, and how far above the unmarked options' level: value >= factor * level + margin).
# Values are ink fractions of the measured area; ``ring`` is the share of directions round the
# text that strokes cover (unmarked options reach 0.3-0.6 from their box and neighbours).
_KINDS = ("box", "ring", "near", "far")
_RULES = {"box": (0.04, 2.5, 0.02), "ring": (0.7, 1.0, 0.3), "near": (0.02, 2.5, 0.01), "far": (0.02, 2.5, 0.01)}
# Spread below which the unmarked options' values count as equal (noise, a photo's shadow).
_FLOOR = {"box": 0.01, "near": 0.005, "ring": 0.08, "far": 0.005}

# Confidence when two options carry marks of the same strength: a reviewer decides.
AMBIGUOUS_CONFIDENCE = 0.35
# Highest confidence one kind of evidence earns alone (calibration: shown >= 0.98 must be right >= 98%).
SINGLE_EVIDENCE_MAX = 0.97


def _groups(mask: np.ndarray) -> list[tuple[int, int]]:
    out, start = [], None
    for i, m in enumerate(list(mask) + [False]):
        if m and start is None:
            start = i
        elif not m and start is not None:
            out.append((start, i))
            start = None
    return out


def _find_box(ink: np.ndarray, window) -> tuple[str, tuple[int, int, int, int]] | None:
    """A printed box in `window`: ('solid', box) for a filled one (■), ('open', box) for a box
    outline (found from its border lines: outermost columns and rows that are mostly ink)."""
    H, W = ink.shape
    x0, y0, x1, y1 = _clip(window, W, H)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    win = ink[y0:y1, x0:x1]
    cols = _groups(win.mean(axis=0) > 0.22)
    for c0, c1 in cols:
        if c1 - c0 >= 0.25 * (y1 - y0):
            # one solid block as wide as a box: a filled box — its rows are ink too
            rows = _groups(win[:, c0:c1].mean(axis=1) > 0.6)
            if rows:
                r0, r1 = max(rows, key=lambda r: r[1] - r[0])
                if 0.6 * (c1 - c0) <= r1 - r0 <= 1.6 * (c1 - c0):
                    return "solid", (x0 + c0, y0 + r0, x0 + c1, y0 + r1)
    # a filled round mark (● ◉, a radio button): a compact blob, about as wide as high, mostly ink —
    # too small for the column test above, which is made for boxes
    solid = _solid_blob(win, y1 - y0)
    if solid is not None:
        bx0, by0, bx1, by1 = solid
        return "solid", (x0 + bx0, y0 + by0, x0 + bx1, y0 + by1)
    # the pair of border columns closest to a square of a plausible size, nearest the option
    best = None
    for a in range(len(cols)):
        for b in range(a + 1, len(cols)):
            left, right = cols[a][1], cols[b][0]
            w = right - left
            if w < 4 or w > 0.9 * (y1 - y0):
                continue
            rows = _groups(win[:, left:right].mean(axis=1) > 0.5)
            # a table ruling may cross the window too: the pair of rows that makes a square
            for ra in range(len(rows)):
                for rb in range(ra + 1, len(rows)):
                    top, bottom = rows[ra][1], rows[rb][0]
                    hgt = bottom - top
                    if hgt < 4 or not (0.6 * w <= hgt <= 1.6 * w):
                        continue
                    score = abs(hgt - w) / w
                    if best is None or score < best[0]:
                        best = (score, (x0 + cols[a][0], y0 + rows[ra][0], x0 + cols[b][1], y0 + rows[rb][1]))
    return ("open", best[1]) if best else None


def _solid_blob(win: np.ndarray, span: int) -> tuple[int, int, int, int] | None:
    """The largest connected blob of ink in the window that is a filled mark: between 0.15 and 0.7
    of the window's height across, roughly round or square, at least 55% ink in its bounds (a ring ○
    or a box outline □ is far below that, a character's strokes too)."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(win.astype(np.uint8), connectivity=8)
    best = None
    for i in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[i])
        if not (0.15 * span <= w <= 0.7 * span and 0.15 * span <= h <= 0.7 * span and 0.6 <= w / h <= 1.6):
            continue
        if area < 0.55 * w * h:
            continue
        if best is None or area > best[0]:
            best = (area, (x, y, x + w, y + h))
    return best[1] if best else None


def _box_value(ink: np.ndarray, found) -> float:
    """Ink inside a box (its border excluded): a tick, an X, a fill."""
    kind, (x0, y0, x1, y1) = found
    if kind == "solid":
        return float(ink[y0:y1, x0:x1].mean())
    side = min(x1 - x0, y1 - y0)
    st = _strokes(ink, (x0, y0, x1, y1), int(0.6 * side))
    m = max(1, int(0.1 * side))
    inner = st[m:-m, m:-m] if st.shape[0] > 2 * m and st.shape[1] > 2 * m else st
    return float(inner.mean()) if inner.size else 0.0


def _box_ink(ink: np.ndarray, window) -> tuple[float, tuple[int, int, int, int]]:
    """Ink inside the printed box found in `window`; without a recognisable box, half the
    window's ink ratio."""
    found = _find_box(ink, window)
    if found is None:
        H, W = ink.shape
        x0, y0, x1, y1 = _clip(window, W, H)
        win = ink[y0:y1, x0:x1]
        return (float(win.mean()) * 0.5 if win.size else 0.0), (x0, y0, x1, y1)
    return _box_value(ink, found), found[1]


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


def _glyph(view: PageView, h: LabelHit, side: str = "left") -> int:
    """+1 a marked glyph read next to the option on the box side, -1 an empty box glyph, 0 none."""
    if h.start < 0:
        return 0
    row = view.rows[h.row]
    ch = max(1, h.bbox[3] - h.bbox[1])
    if side == "left":
        seq = reversed(row.chars[: h.start])
        gap = lambda c: h.bbox[0] - c.bbox[2]  # noqa: E731
    else:
        seq = iter(row.chars[h.end :])
        gap = lambda c: c.bbox[0] - h.bbox[2]  # noqa: E731
    empty_at = None
    for c in seq:
        if gap(c) > 1.2 * ch and empty_at is None:
            break
        t = c.text.strip()
        if not t:
            continue
        if empty_at is not None:
            # boxes printed after the options (企业□): a tick written just after the box (企业□√)
            # marks this option; on a form with boxes before the options the same tick would
            # stand before the next option's box, so only the right-hand side reads on
            if t in _MARKED and c.bbox[0] - empty_at < 1.0 * ch:
                return 1
            return -1
        if t in _MARKED or (t in "Vv" and gap(c) < 0.4 * ch):
            return 1
        if t in _EMPTY:
            if side != "right":
                return -1
            empty_at = c.bbox[2]
            continue
        break
    return -1 if empty_at is not None else 0


def _windows(h: LabelHit) -> dict[str, tuple[float, float, float, float]]:
    ch = max(4, h.bbox[3] - h.bbox[1])
    cy = (h.bbox[1] + h.bbox[3]) / 2
    return {"left": (h.bbox[0] - 2.0 * ch, cy - 0.95 * ch, h.bbox[0] - 0.03 * ch, cy + 0.95 * ch),
            "right": (h.bbox[2] + 0.03 * ch, cy - 0.95 * ch, h.bbox[2] + 2.0 * ch, cy + 0.95 * ch)}


def box_side(ink: np.ndarray, hits: list[LabelHit]) -> str:
    """Which side of their text this form prints the boxes on ('left' ☐企业, or 'right' 企业☐)."""
    n = {side: sum(_find_box(ink, _windows(h)[side]) is not None for h in hits) for side in ("left", "right")}
    return "right" if n["right"] > n["left"] else "left"


def _measure(view: PageView, ink: np.ndarray, h: LabelHit, side: str = "left") -> dict[str, float]:
    """The option's evidence values; ``near`` is the box side, ``far`` the other one."""
    H, W = ink.shape
    ch = max(4, h.bbox[3] - h.bbox[1])
    cy = (h.bbox[1] + h.bbox[3]) / 2
    line_len = int(0.55 * ch)
    out: dict[str, float] = {}
    out["box"], _ = _box_ink(ink, _windows(h)[side])
    spans = {"left": (h.bbox[0] - 2.2 * ch, h.bbox[0] - 0.08 * ch), "right": (h.bbox[2] + 0.08 * ch, h.bbox[2] + 2.2 * ch)}
    for kind, sd in (("near", side), ("far", "right" if side == "left" else "left")):
        a, b = spans[sd]
        s = _strokes(ink, _clip((a, cy - 1.0 * ch, b, cy + 1.0 * ch), W, H), line_len)
        out[kind] = float(s.mean()) if s.size else 0.0
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


def _stand_out(values: list[float], kind: str) -> tuple[str, int, float]:
    """('clear', index, ratio) / ('ambiguous', index, ratio) / ('flat', -1, 0).

    Values are compared by their excess over the unmarked level (the median of the lower half):
    an option is marked when its value reaches the kind's least value and stands clear of that
    level; ``ratio`` is the top excess over the runner-up's."""
    least, factor, margin = _RULES[kind]
    order = sorted(range(len(values)), key=lambda i: values[i], reverse=True)
    low = sorted(values)[: max(1, len(values) // 2)]
    empty = float(np.median(low)) if len(values) >= 4 else min(values)
    marked = [i for i in order if values[i] >= least and values[i] >= factor * empty + margin]
    if not marked:
        return "flat", -1, 0.0
    top = marked[0]
    second = values[order[1]] if order[0] == top else values[order[0]]
    ratio = (values[top] - empty) / max(second - empty, _FLOOR[kind])
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
    all_hits = {opt: view.find(opt) for opt in spec.get("options", [])}
    if not anchors:
        return [(opt, hits[0]) for opt, hits in all_hits.items() if hits]
    a = anchors[0]
    ah = a.bbox[3] - a.bbox[1]
    near = {opt: [h for h in hits if a.bbox[1] - 4 * ah <= h.cy <= a.bbox[3] + 5 * ah and h.bbox[0] > a.bbox[0]]
            for opt, hits in all_hits.items()}
    found = {opt: hits[0] for opt, hits in near.items() if hits}
    # Options listed one per line (a radio column) run further down than the window round the
    # label: an option left-aligned with one already found and within a few line heights below it
    # belongs to the same list.
    grew = True
    while grew and found and len(found) < len(all_hits):
        grew = False
        for opt, hits in all_hits.items():
            if opt in found:
                continue
            for h in hits:
                hh = max(4, h.bbox[3] - h.bbox[1])
                if h.bbox[0] > a.bbox[0] and any(abs(h.bbox[0] - f.bbox[0]) <= 1.5 * hh and 0 < h.cy - f.cy <= 3.2 * hh
                                                 for f in found.values()):
                    found[opt] = h
                    grew = True
                    break
    return [(opt, found[opt]) for opt in all_hits if opt in found]


def decide(glyphs: list[int], measures: list[dict[str, float]]) -> tuple[int, float, str] | None:
    """(index of the marked option, confidence, which evidence decided) or None when nothing is marked."""
    votes: list[tuple[str, str, int, float]] = []
    if sum(g > 0 for g in glyphs) == 1:
        votes.append(("glyph", "clear", glyphs.index(1), 8.0))  # confidence set below
    elif sum(g > 0 for g in glyphs) >= 2:
        votes.append(("glyph", "ambiguous", glyphs.index(1), 1.0))
    for kind in _KINDS:
        state, idx, ratio = _stand_out([m[kind] for m in measures], kind)
        if state != "flat":
            votes.append((kind, state, idx, ratio))
    if not votes:
        return None
    # a box OCR read as empty (□) holds no tick: ink there is a mark drawn across it (a circle
    # round the option passes through its box); the next kind of evidence must confirm it
    if votes[0][0] == "box" and votes[0][1] == "clear" and glyphs[votes[0][2]] < 0:
        confirm = [v for v in votes[1:] if v[1] == "clear" and v[2] == votes[0][2] and v[0] != "far"]
        if not confirm:
            return votes[0][2], AMBIGUOUS_CONFIDENCE, "box"
        votes = [confirm[0]] + [v for v in votes[1:] if v is not confirm[0]]
    kind, state, idx, ratio = votes[0]
    if state == "ambiguous":
        return idx, AMBIGUOUS_CONFIDENCE, kind
    if glyphs[idx] < 0 and kind in ("near", "far"):
        return idx, AMBIGUOUS_CONFIDENCE, kind
    if kind == "glyph":
        # OCR's reading of a mark; sure when the pixels show it too
        conf = 0.95 if any(v[1] == "clear" and v[2] == idx for v in votes[1:]) else 0.8
        if conf < 0.9 and len(glyphs) >= 3 and all(g < 0 for i, g in enumerate(glyphs) if i != idx):
            conf = 0.9  # OCR read one mark and every other box empty (□): the text is consistent
    else:
        conf = _clarity([m[kind] for m in measures], idx, ratio, kind)
    if kind != "glyph" and len(glyphs) >= 3 and all(g < 0 for i, g in enumerate(glyphs) if i != idx):
        conf += 0.04  # OCR read every other option's box as empty (□): the text agrees
    if any(v[1] == "ambiguous" and glyphs[v[2]] >= 0 for v in votes[1:] if v[0] != "far"):
        return idx, min(conf, AMBIGUOUS_CONFIDENCE + 0.1), kind  # pixels show a second mark
    # later evidence pointing at an option whose box OCR read as empty (□) is stray ink
    # (the arc of a circle drawn round a neighbour), not a second mark
    clear_others = [v for v in votes[1:] if v[1] == "clear" and v[0] != "far" and glyphs[v[2]] >= 0]
    if any(v[2] != idx for v in clear_others[:1]):
        return idx, min(conf, 0.5), kind  # the next kind of evidence points elsewhere: doubt
    seconded = kind != "glyph" and glyphs[idx] > 0  # OCR read a mark at the option the pixels chose
    if any(v[2] == idx for v in clear_others):
        conf = min(0.99, conf + 0.04)
        seconded = True
    if not seconded:
        # one kind of evidence alone, however clear, is not shown as certain: >= 0.98 needs a second
        # kind (pixels and OCR's glyph, or two pixel kinds) pointing at the same option
        conf = min(conf, SINGLE_EVIDENCE_MAX)
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
        side = box_side(ink, [h for _, h in found])
        glyphs = [_glyph(view, h, side) for _, h in found]
        measures = [_measure(view, ink, h, side) for _, h in found]
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
