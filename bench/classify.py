"""Document-type accuracy over generated documents of the DEVELOPED layout families, scans and photos.

    python bench/classify.py --seeds 3 --qualities scan,photo [--workers 2]

Each family of each type's developed split is drawn ``--seeds`` times per quality, read like
the pipeline reads it (loader, cached OCR: bench/accuracy.py's cache), classified and split
into documents; a document is right when the file gives exactly one document of its type.
Held-out families are not drawn here (they are measured only by bench/accuracy.py).
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.accuracy import DEFAULT_CACHE, pages_from_generated  # noqa: E402


def _one(job):
    t, fam, seed, q = job
    from extractors.classify import classify_page, split_documents
    from extractors.layout import PageView
    from extractors.registry import load_registry
    from tests.corpus import generate_document

    reg = load_registry()
    doc = generate_document(t, seed=seed, quality=q, family=fam)
    pages, images = pages_from_generated(doc, "rapidocr", DEFAULT_CACHE)
    classes = [classify_page(PageView(p, im), reg) for p, im in zip(pages, images)]
    docs = split_documents(classes, reg)
    ok = len(docs) == 1 and docs[0][0] == t
    return t, fam, q, seed, ok, [d[0] for d in docs], [round(c.scores.get(t, 0), 1) for c in classes]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=500)
    ap.add_argument("--qualities", default="scan,photo")
    ap.add_argument("--types", default="")
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args(argv)
    from tests.corpus import DOC_TYPES
    from tests.corpus.families import families

    types = [t for t in DOC_TYPES if not a.types or t in a.types.split(",")]
    jobs = [(t, fam, a.first_seed + i, q) for t in types for fam in families(t, "developed")
            for q in a.qualities.split(",") for i in range(a.seeds)]
    if a.workers > 1:
        with Pool(a.workers) as pool:
            results = pool.map(_one, jobs, chunksize=1)
    else:
        results = [_one(j) for j in jobs]
    by = defaultdict(Counter)
    for t, fam, q, seed, ok, got, scores in results:
        by[(t, q)]["n"] += 1
        by[(t, q)]["ok"] += ok
        if not ok:
            print(f"MISS {t}/{fam}/{q}/{seed}: got {got} scores {scores}")
    print("\n| type | quality | right / documents |\n|---|---|---|")
    tot = Counter()
    for (t, q), c in sorted(by.items()):
        print(f"| {t} | {q} | {c['ok']}/{c['n']} |")
        tot[q + "n"] += c["n"]
        tot[q + "ok"] += c["ok"]
    for q in a.qualities.split(","):
        print(f"| **all** | {q} | {tot[q + 'ok']}/{tot[q + 'n']} ({100 * tot[q + 'ok'] / max(1, tot[q + 'n']):.1f}%) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
