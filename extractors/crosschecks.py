"""Checks between a document's fields, from the schema's ``x-cross-checks``.

- ``{"sum": ["amount", "tax"], "equals": "total"}``: amount + tax = total (invoices);
- ``{"same": ["total", "total_in_words"]}``: two readings of one amount (figures and words).

A check that holds raises the fields' confidence (independent readings agree). One that fails
first tries the fields' other candidates (``ranked``: each field's scored candidates): a
runner-up that passed its type check and makes the check hold replaces the nearest-label pick
(an invoice total read from the 价税合计 row's neighbour, the amount from another column), noted
as chosen by the cross-check. Failing that, it tries a decimal-place repair of one money field (``113230.00`` read as ``11323000.00``:
the value ÷ 10 or ÷ 100, or × 10/100, that makes the check hold, preferring a field whose other
candidates already say so); a repair is recorded in the field's notes and keeps it below the
review threshold. A check that fails without a repair lowers every field in it to review.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from .context import Candidate

REPAIRED_CONF = 0.8  # a repaired value is shown, never trusted without review
DOUBT_CONF = 0.75


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


def apply(checks: list[dict], chosen: dict[str, Candidate], ranked: dict[str, list] | None = None) -> list[str]:
    """Run the checks over the chosen candidates (mutated in place); returns what was done.

    ``ranked``: per field, its scored candidates (candidates.Scored, best first), so that a
    failing check can pick the runner-up that makes it hold."""
    log: list[str] = []
    for check in checks or []:
        keys = [k for k in _fields_of(check) if k in chosen]
        vals = {k: _dec(chosen[k].value) for k in keys}
        vals = {k: v for k, v in vals.items() if v is not None}
        ok = _holds(check, vals)
        if ok is None:
            continue
        name = "+".join(check["sum"]) + "=" + check["equals"] if "sum" in check else "=".join(check["same"])
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
        if ok:
            for k in vals:
                c = chosen[k]
                if not any(n.startswith("repaired") for n in c.notes):  # a repair stays for review
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
