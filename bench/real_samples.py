"""Extraction and seal detection on the real public scans in ../shared/samples.

    .venv/bin/python bench/real_samples.py [--engine rapidocr|tesseract ...] [--out bench/results/real-samples.md]

Generated pages are what the accuracy benchmark measures; these few real scans and
photos (MIT-licensed, see ../shared/samples/README.md) check that the same code holds
on documents nobody drew. The truth below is what the samples' README reads off
each image; the benchmark reports what docintake extracted, field by field.
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

SAMPLES = ROOT.parent / "shared" / "samples"

INVOICES = {
    "vat_special_test_specimen_scan.jpg": {"invoice_code": "1100094140", "invoice_number": "87654321",
                                           "issued_on": "2010-11-18", "amount": "5999.00", "tax": "1019.83",
                                           "total": "7018.83"},
    "e_invoice_render.png": {"invoice_code": "012001800311", "invoice_number": "33207675",
                             "issued_on": "2019-05-08", "amount": "46.62"},
    "vat_normal_phone_photo.jpg": {"invoice_code": "044031800104", "invoice_number": "41108527",
                                   "issued_on": "2019-03-19", "amount": "96.72"},
    "vat_special_phone_photo.jpg": {"invoice_code": "5100191160", "invoice_number": "00472703",
                                    "issued_on": "2019-06-14", "amount": "1456.31"},
}
SEALS = {"contract_two_seals.jpg": 2, "form_several_seals.png": None, "certificate_seal_photo.jpg": 1,
         "no_seal_screenshot.png": 0}  # None: "several" (at least 2)


def run_invoices(engine: str) -> tuple[list[str], int, int, float]:
    from extractors.normalize import compare_key
    from intake.ocr.runner import OcrRunner
    from intake.pipeline import extract, read_file

    rows, ok_n, n = [], 0, 0
    runner = OcrRunner(engine, 1, progress=False)
    t0 = time.time()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, truth in INVOICES.items():
                path = SAMPLES / "invoices" / name
                if not path.exists():
                    continue
                _, pages, images = read_file(path, runner, Path(tmp))
                docs = extract(pages, images, name, engine)
                doc = next((d for d in docs if d.type == "invoice"), None)
                types = ", ".join(d.type for d in docs) or "—"
                for key, want in truth.items():
                    fv = doc.fields.get(key) if doc else None
                    got = None if fv is None else fv.value
                    ok = got is not None and compare_key(got) == compare_key(want)
                    n += 1
                    ok_n += ok
                    conf = "" if fv is None else f"{fv.confidence:.2f} {fv.strategy}"
                    rows.append(f"| {name} | {types} | {key} | {want} | {got if got is not None else '—'} | "
                                f"{'✓' if ok else '✗'} | {conf} |")
    finally:
        runner.close()
    return rows, ok_n, n, time.time() - t0


def run_seals() -> list[str]:
    from PIL import Image

    from extractors.seals import detect_seals

    rows = []
    for name, want in SEALS.items():
        path = SAMPLES / "seals" / name
        if not path.exists():
            continue
        with Image.open(path) as im:
            im.load()
            seals = detect_seals(im, None)
        got = len(seals)
        ok = got >= 2 if want is None else got == want
        rows.append(f"| {name} | {'several' if want is None else want} | {got} | {'✓' if ok else '✗'} | "
                    + ", ".join(f"{s.color} {s.shape} {s.confidence:.2f}" for s in seals) + " |")
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", action="append", help="OCR engine(s); default both")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "real-samples.md")
    a = ap.parse_args(argv)
    if not SAMPLES.exists():
        print(f"{SAMPLES} not found: nothing to measure", file=sys.stderr)
        return 0
    engines = a.engine or ["rapidocr", "tesseract"]
    out = ["## Real public scans (../shared/samples)", "",
           "Command: `.venv/bin/python bench/real_samples.py`. Truth as read off each image in the samples' README.", ""]
    for engine in engines:
        rows, ok, n, secs = run_invoices(engine)
        out += [f"### Invoices, engine `{engine}`: {ok}/{n} fields exact ({secs:.0f} s)", "",
                "| file | types found | field | truth | extracted | | confidence, strategy |",
                "|---|---|---|---|---|---|---|", *rows, ""]
    out += ["### Seal detection", "", "| file | seals (truth) | found | | detections |", "|---|---|---|---|---|",
            *run_seals(), ""]
    text = "\n".join(out)
    print(text)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
