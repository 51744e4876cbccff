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
- ``signature``: handwriting where people sign beside, under or over a 签字 label
  (extractors/signoff.py, with ``sealed_line``).
- ``seal_text``: the text around the seal nearest a label.
- ``qr``: a part of the invoice QR code (``01,type,code,number,amount,date,check,crc``).
"""
from __future__ import annotations

import logging
import re

from intake.model import Seal

from .hits import _candidate_hits
from .layout import PageView, nk

log = logging.getLogger(__name__)

# Shared by every strategy module; defined in extractors/context.py (the bottom of the imports)
# and re-exported here for callers that import them from this module.
from .context import STRATEGIES, Candidate, Context, _apply_strip, _mean_conf, _norm, strategy  # noqa: E402,F401


# ---------------------------------------------------------------------------
# seals (signatures: extractors/signoff.py)
# ---------------------------------------------------------------------------


def _party_region(view: PageView, spec: dict) -> tuple[tuple[float, float, float, float], bool] | None:
    """The party's sign-off block on the page, and whether it was found by a label that names the seal
    (甲方（盖章）). The bare party word (甲方) is the fallback: found in running text when the sign-off
    label itself was not read, it places the block only roughly."""
    labels = [spec["party"]] if spec.get("party") else []
    labels += spec.get("labels", [])
    hits, found = [], ""
    for lab in labels:
        hits = view.find(lab)
        if hits:
            found = lab
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
    return (left, hit.bbox[1] - view.mm(25), right, hit.bbox[3] + view.mm(50)), "章" in found


# A seal on the page whose party's sign-off label was not read (the seal is stamped over it): shown, for review.
SEAL_LABEL_UNREAD_CONF = 0.75


@strategy("seal")
def seal_strategy(spec: dict, fs, ctx: Context) -> Candidate | None:
    party = bool(spec.get("party"))
    any_region = False
    best: tuple[Seal, PageView] | None = None
    unread: tuple[Seal, PageView] | None = None  # a seal on the last page whose sign-off label was not read
    for view in reversed(ctx.views):
        found = _party_region(view, spec) if party else None
        if party and found is None:
            continue
        region, named = found if found is not None else (None, True)
        if not named and unread is None and ctx.seals(view):
            unread = (max(ctx.seals(view), key=lambda s: s.confidence), view)
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
    if unread is not None:
        # The party's sign-off label was found nowhere, only the party's name in running text, and a seal
        # is on that page: a seal over its own label leaves the label unread. Present, for a reviewer to
        # confirm, not "no seal" (which would reject the document).
        s, view = unread
        return Candidate(True, SEAL_LABEL_UNREAD_CONF, view.number, tuple(int(v) for v in s.bbox), "seal",
                         f"{s.color} {s.shape} seal", spec.get("party", ""), 1.0, view, [],
                         notes=[f"sign-off label {spec.get('party')} not read (a seal over it?); a seal is on this page"])
    view = ctx.views[-1]
    ver = ctx.verifiability(view)
    if ver == "color":
        return Candidate(False, 0.9, view.number, None, "seal", "no seal", spec.get("party", ""), 1.0, view, [])
    return Candidate(False, 0.3, view.number, None, "seal", "not_verifiable", spec.get("party", ""), 1.0, view, [])


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
from .signoff import _ends_as_label  # noqa: E402,F401  (re-exported for callers of this module)
