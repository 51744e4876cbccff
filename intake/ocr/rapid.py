"""RapidOCR (PP-OCR ONNX models shipped inside the `rapidocr` wheel): the default engine.

Only the models inside the wheel are used; choosing any other model would make
rapidocr download it at run time, which this product must never do.
"""
from __future__ import annotations

import logging
from collections import Counter

import numpy as np
from PIL import Image

from ..errors import EngineError
from ..model import Line, Word, box_iou
from .base import clean_text
from .preprocess import remove_red, to_rgb_array
from .settings import RapidSettings, current


def _box(points) -> tuple[int, int, int, int]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (int(min(xs)), int(min(ys)), int(max(xs)), int(max(ys)))


# A known line at or above this confidence is taken as read: its box is not recognised again.
KNOWN_BAR = 0.9

# What `recognize_known` detected and recognised (bench/red_kept.py reports it).
STATS: Counter = Counter()


# A detected box is the box of a known line when they overlap this much (intersection over union):
# the same text found again. A looser overlap (a box the red-free reading cut or merged otherwise:
# 税 and 税额 of a stamped header) is recognised again.
SAME_BOX = 0.75


def _match_known(rects, sure) -> dict[int, Line]:
    """Detected box index -> the sure known line that is the same box (one line per box, best first)."""
    pairs = sorted(((box_iou(r, l.bbox), i, k) for i, r in enumerate(rects) for k, l in enumerate(sure)
                    if box_iou(r, l.bbox) >= SAME_BOX), reverse=True)
    got: dict[int, Line] = {}
    used: set[int] = set()
    for _, i, k in pairs:
        if i not in got and k not in used:
            got[i] = sure[k]
            used.add(k)
    return got


def _recognise_boxes(inner, crops, need):
    """(txts, scores, word results) of the crops `need` names, recognised as `TextRecognizer` would
    in a pass over all crops: it sorts every crop by aspect ratio, cuts batches of `rec_batch_num`
    and pads each crop to its batch's widest ratio. The padding changes what the model sees, so each
    needed crop is padded to the ratio of the batch it would have been in."""
    rec = inner._load_rec_model()
    ratios = [c.shape[1] / float(c.shape[0]) for c in crops]
    order = np.argsort(np.array(ratios))
    _, img_h, img_w = rec.rec_image_shape[:3]
    batch_of: dict[int, float] = {}
    for beg in range(0, len(order), rec.rec_batch_num):
        idx = order[beg:beg + rec.rec_batch_num]
        top = max([img_w / img_h] + [ratios[i] for i in idx])
        for i in idx:
            batch_of[int(i)] = top
    groups: dict[float, list[int]] = {}
    for i in need:
        groups.setdefault(batch_of[i], []).append(i)
    out: dict[int, tuple] = {}
    for top, members in groups.items():
        members.sort(key=lambda i: ratios[i])
        batch = np.concatenate([rec.resize_norm_img(crops[i], top)[np.newaxis, :] for i in members]).astype(np.float32)
        preds = rec.session(batch)
        lines, words = rec.postprocess_op(preds, True, wh_ratio_list=[ratios[i] for i in members],
                                          max_wh_ratio=top)
        for k, i in enumerate(members):
            out[i] = (lines[k][0], float(lines[k][1]), words[k] if words else None)
    return ([out[i][0] for i in need], [out[i][1] for i in need], [out[i][2] for i in need])


def _version_of(rapidocr) -> str:
    # rapidocr 3 has no __version__: "3" is what every cache key made so far holds
    return getattr(rapidocr, "__version__", "3")


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
    settings, `RapidSettings.ov_numerics`; thread pinning, `ov_scheduling`): its CPU config is wrapped
    once to add them (the same for every session of the process, like the graph level)."""
    try:
        from rapidocr.inference_engine.openvino.device_config import CPUConfig
    except ImportError:  # the OpenVINO backend was not chosen or is not installed: the load fails clearly
        return
    original = getattr(CPUConfig, "_docintake_original", None) or CPUConfig.get_config

    def get_config(self):
        return {**original(self), **extra}

    CPUConfig._docintake_original = original
    CPUConfig.get_config = get_config


def _lut_det_preprocess() -> None:
    """The detector's input normalization by table: the same float32 values, ~10x less CPU.

    rapidocr normalizes the resized page as ``(x * 1/255 - mean) / std`` with float64 mean and std,
    so a 2000x2900 page goes through float64 arrays (0.2-0.25 CPU-s a page, 7 % of reading it). A
    uint8 pixel has 256 values: each channel's 256 results, computed by those very operations and
    cast to float32 as rapidocr casts them, are looked up instead. The network gets the same input
    bit for bit (tests/intake/test_ocr.py compares them), so every reading and cache key stays."""
    try:
        from rapidocr.ch_ppocr_det import main as det_main
        from rapidocr.ch_ppocr_det.utils import DetPreProcess
    except ImportError:  # pragma: no cover - rapidocr is a dependency
        return
    if getattr(det_main.TextDetector, "_docintake_lut", False):
        return

    class LutDetPreProcess(DetPreProcess):
        _tables: dict = {}

        def table(self) -> np.ndarray:
            key = (tuple(np.ravel(self.mean)), tuple(np.ravel(self.std)), self.scale)
            lut = self._tables.get(key)
            if lut is None:
                ramp = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)[None]  # 1x256x3
                lut = np.ascontiguousarray(self.normalize(ramp).astype(np.float32)[0].T)  # 3x256
                self._tables[key] = lut
            return lut

        def __call__(self, img: np.ndarray):
            resized = self.resize(img)
            if resized is None:
                return None
            if resized.dtype != np.uint8 or resized.ndim != 3 or resized.shape[2] != 3:
                return super().__call__(img)
            lut = self.table()
            out = np.empty((1, 3) + resized.shape[:2], dtype=np.float32)
            for c in range(3):
                np.take(lut[c], resized[:, :, c], out=out[0, c])
            return out

    def get_preprocess(self):
        return LutDetPreProcess(self.limit_side_len, self.limit_type, self.mean, self.std)

    det_main.TextDetector.get_preprocess = get_preprocess
    det_main.TextDetector._docintake_lut = True


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
        self._version = _version_of(rapidocr)
        self.settings = settings or current()
        if threads is not None:
            self.settings = replace(self.settings, intra_threads=threads)
        _graph_level(self.settings.graph_opt)
        _lut_det_preprocess()
        if self.settings.backend == "openvino":
            _ov_properties({**self.settings.ov_numerics(), **self.settings.ov_scheduling()})
        try:
            inner = RapidOCR(params=self.settings.params())
        except Exception as exc:  # noqa: BLE001 - e.g. the OpenVINO backend chosen but not installed
            raise EngineError(f"RapidOCR 无法加载（{self.settings.backend}）。RapidOCR failed to load with "
                              f"{self.settings.key()}: {exc}") from exc
        self._ocr = _ExplicitCalls(inner)
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)

    def settings_key(self) -> str:
        return self.key_for(self.settings)

    @staticmethod
    def key_for(settings: RapidSettings | None = None) -> str:
        """The key of an engine made with these settings (the configured ones by default), no model loaded."""
        import rapidocr

        settings = settings or current()
        # The settings RapidOCR ran with before they were configurable keep their old key, so the
        # caches made then (tests/extractors/fixtures/ocr) stay valid; any other adds its fields.
        legacy = f"rapidocr-{_version_of(rapidocr)}-redrm1-wordbox"
        return legacy if settings == RapidSettings() else f"{legacy}|{settings.key()}"

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

    def recognize_known(self, image: Image.Image, known, bar: float = KNOWN_BAR) -> list[Line]:
        """The page read again where an earlier reading of it (`known`, the same page's lines in the
        same coordinates) lacks something: the detector runs on the whole image, and only the boxes
        no sure known line covers are recognised; the known lines stand for the others.

        A red-kept second reading of an invoice finds ~64 of its 68 lines already read: recognising
        those again is three quarters of its cost. Each box is cropped and batched as the full pass
        does (`_recognise_boxes`), so a box recognised here reads as it would in `recognize`."""
        from rapidocr.utils.process_img import map_boxes_to_original, map_img_to_original

        known = list(known)
        inner = self._ocr._inner
        arr = to_rgb_array(remove_red(image))
        ori = inner.load_img(arr)
        img, op_record = inner.preprocess_img(ori)
        try:
            crops, det = inner.detect_and_crop(img, op_record)
        except Exception:  # noqa: BLE001 - rapidocr raises its own error for a page with no text box
            STATS["pages"] += 1
            return sorted(known, key=lambda l: (l.bbox[1], l.bbox[0]))
        boxes = map_boxes_to_original(det.boxes.copy(), op_record, *ori.shape[:2])
        rects = [_box(b) for b in boxes]
        same = _match_known(rects, [l for l in known if l.confidence >= bar])
        need = [i for i in range(len(rects)) if i not in same]
        STATS["pages"] += 1
        STATS["boxes"] += len(rects)
        STATS["recognised"] += len(need)
        if not need:
            return sorted(same.values(), key=lambda l: (l.bbox[1], l.bbox[0]))
        txts, scores, words = _recognise_boxes(inner, crops, need)
        ratio_h, ratio_w = op_record["preprocess"]["ratio_h"], op_record["preprocess"]["ratio_w"]
        new: list[Line] = []
        for j, i in enumerate(need):
            text = txts[j]
            if not text.strip() or scores[j] < inner.text_score:
                continue
            ws: tuple[Word, ...] = ()
            if words[j]:
                orig = map_img_to_original([crops[i]], ratio_h, ratio_w)
                from rapidocr.ch_ppocr_rec import TextRecOutput

                got = inner.calc_word_boxes(orig, boxes[i:i + 1],
                                            TextRecOutput(txts=(text,), scores=(scores[j],), word_results=(words[j],)))
                ws = tuple(Word(w[0], _box(w[2]), float(w[1])) for w in (got[0] if got else ()) if w and w[0].strip())
            text = clean_text(text)
            if text:
                new.append(Line(text=text, bbox=rects[i], confidence=float(scores[j]), words=ws))
        # The detector's boxes are the reading, as in a full pass: a known line that is none of them
        # (a red-free reading's cut of a stamped header) is left out, not kept beside its new version.
        return sorted(list(same.values()) + new, key=lambda l: (l.bbox[1], l.bbox[0]))

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
