"""Confidence calibration per (strategy, value type): measure, derive caps, report before/after.

    # caps from developed families only (never held-out), written to schemas/meta/calibration.json
    nice -n 10 python bench/calibration.py --derive --split developed --count 96 --quality scan --quality photo \
        -j 1 --cache /tmp/ocr-cal
    # the reliability table, developed vs held-out, without caps (before) and with them (after)
    nice -n 10 python bench/calibration.py --split both --count 24 --quality scan -j 1 --cache /tmp/ocr-acc \
        --out bench/results/calibration.md

Documents, OCR cache and extraction are bench/accuracy.py's (`accuracy.run`); every field read
becomes a row (type, field, strategy, value type, confidence, right). ``--derive`` runs with
``DOCINTAKE_CALIBRATION=off`` (what the extractor says by itself) and refuses held-out rows: a cap
is learnt on the families extraction was developed on, and judged on the held-out ones. The
report gives held-out aggregates only (counts and shares).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _p in (str(ROOT), str(ROOT / "bench")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import accuracy  # noqa: E402

BINS = (0.0, 0.7, 0.85, 0.9, 0.95, 0.98, 1.0001)
SIDES = ("developed", "held_out")


def field_rows(res: dict) -> list[dict]:
    """One row per field read, from `accuracy.run`'s result."""
    from extractors.calibration import strategy_key, value_type
    from extractors.registry import load_registry

    reg = load_registry()
    out = []
    for r in res["rows"]:
        dt = reg.get(r["type"])
        for key, (strategy, conf, ok, threshold) in r["field_confs"].items():
            out.append({"split": r["split"], "type": r["type"], "field": key, "strategy": strategy,
                        "strategy_key": strategy_key(strategy), "value_type": value_type(dt.field(key)),
                        "confidence": conf, "ok": bool(ok), "threshold": threshold})
    return out


def measure(a, calibration: str | None) -> tuple[list[dict], float]:
    from extractors import calibration as cal
    from tests.corpus import DOC_TYPES

    if calibration is None:
        os.environ.pop(cal.ENV, None)
    else:
        os.environ[cal.ENV] = calibration
    cal.clear_cache()
    t0 = time.time()
    res = accuracy.run(a.count, a.engine, a.quality, a.type or list(DOC_TYPES), a.seed, a.cache, False, None,
                       a.jobs, a.split)
    return field_rows(res), time.time() - t0


def _pct(k, n) -> str:
    return f"{100 * k / n:.1f}%" if n else "—"


def _certain(rows, side):
    hi = [r for r in rows if r["split"] == side and r["confidence"] >= 0.98]
    return sum(r["ok"] for r in hi), len(hi)


def reliability(before: list[dict], after: list[dict]) -> list[str]:
    out = ["| confidence | developed before: fields, right | developed after | held-out before | held-out after |",
           "|---|---|---|---|---|"]
    for lo, hi in zip(BINS, BINS[1:]):
        label = f"[{lo:.2f}, {min(hi, 1.0):.2f}{']' if hi > 1 else ')'}"
        cells = []
        for side in SIDES:
            for rows in (before, after):
                inb = [r for r in rows if r["split"] == side and lo <= r["confidence"] < hi]
                cells.append(f"{len(inb)}, {_pct(sum(r['ok'] for r in inb), len(inb))}")
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    return out


def per_group(before: list[dict], after: list[dict], key: str) -> list[str]:
    out = [f"| {key} | developed ≥ 0.98 before: right / given | after | held-out ≥ 0.98 before | after |",
           "|---|---|---|---|---|"]
    for g in sorted({r[key] for r in before + after}):
        cells = []
        for side in SIDES:
            for rows in (before, after):
                k, n = _certain([r for r in rows if r[key] == g], side)
                cells.append(f"{k} / {n} ({_pct(k, n)})")
        out.append(f"| {g} | " + " | ".join(cells) + " |")
    k, n = zip(*[_certain(rows, side) for side in SIDES for rows in (before, after)])
    out.append("| **all** | " + " | ".join(f"{a} / {b} ({_pct(a, b)})" for a, b in zip(k, n)) + " |")
    return out


def review_share(rows: list[dict], side: str) -> str:
    rs = [r for r in rows if r["split"] == side]
    below = [r for r in rs if r["confidence"] < r["threshold"]]
    return f"{len(below)} of {len(rs)} below the review threshold ({sum(r['ok'] for r in below)} of them right)"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=24)
    ap.add_argument("--engine", default="rapidocr")
    ap.add_argument("--quality", action="append")
    ap.add_argument("--type", action="append")
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--cache", type=Path, default=accuracy.DEFAULT_CACHE)
    ap.add_argument("-j", "--jobs", type=int, default=1)
    ap.add_argument("--split", choices=("developed", "held_out", "both"), default="both")
    ap.add_argument("--derive", action="store_true", help="write caps from developed rows (calibration off)")
    ap.add_argument("--file", type=Path, help="caps file to write (--derive) or to report with "
                    "(default schemas/meta/calibration.json)")
    ap.add_argument("--out", type=Path, help="the report (markdown)")
    a = ap.parse_args(argv)
    from extractors import calibration as cal
    from tests.corpus import QUALITIES

    a.quality = a.quality or list(QUALITIES)
    command = "python bench/calibration.py " + " ".join(argv if argv is not None else sys.argv[1:])
    target = a.file or cal.builtin_path()
    if a.derive:
        if a.split != "developed":
            ap.error("--derive learns on developed families only: use --split developed")
        rows, secs = measure(a, "off")
        caps = cal.derive(rows)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = {"$comment": "Confidence caps per (strategy, value type), derived by bench/calibration.py --derive "
                            "on developed layout families; see extractors/calibration.py and schemas/README.md.",
                "measured": {"command": command, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                             "fields": len(rows), "given_0_98": sum(r["confidence"] >= 0.98 for r in rows)},
                "caps": caps}
        target.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{len(rows)} developed fields in {secs:.0f} s; {len(caps)} cap(s) written to {target}")
        for c in caps:
            print(f"  {c['strategy']} × {c['value_type']}: {c['right']}/{c['given']} right at ≥ 0.98 → cap {c['cap']}")
        return 0
    before, s1 = measure(a, "off")
    after, s2 = measure(a, str(target))
    with open("/proc/loadavg") as f:
        load = f.read().strip()
    text = "\n".join([
        "### Confidence calibration per strategy and value type (issue 11)", "",
        f"Command: `{command}` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, runs {s1:.0f} s + {s2:.0f} s, "
        f"load average after: {load}.", "",
        f"Before: `DOCINTAKE_CALIBRATION=off`; after: caps of `{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}` "
        f"({len(cal._read(str(target)))} cap(s), learnt on developed families only). Held-out: aggregates only.", "",
        "Reliability: fields per confidence bin and the share of them that was right.", "",
        *reliability(before, after), "",
        "Fields given ≥ 0.98 and how many of them were right, per value type:", "",
        *per_group(before, after, "value_type"), "",
        "Per strategy:", "",
        *per_group(before, after, "strategy_key"), "",
        *(f"- {side.replace('_', '-')}: before {review_share(before, side)}; after {review_share(after, side)}."
          for side in SIDES), "",
    ])
    print(text)
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
