"""CPU seconds a page of the coordinator's own page phases, for two code trees, interleaved.

    nice -n 10 .venv/bin/python bench/pipeline_phases.py --base /work/wt-pages-base [--docs 8] [--rounds 2]

The phases the coordinator runs for every page besides OCR (issue 16):

- ``load``: decoding the file into page pixels (the loader: unchanged by issue 16, shown for scale);
- ``write``: what `load_to_disk` adds on top: the pixel key and writing `pages/<sha>/<n>.*`
  (a PNG encoding of every page before; a SHA-256-checked byte copy of a one-page JPEG/PNG scan after);
- ``decode``: opening the stored page image again for extraction (extractors/pageimages.py).

Each tree runs in a child process of its own (PYTHONPATH at it), old, new, old, new, on the same
generated documents (tests.corpus at scan quality), so both see the same machine load. Also reports the
bytes of pages/ each tree writes. Prints a Markdown table; `--out` writes it to a file as well.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_inbox(inbox: Path, docs: int, seed: int) -> list[Path]:
    sys.path.insert(0, str(ROOT))
    from tests.corpus import DOC_TYPES, generate_document

    out = []
    for i in range(docs):
        t = DOC_TYPES[i % len(DOC_TYPES)]
        doc = generate_document(t, seed=seed + i, quality="scan")
        out.append(doc.save(inbox / f"{i:03d}_{t}"))
    return out


def child(files: list[Path], work: Path) -> dict:
    """In the tree on sys.path: each phase's CPU seconds over all files, the page count and pages/ bytes."""
    from intake import archive
    from intake.loaders import check_file, iter_pages
    from intake.pages import load_to_disk

    cpu = {"load": 0.0, "write": 0.0, "decode": 0.0}
    by_ext: dict[str, list[float]] = {}  # source type -> [write CPU-s, pages]
    pages = 0
    pages_dir = work / "pages"
    for f in files:
        ext = check_file(f)
        sha = archive.sha256_file(f)
        t = time.process_time()
        for lp in iter_pages(f, ext):
            lp.image.load()
        load = time.process_time() - t
        cpu["load"] += load
        t = time.process_time()
        loaded = load_to_disk(f, ext, pages_dir, sha)
        write = time.process_time() - t - load  # load + key + write, less the load measured just before
        cpu["write"] += write
        row = by_ext.setdefault(ext, [0.0, 0])
        row[0] += write
        row[1] += len(loaded)
        paths = [Path(lp.image.filename) for lp in loaded]
        del loaded
        t = time.process_time()
        from PIL import Image

        for p in paths:
            with Image.open(p) as im:
                im.load()
        cpu["decode"] += time.process_time() - t
        pages += len(paths)
    size = sum(p.stat().st_size for p in pages_dir.rglob("*") if p.is_file() and p.suffix != ".key")
    kinds = sorted({p.suffix for p in pages_dir.rglob("*") if p.is_file() and p.suffix != ".key"})
    return {"cpu": cpu, "pages": pages, "bytes": size, "kinds": kinds, "by_ext": by_ext}


def run_tree(tree: Path, files: list[Path], tmp: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), OMP_THREAD_LIMIT="1")
    work = Path(tempfile.mkdtemp(dir=tmp))
    res = subprocess.run([sys.executable, __file__, "--child", str(work), *map(str, files)], env=env, cwd=tree,
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=Path, help="the tree to compare against (main's code)")
    ap.add_argument("--new", type=Path, default=ROOT)
    ap.add_argument("--docs", type=int, default=8)
    ap.add_argument("--seed", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--tmp", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("files", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.files, args.child)))
        return
    tmp = Path(tempfile.mkdtemp(dir=args.tmp))
    files = make_inbox(tmp / "inbox", args.docs, args.seed)
    runs: dict[str, list[dict]] = {"old": [], "new": []}
    for _ in range(args.rounds):
        runs["old"].append(run_tree(args.base, files, tmp))
        runs["new"].append(run_tree(args.new, files, tmp))
    lines = [f"{args.docs} documents (seed {args.seed}, scan quality), {runs['new'][0]['pages']} pages; "
             f"rounds interleaved old, new x{args.rounds}; load average before: {os.getloadavg()[0]:.2f}", "",
             "| tree | round | load CPU-s/page | write CPU-s/page | decode CPU-s/page | write+decode | pages/ MB | kinds "
             "| write CPU-s/page by source |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name in ("old", "new"):
        for i, r in enumerate(runs[name]):
            n, c = r["pages"], r["cpu"]
            lines.append(f"| {name} | {i + 1} | {c['load'] / n:.3f} | {c['write'] / n:.3f} | {c['decode'] / n:.3f} | "
                         f"{(c['write'] + c['decode']) / n:.3f} | {r['bytes'] / 1e6:.1f} | {' '.join(r['kinds'])} | "
                         + ", ".join(f"{e} {w / k:.3f} ({k} p)" for e, (w, k) in sorted(r["by_ext"].items())) + " |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", "utf-8")


if __name__ == "__main__":
    main()
