"""The OCR engine interface and its registry.

An engine turns a page image into `Line`s with boxes and confidences. Engines
are looked up by name; a third-party engine registers itself under the
``docintake.ocr_engines`` entry-point group (a class with the same shape).
"""
from __future__ import annotations

import os
import re
from importlib.metadata import entry_points
from typing import Protocol

from PIL import Image

from ..errors import EngineError
from ..model import Line, Word

# Engines put spaces between CJK characters (and between a CJK character and a
# digit); readers never want them. Spaces between two Latin/digit tokens stay.
_CJK = r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]"
_SPACE_NEAR_CJK = re.compile(rf"(?<={_CJK})\s+|\s+(?={_CJK})")


def clean_text(text: str) -> str:
    return _SPACE_NEAR_CJK.sub("", text).strip()


class OcrEngine(Protocol):
    name: str

    def settings_key(self) -> str:
        """A string that changes whenever the engine's output could change (cache key)."""

    def recognize(self, image: Image.Image) -> list[Line]:
        """Read the whole page image."""

    def detect_rotation(self, image: Image.Image) -> int:
        """Clockwise rotation (0/90/180/270) that makes the page upright."""


_BUILTIN = {
    "rapidocr": "intake.ocr.rapid:RapidOcrEngine",
    "tesseract": "intake.ocr.tess:TesseractEngine",
}
_instances: dict[str, OcrEngine] = {}


def available_engines() -> list[str]:
    names = set(_BUILTIN)
    names.update(ep.name for ep in entry_points(group="docintake.ocr_engines"))
    return sorted(names)


def _load(spec: str):
    module, _, attr = spec.partition(":")
    mod = __import__(module, fromlist=[attr])
    return getattr(mod, attr)


def get_engine(name: str = "rapidocr") -> OcrEngine:
    """One engine instance per process (models load once, workers reuse them)."""
    if name in _instances:
        return _instances[name]
    _instances[name] = _engine_class(name)()
    return _instances[name]


def _engine_class(name: str):
    if name in _BUILTIN:
        return _load(_BUILTIN[name])
    eps = [ep for ep in entry_points(group="docintake.ocr_engines") if ep.name == name]
    if not eps:
        raise EngineError(
            f"未知的 OCR 引擎 “{name}”。Unknown OCR engine {name!r}; available: {', '.join(available_engines())}"
        )
    return eps[0].load()


def settings_key_of(name: str = "rapidocr") -> str:
    """The engine's `settings_key` without loading its models where the engine can tell it so (a
    static `key_for()`): a coordinator whose pages are read by workers needs the key, not the engine."""
    if name in _instances:
        return _instances[name].settings_key()
    key_for = getattr(_engine_class(name), "key_for", None)
    if key_for is not None:
        return key_for()
    limit_threads()
    return get_engine(name).settings_key()


def limit_threads() -> None:
    """One thread per worker process: the pool provides the parallelism.

    Tesseract's OpenMP threads make it ~4x slower on two cores and onnxruntime
    would oversubscribe the same cores, so both are pinned before any engine loads.
    """
    for var in ("OMP_THREAD_LIMIT", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    try:
        import cv2

        cv2.setNumThreads(1)
    except Exception:  # pragma: no cover - cv2 is a hard dependency, but never fail on this
        pass


def words_from_chars(text: str, bbox, confidence: float) -> tuple[Word, ...]:
    """Split a line box evenly into per-character words when an engine gives none."""
    x0, y0, x1, y1 = bbox
    chars = [c for c in text]
    if not chars:
        return ()
    step = (x1 - x0) / len(chars)
    return tuple(
        Word(c, (int(x0 + i * step), y0, int(x0 + (i + 1) * step), y1), confidence)
        for i, c in enumerate(chars)
        if not c.isspace()
    )


def _engine_problems(name: str, schema: dict) -> list[tuple[str, str]]:
    """A schema's ``x-ocr-engine`` names an available engine (checked by the schema registry)."""
    engine = schema.get("x-ocr-engine")
    if engine and engine not in available_engines():
        return [("/x-ocr-engine", f"unknown OCR engine {engine!r}; available: {', '.join(available_engines())}")]
    return []


def _register_schema_check() -> None:
    from schemas.registry import add_checker

    add_checker("ocr_engine", _engine_problems)


_register_schema_check()
