"""The ``checkbox`` strategy: which printed option is ticked.

Read from pixels (ink inside the box left of each option), not from OCR.
"""
from __future__ import annotations

import numpy as np

from .strategies import Candidate, Context, _norm, strategy



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


@strategy("checkbox")
def checkbox_strategy(spec: dict, fs, ctx: Context) -> Candidate | None:
    options = spec.get("options", [])
    for view in ctx.views:
        img = ctx.image_of(view)
        if img is None:
            continue
        anchors = view.find_any(spec.get("labels", []))
        gray = None
        found = []
        for opt in options:
            hits = view.find(opt)
            if anchors:
                a = anchors[0]
                ah = a.bbox[3] - a.bbox[1]
                hits = [h for h in hits if a.bbox[1] - 4 * ah <= h.cy <= a.bbox[3] + 5 * ah and h.bbox[0] > a.bbox[0]]
            if not hits:
                continue
            h = hits[0]
            found.append((opt, h))
        if len(found) < 2:
            continue
        if gray is None:
            arr = np.asarray(img.convert("RGB")).astype(np.int16)
            # tick ink may be coloured (blue pen): darkness = min channel; red seal ink ignored
            red = (arr[..., 0] - np.maximum(arr[..., 1], arr[..., 2])) > 60
            gray = (arr.min(axis=2) < 150) & ~red
        scores = []
        for opt, h in found:
            ch = h.bbox[3] - h.bbox[1]
            cy = (h.bbox[1] + h.bbox[3]) / 2
            window = (h.bbox[0] - 2.0 * ch, cy - 0.95 * ch, h.bbox[0] - 0.03 * ch, cy + 0.95 * ch)
            ratio, box = _box_ink(gray, window)
            scores.append((ratio, opt, h, box))
        scores.sort(key=lambda t: t[0], reverse=True)
        top, second = scores[0], scores[1]
        if top[0] < 0.03 or top[0] < 1.8 * second[0]:
            return None  # nothing (or more than one box) ticked: let review decide
        # How far the ticked box stands out from the empty ones, in units of their own spread
        # (empty boxes still catch a little ink: border remnants, noise, a photo's shadow).
        others = np.array([sc[0] for sc in scores[1:]])
        z = (top[0] - float(others.mean())) / (float(others.std()) + 0.01)
        conf = 0.6 + 0.39 * min(1.0, max(0.0, (z - 1.5) / 2.0))
        opt, h, box = top[1], top[2], top[3]
        n = _norm(spec, opt)
        bb = (int(box[0]), int(box[1]), int(h.bbox[2]), int(h.bbox[3]))
        return Candidate(n.value if n else opt, conf, view.number, bb, "checkbox", f"☑{opt}", spec.get("labels", [""])[0],
                         1.0, view, [])
    return None
