"""Confidence caps measured on developed layout families (issue 11: a field shown at 98% must be
right at least 98% of the time).

A strategy reads some value types less reliably than its confidence says (a label read of a
person's name on a busy form, say). ``bench/calibration.py --derive`` measures, per (strategy,
value type), how often fields given ≥ 0.98 were right on the developed families, and writes a
cap for every pair that was right less often than that to ``schemas/meta/calibration.json``.
Here the cap is applied at the one point where a field's confidence is final
(`extract.extract_document`), and the field's notes say so (``extract --explain``).

Caps only lower a confidence.  What other evidence already lowers stays as it is: a repaired
value (``repaired:`` notes, extractors/repairs.py and the cross-checks) is kept below the review
threshold by `candidates.keep_doubt`, a value read from under a seal at most 0.95, a value
reconciled between documents at most 0.95 (intake/reconcile.py).

``DOCINTAKE_CALIBRATION``: unset, the built-in file; ``off``, no caps (what ``--derive`` measures
with); otherwise the path of another file of the same shape.

A pure leaf: it reads a JSON file and the field's schema, nothing of intake.
"""
from __future__ import annotations

import json
import math
import os
from functools import lru_cache
from pathlib import Path

from intake.errors import SchemaError
from schemas.registry import builtin_dir

ENV = "DOCINTAKE_CALIBRATION"
FILE_NAME = "calibration.json"
CERTAIN = 0.98  # what "shown at 98%" means: the confidence a cap keeps a strategy below


def builtin_path() -> Path:
    return builtin_dir() / "meta" / FILE_NAME


def strategy_key(strategy: str | None) -> str:
    """The strategy a cap is measured for: the first one, and whether a crop re-read confirmed it
    (``label+reread``); reconciliation and other suffixes are evidence of their own."""
    s = strategy or ""
    base = s.split("+")[0]
    return base + "+reread" if "+reread" in s else base


def value_type(fs) -> str:
    """The field's value type as the caps are keyed (its schema's, not one spec's)."""
    from .value_types import kind_of

    return kind_of(fs)


def _path() -> Path | None:
    env = os.environ.get(ENV, "").strip()
    if env.lower() == "off":
        return None
    return Path(env) if env else builtin_path()


@lru_cache(maxsize=8)
def _read(path: str) -> dict[tuple[str, str], float]:
    p = Path(path)
    if not p.exists():
        if p == builtin_path():
            return {}  # no caps measured yet
        raise SchemaError(f"{p}: calibration file not found ({ENV})")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        caps = {}
        for i, c in enumerate(data.get("caps", [])):
            cap = float(c["cap"])
            if not 0.0 < cap <= 1.0:
                raise ValueError(f"/caps/{i}/cap: {cap} is not in (0, 1]")
            caps[(str(c["strategy"]), str(c["value_type"]))] = cap
        return caps
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise SchemaError(f"{p}: {e}") from e


def caps() -> dict[tuple[str, str], float]:
    """(strategy, value type) -> the highest confidence that pair has earned."""
    p = _path()
    return {} if p is None else _read(str(p))


def cap_of(strategy: str | None, vtype: str) -> float | None:
    return caps().get((strategy_key(strategy), vtype))


def final_confidence(fs, cand) -> float:
    """The candidate's confidence as the field will show it: in [0, 1], at most its (strategy,
    value type) cap, rounded; a capped value gets a note naming the cap (explain output)."""
    conf = float(max(0.0, min(1.0, cand.confidence)))
    cap = cap_of(cand.strategy, value_type(fs))
    if cap is not None and conf > cap:
        cand.notes.append(f"calibrated: {strategy_key(cand.strategy)} reads of {value_type(fs)} values given "
                          f"≥ {CERTAIN} were right less often on developed families; {conf:.2f} capped at {cap:.2f}")
        conf = cap
    return round(conf, 3)


def derive(rows: list[dict], min_given: int = 3, ceiling: float = 0.97) -> list[dict]:
    """Caps from measured rows ``{"strategy", "value_type", "confidence", "ok"}`` (developed
    families only): for every pair whose fields given ≥ 0.98 were right less often than that,
    the share that was right (rounded down, at most ``ceiling``)."""
    groups: dict[tuple[str, str], list[bool]] = {}
    for r in rows:
        if float(r["confidence"]) >= CERTAIN:
            groups.setdefault((strategy_key(r["strategy"]), r["value_type"]), []).append(bool(r["ok"]))
    out = []
    for (strategy, vtype), oks in sorted(groups.items()):
        right = sum(oks)
        if len(oks) >= min_given and right / len(oks) < CERTAIN:
            cap = min(ceiling, math.floor(100 * right / len(oks)) / 100)
            out.append({"strategy": strategy, "value_type": vtype, "cap": cap, "given": len(oks), "right": right})
    return out


def clear_cache() -> None:
    _read.cache_clear()
