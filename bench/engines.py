"""RapidOCR configurations against OCRmyPDF and bare Tesseract: same pages, same run, 2 cores.

    nice -n 10 .venv/bin/python bench/engines.py [--pages 16] [--rounds 2] [--accuracy 16]

The pages are the scanned pages of bench/pipeline_speed.py's selection (16 generated documents of
the eight types at `scan` quality, seed 500), the first `--pages` of them. Each round times every
configuration once, in turn (A, B, C, ... then again), so a change in the shared machine's load
hits them alike; the table gives the best round and the spread. Each configuration runs in its
own pool of 2 spawned processes (models loaded before the clock starts; orientation detection
off, as for every upright page), except where it says otherwise:

- RapidOCR configurations: `intake.ocr.settings.RapidSettings` fields (``DOCINTAKE_RAPIDOCR``);
- OCRmyPDF: `ocrmypdf --jobs 2 -l chi_sim --sidecar` on one PDF of the same pages (its whole run,
  as a paperless-ngx consumer pays it);
- bare Tesseract: the product's Tesseract engine (chi_sim, psm 6), one page per process;
- the docintake pipeline with the chosen configuration (`ingest` of the same documents, which
  also OCRs pages past `--pages`: its s/page is over all the pages it OCR'd).

Field accuracy of each RapidOCR configuration comes from bench/accuracy.py's own evaluation
(`--accuracy N` held-out documents at `scan` quality, `--developed M` from the developed
families), run in a subprocess with the configuration in its environment and its own OCR cache.
Writes bench/results/engines.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from intake.ocr.settings import ENV, describe, parse  # noqa: E402

# (label, DOCINTAKE_RAPIDOCR spec, worker processes). The first is the configuration shipped before
# this benchmark; the angle classifier is off in all of them (pages are turned upright by the
# orientation check first, intake/ocr/runner.py), so it is not a row of its own.
CONFIGS = [
    ("before: onnxruntime, det min-side 736 on the page scaled to 2000 px", "backend=onnxruntime", 2),
    ("OpenVINO f32 (the default)", "backend=openvino", 2),
    ("OpenVINO, recognizer batch 16", "backend=openvino,rec_batch=16", 2),
    ("OpenVINO, recognizer batch 1", "backend=openvino,rec_batch=1", 2),
    ("OpenVINO, PERFORMANCE_HINT THROUGHPUT", "backend=openvino,ov_hint=THROUGHPUT", 2),
    ("OpenVINO, 1 process × 2 threads", "backend=openvino,intra_threads=2", 1),
    ("OpenVINO, det max-side 1800 (crops from the 2000 px page)",
     "backend=openvino,det_limit_type=max,det_limit_side=1800", 2),
    ("OpenVINO, det max-side 1600 (crops from the 2000 px page)",
     "backend=openvino,det_limit_type=max,det_limit_side=1600", 2),
    ("OpenVINO, det max-side 1600, crops from the full-resolution page (3508 px)",
     "backend=openvino,det_limit_type=max,det_limit_side=1600,max_side=3508", 2),
    ("OpenVINO, page scaled to 1800 px (detector and crops)", "backend=openvino,max_side=1800", 2),
    ("onnxruntime graph optimization basic", "backend=onnxruntime,graph_opt=basic", 2),
    ("det max-side 1280 (crops from the 2000 px page)", "backend=onnxruntime,det_limit_type=max,det_limit_side=1280", 2),
    ("OpenVINO, det max-side 1280", "backend=openvino,det_limit_type=max,det_limit_side=1280", 2),
]


def _init(spec: str, engine: str) -> None:
    if spec is not None:
        os.environ[ENV] = spec
    from intake.ocr.base import get_engine, limit_threads

    limit_threads()
    get_engine(engine)


def _read(job) -> tuple[float, str]:
    """(CPU seconds of this process for the page, the text read) for one page."""
    path, engine = job
    from PIL import Image

    from intake.ocr.runner import read_page

    if path is None:  # warm-up: holds a worker so that each one takes one
        time.sleep(1.0)
        return 0.0, ""
    with Image.open(path) as img:
        img.load()
        c0 = time.process_time()
        lines = read_page(img, engine, detect_orientation=False).lines
        return time.process_time() - c0, "\n".join(l.text for l in lines)


def time_pool(pages: list[Path], engine: str, spec: str | None, workers: int) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, fingerprint of the text read) for the pages in a fresh pool."""
    import hashlib

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_init,
                               initargs=(spec, engine))
    try:
        list(pool.map(_read, [(None, engine)] * workers))
        t0 = time.perf_counter()
        out = list(pool.map(_read, [(str(p), engine) for p in pages]))
        wall = time.perf_counter() - t0
        text = "\f".join(t for _, t in out)
        return wall, sum(c for c, _ in out), hashlib.sha256(text.encode()).hexdigest()[:12]
    finally:
        pool.shutdown()


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def make_pdf(pages: list[Path], out: Path) -> Path:
    import img2pdf

    out.write_bytes(img2pdf.convert([str(p) for p in pages]))
    return out


def time_ocrmypdf(pdf: Path, tmp: Path) -> tuple[float, float]:
    """(wall, CPU) of one whole OCRmyPDF run; CPU counts its Tesseract and Ghostscript children too."""
    out = tmp / "ocrmypdf-out.pdf"
    c0 = _children_cpu()
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ocrmypdf", "--jobs", "2", "-l", "chi_sim", "--sidecar",
                    str(tmp / "ocrmypdf.txt"), "-q", "--force-ocr", str(pdf), str(out)], check=True,
                   env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    return time.perf_counter() - t0, _children_cpu() - c0


def time_pipeline(inbox_src: Path, tmp: Path, spec: str, workers: int) -> tuple[float, float, int]:
    from intake import webimages
    from intake.db import connect
    from intake.ocr import base
    from intake.pipeline import Settings, ingest

    os.environ[ENV] = spec
    base._instances.clear()  # this process's engine must be the configuration's too
    work = Path(tempfile.mkdtemp(prefix="bench-eng-pipe-", dir=tmp))
    try:
        inbox = work / "inbox"
        shutil.copytree(inbox_src, inbox)
        db = connect(work / "data" / "d.db")
        settings = Settings(data_dir=work / "data", engine="rapidocr", workers=workers, progress=False)
        cc0 = _children_cpu()
        c0 = time.process_time()
        t0 = time.perf_counter()
        list(ingest(inbox, db, settings))  # the pool closes at the end: its workers' CPU is counted
        webimages.wait()  # the viewer's WebPs are part of the ingest's work (a background thread), as in pipeline_speed.py
        dt = time.perf_counter() - t0
        cpu = time.process_time() - c0 + _children_cpu() - cc0
        n = db.execute("SELECT count(*) FROM pages WHERE source = 'ocr'").fetchone()[0]
        return dt, cpu, n
    finally:
        os.environ.pop(ENV, None)
        base._instances.clear()
        shutil.rmtree(work, ignore_errors=True)


def accuracy_of(spec: str, split: str, count: int, cache: Path, jobs: int) -> dict:
    """Field accuracy with this configuration: bench/accuracy.py's evaluation in a subprocess."""
    env = {**os.environ, ENV: spec, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench")])}
    out = subprocess.run([sys.executable, str(Path(__file__)), "--accuracy-only", split, "--count", str(count),
                          "--cache", str(cache), "--jobs", str(jobs)], env=env, check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _accuracy_only(split: str, count: int, cache: Path, jobs: int) -> None:
    import accuracy  # bench/accuracy.py

    res = accuracy.run(count, "rapidocr", ["scan"], _types(), 1000, cache, jobs=jobs, split=split)
    ok = sum(c["ok"] for c in res["fields"].values())
    n = sum(c["n"] for c in res["fields"].values())
    print(json.dumps({"ok": ok, "n": n, "type_ok": sum(res["type_ok"].values()), "docs": res["count"],
                      "seconds": res["seconds"]}))


def _types() -> list[str]:
    from tests.corpus import DOC_TYPES

    return list(DOC_TYPES)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=16)
    ap.add_argument("--docs", type=int, default=16)
    ap.add_argument("--seed", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--only", help="comma-separated row numbers of CONFIGS to run (default all)")
    ap.add_argument("--accuracy", type=int, default=16, help="held-out documents per configuration (0: skip)")
    ap.add_argument("--developed", type=int, default=8, help="developed-family documents per configuration")
    ap.add_argument("--accuracy-json", type=Path, help="accuracy results: written by --no-speed, read otherwise")
    ap.add_argument("--no-speed", action="store_true", help="only the accuracy runs (to --accuracy-json)")
    ap.add_argument("--render", action="store_true", help="write the table again from the last timings "
                    "(<out>.json) and --accuracy-json")
    ap.add_argument("--pipeline", default=None, help="configuration of the pipeline row (default: the product's)")
    ap.add_argument("--no-others", action="store_true", help="skip OCRmyPDF, Tesseract and the pipeline rows")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache" / "ocr-engines")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "engines.md")
    ap.add_argument("--accuracy-only", choices=("held_out", "developed"), help=argparse.SUPPRESS)
    ap.add_argument("--count", type=int, default=16, help=argparse.SUPPRESS)
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    if a.accuracy_only:
        _accuracy_only(a.accuracy_only, a.count, a.cache, a.jobs)
        return
    configs = CONFIGS if not a.only else [CONFIGS[int(i)] for i in a.only.split(",")]
    if a.render:
        render(a)
        return
    if a.no_speed:
        acc = accuracy_rows(a, configs)
        if a.accuracy_json:
            a.accuracy_json.write_text(json.dumps(acc, indent=1))
        print(json.dumps(acc, indent=1))
        return
    from pipeline_speed import make_inbox, page_images

    tmp = Path(tempfile.mkdtemp(prefix="bench-engines-"))
    try:
        inbox = tmp / "inbox"
        make_inbox(inbox, a.docs, a.seed)
        imgs = tmp / "imgs"
        imgs.mkdir()
        pages = page_images(inbox, imgs)[: a.pages]
        pdf = make_pdf(pages, tmp / "pages.pdf")
        rows = [(label, "rapidocr", spec, w) for label, spec, w in configs]
        if not a.no_others:
            rows += [("OCRmyPDF --jobs 2 -l chi_sim --sidecar", "ocrmypdf", None, 2),
                     ("bare Tesseract (chi_sim, psm 6)", "tesseract", None, 2),
                     ("docintake pipeline (ingest), chosen configuration", "pipeline",
                      a.pipeline if a.pipeline is not None else os.environ.get(ENV, ""), 2)]
        wall: dict[int, list[float]] = {i: [] for i in range(len(rows))}
        cpu: dict[int, list[float]] = {i: [] for i in range(len(rows))}
        prints: dict[int, set] = {i: set() for i in range(len(rows))}
        pipe_pages = 0
        load = []
        for r in range(a.rounds):
            for i, (label, kind, spec, w) in enumerate(rows):
                n = len(pages)
                if kind in ("rapidocr", "tesseract"):
                    dt, c, fp = time_pool(pages, kind, spec, w)
                    prints[i].add(fp)
                elif kind == "ocrmypdf":
                    dt, c = time_ocrmypdf(pdf, tmp)
                else:
                    dt, c, pipe_pages = time_pipeline(inbox, tmp, spec, w)
                    n = max(pipe_pages, 1)
                wall[i].append(dt / n)
                cpu[i].append(c / n)
                load.append(os.getloadavg()[0])
                print(f"round {r + 1} {label}: {dt / n:.2f} s/page wall, {c / n:.2f} CPU-s/page "
                      f"(load {load[-1]:.1f})", file=sys.stderr, flush=True)
                write(a, rows, wall, cpu, prints, _load_acc(a), load, len(pages), pipe_pages)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _load_acc(a) -> dict:
    if a.accuracy_json and a.accuracy_json.exists():
        return json.loads(a.accuracy_json.read_text())
    return {}


def accuracy_rows(a, configs) -> dict:
    acc: dict[str, dict] = _load_acc(a)  # rows measured in an earlier --no-speed run are kept
    for label, spec, w in configs:
        if spec in SAME_OUTPUT:
            continue
        held = accuracy_of(spec, "held_out", a.accuracy, a.cache, a.jobs)
        dev = accuracy_of(spec, "developed", a.developed, a.cache, a.jobs) if a.developed else None
        acc[spec] = {"held": held, "dev": dev}
        print(f"accuracy {label}: held-out {held['ok']}/{held['n']}"
              + (f", developed {dev['ok']}/{dev['n']}" if dev else ""), file=sys.stderr, flush=True)
        if a.accuracy_json:
            a.accuracy_json.write_text(json.dumps(acc, indent=1))
    return acc


# Settings that change how fast the same numbers are computed, not what is read: their rows must
# read the same text as the row before tuning (the fingerprint column checks it), so their
# accuracy is the "before" row's.
SAME_OUTPUT = {"backend=onnxruntime,mem_arena=true": "backend=onnxruntime",
               "backend=onnxruntime,intra_threads=2": "backend=onnxruntime",
               "backend=onnxruntime,graph_opt=basic": "backend=onnxruntime",
               "backend=openvino,ov_hint=THROUGHPUT": "backend=openvino",
               "backend=openvino,intra_threads=2": "backend=openvino"}


def _pct(d: dict | None) -> str:
    if not d or not d["n"]:
        return "—"
    return f"{100 * d['ok'] / d['n']:.1f}% ({d['ok']}/{d['n']})"


def write(a, rows, wall, cpu, prints, acc, load, npages, pipe_pages) -> None:
    before = CONFIGS[0][1]
    base = min(cpu[0]) if rows and rows[0][2] == before and cpu[0] else None
    ocrmypdf = next((min(cpu[i]) for i, r in enumerate(rows) if r[1] == "ocrmypdf" and cpu[i]), None)
    lines = [
        "## OCR engine configurations against OCRmyPDF and Tesseract",
        "",
        f"Command: `nice -n 10 .venv/bin/python bench/engines.py --docs {a.docs} --pages {a.pages} --rounds {a.rounds} "
        f"{'--only ' + a.only + ' ' if a.only else ''}"
        f"--accuracy-json bench/results/engines-accuracy.json` after `... --no-speed --accuracy {a.accuracy} "
        f"--developed {a.developed} --accuracy-json bench/results/engines-accuracy.json` ({npages} scan pages of "
        f"{a.docs} generated documents, the eight types in turn, `scan` quality: bench/pipeline_speed.py's first "
        f"{a.docs}; 2 processes on 2 cores; "
        f"{a.rounds} interleaved rounds, best shown, each round in brackets; load average "
        f"{min(load):.1f}–{max(load):.1f} during the timings).",
        "",
        "CPU-s/page is the CPU time the reading processes spent per page (for OCRmyPDF, all its "
        "children; for the pipeline, the coordinator and its pool, models loading included): on a "
        "machine shared at this load it is the figure that compares, wall seconds are mostly waiting "
        "for a core. On 2 free cores, s/page ≈ CPU-s/page ÷ 2.",
        "",
        "| configuration | settings (`DOCINTAKE_RAPIDOCR`) | CPU-s/page best (rounds) | vs before | vs OCRmyPDF | wall s/page "
        f"best | output | held-out field accuracy ({a.accuracy} docs, scan) | developed ({a.developed} docs) |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    base_print = next(iter(prints[0]), None) if rows and rows[0][2] == before else None
    for i, (label, kind, spec, w) in enumerate(rows):
        if not cpu[i]:
            continue
        best = min(cpu[i])
        rel = f"{best / base:.2f}×" if base else "—"
        rel_ocrmypdf = f"{best / ocrmypdf:.2f}×" if ocrmypdf else "—"
        settings = (describe(parse(spec)) if kind in ("rapidocr", "pipeline") else "—")
        if kind == "pipeline":
            label = f"{label} ({pipe_pages} pages OCR'd)"
        fp = ",".join(sorted(prints[i])) if prints[i] else "—"
        if base_print and prints[i] == {base_print} and i:
            fp = "same text as before"
        ac = acc.get(SAME_OUTPUT.get(spec, spec), {}) if kind == "rapidocr" else {}
        if spec in SAME_OUTPUT and ac:  # only if it did read the same text as the row whose accuracy it takes
            ref = next((j for j, r in enumerate(rows) if r[2] == SAME_OUTPUT[spec]), None)
            if ref is None or prints[i] != prints[ref]:
                ac = {}
        lines.append(f"| {label} | {settings} | {best:.2f} ({', '.join(f'{t:.2f}' for t in cpu[i])}) | {rel} | {rel_ocrmypdf} | "
                     f"{min(wall[i]):.2f} | {fp} | {_pct(ac.get('held'))} | {_pct(ac.get('dev'))} |")
    lines.append("")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text("\n".join(lines) + "\n", "utf-8")
    # the timings, so that the table can be written again when the accuracy runs finish (--render)
    a.out.with_suffix(".json").write_text(json.dumps({
        "rows": rows, "wall": wall, "cpu": cpu, "prints": {k: sorted(v) for k, v in prints.items()}, "load": load,
        "npages": npages, "pipe_pages": pipe_pages, "pages": a.pages, "rounds": a.rounds}, indent=1))


def render(a) -> None:
    d = json.loads(a.out.with_suffix(".json").read_text())
    a.pages = d["pages"]
    a.rounds = max(len(v) for v in d["cpu"].values())  # rounds actually finished
    keys = lambda m: {int(k): v for k, v in m.items()}  # noqa: E731
    write(a, [tuple(r) for r in d["rows"]], keys(d["wall"]), keys(d["cpu"]),
          {int(k): set(v) for k, v in d["prints"].items()}, _load_acc(a), d["load"], d["npages"], d["pipe_pages"])


if __name__ == "__main__":
    main()
