"""Does RapidOCR on OpenVINO read what it reads on onnxruntime? Every call, side by side.

Every call the product makes to RapidOCR under the OpenVINO backend (page reads, crops, line
reads, orientation checks) is made a second time on onnxruntime with otherwise the same settings,
and the two results are compared: the text of every line, and its box (the detector's quadrilateral
and the word boxes, in pixels). One JSON line per call goes to the output file; `--summary` counts.

Two ways to run it:

- on bench/pipeline_speed.py's pages (the scan pages of the speed benchmarks):
      nice -n 10 .venv/bin/python bench/backend_compare.py --docs 16 --out bench/results/backend-compare-bench.jsonl
- on every OCR call of the tests that fill the committed fixture cache, as a pytest plugin
  (the cache must miss, so that the pages are read: run it while regenerating the cache):
      BACKEND_COMPARE_OUT=/tmp/cmp.jsonl PYTHONPATH=.:bench .venv/bin/python -m pytest -p backend_compare tests/...
  Calls made in pool worker processes are not seen (the tests' pipelines read in their own process
  or through the fixture cache).
  With BACKEND_COMPARE_OLD_CACHE=<a copy of the committed cache made under onnxruntime>, only the
  fixture cache's page readings are compared, each with the onnxruntime entry for the same image
  (read again on onnxruntime where the copy has none): one OCR per page instead of two.
- `--summary FILE...`: counts and every difference, as Markdown.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT_ENV = "BACKEND_COMPARE_OUT"


def _norm(result) -> dict:
    """The comparable part of a RapidOCR result: texts, boxes (rounded to a pixel), word boxes."""
    import numpy as np

    txts = list(getattr(result, "txts", None) or ())
    boxes = getattr(result, "boxes", None)
    boxes = [] if boxes is None else np.rint(np.asarray(boxes, dtype=float)).astype(int).tolist()
    words = getattr(result, "word_results", None) or ()
    wb = [[(w[0], np.rint(np.asarray(w[2], dtype=float)).astype(int).tolist()) for w in (ws or ()) if w]
          for ws in words]
    return {"txts": txts, "boxes": boxes, "words": wb}


def _box_diff(a: list, b: list) -> int:
    import numpy as np

    if len(a) != len(b):
        return -1
    if not a:
        return 0
    return int(np.max(np.abs(np.asarray(a) - np.asarray(b))))


class _Comparing:
    """Stands in for the engine's `_ExplicitCalls`: the OpenVINO call, then the same on onnxruntime."""

    def __init__(self, inner, settings, out: Path):
        self._inner, self._settings, self._out = inner, settings, out
        self._twin = None

    def __call__(self, img, **kw):
        res = self._inner(img, **kw)
        if self._twin is None:
            from intake.ocr.rapid import RapidOcrEngine

            self._twin = RapidOcrEngine(settings=replace(self._settings, backend="onnxruntime"))._ocr
        other = self._twin(img, **kw)
        a, b = _norm(res), _norm(other)
        kind = ("page" if kw.get("use_det") and kw.get("use_rec") else "detect" if kw.get("use_det") else "line")
        rec = {"kind": kind, "shape": list(getattr(img, "shape", ())), "lines": len(a["txts"] or a["boxes"]),
               "same_text": a["txts"] == b["txts"], "same_boxes": a["boxes"] == b["boxes"],
               "same_words": a["words"] == b["words"], "box_diff": _box_diff(a["boxes"], b["boxes"])}
        if not (rec["same_text"] and rec["same_boxes"] and rec["same_words"]):
            rec["openvino"], rec["onnxruntime"] = a, b
        with self._out.open("a", encoding="utf-8") as f:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return res


def install(out: Path) -> None:
    """Every OpenVINO RapidOcrEngine made from now on in this process compares its calls."""
    from intake.ocr import rapid

    original = getattr(rapid.RapidOcrEngine, "_compare_original_init", None) or rapid.RapidOcrEngine.__init__

    def __init__(self, *args, **kw):
        original(self, *args, **kw)
        if self.settings.backend == "openvino":
            self._ocr = _Comparing(self._ocr, self.settings, out)

    rapid.RapidOcrEngine._compare_original_init = original
    rapid.RapidOcrEngine.__init__ = __init__


def install_cache_check(out: Path, old_cache: Path) -> None:
    """Cheaper than `install` for the fixture cache: each reading `ocr_lines` makes under OpenVINO is
    compared with the onnxruntime reading of the same image in an older copy of the committed cache
    (the key the onnxruntime settings had before they were configurable); only the images that copy
    does not hold are read a second time, on onnxruntime."""
    import gzip
    import hashlib

    from tests.extractors import conftest as fx

    from intake.ocr.base import get_engine
    from intake.ocr.rapid import RapidOcrEngine
    from intake.ocr.runner import read_page

    original = fx.ocr_lines
    twin: list = []

    def ocr_lines(image, engine_name="rapidocr", orient=True):
        lines, rot = original(image, engine_name, orient)
        engine = get_engine(engine_name)
        if getattr(getattr(engine, "settings", None), "backend", None) != "openvino":
            return lines, rot
        legacy = f"rapidocr-{engine._version}-redrm1-wordbox"
        key = hashlib.sha256(f"{fx._image_key(image)}|{legacy}|{orient}".encode()).hexdigest()[:32]
        path = old_cache / f"{key}.json.gz"
        if path.exists():
            d = json.loads(gzip.decompress(path.read_bytes()))
            other, orot, source = d["lines"], d["rotation"], "committed onnxruntime entry"
        else:
            if not twin:
                twin.append(RapidOcrEngine(settings=replace(engine.settings, backend="onnxruntime")))
            from intake.ocr import base

            saved = base._instances.get(engine_name)
            base._instances[engine_name] = twin[0]
            try:
                res = read_page(image, engine_name, detect_orientation=orient)
            finally:
                base._instances[engine_name] = saved
            other, orot, source = [l.to_dict() for l in res.lines], res.rotation, "read again on onnxruntime"
        from intake.model import Line

        other = [Line.from_dict(x) for x in other]
        a = [(l.text, list(l.bbox)) for l in lines]
        b = [(l.text, list(l.bbox)) for l in other]
        wa = [[(w.text, list(w.bbox)) for w in l.words] for l in lines]
        wb = [[(w.text, list(w.bbox)) for w in l.words] for l in other]
        rec = {"kind": "page", "image": key, "shape": list(image.size), "lines": len(a), "source": source,
               "same_text": [t for t, _ in a] == [t for t, _ in b] and rot == orot,
               "same_boxes": [bb for _, bb in a] == [bb for _, bb in b], "same_words": wa == wb,
               "box_diff": _box_diff([bb for _, bb in a], [bb for _, bb in b])}
        if not (rec["same_text"] and rec["same_boxes"] and rec["same_words"]):
            rec["openvino"] = {"txts": [t for t, _ in a], "boxes": [bb for _, bb in a], "rotation": rot}
            rec["onnxruntime"] = {"txts": [t for t, _ in b], "boxes": [bb for _, bb in b], "rotation": orot}
        with out.open("a", encoding="utf-8") as f:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return lines, rot

    fx.ocr_lines = ocr_lines


def pytest_configure(config):  # pytest plugin entry (-p backend_compare)
    out = os.environ.get(OUT_ENV)
    old = os.environ.get("BACKEND_COMPARE_OLD_CACHE")
    if out and old:
        install_cache_check(Path(out), Path(old))
    elif out:
        install(Path(out))


def summary(files: list[Path]) -> str:
    recs = [json.loads(l) for f in files for l in f.read_text("utf-8").splitlines() if l.strip()]
    seen: set = set()  # a page the tests read more than once (cache hits) counts once
    recs = [r for r in recs if r.get("image") is None or not (r["image"] in seen or seen.add(r["image"]))]
    lines = [f"Files: {', '.join(str(f) for f in files)}", "",
             "| kind of call | calls | same text | same line boxes | same word boxes | all identical |",
             "|---|---:|---:|---:|---:|---:|"]
    for kind in ("page", "line", "detect"):
        rs = [r for r in recs if r["kind"] == kind]
        if not rs:
            continue
        ident = sum(r["same_text"] and r["same_boxes"] and r["same_words"] for r in rs)
        lines.append(f"| {kind} | {len(rs)} | {sum(r['same_text'] for r in rs)} | {sum(r['same_boxes'] for r in rs)} | "
                     f"{sum(r['same_words'] for r in rs)} | {ident} |")
    lines.append("")
    diffs = [r for r in recs if "openvino" in r]
    lines.append(f"Differences: {len(diffs)} of {len(recs)} calls.")
    for r in diffs:
        a, b = r["openvino"], r["onnxruntime"]
        lines.append(f"- {r['kind']} call on an image {r['shape']}: {r['lines']} lines, max box difference "
                     f"{r['box_diff']} px (-1: a different number of boxes)")
        for i, (ta, tb) in enumerate(zip(a["txts"], b["txts"])):
            if ta != tb:
                lines.append(f"  - line {i}: OpenVINO “{ta}” / onnxruntime “{tb}”")
        if len(a["txts"]) != len(b["txts"]):
            lines.append(f"  - {len(a['txts'])} lines on OpenVINO, {len(b['txts'])} on onnxruntime")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=16)
    ap.add_argument("--seed", type=int, default=500)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "backend-compare-bench.jsonl")
    ap.add_argument("--summary", type=Path, nargs="+", help="only summarise these JSONL files")
    a = ap.parse_args()
    if a.summary:
        print(summary(a.summary))
        return
    import tempfile

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    sys.path.insert(0, str(ROOT / "bench"))
    from PIL import Image

    from intake.ocr.base import limit_threads
    from intake.ocr.rapid import RapidOcrEngine
    from intake.ocr.settings import DEFAULT
    from pipeline_speed import make_inbox, page_images

    limit_threads()
    if DEFAULT.backend != "openvino":
        raise SystemExit("the default backend is not OpenVINO: nothing to compare")
    a.out.unlink(missing_ok=True)
    install(a.out)
    engine = RapidOcrEngine(settings=DEFAULT)
    with tempfile.TemporaryDirectory(prefix="bench-cmp-") as tmp:
        inbox = Path(tmp) / "inbox"
        make_inbox(inbox, a.docs, a.seed)
        imgs = Path(tmp) / "imgs"
        imgs.mkdir()
        for n, p in enumerate(page_images(inbox, imgs), 1):
            with Image.open(p) as img:
                engine.recognize(img)
            print(f"page {n} read", file=sys.stderr, flush=True)
    print(summary([a.out]))


if __name__ == "__main__":
    main()
