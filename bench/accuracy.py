"""Extraction accuracy over generated documents (tests/corpus), per type, field and quality.

    python bench/accuracy.py --count 200 --engine rapidocr --out BENCHMARKS-accuracy.md

Each generated document is encoded as its file (PNG/JPEG/TIFF/PDF), loaded with the
product's loader (text-layer PDFs keep their text), OCR'd with the chosen engine
(cached on disk by image hash + engine settings, so reruns are fast), then classified
and extracted with ``extractors.extract_pages``. Values are compared with the truth
after NFKC and whitespace removal (the contract's comparison).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from intake.ocr.base import limit_threads  # noqa: E402

limit_threads()

from intake.model import Line, Page  # noqa: E402

DEFAULT_CACHE = ROOT / ".cache" / "ocr"


def _image_key(image) -> str:
    h = hashlib.sha256()
    h.update(f"{image.mode}{image.size}".encode())
    h.update(image.tobytes())
    return h.hexdigest()


def ocr_cached(image, engine_name: str, cache_dir: Path = DEFAULT_CACHE, orient: bool = True):
    """(lines, rotation) for an image, from the disk cache or the engine (with orientation)."""
    from intake.ocr.base import get_engine
    from intake.ocr.runner import read_page

    settings = get_engine(engine_name).settings_key()
    key = hashlib.sha256(f"{_image_key(image)}|{settings}|{orient}".encode()).hexdigest()
    path = cache_dir / key[:2] / f"{key}.json"
    if path.exists():
        d = json.loads(path.read_text())
        return [Line.from_dict(x) for x in d["lines"]], d["rotation"]
    res = read_page(image, engine_name, detect_orientation=orient)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"lines": [l.to_dict() for l in res.lines], "rotation": res.rotation}, ensure_ascii=False))
    tmp.replace(path)
    return res.lines, res.rotation


def pages_from_file(path: Path, engine_name: str, cache_dir: Path = DEFAULT_CACHE):
    """The pipeline's view of a file: loader, then text layer or (cached) OCR."""
    from intake.loaders import load
    from intake.ocr.runner import rotate

    pages, images = [], []
    for lp in load(path):
        image = lp.image
        if lp.text_lines is not None:
            lines, rot, source, eng = list(lp.text_lines), 0, "text", "pdf-text"
        else:
            lines, rot = ocr_cached(image, engine_name, cache_dir)
            source, eng = "ocr", engine_name
            if rot:
                image = rotate(image, rot)
        pages.append(Page(number=lp.number, width=image.width, height=image.height, dpi=lp.dpi, source=source,
                          image_path=str(path), lines=tuple(lines), engine=eng, rotation=rot))
        images.append(image)
    return pages, images


def pages_from_generated(doc, engine_name: str, cache_dir: Path = DEFAULT_CACHE):
    with tempfile.TemporaryDirectory() as tmp:
        path = doc.save(Path(tmp) / "doc")
        return pages_from_file(path, engine_name, cache_dir)


def key(v) -> str:
    from extractors.normalize import compare_key

    return compare_key(v)


# ---------------------------------------------------------------------------


def _eval_one(job) -> dict:
    """Generate, read and extract one document; compare with its truth."""
    t, seed, q, engine, cache_dir = job
    import extractors.extract as ex
    from extractors import extract_pages
    from tests.corpus import generate_document

    ex.reocr_hook = lambda img, eng: ocr_cached(img, eng, cache_dir, orient=False)[0]
    before = dict(ex.STATS)
    doc = generate_document(t, seed=seed, quality=q)
    pages, images = pages_from_generated(doc, engine, cache_dir)
    docs = extract_pages(pages, images, f"{t}-{seed}-{q}", engine)
    truth = doc.truth
    got = docs[0] if docs else None
    ok_type = len(docs) == 1 and got.type == truth["type"]
    fields = {}
    confs = []
    fails = []
    from extractors.registry import load_registry

    reg = load_registry()
    threshold = reg.get(t).confidence_threshold if t in reg else 0.85
    if not ok_type:
        fails.append({"doc": f"{t}/{seed}/{q}", "what": "type", "got": [d.type for d in docs]})
    for fk, fv in truth["fields"].items():
        mine = got.fields.get(fk) if (got and got.type == t) else None
        ok = mine is not None and key(mine.value) == key(fv)
        fields[fk] = ok
        if mine is not None:
            confs.append((mine.strategy or "", float(mine.confidence or 0.0), ok, threshold))
        if not ok:
            fails.append({"doc": f"{t}/{seed}/{q}", "field": fk, "want": fv,
                          "got": None if mine is None else mine.value,
                          "raw": None if mine is None else mine.raw,
                          "strategy": None if mine is None else mine.strategy})
    stats = {k: v - before.get(k, 0) for k, v in ex.STATS.items() if v - before.get(k, 0)}
    return {"type": t, "quality": q, "seed": seed, "ok_type": ok_type, "fields": fields, "fails": fails,
            "stats": stats, "confs": confs}


def _worker_init():
    limit_threads()


def run(count: int, engine: str, qualities: list[str], types: list[str], seed0: int, cache_dir: Path,
        verbose: bool = False, fails_path: Path | None = None, jobs: int = 1) -> dict:
    combos = [(t, q) for q in qualities for t in types]
    work = []
    for i in range(count):
        t, q = combos[i % len(combos)]
        work.append((t, seed0 + i // len(combos), q, engine, cache_dir))
    type_ok, type_n = Counter(), Counter()
    fld = defaultdict(Counter)
    stats: Counter = Counter()
    calib = defaultdict(Counter)  # strategy -> above/below threshold, right/wrong
    fails = []
    t0 = time.time()
    if jobs > 1:
        import multiprocessing as mp

        pool = mp.get_context("spawn").Pool(jobs, initializer=_worker_init)
        results = pool.imap_unordered(_eval_one, work)
    else:
        pool = None
        results = map(_eval_one, work)
    for n, r in enumerate(results, 1):
        q, t = r["quality"], r["type"]
        type_n[q] += 1
        type_ok[q] += r["ok_type"]
        for fk, ok in r["fields"].items():
            fld[(t, fk, q)]["n"] += 1
            fld[(t, fk, q)]["ok"] += ok
        fails += r["fails"]
        stats.update(r["stats"])
        for strat, conf, ok, th in r["confs"]:
            side = "auto" if conf >= th else "review"
            for k in (strat, "all"):
                calib[k][f"{side}_n"] += 1
                calib[k][f"{side}_ok"] += ok
        if verbose:
            bad = sum(1 for v in r["fields"].values() if not v)
            print(f"[{n}/{count}] {t} {q} seed={r['seed']} type={'ok' if r['ok_type'] else 'FAIL'} "
                  f"field misses={bad} {time.time() - t0:.0f}s", file=sys.stderr, flush=True)
    if pool is not None:
        pool.close()
        pool.join()
    if fails_path:
        fails_path.write_text("\n".join(json.dumps(f, ensure_ascii=False) for f in fails) + "\n")
    return {"type_ok": type_ok, "type_n": type_n, "fields": fld, "stats": dict(stats), "seconds": time.time() - t0,
            "count": count, "engine": engine, "fails": fails, "calib": calib}


def _pct(ok, n) -> str:
    return f"{100 * ok / n:.1f}%" if n else "—"


def report(res: dict, qualities: list[str]) -> str:
    out = []
    eng = res["engine"]
    out.append(f"### Extraction accuracy — engine `{eng}`, {res['count']} generated documents")
    out.append("")
    out.append(f"Run time {res['seconds']:.0f} s (OCR cached on disk by image hash + engine settings).")
    out.append("")
    tn, to = sum(res["type_n"].values()), sum(res["type_ok"].values())
    out.append(f"**Document type accuracy: {_pct(to, tn)}** ({to}/{tn}); by quality: "
               + ", ".join(f"{q} {_pct(res['type_ok'][q], res['type_n'][q])}" for q in qualities))
    out.append("")
    fld = res["fields"]
    # fields by quality
    out.append("| quality | fields exact | n |")
    out.append("|---|---|---|")
    for q in qualities:
        ok = sum(c["ok"] for (t, f, qq), c in fld.items() if qq == q)
        n = sum(c["n"] for (t, f, qq), c in fld.items() if qq == q)
        out.append(f"| {q} | {_pct(ok, n)} | {n} |")
    ok = sum(c["ok"] for c in fld.values())
    n = sum(c["n"] for c in fld.values())
    out.append(f"| **all** | **{_pct(ok, n)}** | {n} |")
    out.append("")
    out.append("Per type and field (exact match after NFKC + whitespace removal), by quality:")
    out.append("")
    out.append("| type | field | " + " | ".join(qualities) + " | all |")
    out.append("|---|---|" + "---|" * (len(qualities) + 1))
    keys = sorted({(t, f) for (t, f, q) in fld})
    for t, f in keys:
        cells = []
        tok = tn_ = 0
        for q in qualities:
            c = fld.get((t, f, q))
            if c:
                cells.append(_pct(c["ok"], c["n"]))
                tok += c["ok"]
                tn_ += c["n"]
            else:
                cells.append("—")
        out.append(f"| {t} | {f} | " + " | ".join(cells) + f" | {_pct(tok, tn_)} |")
    out.append("")
    calib = res.get("calib") or {}
    if calib:
        out.append("Confidence calibration: fields at or above their type's review threshold are accepted")
        out.append("without review; below it they are routed to a reviewer. A useful confidence keeps the")
        out.append("accepted fields right and sends few right fields to review.")
        out.append("")
        out.append("| strategy | accepted | accepted right | sent to review | right among those |")
        out.append("|---|---|---|---|---|")
        for k in sorted(calib, key=lambda k: (k == "all", k)):
            c = calib[k]
            tot = c["auto_n"] + c["review_n"]
            name = f"**{k}**" if k == "all" else k
            out.append(f"| {name} | {_pct(c['auto_n'], tot)} | {_pct(c['auto_ok'], c['auto_n'])} | "
                       f"{c['review_n']} | {_pct(c['review_ok'], c['review_n'])} |")
        out.append("")
    if res["stats"]:
        out.append("Second readings and fallbacks during the run (counts): "
                   + ", ".join(f"{k} {v}" for k, v in sorted(res["stats"].items())))
        out.append("")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--engine", default="rapidocr")
    ap.add_argument("--quality", action="append", help="restrict to these qualities (repeatable)")
    ap.add_argument("--type", action="append", help="restrict to these types (repeatable)")
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--fails", type=Path, help="write every miss as JSON lines here")
    ap.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("DOCINTAKE_WORKERS", 0)) or (os.cpu_count() or 1))
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    from tests.corpus import DOC_TYPES, QUALITIES

    qualities = a.quality or list(QUALITIES)
    types = a.type or list(DOC_TYPES)
    res = run(a.count, a.engine, qualities, types, a.seed, a.cache, a.verbose, a.fails, a.jobs)
    text = report(res, qualities)
    print(text)
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
