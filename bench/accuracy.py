"""Extraction accuracy over generated documents (tests/corpus), per type, field and quality,
on the layout families extraction was developed on beside the held-out ones.

    python bench/accuracy.py --count 200 --engine rapidocr --out BENCHMARKS-accuracy.md
    nice -n 10 python bench/accuracy.py --split both --count 96 --quality scan --quality photo -j 2 \
        --out bench/results/accuracy-rapidocr.md

``--split developed|held_out|both`` (default both): documents are drawn from the developed layout
families (classic and the others extraction is tuned on, cycled in turn), from the held-out family
of each type (tests/corpus/families.py, chosen by HOLDOUT_SEED, never used in golden tests), or
from both, alternating, and the report puts the two side by side: the gap between them is how much
of the accuracy is owed to knowing the layout. The reliability table bins the confidence of every
field read on held-out families against how often it was right.

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


def ocr_cached(image, engine_name: str, cache_dir: Path = DEFAULT_CACHE, orient: bool = True, known=None):
    """(lines, rotation) for an image, from the disk cache or the engine (with orientation); with
    `known` lines, the reading that recognises only what they lack (`RegionReader.read`)."""
    from intake.ocr.base import get_engine
    from intake.ocr.runner import OcrResult, known_key, read_page, read_region

    settings = get_engine(engine_name).settings_key()
    extra = "" if known is None else f"|known:{known_key(known)}"
    key = hashlib.sha256(f"{_image_key(image)}|{settings}|{orient}{extra}".encode()).hexdigest()
    path = cache_dir / key[:2] / f"{key}.json"
    if path.exists():
        d = json.loads(path.read_text())
        return [Line.from_dict(x) for x in d["lines"]], d["rotation"]
    if known is None:
        res = read_page(image, engine_name, detect_orientation=orient)
    else:
        res = OcrResult(read_region(image, engine_name, known=known), 0)
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


class BenchReader:
    """Region reads for extraction: the engines in this process; second page readings (red kept) cached."""

    def __init__(self, cache_dir):
        self.cache_dir = cache_dir

    def read(self, image, engine=None, keep_red=False, line=False, known=None):
        from intake.reader import EngineReader

        engine = engine or "rapidocr"
        if keep_red and not line:
            return ocr_cached(image.convert("L"), engine, self.cache_dir, orient=False, known=known)[0]
        return EngineReader(engine).read(image, engine, keep_red, line, known)


def _eval_one(job) -> dict:
    """Generate, read and extract one document; compare with its truth."""
    t, seed, q, engine, cache_dir, family = (tuple(job) + (None,))[:6]
    import extractors.extract as ex
    from extractors import extract_pages
    from tests.corpus import generate_document

    ex.default_reader = BenchReader(cache_dir)
    before = dict(ex.STATS)
    doc = generate_document(t, seed=seed, quality=q, family=family)
    pages, images = pages_from_generated(doc, engine, cache_dir)
    docs = extract_pages(pages, images, f"{t}-{seed}-{q}", engine)
    truth = doc.truth
    got = docs[0] if docs else None
    ok_type = len(docs) == 1 and got.type == truth["type"]
    fields = {}
    confs = []
    field_confs = {}
    fails = []
    from extractors.registry import load_registry

    reg = load_registry()
    threshold = reg.get(t).confidence_threshold if t in reg else 0.85
    if not ok_type:
        fails.append({"doc": f"{t}/{seed}/{q}/{truth['family']}", "what": "type", "got": [d.type for d in docs]})
    for fk, fv in truth["fields"].items():
        mine = got.fields.get(fk) if (got and got.type == t) else None
        ok = mine is not None and key(mine.value) == key(fv)
        fields[fk] = ok
        if mine is not None:
            confs.append((mine.strategy or "", float(mine.confidence or 0.0), ok, threshold))
            field_confs[fk] = confs[-1]
        if not ok:
            fails.append({"doc": f"{t}/{seed}/{q}/{truth['family']}", "field": fk, "want": fv,
                          "got": None if mine is None else mine.value,
                          "raw": None if mine is None else mine.raw,
                          "strategy": None if mine is None else mine.strategy})
    stats = {k: v - before.get(k, 0) for k, v in ex.STATS.items() if v - before.get(k, 0)}
    return {"type": t, "quality": q, "seed": seed, "ok_type": ok_type, "fields": fields, "fails": fails,
            "stats": stats, "confs": confs, "family": truth["family"], "split": truth["split"],
            "field_confs": field_confs}


def _worker_init():
    limit_threads()


def plan(count: int, qualities: list[str], types: list[str], seed0: int, split: str | None) -> list[tuple]:
    """(type, seed, quality, family) for each document. With a split, the families of that split are
    taken in turn per type and quality (so every developed family is measured, not only classic);
    "both" alternates developed and held-out so the two sides get the same types and qualities."""
    from tests.corpus.families import families

    splits = {"both": ["developed", "held_out"], None: [None]}.get(split, [split])
    combos = [(t, q, s) for s in splits for q in qualities for t in types]
    out = []
    per = -(-count // len(combos))  # documents per (type, quality, split)
    for i in range(count):
        t, q, s = combos[i % len(combos)]
        k = i // len(combos)
        # each quality starts where the previous one stopped, so a few documents per quality still
        # cover every family of a split (scan 0,1 and photo 2,3 of four developed families)
        fam = None if s is None else families(t, s)[(k + per * qualities.index(q)) % len(families(t, s))]
        out.append((t, seed0 + k, q, fam))
    return out


def run(count: int, engine: str, qualities: list[str], types: list[str], seed0: int, cache_dir: Path,
        verbose: bool = False, fails_path: Path | None = None, jobs: int = 1, split: str | None = None) -> dict:
    work = [(t, seed, q, engine, cache_dir, fam) for t, seed, q, fam in plan(count, qualities, types, seed0, split)]
    rows = []
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
        rows.append({k: r[k] for k in ("type", "quality", "seed", "ok_type", "fields", "family", "split", "confs",
                                       "field_confs")})
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
            print(f"[{n}/{count}] {t} {q} {r['family']} seed={r['seed']} type={'ok' if r['ok_type'] else 'FAIL'} "
                  f"field misses={bad} {time.time() - t0:.0f}s", file=sys.stderr, flush=True)
    if pool is not None:
        pool.close()
        pool.join()
    if fails_path:
        fails_path.write_text("\n".join(json.dumps(f, ensure_ascii=False) for f in fails) + "\n")
    return {"type_ok": type_ok, "type_n": type_n, "fields": fld, "stats": dict(stats), "seconds": time.time() - t0,
            "count": count, "engine": engine, "fails": fails, "calib": calib, "rows": rows, "split": split}


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


SIDES = (("developed", "developed"), ("held_out", "held-out"))
BINS = (0.0, 0.5, 0.7, 0.85, 0.9, 0.95, 0.98, 1.0001)


def _acc(rows, pred=lambda r: True):
    """(type ok, type n, fields ok, fields n) over the rows that pred keeps."""
    rs = [r for r in rows if pred(r)]
    return (sum(r["ok_type"] for r in rs), len(rs), sum(sum(r["fields"].values()) for r in rs),
            sum(len(r["fields"]) for r in rs))


def _gap(a_ok, a_n, b_ok, b_n) -> str:
    if not a_n or not b_n:
        return "—"
    return f"{100 * (a_ok / a_n - b_ok / b_n):+.1f}"


def _reliability_table(rows, name: str, key) -> list[str]:
    """Fields read per group, developed and held-out side by side: how many were right, how many
    were given ≥ 0.98 and how many of those were right."""
    groups: dict[str, dict[str, list]] = defaultdict(lambda: {"developed": [], "held_out": []})
    for r in rows:
        for c in r["field_confs"].values():
            groups[key(r, c)][r["split"]].append(c)
    out = [f"| {name} | fields, dev / held-out | right, dev / held-out | given ≥ 0.98, dev / held-out "
           "| right among ≥ 0.98, dev / held-out |", "|---|---|---|---|---|"]
    for g in sorted(groups):
        d, h = groups[g]["developed"], groups[g]["held_out"]
        dh, hh = [c for c in d if c[1] >= 0.98], [c for c in h if c[1] >= 0.98]
        out.append(f"| {g} | {len(d)} / {len(h)} | {_pct(sum(c[2] for c in d), len(d))} / {_pct(sum(c[2] for c in h), len(h))} "
                   f"| {len(dh)} / {len(hh)} | {_pct(sum(c[2] for c in dh), len(dh))} / {_pct(sum(c[2] for c in hh), len(hh))} |")
    return out


def split_report(res: dict, qualities: list[str], command: str) -> str:
    """Developed vs held-out layout families side by side: overall, per family, per field, and the
    confidence reliability of what was read on held-out families."""
    from tests.corpus.families import HOLDOUT_SEED, held_out

    rows = res["rows"]
    types = sorted({r["type"] for r in rows})
    out = [f"### Layout generalization — engine `{res['engine']}`, {res['count']} generated documents", "",
           f"Command: `{command}`", "",
           f"Run time {res['seconds']:.0f} s (OCR cached on disk by image hash + engine settings; a first run OCRs "
           "every page).", "",
           f"Held-out family per type (`HOLDOUT_SEED = {HOLDOUT_SEED}`, tests/corpus/families.py): "
           + ", ".join(f"{t} `{held_out(t)}`" for t in types) + ". Developed families are cycled in turn, "
           "so classic is a third of the developed side.", ""]
    out += ["| quality | type, developed | type, held-out | fields, developed | fields, held-out | gap (points) |",
            "|---|---|---|---|---|---|"]
    for q in qualities + ["all"]:
        cells = []
        accs = {}
        for side, _ in SIDES:
            accs[side] = _acc(rows, lambda r: r["split"] == side and (q == "all" or r["quality"] == q))
        d, h = accs["developed"], accs["held_out"]
        name = "**all**" if q == "all" else q
        out.append(f"| {name} | {_pct(d[0], d[1])} ({d[1]}) | {_pct(h[0], h[1])} ({h[1]}) | {_pct(d[2], d[3])} ({d[3]}) | "
                   f"{_pct(h[2], h[3])} ({h[3]}) | {_gap(d[2], d[3], h[2], h[3])} |")
    out += ["", "Gap = fields exact on developed families minus on held-out families, in percentage points.", ""]
    out += ["Per family:", "", "| type | family | split | documents | type right | fields exact |", "|---|---|---|---|---|---|"]
    for t in types:
        for fam in sorted({r["family"] for r in rows if r["type"] == t}, key=lambda f: (f != "classic", f)):
            a = _acc(rows, lambda r: r["type"] == t and r["family"] == fam)
            split = next(r["split"] for r in rows if r["type"] == t and r["family"] == fam)
            out.append(f"| {t} | {fam} | {split.replace('_', '-')} | {a[1]} | {_pct(a[0], a[1])} | {_pct(a[2], a[3])} |")
    out += ["", "Per field (exact match after NFKC + whitespace removal), all qualities:", "",
            "| type | field | developed | held-out | gap (points) |", "|---|---|---|---|---|"]
    for t in types:
        keys = sorted({k for r in rows if r["type"] == t for k in r["fields"]})
        for k in keys:
            vals = {}
            for side, _ in SIDES:
                rs = [r for r in rows if r["type"] == t and r["split"] == side and k in r["fields"]]
                vals[side] = (sum(r["fields"][k] for r in rs), len(rs))
            d, h = vals["developed"], vals["held_out"]
            out.append(f"| {t} | {k} | {_pct(*d)} ({d[1]}) | {_pct(*h)} ({h[1]}) | {_gap(d[0], d[1], h[0], h[1])} |")
    out += ["", "Confidence reliability on held-out families: every field read, binned by the confidence it was "
            "given, against how often it was right. A calibrated reader is right at least as often as it says.", "",
            "| confidence | fields | mean confidence | observed accuracy | observed − stated (points) |", "|---|---|---|---|---|"]
    held = [c for r in rows if r["split"] == "held_out" for c in r["field_confs"].values()]
    for lo, hi in zip(BINS, BINS[1:]):
        inb = [c for c in held if lo <= c[1] < hi]
        label = f"[{lo:.2f}, {min(hi, 1.0):.2f}{']' if hi > 1 else ')'}"
        if not inb:
            out.append(f"| {label} | 0 | — | — | — |")
            continue
        mean = sum(c[1] for c in inb) / len(inb)
        acc = sum(c[2] for c in inb) / len(inb)
        out.append(f"| {label} | {len(inb)} | {100 * mean:.1f}% | {100 * acc:.1f}% | {100 * (acc - mean):+.1f} |")
    out += ["", "Reliability per strategy and per document type (issue 11: a field given ≥ 0.98 must be right at least "
            "98% of the time on held-out families). Strategy is the one that produced the winning value "
            "(`+reread`: confirmed or changed by a crop re-read).", ""]
    out += _reliability_table(rows, "strategy", lambda r, c: c[0].split("+")[0] + ("+reread" if "+reread" in c[0] else ""))
    out += [""]
    out += _reliability_table(rows, "document type", lambda r, c: r["type"])
    missing = sum(1 for r in rows if r["split"] == "held_out" for k in r["fields"] if k not in r["field_confs"])
    out += ["", f"Held-out fields not read at all (no value, so no confidence): {missing}.", ""]
    for side, name in SIDES:
        accepted = [c for r in rows if r["split"] == side for c in r["field_confs"].values() if c[1] >= c[3]]
        review = [c for r in rows if r["split"] == side for c in r["field_confs"].values() if c[1] < c[3]]
        out.append(f"- {name}: {len(accepted)} fields at or above their type's review threshold, right "
                   f"{_pct(sum(c[2] for c in accepted), len(accepted))}; {len(review)} below it (sent to review), right "
                   f"{_pct(sum(c[2] for c in review), len(review))}.")
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
    ap.add_argument("--split", choices=("developed", "held_out", "both"), default="both",
                    help="layout families to measure (default both, side by side)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    from tests.corpus import DOC_TYPES, QUALITIES

    qualities = a.quality or list(QUALITIES)
    types = a.type or list(DOC_TYPES)
    res = run(a.count, a.engine, qualities, types, a.seed, a.cache, a.verbose, a.fails, a.jobs, a.split)
    command = "python bench/accuracy.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = report(res, qualities)
    if a.split == "both":
        text = split_report(res, qualities, command) + "\n" + text.replace(
            "### Extraction accuracy", "### Extraction accuracy, both splits together", 1)
    print(text)
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
