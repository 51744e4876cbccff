"""Extraction strategies, looked up by name from the schemas' ``x-extract``.

A strategy is ``fn(spec, field, ctx) -> Candidate | None``: ``spec`` is one
``x-extract`` object of the schema, ``field`` the FieldSpec, ``ctx`` the
document being read (its PageViews, images, seals). Register a new one with
``@strategy("name")``; schemas then name it.

Built in (label, regex and table live in extractors/text_strategies.py and
also offer every candidate they see, for extractors/candidates.py to rank):
- ``label``: the value right of (or below) a printed label, on OCR character
  boxes; multi-line values continue in the value's column.
- ``regex``: a pattern over the page text (optionally after/before an anchor,
  or inside a page region).
- ``table``: the cell in a header's column on a row label's row.
- ``checkbox``: the option whose printed box has ink inside (pixels, not OCR).
- ``seal``: a seal on the document, or in one party's signature block.
- ``signature``: handwriting in the box right of a 签字 label.
- ``seal_text``: the text around the seal nearest a label.
- ``qr``: a part of the invoice QR code (``01,type,code,number,amount,date,check,crc``).
"""
from __future__ import annotations

import logging
import re

import numpy as np
from PIL import Image

from intake.model import Seal

from .hits import _candidate_hits
from .layout import PageView, nk

log = logging.getLogger(__name__)

# Shared by every strategy module; defined in extractors/context.py (the bottom of the imports)
# and re-exported here for callers that import them from this module.
from .context import STRATEGIES, Candidate, Context, _apply_strip, _mean_conf, _norm, strategy  # noqa: E402,F401


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


def _ends_as_label(view: PageView, hit) -> bool:
    """What follows the hit on its row (closing brackets skipped) is a colon, a gap or nothing."""
    if hit.start < 0:
        return True
    row = view.rows[hit.row]
    j = hit.end
    while j < len(row.chars) and nk(row.chars[j].text) in (")", "）", "]", "】"):
        j += 1
    if j >= len(row.chars):
        return True
    if nk(row.chars[j].text) in (":", "："):
        return True
    h = max(1, hit.bbox[3] - hit.bbox[1])
    return row.chars[j].bbox[0] - row.chars[j - 1].bbox[2] > 0.8 * h


@strategy("signature")
def signature_strategy(spec: dict, fs, ctx: Context) -> Candidate | None:
    hits = _candidate_hits({**spec, "occurrence": "last"}, ctx, spec.get("labels", []))
    if not hits:
        return None
    # a label standing as one (法定代表人（签名）：, 签字 at a line's end) before the word inside running
    # text (…签字并加盖公章之日起生效), whatever the order of the schema's labels
    hits = [t for t in hits if _ends_as_label(*t)] + [t for t in hits if not _ends_as_label(*t)]
    view, hit = hits[0]
    img = ctx.image_of(view)
    if img is None:
        return None
    W = view.page.width
    region = (hit.bbox[2], hit.bbox[1] - view.mm(9), min(W * 0.95, hit.bbox[2] + view.mm(70)), hit.bbox[3] + view.mm(4))
    present, conf = _signature_in(img, view, region, ctx)
    bb = tuple(int(v) for v in region)
    notes: list[str] = []
    if not present:
        # people sign where there is room: under the label, or across the line above it
        for where, other in _signature_places(view, hit):
            p2, c2 = _signature_in(img, view, other, ctx)
            if p2 and c2 >= SIGNATURE_ELSEWHERE_MIN:
                present, conf, bb = True, c2, tuple(int(v) for v in other)
                notes.append(f"signed {where} the label, not beside it")
                break
    if present is None:
        return Candidate(False, min(0.3, conf or 0.3), view.number, bb, "signature", "not_verifiable", hit.label, 1.0, view, [])
    if not present and not _ends_as_label(view, hit):
        # the sign-off's own label was not read (a seal or the hand over it): the word found inside
        # running text (…签字并加盖公章之日起生效) does not say where the signature would be, so its
        # blank surroundings are no evidence of a missing signature: review, never a rejection
        conf = min(conf, SIGNATURE_NO_LABEL_CONF)
        notes.append("sign-off label not read; 签字 found only inside running text")
    return Candidate(bool(present), float(conf), view.number, bb, "signature",
                     "ink" if present else "blank", hit.label, 1.0, view, [], notes=notes)


# A signature found off the label's own line counts only as a confident one (tall, slanted strokes),
# never the detector's weak "small handwriting" reading, which print fragments can give.
SIGNATURE_ELSEWHERE_MIN = 0.7
SIGNATURE_NO_LABEL_CONF = 0.6  # below every schema's review threshold


def _signature_in(img, view: PageView, region, ctx: Context) -> tuple[bool | None, float]:
    try:
        from .signatures import detect_signature

        return detect_signature(img, view.dpi, tuple(int(v) for v in region), ctx.seals(view))
    except ImportError:
        return _own_signature_check(img, region, view)


def _signature_places(view: PageView, hit) -> list[tuple[str, tuple[float, float, float, float]]]:
    """The band under the label's line and the band over it, each up to the nearest printed row that
    overlaps it (the next field's label, the body's last line), so they hold no other block's ink;
    and the far end of the label's own line."""
    x0, x1 = hit.bbox[0] - view.mm(5), min(view.page.width * 0.97, hit.bbox[2] + view.mm(60))
    y_top, y_bot = hit.bbox[1], hit.bbox[3]
    # a row much taller than the label's is the handwriting itself read as text (OCR reads names)
    h = max(1, y_bot - y_top)
    printed = [r for r in view.rows if r.y1 - r.y0 <= 1.6 * h and _spans(r, x0, x1)]
    below = [r.y0 for r in printed if r.y0 > y_bot]
    above = [r.y1 for r in printed if r.y1 < y_top]
    under_end = min([y_bot + view.mm(16)] + below)
    over_start = max([y_top - view.mm(16)] + above)
    out = []
    # the far end of the label's own line, past the usual signing space, where nothing is printed
    far0, far1 = hit.bbox[2] + view.mm(70), view.page.width * 0.97
    row = view.rows[hit.row] if 0 <= hit.row < len(view.rows) else None
    # printed characters there are another block; tall ones are the handwriting read as text
    printed_far = row is not None and any(c.bbox[2] > far0 and c.bbox[3] - c.bbox[1] <= 1.6 * h for c in row.chars)
    if far1 - far0 >= view.mm(20) and not printed_far:
        out.append(("far right of", (far0 - view.mm(10), hit.bbox[1] - view.mm(9), far1, hit.bbox[3] + view.mm(4))))
    if under_end - y_bot >= view.mm(6):
        out.append(("under", (x0, y_bot, x1, under_end)))
    if y_top - over_start >= view.mm(6):
        # the label's own line is part of the band: a signature written over the label crosses it
        out.append(("over", (x0, over_start, x1, y_bot)))
    return out


def _spans(row, x0: float, x1: float) -> bool:
    return any(c.bbox[2] > x0 and c.bbox[0] < x1 for c in row.chars)


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
                from .seals import read_seal_text

                text = read_seal_text(img, s, ctx.reader) if ctx.reader is not None else ""
            except Exception:
                log.exception("seal text reading failed")
                text = ""
            s.text = text
        if not text:
            continue
        n = _norm(spec, text, "name")
        if n is None:
            continue
        value, conf, note = _ring_value(spec, text, n)
        c = Candidate(value, conf, view.number, tuple(int(v) for v in s.bbox), "seal_text", text,
                      hit.label, n.certainty, view, [])
        if note:
            c.notes.append(note)
        return c
    return None


def _ring_value(spec: dict, text: str, n) -> tuple[str, float, str]:
    """Value, confidence and note of a ring reading. Ring text is the last resort (a printed line
    beside the label is preferred: it comes first in the schema): it is read along an arc whose
    ends fade into the rim. Only a reading the normalizer vouches for fully (an authority's
    well-formed name) is trusted beyond the review threshold, and less when it is not one of the
    schema's known names; a truncated or slightly misread one is completed only when the schema's
    table of known names (``known``) confirms exactly one full name."""
    from .normalize import clean_text
    from .seals_text import complete_name

    known = spec.get("known", [])
    certain = n.certainty >= 1.0 and spec.get("normalizer") != "name"
    if n.value in known:
        return n.value, (0.93 if certain else 0.88), ""
    full = complete_name(n.value, known) or complete_name(clean_text(text), known)
    if full:
        return full, 0.88, f"completed from the known names: ring read {text!r}"
    if certain and not any(n.value in k for k in known):
        return n.value, 0.9, ""  # a well-formed name the table does not list (another city's)
    # a part of a known name the table cannot complete alone (区市场监督管理局), or a doubtful reading
    return n.value, min(0.8, 0.8 * n.certainty), ("truncated ring reading" if certain else "")


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


from . import text_strategies  # noqa: E402,F401  (registers label, regex, table)
# Strategies in their own modules register themselves on import; importing them here
# keeps STRATEGIES complete for every caller that imports this module.
from . import checkbox  # noqa: E402,F401
from . import signoff  # noqa: E402,F401
