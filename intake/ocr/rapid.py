"""RapidOCR (PP-OCR ONNX models shipped inside the `rapidocr` wheel): the default engine.

Only the models inside the wheel are used; choosing any other model would make
rapidocr download it at run time, which this product must never do.
"""
from __future__ import annotations

import logging

import numpy as np
from PIL import Image

from ..errors import EngineError
from ..model import Line, Word
from .base import clean_text
from .preprocess import remove_red, to_rgb_array
from .settings import RapidSettings, current


def _box(points) -> tuple[int, int, int, int]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (int(min(xs)), int(min(ys)), int(max(xs)), int(max(ys)))


class _ExplicitCalls:
    """RapidOCR remembers the step flags of the previous call (`update_params`):
    a call that omits them would silently run with another caller's settings.
    Every call through this wrapper states all of them."""

    DEFAULTS = {"use_det": True, "use_cls": False, "use_rec": True, "return_word_box": False}

    def __init__(self, ocr):
        self._inner = ocr

    def __call__(self, img, **kw):
        return self._inner(img, **{**self.DEFAULTS, **kw})


def _graph_level(level: str) -> None:
    """onnxruntime's graph optimization level: rapidocr always sets ORT_ENABLE_ALL, so its session
    options are wrapped once to apply the configured level (the same for every session of the process)."""
    try:
        from onnxruntime import GraphOptimizationLevel
        from rapidocr.inference_engine.onnxruntime import main as ort_main
    except ImportError:  # pragma: no cover - onnxruntime is a dependency
        return
    cls = ort_main.OrtInferSession
    original = getattr(cls, "_docintake_original_opts", None) or cls._init_sess_opts
    value = {"disabled": GraphOptimizationLevel.ORT_DISABLE_ALL, "basic": GraphOptimizationLevel.ORT_ENABLE_BASIC,
             "extended": GraphOptimizationLevel.ORT_ENABLE_EXTENDED, "all": GraphOptimizationLevel.ORT_ENABLE_ALL}[level]

    def opts(cfg):
        o = original(cfg)
        o.graph_optimization_level = value
        return o

    cls._docintake_original_opts = original
    cls._init_sess_opts = staticmethod(opts)


def _ov_properties(extra: dict) -> None:
    """OpenVINO CPU properties rapidocr does not pass (inference precision and the other numerics
    settings, `RapidSettings.ov_numerics`): its CPU config is wrapped once to add them (the same for
    every session of the process, like the graph level)."""
    try:
        from rapidocr.inference_engine.openvino.device_config import CPUConfig
    except ImportError:  # the OpenVINO backend was not chosen or is not installed: the load fails clearly
        return
    original = getattr(CPUConfig, "_docintake_original", None) or CPUConfig.get_config

    def get_config(self):
        return {**original(self), **extra}

    CPUConfig._docintake_original = original
    CPUConfig.get_config = get_config


class RapidOcrEngine:
    name = "rapidocr"

    def __init__(self, threads: int | None = None, settings: RapidSettings | None = None):
        try:
            import rapidocr
            from rapidocr import RapidOCR
        except ImportError as exc:  # pragma: no cover - dependency of the project
            raise EngineError("RapidOCR 未安装。Install the project (make run) to get rapidocr and onnxruntime.") from exc
        from dataclasses import replace

        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        self._version = getattr(rapidocr, "__version__", "3")
        self.settings = settings or current()
        if threads is not None:
            self.settings = replace(self.settings, intra_threads=threads)
        _graph_level(self.settings.graph_opt)
        if self.settings.backend == "openvino":
            _ov_properties(self.settings.ov_numerics())
        try:
            inner = RapidOCR(params=self.settings.params())
        except Exception as exc:  # noqa: BLE001 - e.g. the OpenVINO backend chosen but not installed
            raise EngineError(f"RapidOCR 无法加载（{self.settings.backend}）。RapidOCR failed to load with "
                              f"{self.settings.key()}: {exc}") from exc
        self._ocr = _ExplicitCalls(inner)
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)

    def settings_key(self) -> str:
        # The settings RapidOCR ran with before they were configurable keep their old key, so the
        # caches made then (tests/extractors/fixtures/ocr) stay valid; any other adds its fields.
        legacy = f"rapidocr-{self._version}-redrm1-wordbox"
        return legacy if self.settings == RapidSettings() else f"{legacy}|{self.settings.key()}"

    def recognize(self, image: Image.Image) -> list[Line]:
        arr = to_rgb_array(remove_red(image))
        # No per-line direction classifier: an upside-down page must read badly so
        # that page orientation detection is triggered (see ocr.runner).
        result = self._ocr(arr, use_det=True, use_cls=False, use_rec=True, return_word_box=True)
        if result is None or result.boxes is None or result.txts is None:
            return []
        lines: list[Line] = []
        word_results = result.word_results or [()] * len(result.txts)
        for box, text, score, words in zip(result.boxes, result.txts, result.scores, word_results):
            text = clean_text(text)
            if not text:
                continue
            ws = tuple(
                Word(w[0], _box(w[2]), float(w[1])) for w in (words or ()) if w and w[0].strip()
            )
            lines.append(Line(text=text, bbox=_box(box), confidence=float(score), words=ws))
        lines.sort(key=lambda l: (l.bbox[1], l.bbox[0]))
        return lines

    def read_line(self, image: Image.Image) -> str:
        """The text of a crop holding one line: recognition only (no detector), ~10x cheaper than a page."""
        import numpy as np

        rec = self._ocr(np.asarray(image.convert("RGB")), use_det=False, use_cls=False, use_rec=True,
                        return_word_box=False)
        txts = getattr(rec, "txts", None) or ()
        return clean_text("".join(t for t in txts if t))

    def read_crop(self, image: Image.Image) -> list[Line]:
        """Read a small crop (a single field) without the detector's page heuristics."""
        return self.recognize(image)

    def detect_rotation(self, image: Image.Image) -> int:
        """Page orientation from the text itself.

        Text boxes taller than wide mean the page lies on its side; the
        recogniser's confidence on a sample of boxes then tells upright from
        upside down. Works on Chinese where Tesseract's OSD often abstains.
        """
        small = image.convert("RGB")
        scale = 1600 / max(small.size)
        if scale < 1:
            small = small.resize((int(small.width * scale), int(small.height * scale)))
        arr = to_rgb_array(small)
        det = self._ocr(arr, use_det=True, use_cls=False, use_rec=False, return_word_box=False)
        boxes = getattr(det, "boxes", None)
        if boxes is None or len(boxes) == 0:
            return 0
        rects = [_box(b) for b in boxes]
        tall = sum(1 for x0, y0, x1, y1 in rects if (y1 - y0) > 1.5 * (x1 - x0))
        wide = sum(1 for x0, y0, x1, y1 in rects if (x1 - x0) > 1.5 * (y1 - y0))
        candidates = (90, 270) if tall > wide else (0, 180)
        # Score the largest boxes both ways; the upright reading is far more confident.
        rects.sort(key=lambda r: (r[2] - r[0]) * (r[3] - r[1]), reverse=True)
        sample = rects[:12]
        scores = {}
        for angle in candidates:
            total = 0.0
            for x0, y0, x1, y1 in sample:
                crop = small.crop((x0, y0, x1, y1))
                # PIL rotates counter-clockwise; our angles are clockwise corrections.
                crop = crop.rotate(-angle, expand=True)
                rec = self._ocr(np.asarray(crop), use_det=False, use_cls=False, use_rec=True, return_word_box=False)
                s = getattr(rec, "scores", None)
                txts = getattr(rec, "txts", None)
                if s is not None and len(s) and txts:
                    total += float(s[0]) * min(len(txts[0]), 10)
            scores[angle] = total
        return max(candidates, key=lambda a: scores[a])
