"""Assemble BENCHMARKS.md from the result sections the benchmarks write under bench/results/.

    .venv/bin/python bench/collect.py

Each benchmark writes its own Markdown section with the command that reproduces
it; this only orders them, so BENCHMARKS.md never drifts from what was measured.
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["pipeline_speed.md", "pages.md", "engines.md", "engines-notes.md", "backend-compare-fixtures.md", "backend-compare-bench.md", "accuracy-rapidocr.md", "accuracy-tesseract.md", "accuracy-notes.md", "calibration.md", "seals.md", "real-samples.md", "decisions.md", "decisions-truth.md", "decisions-state-ocr.md", "einvoice.md",
         "reliability.md", "security.md", "load.md", "scale.md", "page_load.md", "distributed.md", "store-writes.md"]
# Sections written without a level-2 heading of their own get one here.
HEADINGS = {"accuracy-rapidocr.md": "## Extraction accuracy (both OCR engines)",
            "backend-compare-fixtures.md": "### OpenVINO f32 against onnxruntime: every page of the test fixture cache\n\n"
                                           "Command: `PYTHONPATH=.:bench .venv/bin/python -m pytest -q -p backend_compare "
                                           "tests/extractors tests/intake/test_reader.py tests/test_low_code.py "
                                           "tests/intake/test_notices_e2e.py` (each OpenVINO reading against the "
                                           "onnxruntime entry committed for the same image), then "
                                           "`bench/backend_compare.py --summary`.",
            "backend-compare-bench.md": "### OpenVINO f32 against onnxruntime: the benchmark pages\n\n"
                                        "Command: `.venv/bin/python bench/backend_compare.py --docs 8`."}

HEADER = """# Benchmarks

Figures measured on this project's machine (2 cores, no GPU), each with the command that
reproduces it. Speed is compared as ratios within one run, never as absolute seconds in tests.
`make bench` re-runs them all and rebuilds this file (`bench/collect.py`).

"""


def _nest(text: str) -> str:
    """A section written with a top-level '# ' title sits one level down in BENCHMARKS.md."""
    if not text.startswith("# "):
        return text
    return "\n".join("#" + line if line.startswith("#") else line for line in text.splitlines())


def main() -> None:
    results = ROOT / "bench" / "results"
    parts = [HEADER]
    for name in ORDER:
        path = results / name
        if name in HEADINGS:
            parts.append(HEADINGS[name] + "\n\n")
        if path.exists():
            parts.append(_nest(path.read_text("utf-8").strip()) + "\n\n")
        else:
            parts.append(f"<!-- {name}: not measured yet -->\n\n")
    (ROOT / "BENCHMARKS.md").write_text("".join(parts).rstrip() + "\n", "utf-8")
    print("wrote BENCHMARKS.md")


if __name__ == "__main__":
    main()
