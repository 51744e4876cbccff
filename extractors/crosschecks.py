"""Checks between a document's fields, from the schema's ``x-cross-checks``.

- ``{"sum": ["amount", "tax"], "equals": "total"}``: amount + tax = total (invoices);
- ``{"same": ["total", "total_in_words"]}``: two readings of one amount (figures and words).

A check that holds raises the fields' confidence (independent readings agree). One that fails
first tries the fields' other candidates (``ranked``: each field's scored candidates): a
runner-up that passed its type check and makes the check hold replaces the nearest-label pick
(an invoice total read from the 价税合计 row's neighbour, the amount from another column), noted
as chosen by the cross-check. Failing that, a figure printed on the page that is the one value making
the check hold (a sum's 税额 read from the first item line of several while the 合计 row prints the
sum's: total − amount is printed there) replaces the field's reading, when exactly one field's value
can be so found. Failing that, it tries a decimal-place repair of one money field (``113230.00`` read as ``11323000.00``:
the value ÷ 10 or ÷ 100, or × 10/100, that makes the check hold, preferring a field whose other
candidates already say so); a repair is recorded in the field's notes and keeps it below the
review threshold. A check that fails without a repair lowers every field in it to review.
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from .context import Candidate

REPAIRED_CONF = 0.8  # a repaired value is shown, never trusted without review
DOUBT_CONF = 0.75
# A value found printed that is the only one making a sum hold: it rests on the sum's other readings
# and on the print, not on its own label; shown at most this sure, and no surer than they are.
PRINTED_FIX_CONF = 0.9

# A money figure as printed on invoices and receipts: two decimals, thousands separated or not.
_FIGURE = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)\.(\d{2})(?![\d])")


def printed_figures(views) -> list[Candidate]:
    """Every money figure (two decimals) printed on the pages, each as a candidate of its own."""
    from .layout import _split_on_gaps, union

    out = []
    for view in views or []:
        for row in view.rows:
            for seg in _split_on_gaps(row.chars):
                text = unicodedata.normalize("NFKC", "".join(c.text for c in seg))
                for m in _FIGURE.finditer(text.replace(" ", "")):
                    value = Decimal(m.group(1).replace(",", "") + "." + m.group(2))
                    bb = union(c.bbox for c in seg)
                    conf = sum(c.conf for c in seg) / len(seg) if seg else 0.0
                    out.append(Candidate(f"{value:.2f}", conf, view.number, bb, "crosscheck", text, "", 1.0,
                                         view, list(seg)))
    return out


def _dec(v) -> Decimal | None:
    try:
        return Decimal(str(v))
    except (InvalidOperation, ValueError):
        return None


def _holds(check: dict, vals: dict[str, Decimal]) -> bool | None:
    if "sum" in check:
        keys = list(check["sum"]) + [check["equals"]]
        if any(k not in vals for k in keys):
            return None
        return sum(vals[k] for k in check["sum"]) == vals[check["equals"]]
    if "same" in check:
        keys = [k for k in check["same"] if k in vals]
        if len(keys) < 2:
            return None
        return len({vals[k] for k in keys}) == 1
    return None


def _fields_of(check: dict) -> list[str]:
    if "sum" in check:
        return list(check["sum"]) + [check["equals"]]
    return list(check.get("same", []))


def _alternatives(check: dict, vals: dict[str, Decimal], ranked: dict[str, list]) -> list[tuple[str, Candidate]]:
    """Single swaps (field, runner-up) that make a failing check hold, best-scored first."""
    out = []
    for k in vals:
        seen = {vals[k]}
        for s in ranked.get(k, [])[1:]:
            v = _dec(s.cand.value)
            if v is None or v in seen or s.type_score < 0.9:
                continue
            seen.add(v)
            if _holds(check, dict(vals, **{k: v})):
                out.append((s.score, k, s.cand))
    return [(k, c) for _, k, c in sorted(out, key=lambda t: -t[0])]


def _implied(check: dict, vals: dict[str, Decimal], k: str) -> Decimal:
    """The value of `k` that makes the sum hold with the other fields as read."""
    if k == check["equals"]:
        return sum(vals[x] for x in check["sum"])
    return vals[check["equals"]] - sum(vals[x] for x in check["sum"] if x != k)


def _printed_swaps(check: dict, vals: dict[str, Decimal], figures) -> list[tuple[str, Candidate]]:
    """(field, printed figure) for each field of a failing sum whose one value making it hold is
    printed on the page (every field read: with one missing, nothing says which one is wrong)."""
    if "sum" not in check or figures is None or set(vals) != set(_fields_of(check)):
        return []
    out = []
    printed = None
    for k in vals:
        want = _implied(check, vals, k)
        if want <= 0 or want == vals[k]:
            continue
        printed = figures() if printed is None else printed
        fig = _printed_as(printed, want)
        if fig is not None:
            out.append((k, fig))
    return out


def _printed_as(printed: list[Candidate], want: Decimal) -> Candidate | None:
    """The surest of the printed figures that read `want`, or None."""
    hits = [f for f in printed if _dec(f.value) == want]
    return max(hits, key=lambda f: f.confidence) if hits else None


def _fill_missing(check: dict, vals: dict[str, Decimal], figures, name: str) -> tuple[str, Candidate] | None:
    """A sum with one field not read (its label or column lost) and the others read: the one value
    that makes it hold, when it is printed on the page (税额 = 价税合计 - 金额 in the 合计 row)."""
    if "sum" not in check or figures is None:
        return None
    missing = [k for k in _fields_of(check) if k not in vals]
    if len(missing) != 1:
        return None
    k = missing[0]
    full = dict(vals, **{k: Decimal(0)})
    want = _implied(check, full, k)
    if want <= 0:
        return None
    fig = _printed_as(figures(), want)
    if fig is None:
        return None
    return k, Candidate(fig.value, PRINTED_FIX_CONF, fig.page, fig.bbox, "crosscheck", fig.raw, "", 1.0, fig.view,
                        fig.chars, notes=[f"not read at its label; {fig.value} is printed on the page and is the one "
                                          f"value that makes {name} hold"])


def apply(checks: list[dict], chosen: dict[str, Candidate], ranked: dict[str, list] | None = None,
          figures=None) -> list[str]:
    """Run the checks over the chosen candidates (mutated in place); returns what was done.

    ``ranked``: per field, its scored candidates (candidates.Scored, best first), so that a
    failing check can pick the runner-up that makes it hold. ``figures``: a callable giving the
    money figures printed on the document (`printed_figures`), looked at only when a sum fails."""
    log: list[str] = []
    for check in checks or []:
        keys = [k for k in _fields_of(check) if k in chosen]
        vals = {k: _dec(chosen[k].value) for k in keys}
        vals = {k: v for k, v in vals.items() if v is not None}
        name = "+".join(check["sum"]) + "=" + check["equals"] if "sum" in check else "=".join(check["same"])
        filled = _fill_missing(check, vals, figures, name)
        if filled is not None:
            k, fig = filled
            fig.confidence = min([fig.confidence, *(chosen[x].confidence for x in vals)])
            chosen[k] = fig
            vals[k] = _dec(fig.value)
            log.append(f"printed {k} (not read) → {fig.value}")
        ok = _holds(check, vals)
        if ok is None:
            continue
        swaps = _alternatives(check, vals, ranked or {}) if not ok else []
        # a swap only when it is the only one: two that each make the check hold say nothing
        if len(swaps) == 1:
            k, alt = swaps[0]
            old = chosen[k]
            alt.notes.append(f"chosen by cross-check {name} over {old.value} ({old.strategy})")
            chosen[k] = alt
            vals[k] = _dec(alt.value)
            log.append(f"swapped {k} {old.value} → {alt.value}")
            ok = True
        elif not ok:
            found = _printed_swaps(check, vals, figures)
            if len(found) == 1:
                k, fig = found[0]
                old = chosen[k]
                others = [chosen[x].confidence for x in vals if x != k]
                fig = Candidate(fig.value, min([PRINTED_FIX_CONF, *others]), fig.page, fig.bbox, "crosscheck",
                                fig.raw, old.label, 1.0, fig.view, fig.chars, notes=[
                                    f"chosen by cross-check {name}: {fig.value} is printed on the page and is the "
                                    f"one value that makes it hold, over {old.value} ({old.strategy})"])
                chosen[k] = fig
                vals[k] = _dec(fig.value)
                log.append(f"printed {k} {old.value} → {fig.value}")
                ok = True
        if ok:
            for k in vals:
                c = chosen[k]
                # a repair stays for review; a printed figure chosen by the sum stays as sure as set
                if not any(n.startswith("repaired") for n in c.notes) and c.strategy != "crosscheck":
                    c.confidence = max(c.confidence, min(0.99, (c.confidence + 1) / 2))
                c.notes.append(f"cross-check {name} holds")
            log.append(f"{name} holds")
            continue
        repaired = False
        for k in vals:
            for f in (Decimal(100), Decimal(10), Decimal("0.1"), Decimal("0.01")):
                trial = dict(vals, **{k: (vals[k] / f).quantize(Decimal("0.01"))})
                if _holds(check, trial):
                    c = chosen[k]
                    old = c.value
                    c.value = f"{trial[k]:.2f}"
                    c.confidence = min(c.confidence, REPAIRED_CONF)
                    c.notes.append(f"repaired {old} → {c.value}: decimal places, so that {name} holds")
                    log.append(f"repaired {k} {old} → {c.value}")
                    repaired = True
                    break
            if repaired:
                break
        if not repaired:
            for k in vals:
                c = chosen[k]
                c.confidence = min(c.confidence, DOUBT_CONF)
                c.notes.append(f"cross-check {name} fails ({', '.join(f'{x}={vals[x]}' for x in vals)})")
            log.append(f"{name} fails")
    return log
