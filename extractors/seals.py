"""Seal (印章) detection without a model (the ring text is read by seals_text.py, the ink
masks are in seals_ink.py; both are re-exported here, where callers have always found them).

Colour pages: a red-ink mask (hue 0-12 or 155-180 with enough saturation and
R - max(G, B) large), long straight rules removed from it (VAT invoices print
their table in brown/red ink), closed, split into components; every component
of a plausible size, and every circle a Hough search finds in the mask, becomes
a candidate ellipse that must then show the anatomy of a seal:

* a rim: ink along the fitted ellipse all the way round (angular coverage),
* a thin rim: the ink fraction peaks at the rim and drops just outside it,
* a sparse interior (text, star, tax id), neither empty nor a filled blob,
* an outer diameter of 25-65 mm at the page's dpi (15-28 mm for the small
  square name/finance stamps, reported as shape "square" with lower confidence),
* a five-pointed star in the centre as supporting evidence.

Grayscale pages (the seal turns mid-gray, lighter than toner): the same
anatomy is searched in a mask of mid-gray ink that does not touch toner-black
strokes; such seals get color "gray" and a lower confidence. When a grayscale
page shows nothing, `seal_verifiability` lets callers say "not verifiable"
rather than "missing".

The dpi of a page image is normally known (the pipeline renders pages at a
known dpi). When it is not (``dpi`` falsy), it is estimated by assuming the
image's long side spans an A4 page (297 mm) and the size window is widened,
because photos and invoices (240 x 140 mm) are not A4.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from intake.model import Seal, box_iou

from .seals_ink import _to_rgb, estimate_dpi, faint_red_mask, is_grayscale, red_mask, seal_ellipse
from .seals_text import read_seal_text

__all__ = [
    "detect_seals",
    "read_seal_text",
    "seal_verifiability",
    "red_mask",
    "estimate_dpi",
    "is_grayscale",
    "seal_ellipse",
    "is_invoice_supervision_seal",
]

# Size windows (outer diameter / long axis, mm).
ROUND_MM = (25.0, 65.0)
SQUARE_MM = (13.0, 28.0)
WORK_DPI = 110.0  # masks are analysed at (at most) this resolution
_DEBUG = bool(__import__("os").environ.get("SEAL_DEBUG"))


# --------------------------------------------------------------------------- masks
def _remove_rules(mask: np.ndarray, min_len: int) -> np.ndarray:
    """Remove long horizontal/vertical straight runs (table rules, underlines) from a mask."""
    min_len = max(8, int(min_len))
    hk = cv2.getStructuringElement(cv2.MORPH_RECT, (min_len, 1))
    vk = cv2.getStructuringElement(cv2.MORPH_RECT, (1, min_len))
    lines = cv2.morphologyEx(mask, cv2.MORPH_OPEN, hk) | cv2.morphologyEx(mask, cv2.MORPH_OPEN, vk)
    if not lines.any():
        return mask
    lines = cv2.dilate(lines, np.ones((3, 3), np.uint8))
    return cv2.bitwise_and(mask, cv2.bitwise_not(lines))


def _downscale_mask(mask: np.ndarray, f: float) -> np.ndarray:
    if f >= 0.999:
        return mask
    h, w = mask.shape
    small = cv2.resize(mask, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
    return ((small > 60).astype(np.uint8)) * 255


# --------------------------------------------------------------------------- geometry
@dataclass
class _Cand:
    cx: float
    cy: float
    a: float  # semi-axis along x (after rotation by ang)
    b: float
    ang: float = 0.0  # degrees
    kind: str = "ellipse"  # or "square"
    w: float = 0.0  # square stamps: rotated rect size
    h: float = 0.0


@functools.lru_cache(maxsize=32)
def _unit_circle(n: int) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of n angles round the circle (the same few n are asked for hundreds of times a page)."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    cos_t, sin_t = np.cos(t), np.sin(t)
    cos_t.flags.writeable = sin_t.flags.writeable = False
    return cos_t, sin_t


def _ellipse_points(c: _Cand, scale, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Points on the candidate's ellipse scaled by `scale`: a number, or a column of scales (one row
    of points each). The arithmetic is the same in both forms, so the points are the same to the bit."""
    cos_t, sin_t = _unit_circle(n)
    ca, sa = math.cos(math.radians(c.ang)), math.sin(math.radians(c.ang))
    ex, ey = c.a * scale * cos_t, c.b * scale * sin_t
    return c.cx + ex * ca - ey * sa, c.cy + ex * sa + ey * ca


def _sample(mask: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    h, w = mask.shape
    xi, yi = np.round(xs).astype(int), np.round(ys).astype(int)
    ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    out = np.zeros(xs.shape, bool)
    out[ok] = mask[yi[ok], xi[ok]] > 0
    return out


def _inside(c: _Cand, shape) -> float:
    """Fraction of the ellipse's circumference that lies inside the image."""
    xs, ys = _ellipse_points(c, 1.0, 72)
    h, w = shape
    return float(((xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)).mean())


def _profile(mask: np.ndarray, c: _Cand, scales: np.ndarray, n: int = 180) -> np.ndarray:
    """Ink fraction along concentric ellipses at the given scales (rows) for n angles (cols)."""
    # all scales at once (one row each): this is most of seal detection's time, ~300 candidates a page
    xs, ys = _ellipse_points(c, np.asarray(scales, dtype=np.float64).reshape(-1, 1), n)
    return _sample(mask, xs, ys)


@dataclass
class _Score:
    ok: bool
    conf: float
    coverage: float
    peak: float
    outside: float
    interior: float
    star: float
    shape: str
    text_band: float = 0.0


def _score_ellipse(mask: np.ndarray, c: _Cand, ring_px: float, strict: bool = False) -> _Score:
    """How much a candidate ellipse looks like a seal in an ink mask."""
    R = max(c.a, c.b)
    step = max(0.012, 0.5 / max(R, 1.0))
    rim_scales = np.arange(0.86, 1.08 + 1e-9, step)
    prof = _profile(mask, c, rim_scales)
    n = prof.shape[1]
    inside_frac = _inside(c, mask.shape)
    # angular coverage: an angle is covered if the rim band holds ink there
    covered = prof.any(axis=0)
    # tolerate small gaps: coverage in 36 sectors of 10 degrees
    sectors = covered.reshape(36, n // 36).any(axis=1)
    coverage = float(sectors.mean()) / max(inside_frac, 0.5)
    coverage = min(coverage, 1.0)
    # thin-rim peak: best single scale's ink fraction
    frac = prof.mean(axis=1) / max(inside_frac, 0.5)  # a seal cut by the page edge: judge the part we see
    peak = min(1.0, float(frac.max()))
    peak_scale = float(rim_scales[int(frac.argmax())])
    aspect = max(c.a, c.b) / max(1.0, min(c.a, c.b))
    shape = "round" if aspect < 1.15 else "oval"
    need_cov, need_peak, out_ratio = (0.8, 0.55, 0.22) if strict else (0.72, 0.5, 0.25)
    # Most candidates (~300 a page) fail on the rim alone: the interior is not measured for them.
    # Only `ok` (and, for a passing one, its figures) is used by the callers, so this is the same result.
    if not (coverage >= need_cov and peak >= need_peak and aspect <= 1.7):
        return _Score(False, 0.0, coverage, peak, 0.0, 0.0, 0.0, shape)
    # just outside the rim (beyond a rim thickness)
    out_lo = peak_scale + max(0.06, 2.5 * ring_px / R)
    outside = float(_profile(mask, c, np.arange(out_lo, out_lo + 0.12, 0.03)).mean())
    if not outside <= max(0.05, out_ratio * peak):
        return _Score(False, 0.0, coverage, peak, outside, 0.0, 0.0, shape)
    # interior: ink fraction inside 0.8 of the rim, and in the central disc (star)
    h, w = mask.shape
    x0, x1 = int(max(0, c.cx - R)), int(min(w, c.cx + R + 1))
    y0, y1 = int(max(0, c.cy - R)), int(min(h, c.cy + R + 1))
    if x1 - x0 < 3 or y1 - y0 < 3:
        return _Score(False, 0, 0, 0, 0, 0, 0, "round")
    # an open grid (a row and a column, broadcast): the same figures as the full grid, computed once each
    yy, xx = (g.astype(np.float32) for g in np.ogrid[y0:y1, x0:x1])
    ca, sa = math.cos(math.radians(c.ang)), math.sin(math.radians(c.ang))
    dx, dy = xx - c.cx, yy - c.cy
    u, v = dx * ca + dy * sa, -dx * sa + dy * ca
    rr = np.sqrt((u / max(c.a, 1)) ** 2 + (v / max(c.b, 1)) ** 2)
    sub = mask[y0:y1, x0:x1] > 0
    inner = rr < peak_scale * 0.8
    interior = float(sub[inner].mean()) if inner.any() else 0.0
    band = (rr >= peak_scale * 0.55) & (rr < peak_scale * 0.82)
    text_band = float(sub[band].mean()) if band.any() else 0.0
    centre = rr < 0.28
    star = float(sub[centre].mean()) if centre.any() else 0.0
    ok = (
        coverage >= need_cov
        and peak >= need_peak
        and outside <= max(0.05, out_ratio * peak)
        and 0.015 <= interior <= 0.62
        and peak >= 1.6 * text_band
        and aspect <= 1.7
    )
    if not ok:
        return _Score(False, 0.0, coverage, peak, outside, interior, star, shape, text_band)
    conf = 0.5
    conf += 0.2 * min(1.0, (coverage - 0.72) / 0.25)
    conf += 0.15 * min(1.0, max(0.0, (peak - 0.5) / 0.4))
    conf += 0.08 * (1.0 - min(1.0, outside / max(peak, 1e-3) / 0.25))
    if shape == "round" and 0.12 <= star <= 0.7:
        conf += 0.07
    return _Score(True, min(conf, 0.99), coverage, peak, outside, interior, star, shape, text_band)


def _score_square(mask: np.ndarray, c: _Cand) -> _Score:
    """Small square name/finance stamps: a border all round, or a filled block (阴文)."""
    box = cv2.boxPoints(((c.cx, c.cy), (c.w, c.h), c.ang)).astype(np.int32)
    h, w = mask.shape
    poly = np.zeros((h, w), np.uint8)
    cv2.fillPoly(poly, [box], 255)
    area = int((poly > 0).sum())
    if area < 20:
        return _Score(False, 0, 0, 0, 0, 0, 0, "square")
    fill = float(((mask > 0) & (poly > 0)).sum()) / area
    # border: sample the four edges just inside the box
    cover = []
    for i in range(4):
        p, q = box[i].astype(float), box[(i + 1) % 4].astype(float)
        t = np.linspace(0.05, 0.95, 40)[:, None]
        pts = p + (q - p) * t
        ctr = np.array([c.cx, c.cy])
        hit = np.zeros(len(pts), bool)
        for s in (1.0, 0.96, 0.92, 0.88):
            pp = ctr + (pts - ctr) * s
            hit |= _sample(mask, pp[:, 0], pp[:, 1])
        cover.append(hit.mean())
    border = float(min(cover))
    # A square has inked corners; a disc (the emblem on an ID card, a filled dot) has none.
    ctr = np.array([c.cx, c.cy])
    corners = 0
    for s in (0.97, 0.93, 0.89):
        pts = ctr + (box.astype(float) - ctr) * s
        corners = max(corners, int(_sample(mask, pts[:, 0], pts[:, 1]).sum()))
    aspect = max(c.w, c.h) / max(1.0, min(c.w, c.h))
    if corners < 3:
        return _Score(False, 0.0, border, fill, 0.0, fill, 0.0, "square")
    framed = border >= 0.6 and 0.08 <= fill <= 0.65
    solid = 0.55 <= fill <= 0.92 and border >= 0.8  # 阴文: red block, white characters
    ok = aspect <= 1.3 and (framed or solid)
    conf = 0.45 + 0.15 * min(1.0, (border - 0.6) / 0.3) if ok else 0.0
    return _Score(ok, conf, border, fill, 0.0, fill, 0.0, "square")


# --------------------------------------------------------------------------- candidates
def _component_candidates(mask: np.ndarray, px_mm: float, lo_mm: float, hi_mm: float) -> list[_Cand]:
    close_k = max(3, int(round(1.6 * px_mm)) | 1)
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (close_k, close_k)))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    out: list[_Cand] = []
    for cnt in contours:
        x, y, w, h = cv2.boundingRect(cnt)
        big = max(w, h) / px_mm
        small = min(w, h) / px_mm
        if big < SQUARE_MM[0] * 0.9 or small < SQUARE_MM[0] * 0.6 or big > hi_mm * 1.25:
            continue
        hull = cv2.convexHull(cnt)
        if len(hull) >= 5:
            (ex, ey), (ea, eb), eang = cv2.fitEllipse(hull)
            out.append(_Cand(ex, ey, ea / 2, eb / 2, eang))
        out.append(_Cand(x + w / 2, y + h / 2, w / 2, h / 2, 0.0))
        # A seal cut by the page edge (骑缝章 across a contract's pages, or a crooked scan):
        # the part inside still gives the diameter across the edge and the centre.
        H, W = mask.shape
        if x <= 1 or x + w >= W - 1:
            r = h / 2
            if w < 1.6 * r:
                out.append(_Cand(x + w - r if x <= 1 else x + r, y + r, r, r, 0.0))
        if y <= 1 or y + h >= H - 1:
            r = w / 2
            if h < 1.6 * r:
                out.append(_Cand(x + r, y + h - r if y <= 1 else y + r, r, r, 0.0))
        (rx, ry), (rw, rh), rang = cv2.minAreaRect(hull)
        if SQUARE_MM[0] * 0.85 <= max(rw, rh) / px_mm <= SQUARE_MM[1] * 1.1:
            out.append(_Cand(rx, ry, rw / 2, rh / 2, rang, "square", rw, rh))
    return out


def _hough_candidates(mask: np.ndarray, px_mm: float, lo_mm: float, hi_mm: float) -> list[_Cand]:
    blur = cv2.GaussianBlur(mask, (0, 0), max(1.0, 0.5 * px_mm))
    rmin, rmax = int(lo_mm * px_mm / 2), int(hi_mm * px_mm / 2) + 1
    if rmax < 6:
        return []
    circles = cv2.HoughCircles(blur, cv2.HOUGH_GRADIENT, dp=1.5, minDist=max(4, rmin),
                               param1=120, param2=max(12, int(rmin * 0.45)), minRadius=max(3, rmin),
                               maxRadius=rmax)
    if circles is None:
        return []
    return [_Cand(float(x), float(y), float(r), float(r)) for x, y, r in circles[0][:40]]


def _refine(mask: np.ndarray, c: _Cand, ring_px: float, strict: bool = False) -> tuple[_Cand, _Score]:
    """Local search over centre and size that maximises the rim's ink fraction."""
    best_c, best_s = c, _score_ellipse(mask, c, ring_px, strict)
    R = max(c.a, c.b)
    for _ in range(2):
        improved = False
        for dx, dy, ds in ((1, 0, 1), (-1, 0, 1), (0, 1, 1), (0, -1, 1), (0, 0, 1.03), (0, 0, 0.97)):
            step = max(1.0, 0.03 * R)
            cc = _Cand(best_c.cx + dx * step, best_c.cy + dy * step, best_c.a * ds, best_c.b * ds, best_c.ang)
            s = _score_ellipse(mask, cc, ring_px, strict)
            if s.ok and (not best_s.ok or s.peak * s.coverage > best_s.peak * best_s.coverage + 1e-6):
                best_c, best_s, improved = cc, s, True
        if not improved:
            break
    return best_c, best_s


def _bbox(c: _Cand) -> tuple[float, float, float, float]:
    if c.kind == "square":
        box = cv2.boxPoints(((c.cx, c.cy), (c.w, c.h), c.ang))
        return float(box[:, 0].min()), float(box[:, 1].min()), float(box[:, 0].max()), float(box[:, 1].max())
    xs, ys = _ellipse_points(c, 1.0, 90)
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


def _contains(p, q) -> bool:
    """q's centre lies inside p."""
    cx, cy = (q[0] + q[2]) / 2, (q[1] + q[3]) / 2
    return p[0] <= cx <= p[2] and p[1] <= cy <= p[3]


def _find(mask: np.ndarray, px_mm: float, lo_mm: float, hi_mm: float, conf_scale: float,
          strict: bool = False) -> list[tuple]:
    ring_px = max(1.0, 1.2 * px_mm)
    cands = _component_candidates(mask, px_mm, lo_mm, hi_mm) + _hough_candidates(mask, px_mm, lo_mm, hi_mm)
    found: list[tuple] = []  # (bbox, conf, shape)
    for c in cands:
        if c.kind == "square":
            s = _score_square(mask, c)
            if s.ok:
                found.append((_bbox(c), s.conf * conf_scale, "square"))
            continue
        diam = 2 * max(c.a, c.b) / px_mm
        if not (lo_mm * 0.85 <= diam <= hi_mm * 1.1):
            continue
        c2, s = _refine(mask, c, ring_px, strict)
        if _DEBUG:
            print("cand", c.kind, [round(v, 1) for v in (c2.cx, c2.cy, c2.a, c2.b, c2.ang)], s)
        if not s.ok:
            continue
        diam = 2 * max(c2.a, c2.b) / px_mm
        if not (lo_mm <= diam <= hi_mm):
            continue
        found.append((_bbox(c2), s.conf * conf_scale, s.shape))
    # non-maximum suppression: overlapping detections are one seal; prefer ellipses over squares
    found.sort(key=lambda f: (f[2] != "square", f[1]), reverse=True)
    keep: list[tuple] = []
    for f in found:
        if any(box_iou(f[0], k[0]) > 0.3 or _contains(k[0], f[0]) or _contains(f[0], k[0]) for k in keep):
            continue
        keep.append(f)
    return keep


# --------------------------------------------------------------------------- gray
def _gray_mask(gray: np.ndarray, px_mm_full: float) -> np.ndarray:
    """Mid-gray ink (lighter than toner, darker than paper) that does not belong to black strokes."""
    paper = float(np.percentile(gray, 90))
    dark = gray < min(70, paper * 0.35)
    mid = (gray >= 70) & (gray <= paper - 28) & (gray <= 215)
    # anti-aliased fringes of black strokes are mid-gray too: drop mid-gray next to toner
    fringe = max(1, int(round(0.25 * px_mm_full)))
    near_dark = cv2.dilate(dark.astype(np.uint8), np.ones((2 * fringe + 1, 2 * fringe + 1), np.uint8)) > 0
    return ((mid & ~near_dark).astype(np.uint8)) * 255


# --------------------------------------------------------------------------- API
def _prepare(image: Image.Image, dpi: int | float | None):
    estimated = not dpi or dpi <= 0
    d = float(estimate_dpi(*image.size) if estimated else dpi)
    return d, estimated


def _size_window(estimated: bool) -> tuple[float, float]:
    lo, hi = ROUND_MM
    if estimated:  # photos, invoices, crops: the A4 guess may be off by a factor ~1.5
        return lo * 0.7, hi * 1.45
    return lo, hi


def detect_seals(image: Image.Image, dpi: int | None, page: int = 1) -> list[Seal]:
    """Seals on a page image; bbox in image pixels, color "red"|"gray", confidence 0..1."""
    d, estimated = _prepare(image, dpi)
    lo_mm, hi_mm = _size_window(estimated)
    f = min(1.0, WORK_DPI / d)
    px_mm = d * f / 25.4
    if px_mm * lo_mm < 12:  # seal would be < 12 px across: nothing to see
        return []
    gray_page = is_grayscale(image)
    if not gray_page:
        rgb = _to_rgb(image)
        if f < 1.0:
            rgb = cv2.resize(rgb, (max(1, int(rgb.shape[1] * f)), max(1, int(rgb.shape[0] * f))),
                             interpolation=cv2.INTER_AREA)
        min_ink = (lo_mm * px_mm) ** 2 * 0.02
        strong = red_mask(rgb)
        hits = []
        if strong.sum() / 255 >= min_ink:
            mask = _remove_rules(strong, 20 * px_mm)
            hits = _find(mask, px_mm, lo_mm, hi_mm, 1.0 if not estimated else 0.9)
        faint = faint_red_mask(rgb, px_mm) | strong
        if faint.sum() / 255 >= min_ink:
            mask = _remove_rules(faint, 20 * px_mm)
            for h in _find(mask, px_mm, lo_mm, hi_mm, 0.85 if not estimated else 0.75, strict=True):
                if not any(box_iou(h[0], k[0]) > 0.2 or _contains(k[0], h[0]) or _contains(h[0], k[0]) for k in hits):
                    hits.append(h)
        color = "red"
    else:
        gray = np.asarray(image.convert("L"))
        mask = _gray_mask(gray, d / 25.4)
        mask = _downscale_mask(mask, f)
        mask = _remove_rules(mask, 20 * px_mm)
        hits = [h for h in _find(mask, px_mm, lo_mm, hi_mm, 0.8, strict=True) if h[2] != "square"]
        color = "gray"
    out = []
    W, H = image.size
    for (x0, y0, x1, y1), conf, shape in hits:
        bb = (
            int(max(0, math.floor(x0 / f))),
            int(max(0, math.floor(y0 / f))),
            int(min(W, math.ceil(x1 / f))),
            int(min(H, math.ceil(y1 / f))),
        )
        out.append(Seal(page=page, bbox=bb, color=color, shape=shape, confidence=round(float(conf), 3)))
    out.sort(key=lambda s: (s.bbox[1], s.bbox[0]))
    return out


def seal_verifiability(image: Image.Image) -> str:
    """"color": a colour scan, absence of red means no seal; "gray": grayscale, only the
    gray fallback can see a seal (absence means "not verifiable"); "none": nothing can
    be checked (blank, bitonal, or too small to show a seal)."""
    w, h = image.size
    if min(w, h) < 200:
        return "none"
    if image.mode == "1":
        return "none"
    arr = np.asarray(image.convert("L"))
    small = arr[:: max(1, h // 800), :: max(1, w // 800)]
    if float(small.std()) < 2.0:  # blank page
        return "none"
    if not is_grayscale(image):
        return "color"
    # bitonal content stored as 8-bit: no mid-gray levels can exist
    mid = ((small > 60) & (small < 200)).mean()
    if mid < 0.0005:
        return "none"
    return "gray"


def is_invoice_supervision_seal(seal: Seal, page_size: tuple[int, int]) -> bool:
    """The tax bureau's oval 发票监制章 printed at the top centre of paper VAT invoices
    (not the seller's 发票专用章, which is stamped at the bottom right)."""
    W, H = page_size
    cx, cy, a, b = seal_ellipse(seal)
    return seal.shape == "oval" and cy < 0.33 * H and abs(cx - W / 2) < 0.2 * W


