"""The sign-off (落款): the ``signature`` and ``sealed_line`` strategies.

``signature``: is there handwriting where people sign near the 签字 / 签名 / 签章 label? The places
are sized from the label's own print height (rows of print), not from fixed millimetres, so the same
rule holds for 9.5 pt compact forms and 12 pt letters: beside the label (up to the next block on its
line or the page margin), on the band under it, across the line over it, and at the far end of its
line. The printed characters the OCR read there (the label itself, 日期, the unit's name) are handed
to the detector as print, so a signature that crosses them keeps its full height and print merged
with a hand does not make it look printed; the detector also removes rulings (____ lines, table
rules) and red seal ink (extractors/signatures.py).

``sealed_line``: a value printed with no label, under the seal that vouches for it. Letters and
commitments are often signed off with the unit's full name alone, flush right, the seal stamped
across it, and no 单位名称： label before it. A label strategy finds nothing there. This strategy
reads the text segments a seal is stamped over and offers one as the value only when the whole
segment is a well-formed value of the field's type (an organization's name ending like one:
有限公司, 研究所…), never a segment with a label's colon in it (the label strategy reads those). It
is schema-listed after the label specs, so a labelled reading wins when there is one; its
confidence stays below the review threshold of a trusted reading unless another reading (the seal
ring's text, a labelled line) agrees.
"""
from __future__ import annotations

import re

import numpy as np
from PIL import Image

from .context import Candidate, Context, _mean_conf, _norm, strategy
from .hits import _candidate_hits
from .layout import PageView, _split_on_gaps, nk, union
from .value_types import check, kind_of

SEALED_LINE_CONF = 0.9  # one unlabelled reading: shown, not trusted, until another agrees

# A signature found off the label's own line counts only as a confident one (tall, slanted strokes),
# never the detector's weak "small handwriting" reading, which print fragments can give.
SIGNATURE_ELSEWHERE_MIN = 0.7
SIGNATURE_NO_LABEL_CONF = 0.6  # below every schema's review threshold
# A hand found beside the seal when the sign-off label was not read: trusted (the seal marks the
# sign-off), never above this: the label that names whose signature it is was not seen.
SIGNATURE_NEAR_SEAL_MAX = 0.9

# Sign-off geometry in label heights (h = the label's print height, ~3.7 mm at 10.5 pt).
BESIDE_UP, BESIDE_DOWN = 2.5, 1.1  # a hand beside the label rises well above its line, dips a little
SIGN_WIDTH = 19.0  # the usual signing space right of the label (~70 mm at 10.5 pt)
BAND = 4.5  # the band under / over the label's line a signature fits in
PRINT_H = 1.4  # a character up to this many label heights is print; taller is the hand read as text
PAGE_EDGE = 0.97  # share of the page width where nothing is written any more
TALL_LINE = 1.4  # a label line this many times the page's print height holds a hand read as text


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


def _label_height(view: PageView, hit) -> float:
    """The label's print height. A neat hand on the label's line is often read as text with it
    (法定代表人（签字）：刘健军 as one line), and then every character's box is the line's, the hand's
    height: the page's usual print height stands for it, so that the hand is not taken for print."""
    h = float(hit.bbox[3] - hit.bbox[1])
    typical = view.median_h
    if typical and h > TALL_LINE * typical:
        h = typical
    return float(max(h, view.mm(2.5)))


def _printed(view: PageView, h: float) -> list:
    """Boxes of the characters on the page that are print (no taller than the label's print)."""
    return [c.bbox for r in view.rows for c in r.chars if c.text.strip() and c.bbox[3] - c.bbox[1] <= PRINT_H * h]


def _spans(row, x0: float, x1: float) -> bool:
    return any(c.bbox[2] > x0 and c.bbox[0] < x1 for c in row.chars)


def sign_places(view: PageView, hit) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Where a signature for the label `hit` would be, first place first: beside the label, then the
    far end of its line, the band under its line and the band over it. Under and over reach into the
    next printed row (whose print the detector discounts): a hand squeezed between two rows touches
    both, and cut at the rows it would lose the height that tells it from print."""
    h = _label_height(view, hit)
    W = view.page.width
    edge = W * PAGE_EDGE
    row = view.rows[hit.row] if 0 <= hit.row < len(view.rows) else None
    # the label's line ends at the next printed block on it (another party's label) or the margin
    right = edge
    if row is not None:
        for c in row.chars[max(0, hit.end):]:
            if c.bbox[0] > hit.bbox[2] + 2 * h and c.bbox[3] - c.bbox[1] <= PRINT_H * h and c.text.strip() \
                    and nk(c.text) not in ("_", "＿"):
                right = min(right, c.bbox[0] - 0.5 * h)
                break
    x_end = min(right, hit.bbox[2] + SIGN_WIDTH * h)
    out = [("beside", (hit.bbox[2], hit.bbox[1] - BESIDE_UP * h, x_end, hit.bbox[3] + BESIDE_DOWN * h))]
    # the far end of the label's line, past the usual signing space, where nothing is printed
    far0 = hit.bbox[2] + SIGN_WIDTH * h
    if right - far0 >= 5.5 * h:
        out.append(("far right of", (far0 - 2.7 * h, hit.bbox[1] - BESIDE_UP * h, right, hit.bbox[3] + BESIDE_DOWN * h)))
    # a signature under or over the label starts near it and runs right
    x0, x1 = hit.bbox[0] - 1.4 * h, min(right, hit.bbox[2] + 16 * h)
    y_top, y_bot = hit.bbox[1], hit.bbox[3]
    printed_rows = [r for r in view.rows if r.y1 - r.y0 <= 1.6 * h and _spans(r, x0, x1)]
    below = [r for r in printed_rows if r.y0 > y_bot + 0.3 * h]
    above = [r for r in printed_rows if r.y1 < y_top - 0.3 * h]
    under_end = y_bot + BAND * h
    if below:
        nxt = min(below, key=lambda r: r.y0)
        under_end = min(under_end, nxt.y1 + 0.3 * h)
    over_start = y_top - BAND * h
    if above:
        prv = max(above, key=lambda r: r.y1)
        over_start = max(over_start, prv.y0 - 0.3 * h)
    if under_end - y_bot >= 1.6 * h:
        out.append(("under", (x0, y_bot - 0.3 * h, x1, under_end)))
    if y_top - over_start >= 1.6 * h:
        # the label's own line is part of the band: a signature written over the label crosses it
        out.append(("over", (x0, over_start, x1, y_bot)))
    return out


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


def _signature_in(img, view: PageView, region, ctx: Context, printed: list) -> tuple[bool | None, float]:
    try:
        from .signatures import detect_signature
    except ImportError:
        return _own_signature_check(img, region, view)
    x0, y0, x1, y1 = region
    near = [b for b in printed if b[2] > x0 and b[0] < x1 and b[3] > y0 and b[1] < y1]
    return detect_signature(img, view.dpi, tuple(int(v) for v in region), ctx.seals(view), near)


def _beside_a_seal(ctx: Context, h: float):
    """A confident hand in the band of a seal (half its width out on either side), last page first:
    (view, region, confidence), or None. A seal is stamped over the sign-off, so when the sign-off's
    label is lost under it, the seal still says where people signed. `h`: the print height (the
    label's) below which the page's OCR'd characters are print."""
    for view in reversed(ctx.views):
        img = ctx.image_of(view)
        if img is None:
            continue
        printed = _printed(view, h)
        for seal in ctx.seals(view):
            x0, y0, x1, y1 = seal.bbox
            half = (x1 - x0) / 2
            region = (max(0, x0 - half), y0, min(view.page.width, x1 + half), y1)
            present, conf = _signature_in(img, view, region, ctx, printed)
            if present and conf >= SIGNATURE_ELSEWHERE_MIN:
                return view, tuple(int(v) for v in region), conf
    return None


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
    printed = _printed(view, _label_height(view, hit))
    places = sign_places(view, hit)
    _, region = places[0]
    present, conf = _signature_in(img, view, region, ctx, printed)
    bb = tuple(int(v) for v in region)
    notes: list[str] = []
    if not present or conf < SIGNATURE_ELSEWHERE_MIN:
        # people sign where there is room: under the label, or across the line above it. A weak
        # reading beside the label (a few strokes of a hand that sits under it and reaches up) does
        # not end the search: a confident hand elsewhere is the signature
        for where, other in places[1:]:
            p2, c2 = _signature_in(img, view, other, ctx, printed)
            if p2 and c2 >= SIGNATURE_ELSEWHERE_MIN:
                present, conf, bb = True, c2, tuple(int(v) for v in other)
                notes.append(f"signed {where} the label, not beside it")
                break
    if present is None:
        return Candidate(False, min(0.3, conf or 0.3), view.number, bb, "signature", "not_verifiable", hit.label, 1.0, view, [])
    if not present and not _ends_as_label(view, hit):
        # the sign-off's own label was not read (a seal or the hand over it): the word found inside
        # running text (…签字并加盖公章之日起生效) does not say where the signature would be. The seal
        # marks the sign-off: a confident hand beside it is the signature. Otherwise the blank
        # surroundings of the word are no evidence of a missing signature: review, never a rejection
        near = _beside_a_seal(ctx, _label_height(view, hit))
        if near is not None:
            view, bb, c2 = near
            return Candidate(True, min(c2, SIGNATURE_NEAR_SEAL_MAX), view.number, bb, "signature", "ink", hit.label,
                             1.0, view, [], notes=["sign-off label not read; signed beside the seal"])
        conf = min(conf, SIGNATURE_NO_LABEL_CONF)
        notes.append("sign-off label not read; 签字 found only inside running text")
    return Candidate(bool(present), float(conf), view.number, bb, "signature",
                     "ink" if present else "blank", hit.label, 1.0, view, [], notes=notes)


@strategy("sealed_line")
def sealed_line_strategy(spec: dict, fs, ctx: Context) -> Candidate | None:
    kind = kind_of(fs, spec)
    # sign-offs end a document: look at the last page first
    for view in reversed(ctx.views):
        best = None
        for s in ctx.seals(view):
            x0, y0, x1, y1 = s.bbox
            h = max(1, y1 - y0)
            for row in view.rows:
                if not (y0 - 0.1 * h <= row.cy <= y1 + 0.1 * h):
                    continue
                for seg in _split_on_gaps(row.chars):
                    bb = union(c.bbox for c in seg)
                    if bb is None or bb[2] < x0 or bb[0] > x1:
                        continue  # not under this seal
                    text = "".join(c.text for c in seg).strip()
                    if not text or re.search(r"[:：]", text):
                        continue
                    n = _norm(spec, text, "name")
                    if n is None or check(kind, n.value)[0] < 1.0:
                        continue
                    dist = abs(row.cy - (y0 + y1) / 2) / h
                    conf = SEALED_LINE_CONF * min(1.0, _mean_conf(seg)) * n.certainty
                    if best is None or dist < best[0]:
                        best = (dist, Candidate(n.value, conf, view.number, bb, "sealed_line", text, "", n.certainty,
                                                view, list(seg), notes=["read under a seal, no label"]))
        if best is not None:
            return best[1]
    return None
