"""Where a field's label is printed: label occurrences in preference order, anchors, regions.

Shared by the text strategies (label, regex), the signature and seal-text strategies and the
blank-value re-read. Pure functions over PageViews.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .layout import LabelHit, PageView, nk, union

if TYPE_CHECKING:  # pragma: no cover
    from .context import Context



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
    longer = _longer_labels(ctx, labels)
    for lab in labels:
        hs: list[tuple[int, PageView, LabelHit]] = []
        for vi, v in enumerate(ctx.views):
            found = [h for h in v.find(lab) if not _fuzzy_other_label(ctx, v, h, lab)]
            found = found or find_wrapped(v, lab) or find_spread_split(v, lab)
            found = found + [h for h in find_spread_partial(v, lab) if all(h.row != f.row for f in found)]
            for h in found:
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
        # the label's characters inside a longer known label (名称 in the table header 项目名称) are
        # most likely that other label: a last resort whatever the anchors say
        inner = [not _inside_longer_label(t[1], t[2], longer.get(lab, ())) for t in hs]
        hs = [t for t, ok in zip(hs, inner) if ok] + [t for t, ok in zip(hs, inner) if not ok]
        out += [(v, h) for _, v, h in hs]
    return out


def _fuzzy_other_label(ctx: Context, view: PageView, hit: LabelHit, label: str) -> str | None:
    """A fuzzy hit (one character off) whose characters are exactly another label of this document
    type is that label, not an OCR slip of this one: 甲方名称 found one substitution away in the
    printed 乙方名称 would take the other party's value."""
    if hit.exact or hit.start < 0:
        return None
    stops = getattr(ctx, "stops", None)
    own = getattr(stops, "own", ()) if stops is not None else ()
    row = view.rows[hit.row]
    text = "".join(nk(c.text) for c in row.chars[hit.start:hit.end])
    return text if text != nk(label) and text in own else None


def _longer_labels(ctx: Context, labels: list[str]) -> dict[str, tuple[str, ...]]:
    """Per label, the known labels (of any schema, and common form labels) that contain it and are
    not labels of this spec themselves: 名称 inside 项目名称 is a table header, not the name's label."""
    keys = getattr(ctx, "stop_keys", None) or []
    own = {nk(x) for x in labels}
    out = {}
    for lab in labels:
        t = nk(lab)
        out[lab] = tuple(k for k in keys if len(k) > len(t) and t in k and k not in own)
    return out


def _inside_longer_label(view: PageView, hit: LabelHit, longer: tuple[str, ...]) -> bool:
    """The hit's characters are part of a longer known label printed around them."""
    if not longer or hit.start < 0:
        return False
    row = view.rows[hit.row]
    keys = [nk(c.text) for c in row.chars]
    t = "".join(keys[hit.start:hit.end])
    for k in longer:
        at = k.find(t, 1)  # a longer label that starts before the hit (项目|名称), not one that extends it (单位名称|（盖章）)
        while at >= 0:
            i0 = hit.start - len(k[:at])
            if i0 >= 0 and "".join(keys[i0:hit.start]) == k[:at] and "".join(keys[hit.end:]).startswith(k[at + len(t):]):
                return True
            at = k.find(t, at + 1)
    return False


def find_spread_partial(view: PageView, label: str) -> list[LabelHit]:
    """A two-character label spread across its cell (名　　称) whose first character OCR lost: its
    second character followed by a colon, at the start of a row or after a wide gap (the rest of the
    row is the value). The hit is shorter than its label: its value ranks where its place puts it,
    and is doubted afterwards (text_strategies notes it; candidates.keep_doubt caps it for review)."""
    target = nk(label)
    if len(target) != 2:
        return []
    key = ("|sp", label)
    if key in view._cache:
        return view._cache[key]
    out: list[LabelHit] = []
    for ri, r in enumerate(view.rows):
        keys = [nk(c.text) for c in r.chars]
        for i in range(len(keys) - 1):
            if keys[i] != target[1] or keys[i + 1] not in (":", "："):
                continue
            c = r.chars[i]
            h = max(1, c.bbox[3] - c.bbox[1])
            if i > 0 and c.bbox[0] - r.chars[i - 1].bbox[2] < 1.5 * h:
                continue
            out.append(LabelHit(label, ri, i, i + 1, c.bbox, exact=True, partial=True))
    view._cache[key] = out
    return out


def _order_by_near(anchors: list[str], hs):
    def dist(t):
        vi, v, h = t
        best = float("inf")
        for lab in anchors:
            vertical = v.find_vertical(lab)
            for a in v.find(lab, fuzzy=False) + vertical:
                if a.row == h.row and a.start <= h.start < a.end:
                    continue
                dx = max(0.0, h.bbox[0] - a.bbox[2], a.bbox[0] - h.bbox[2]) if True else 0
                if a in vertical:
                    # a row head printed top to bottom (购/买/方) spans its block: rows within its
                    # height are its own, rows beyond it belong to the next block
                    out = max(0.0, a.bbox[1] - h.cy, h.cy - a.bbox[3])
                    dy = 3.0 * out + 2.0 * v.median_h if out > 0 else 0.0
                else:
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



def find_wrapped(view: PageView, label: str) -> list[LabelHit]:
    """A long label wrapped inside its table cell (科技人员及预计 / 使用人员): a row that ends with
    the label's first part and a row just below, starting in the same column, with the rest.
    The hit is the first part (its value stands right of the cell)."""
    target = nk(label)
    if len(target) < 5:
        return []
    out: list[LabelHit] = []
    rows = view.rows
    for ri, r in enumerate(rows):
        keys = "".join(nk(c.text) for c in r.chars)
        for k in range(len(target) - 2, 2, -1):
            head, tail = target[:k], target[k:]
            if not keys.startswith(head) or len(r.chars) < k:
                continue
            first = r.chars[:k]
            h = max(1, first[0].bbox[3] - first[0].bbox[1])
            for rj in range(ri + 1, min(len(rows), ri + 4)):
                nxt = rows[rj]
                if nxt.y0 - max(c.bbox[3] for c in first) > 1.6 * h:
                    break
                start = [i for i, c in enumerate(nxt.chars) if abs(c.bbox[0] - first[0].bbox[0]) <= 1.0 * h]
                if start and "".join(nk(c.text) for c in nxt.chars[start[0]:]).startswith(tail):
                    bb = union(c.bbox for c in first)
                    out.append(LabelHit(label, ri, 0, k, bb, exact=True))
                    break
            if out and out[-1].row == ri:
                break
    return out


def find_spread_split(view: PageView, label: str) -> list[LabelHit]:
    """A short label spread across its cell (名　　称) that OCR put on two rows: its first
    character alone on a row, the rest starting the next row at about the same height, to the right.
    The hit is the part on the value's row."""
    target = nk(label)
    if not (2 <= len(target) <= 4):
        return []
    out: list[LabelHit] = []
    rows = view.rows
    for ri, r in enumerate(rows):
        if not r.chars or nk(r.chars[0].text) != target[0] or len("".join(nk(c.text) for c in r.chars)) != 1:
            continue
        first = r.chars[0]
        h = max(1, first.bbox[3] - first.bbox[1])
        for rj in range(max(0, ri - 2), min(len(rows), ri + 3)):
            if rj == ri or not rows[rj].chars:
                continue
            rest = rows[rj].chars
            keys = "".join(nk(c.text) for c in rest[: len(target) - 1])
            if keys != target[1:] or abs(rows[rj].cy - r.cy) > 1.0 * h:
                continue
            if not (0 < rest[0].bbox[0] - first.bbox[2] <= 6 * h):
                continue
            k = len(target) - 1
            out.append(LabelHit(label, rj, 0, k, union([first.bbox] + [c.bbox for c in rest[:k]]), exact=True))
            break
    return out


def _standalone(view: PageView, hit: LabelHit) -> bool:
    """A label starts its line, is followed by a colon, or stands after a gap (not inside running text)."""
    if hit.start <= 0:
        return True
    row = view.rows[hit.row]
    if hit.end < len(row.chars) and nk(row.chars[hit.end].text) in (":", "："):
        return True
    prev = row.chars[hit.start - 1]
    return row.chars[hit.start].bbox[0] - prev.bbox[2] > 0.8 * (hit.bbox[3] - hit.bbox[1])


candidate_hits = _candidate_hits
