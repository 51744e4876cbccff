"""Text strategies: a value right of / below its label, a pattern anywhere, a table cell.

Each strategy has two faces: ``<name>_candidates(spec, fs, ctx) -> list[Candidate]`` offers every
reading it sees (each label occurrence, each match, each total row) for
``extractors.candidates`` to rank; the registered ``fn(spec, fs, ctx) -> Candidate | None``
returns the first of them (schemas and tests that call one strategy directly).
"""
from __future__ import annotations

import re
import statistics

from .boundaries import starts_with_label, take_run
from .hits import _after, _candidate_hits, _first_anchor, _region_ok, _standalone
from .layout import Char, LabelHit, PageView, conversions, nk, union
from .context import Candidate, Context, _apply_strip, _mean_conf, _norm, strategy

MAX_CANDIDATES = 6  # per spec: enough for the label hits of a page, few enough to stay cheap

# ---------------------------------------------------------------------------
# label
# ---------------------------------------------------------------------------


def _record_normalization(c: Candidate, n, chars) -> Candidate:
    """Carry what normalization changed into the candidate's evidence.

    A simplified-Chinese mapping (page view or normalizer) is noted but trusted: OpenCC's tables
    are reliable and the normalizer already lowered the certainty a little. Any other repair (a
    mail domain, a name completed at its last character) was inferred rather than read, so it is
    noted as "repaired", which keeps the value below the review threshold (candidates.keep_doubt).
    """
    for note in conversions(chars):
        c.notes.append(f"normalized 繁→简 {note} (page view)")
    for r in getattr(n, "repairs", ()) or ():
        c.notes.append(f"normalized {r}" if r.startswith("繁→简") else f"repaired: {r}")
    return c


def _strip_lead(chars: list[Char]) -> list[Char]:
    i = 0
    while i < len(chars) and nk(chars[i].text) in (":", ";", ",", "、", ".", "。", ""):
        i += 1
    return chars[i:]


def _value_right(view: PageView, hit: LabelHit, ctx: Context, spec: dict):
    """(lines of chars, gap from label in text heights, what ended the first line) or None."""
    lab_h = max(1, hit.bbox[3] - hit.bbox[1])
    best = None
    for ri in range(max(0, hit.row - 3), min(len(view.rows), hit.row + 4)):
        r = view.rows[ri]
        if not (hit.bbox[1] - 0.6 * lab_h <= r.cy <= hit.bbox[3] + 0.6 * lab_h):
            continue
        if ri == hit.row:
            chars = r.chars[hit.end :]
        else:
            if r.chars and r.chars[0].bbox[0] < hit.bbox[2] - 0.3 * lab_h and not _rest_of_wrapped(r, hit, lab_h):
                continue  # a row of the label column: the next label, or the rest of a wrapped one
            chars = [c for c in r.chars if c.bbox[0] >= hit.bbox[2] - 0.3 * lab_h]
        chars = _strip_lead(chars)
        if not chars:
            continue
        gap = chars[0].bbox[0] - hit.bbox[2]
        # a value may stand far right of its label (right-aligned receipts); whatever stands there
        # is ranked by its distance, and a label there yields nothing (starts_with_label)
        if gap > 0.7 * view.page.width or gap < -0.5 * lab_h:
            continue
        score = max(gap, 0) + 2 * abs(r.cy - hit.cy)
        if best is None or score < best[0]:
            best = (score, ri, chars, gap)
    if best is None:
        return None
    _, ri, chars, gap = best
    own = nk(hit.label)
    if starts_with_label(chars, ctx.stops, own):
        return None  # 乙方开户银行：… — the hit is part of a longer label, not this field's
    h = statistics.median([c.h for c in chars[:8]] + [lab_h])
    first, x_stop, why = take_run(chars, h, ctx.stops, own, float("inf"))
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
            if starts_with_label(cont, ctx.stops, own, continuation=True):
                break
            run, _, _ = take_run(cont, h, ctx.stops, own, x_limit)
            if not run or _other_type_line(lines[0], run):
                break
            lines.append(run)
            prev_y1 = max(c.bbox[3] for c in run)
    return lines, max(0.0, gap) / lab_h, why


_DIGIT_RUN = re.compile(r"[0-9Xx×\-\s]{8,}")


def _other_type_line(first: list[Char], run: list[Char]) -> bool:
    """A line of bare digits under a value written in characters (an ID or account number printed
    above its own label on a tilted card) is another field, not the value's wrapped rest."""
    head = "".join(c.text for c in first)
    text = "".join(c.text for c in run)
    return bool(re.search(r"[\u3400-\u9fff]", head)) and bool(_DIGIT_RUN.fullmatch(text))


def _rest_of_wrapped(row, hit: LabelHit, lab_h: float) -> bool:
    """The row's label-column text is the rest of this wrapped label (科技人员及预计 / 使用人员), so
    the value beside it (OCR put the cell's value on that row) is this label's value."""
    full = nk(hit.label)
    if hit.end - hit.start >= len(full):
        return False  # not a wrapped hit
    left = "".join(nk(c.text) for c in row.chars if c.bbox[0] < hit.bbox[2] - 0.3 * lab_h)
    return bool(left) and full.endswith(left)


def _value_below(view: PageView, hit: LabelHit, ctx: Context, spec: dict):
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
        if starts_with_label(chars, ctx.stops, nk(hit.label)):
            return None
        run, _, why = take_run(chars, max(lab_h, r.h), ctx.stops, nk(hit.label), float("inf"))
        if run:
            return [run], (r.cy - hit.cy) / lab_h, why
    return None


def _pattern_filter(spec: dict, lines: list[list[Char]]) -> tuple[str, list[Char]] | None:
    chars = [c for ln in lines for c in ln]
    text = "".join(c.text for c in chars)
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


def label_candidates(spec: dict, fs, ctx: Context) -> list[Candidate]:
    direction = spec.get("direction", "right-or-below")
    out: list[Candidate] = []
    for rank, (view, hit) in enumerate(_candidate_hits(spec, ctx, spec.get("labels", []))):
        if not hit.exact and not _stands_as_label(view, hit):
            continue
        got = None
        where = "right"
        if direction in ("right", "right-or-below"):
            got = _value_right(view, hit, ctx, spec)
            if got and spec.get("pattern") and _pattern_filter(spec, got[0]) is None:
                got = None
        if got is None and direction in ("below", "right-or-below"):
            got = _value_below(view, hit, ctx, spec)
            where = "below"
        if not got:
            continue
        lines, gap, why = got
        if gap > 9:
            conf_far = 0.95  # far from its label: another column's text is possible
        else:
            conf_far = 1.0
        picked = _pattern_filter(spec, lines)
        if picked is None:
            continue
        raw, chars = picked
        raw = _apply_strip(spec, raw)
        n = _norm(spec, raw)
        if n is None or n.value in ("", None):
            continue
        conf = _mean_conf(chars) * n.certainty * (1.0 if hit.exact else 0.85) * conf_far
        c = Candidate(n.value, conf, view.number, union(ch.bbox for ch in chars), "label", raw, hit.label,
                      n.certainty, view, chars, rank=len(out), label_gap=gap, ended_by=why)
        _record_normalization(c, n, chars)
        if where == "below":
            c.notes.append("value below its label")
        if not hit.exact:
            c.notes.append("label read with one character different")
        elif hit.partial:
            c.notes.append("label partly read: its first character lost")
        if conf_far < 1.0:
            c.notes.append(f"value {gap:.0f} text heights right of its label")
        if where == "right" and why == "" and _cut_at_wrap(view, hit, lines):
            c.notes.append("cut at a line wrap of running text")
        out.append(c)
        if len(out) >= MAX_CANDIDATES:
            break
    return out


_LABEL_EDGE = set(":：;；,，。、()（）[]【】")


def _stands_as_label(view: PageView, hit: LabelHit) -> bool:
    """Whether a label read with a character different stands where a label stands: a standalone
    label (`hits._standalone`: its row's start, before a colon, after a wide gap), or one with
    punctuation or a gap on either side, or at its row's end. Inside a run of words on both sides it
    is part of other text (检验检测研 of 河南智创检验检测研究院 is no 检验检测费)."""
    if _standalone(view, hit):
        return True
    chars = view.rows[hit.row].chars
    if hit.end >= len(chars):
        return True
    h = max(1, hit.bbox[3] - hit.bbox[1])
    prev, nxt = chars[hit.start - 1], chars[hit.end]
    if nk(prev.text)[-1:] in _LABEL_EDGE or chars[hit.start].bbox[0] - prev.bbox[2] >= 0.5 * h:
        return True
    return nk(nxt.text)[:1] in _LABEL_EDGE or nxt.bbox[0] - chars[hit.end - 1].bbox[2] >= 0.5 * h


def _cut_at_wrap(view: PageView, hit: LabelHit, lines: list[list[Char]]) -> bool:
    """A label inside a running sentence (由其经办人陆海 / 阳具体办理…) whose value runs to the end
    of a line that the sentence continues on: the value may go on past the wrap, so what was read
    may be only its first part. A form's cell (label at the row start, or a gap or colon before
    the value) is not running text."""
    row = view.rows[hit.row]
    if hit.start == 0 or not row.chars or len(lines) != 1 or lines[0][-1] is not row.chars[-1]:
        return False
    if hit.end < len(row.chars):
        nxt = row.chars[hit.end]
        if nk(nxt.text) in (":", "：") or nxt.bbox[0] - hit.bbox[2] > 0.5 * max(1, hit.bbox[3] - hit.bbox[1]):
            return False
    key = ("wrapped_rows",)
    if key not in view._cache:
        view._cache[key] = _wrapped_rows(view)
    return hit.row in view._cache[key]


@strategy("label")
def label_strategy(spec: dict, fs, ctx: Context) -> Candidate | None:
    found = label_candidates(spec, fs, ctx)
    return found[0] if found else None


# ---------------------------------------------------------------------------
# regex
# ---------------------------------------------------------------------------


def _owner_label(view: PageView, row_index: int, chars_before: list[Char], ctx: Context) -> str:
    """The label a match stands right after on its row ('' if none): digits printed after
    发票代码 belong to 发票代码, not to the invoice number searched anywhere."""
    keys = "".join(nk(c.text) for c in chars_before).rstrip(":：")
    tail = keys[-16:]
    for sk in ctx.stop_keys:
        if tail.endswith(sk):
            return sk
    return ""


_THOUSANDS = re.compile(r"(?<=\d)[，､](?=\d{3}(?!\d))")


def regex_candidates(spec: dict, fs, ctx: Context) -> list[Candidate]:
    pat = re.compile(spec["pattern"])
    after = _first_anchor(ctx, spec["after"]) if spec.get("after") else None
    before = _first_anchor(ctx, spec["before"]) if spec.get("before") else None
    if spec.get("after") and after is None:
        return []
    found: list[tuple[PageView, str, list[Char], str]] = []
    for vi, view in enumerate(ctx.views):
        wrapped = _wrapped_rows(view)
        for ri, row in enumerate(view.rows):
            chars = row.chars
            own_n = len(chars)
            if ri in wrapped:  # a sentence wrapped onto the next line reads on (…为人民 / 币31800.00元)
                chars = chars + view.rows[ri + 1].chars
            if after is not None:
                chars = [c for c in chars if _after((vi, ri, c.bbox[0]), after)]
            if before is not None:
                chars = [c for c in chars if not _after((vi, ri, c.bbox[0]), before)]
            if not chars:
                continue
            own_n = min(own_n, len(chars))
            # a thousands separator read as the Chinese comma (8，480.00) is the comma patterns expect
            # (the same length: offsets hold)
            text = _THOUSANDS.sub(",", "".join(c.text for c in chars))
            offsets = []
            for i, c in enumerate(chars):
                offsets += [i] * len(c.text)
            for m in pat.finditer(text):
                g = "value" if "value" in pat.groupindex else 0
                a, b = m.span(g)
                if a == b:
                    continue
                if ri in wrapped and offsets[m.start()] >= own_n and ri + 1 < len(view.rows):
                    continue  # starts on the next line: found when that line is read
                sel = chars[offsets[a] : offsets[b - 1] + 1]
                bb = union(c.bbox for c in sel)
                if not _region_ok(view, bb, spec.get("region")):
                    continue
                owner = _owner_label(view, ri, chars[: offsets[m.start()]], ctx)
                found.append((view, m.group(g), sel, owner))
    if spec.get("occurrence") == "last":
        found.reverse()
    own_labels = {nk(lab) for s in fs.extract for lab in s.get("labels", [])}
    out: list[Candidate] = []
    for view, raw, sel, owner in found:
        n = _norm(spec, _apply_strip(spec, raw))
        if n is None or n.value in ("", None):
            continue
        conf = _mean_conf(sel) * n.certainty * 0.95
        c = Candidate(n.value, conf, view.number, union(ch.bbox for ch in sel), "regex", raw, "", n.certainty,
                      view, sel, rank=len(out))
        _record_normalization(c, n, sel)
        if owner and owner not in own_labels:
            c.notes.append(f"printed after another label “{owner}”")
            c.label = f"≠{owner}"
        out.append(c)
        if len(out) >= MAX_CANDIDATES:
            break
    return out


def _wrapped_rows(view: PageView) -> set[int]:
    """Rows of running text that continue on the next row: the row reaches the text's right
    edge and the next row starts at (or left of) its left edge, one line below."""
    rows = [r for r in view.rows if r.chars]
    if len(rows) < 2:
        return set()
    rights = sorted(r.chars[-1].bbox[2] for r in view.rows if r.chars)
    edge = rights[int(0.9 * (len(rights) - 1))]
    out = set()
    for ri in range(len(view.rows) - 1):
        r, nxt = view.rows[ri], view.rows[ri + 1]
        if not r.chars or not nxt.chars:
            continue
        h = max(1, r.h)
        if r.chars[-1].bbox[2] < edge - 1.5 * h:
            continue
        if nxt.chars[0].bbox[0] > r.chars[0].bbox[0] + 0.5 * h or nxt.y0 - r.chars[-1].bbox[3] > 1.5 * h:
            continue
        out.add(ri)
    return out


@strategy("regex")
def regex_strategy(spec: dict, fs, ctx: Context) -> Candidate | None:
    found = regex_candidates(spec, fs, ctx)
    return found[0] if found else None


# ---------------------------------------------------------------------------
# table
# ---------------------------------------------------------------------------


def _row_cells(view: PageView, rh: LabelHit) -> list[list[Char]]:
    """The cells right of a row label on its line, split at gaps."""
    lab_h = max(1, rh.bbox[3] - rh.bbox[1])
    chars = []
    for r in view.rows:
        if abs(r.cy - rh.cy) <= 0.6 * lab_h:
            chars += [c for c in r.chars if c.bbox[0] >= rh.bbox[2]]
    chars.sort(key=lambda c: c.bbox[0])
    if not chars:
        return []
    cells: list[list[Char]] = [[chars[0]]]
    for a, b in zip(chars, chars[1:]):
        if b.bbox[0] - a.bbox[2] > 1.2 * lab_h:
            cells.append([b])
        else:
            cells[-1].append(b)
    return cells


def table_candidates(spec: dict, fs, ctx: Context) -> list[Candidate]:
    out: list[Candidate] = []
    for view in ctx.views:
        # a row label stands at the start of its cell ("合计", not the end of "价税合计")
        rows_hits = [h for h in view.find_any(spec.get("row", [])) if _standalone(view, h)]
        heads = view.find_any(spec.get("header", []))
        for rh in reversed(rows_hits):  # the total row is the last one
            above = [h for h in heads if h.cy < rh.cy - 0.5 * (rh.bbox[3] - rh.bbox[1])]
            if not above:
                continue
            # the nearest header above first; a header drawn far above (a ruled table) next
            for hrank, hh in enumerate(sorted(above, key=lambda h: rh.cy - h.cy)[:2]):
                lab_h = max(1, rh.bbox[3] - rh.bbox[1])
                cells = _row_cells(view, rh)
                if not cells:
                    break
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
                c = Candidate(n.value, conf, view.number, union(ch.bbox for ch in cell), "table", raw,
                              f"{hh.label}×{rh.label}", n.certainty, view, cell, rank=len(out),
                              label_gap=float(hrank))
                _record_normalization(c, n, cell)
                out.append(c)
                break
            if len(out) >= MAX_CANDIDATES:
                return out
    return out


@strategy("table")
def table_strategy(spec: dict, fs, ctx: Context) -> Candidate | None:
    found = table_candidates(spec, fs, ctx)
    return found[0] if found else None


MULTI = {"label": label_candidates, "regex": regex_candidates, "table": table_candidates}
