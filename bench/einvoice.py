"""OFD and XML e-invoices (数电票) against the PDF and the OCR of the same invoice.

    python bench/einvoice.py --invoices 30 --ocr 5

For generated triples (tests/corpus/einvoice.py: one invoice as PDF, OFD and XML), the fields
read from the OFD (custom tags) and the XML (elements) are compared with the truth, and also
the fields the pipeline's extractor reads from each format's text lines (PDF text layer, the
OFD's text objects, the XML drawn as a page).  Speed: seconds per invoice for reading the OFD
and the XML directly, for the PDF text layer + extractor, and for OCR of the invoice's image
(the PDF rendered at 300 dpi, as a scan of the printout would be) + extractor on the first
``--ocr`` invoices.  Results go to ``bench/results/einvoice.md``.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _pages(loaded, source):
    from intake.model import Page
    return ([Page(lp.number, lp.image.width, lp.image.height, lp.dpi, source, "", tuple(lp.text_lines or ()))
             for lp in loaded], [lp.image for lp in loaded])


def _invoice_fields(docs) -> dict:
    inv = [d for d in docs if d.type == "invoice"]
    return {k: fv.value for k, fv in inv[0].fields.items()} if inv else {}


def _extract(path: Path, engine: str) -> dict:
    from extractors.extract import extract_pages
    from intake import loaders
    pages, images = _pages(loaders.load(path), "text")
    return _invoice_fields(extract_pages(pages, images, path.name, engine))


def _ocr(path: Path, engine_obj, engine: str) -> dict:
    from extractors.extract import extract_pages
    from intake import loaders
    from intake.model import Page
    [lp] = loaders.load(path)
    lines = engine_obj.recognize(lp.image)
    page = Page(1, lp.image.width, lp.image.height, lp.dpi, "ocr", "", tuple(lines), engine)
    return _invoice_fields(extract_pages([page], [lp.image], path.name, engine))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--invoices", type=int, default=30)
    ap.add_argument("--ocr", type=int, default=5, help="how many of them also go through OCR of their image")
    ap.add_argument("--engine", default="rapidocr")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "einvoice.md"))
    args = ap.parse_args(argv)
    from intake.einvoice import read
    from intake.ocr.base import get_engine, limit_threads
    from tests.corpus.einvoice import triple

    limit_threads()
    ways = ["ofd", "xml", "ofd_extractor", "xml_extractor", "pdf_extractor", "ocr_extractor"]
    exact = {w: 0 for w in ways}
    fields_ok = {w: [0, 0] for w in ways}
    seconds = {w: 0.0 for w in ways}
    runs = {w: 0 for w in ways}
    misses: list[str] = []
    engine_obj = get_engine(args.engine) if args.ocr else None
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.invoices):
            t = triple(1000 + n)
            folder = Path(tmp) / str(n)
            folder.mkdir()
            for ext in ("pdf", "ofd", "xml"):
                (folder / f"invoice.{ext}").write_bytes(t[ext])
            want = t["truth"]
            todo = {"ofd": lambda: {k: f.value for k, f in read(folder / "invoice.ofd").fields.items()},
                    "xml": lambda: {k: f.value for k, f in read(folder / "invoice.xml").fields.items()},
                    "ofd_extractor": lambda: _extract(folder / "invoice.ofd", args.engine),
                    "xml_extractor": lambda: _extract(folder / "invoice.xml", args.engine),
                    "pdf_extractor": lambda: _extract(folder / "invoice.pdf", args.engine)}
            if n < args.ocr:
                todo["ocr_extractor"] = lambda: _ocr(folder / "invoice.pdf", engine_obj, args.engine)
            for way, fn in todo.items():
                t0 = time.perf_counter()
                got = fn()
                seconds[way] += time.perf_counter() - t0
                runs[way] += 1
                ok = [k for k in want if got.get(k) == want[k]]
                fields_ok[way][0] += len(ok)
                fields_ok[way][1] += len(want)
                exact[way] += len(ok) == len(want)
                if len(ok) != len(want) and len(misses) < 20:
                    misses.append(f"- {way} invoice {n}: " + ", ".join(f"`{k}` want {want[k]!r} got {got.get(k)!r}"
                                                                       for k in want if got.get(k) != want[k]))
            print(f"invoice {n}: " + " ".join(f"{w}={seconds[w] / max(runs[w], 1):.3f}s" for w in ways), flush=True)
    label = {"ofd": "OFD, fields from its custom tags", "xml": "XML, fields from its elements",
             "ofd_extractor": "OFD text objects → extractor", "xml_extractor": "XML drawn as a page → extractor",
             "pdf_extractor": "PDF text layer → extractor (the PDF path)",
             "ocr_extractor": f"OCR ({args.engine}) of the invoice image at 300 dpi → extractor"}
    ocr_s = seconds["ocr_extractor"] / max(runs["ocr_extractor"], 1)
    out = ["# E-invoices: OFD and XML against PDF and OCR (bench/einvoice.py)", "",
           f"`python bench/einvoice.py --invoices {args.invoices} --ocr {args.ocr} --engine {args.engine}` — generated 数电票 "
           "triples (tests/corpus/einvoice.py: the same invoice as PDF, OFD and XML); truth is the invoice's fields "
           "(number, date, parties and their codes, amount, tax, total in figures and in words).", "",
           "| read | invoices | all fields exact | fields exact | seconds per invoice | vs OCR |", "|---|---|---|---|---|---|"]
    for w in ways:
        if not runs[w]:
            continue
        s = seconds[w] / runs[w]
        out.append(f"| {label[w]} | {runs[w]} | {100 * exact[w] / runs[w]:.1f}% ({exact[w]}/{runs[w]}) | "
                   f"{100 * fields_ok[w][0] / max(fields_ok[w][1], 1):.1f}% | {s:.3f} | "
                   f"{(ocr_s / s if s and ocr_s else 0):.0f}× faster |" if w != "ocr_extractor" else
                   f"| {label[w]} | {runs[w]} | {100 * exact[w] / runs[w]:.1f}% ({exact[w]}/{runs[w]}) | "
                   f"{100 * fields_ok[w][0] / max(fields_ok[w][1], 1):.1f}% | {s:.3f} | 1× |")
    out += ["", "Seconds are wall time on the shared 2-core machine (other jobs running), one process, OCR with "
            "one thread; compare them as ratios within this run."]
    if misses:
        out += ["", "## Mismatches", ""] + misses
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(out) + "\n", "utf-8")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
