"""CPU cost of an invoice page's red-kept second reading: the whole page read again (main before
issue 16) against the detector plus recognition of only the boxes the first reading lacks.

Both readings run on the same generated invoice pages (developed families only), interleaved
old, new, old, new so that load changes hit both alike. Reported: process CPU-s per page, the
lines recognised, and how far the two readings' texts differ (lines only one of them has).

    nice -n 10 python bench/red_kept.py --docs 6 --rounds 2 --cache /work/cache/red/acc
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from intake.ocr.base import limit_threads  # noqa: E402


def _pages(count: int, cache_dir: Path, quality: str):
    from bench.accuracy import pages_from_generated, plan
    from tests.corpus import generate_document

    out = []
    for t, seed, q, fam in plan(count, [quality], ["invoice"], 1000, "developed"):
        doc = generate_document(t, seed=seed, quality=q, family=fam)
        pages, images = pages_from_generated(doc, "rapidocr", cache_dir)
        for p, im in zip(pages, images):
            if p.source == "ocr" and im.mode in ("RGB", "RGBA"):
                out.append((f"{fam}/{seed}", p, im))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--quality", default="scan")
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache" / "ocr")
    args = ap.parse_args()
    limit_threads()
    from intake.ocr import rapid
    from intake.ocr.base import get_engine
    from intake.ocr.runner import read_region

    get_engine("rapidocr")
    pages = _pages(args.docs, args.cache, args.quality)
    cpu = {"old": 0.0, "new": 0.0}
    n = {"old": 0, "new": 0}
    recognised = {"old": 0, "new": 0}
    only_old = only_new = 0
    for r in range(args.rounds):
        for name, page, img in pages:
            for way in ("old", "new"):
                before = dict(rapid.STATS)
                t0 = time.process_time()
                lines = read_region(img, "rapidocr", keep_red=True,
                                    known=None if way == "old" else list(page.lines))
                cpu[way] += time.process_time() - t0
                n[way] += 1
                if way == "old":
                    recognised["old"] += len(lines)
                    old_texts = [l.text for l in lines]
                else:
                    recognised["new"] += rapid.STATS["recognised"] - before.get("recognised", 0)
                    if r == 0:
                        new_texts = [l.text for l in lines]
                        a, b = set(old_texts), set(new_texts)
                        only_old += len(a - b)
                        only_new += len(b - a)
                        print(f"{name}: {len(old_texts)} lines full, {len(new_texts)} with known "
                              f"({len(page.lines)} known); only full: {sorted(a - b)}; only known: {sorted(b - a)}",
                              flush=True)
    for way in ("old", "new"):
        print(f"{way}: {cpu[way] / n[way]:.2f} CPU-s/page, {recognised[way] / n[way]:.1f} lines recognised/page "
              f"({n[way]} readings)")
    print(f"texts only in the full reading: {only_old}, only in the known-based: {only_new} "
          f"({len(pages)} pages)")


if __name__ == "__main__":
    main()
