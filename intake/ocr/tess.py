"""Tesseract through pytesseract: the design card's engine, selectable per run or per schema.

`chi_sim` only (not `chi_sim+eng`): measured, the English model turns Chinese
amounts into Latin junk and costs ~40% more time. Tesseract is run as a
subprocess with a timeout so a pathological page cannot hang a worker.
"""
from __future__ import annotations

import re
import shutil

from PIL import Image

from ..errors import EngineError
from ..model import Line, Word
from .base import clean_text
from .preprocess import remove_red

TIMEOUT_S = 120


class TesseractEngine:
    name = "tesseract"

    def __init__(self, lang: str | None = None, psm: int = 6):
        if not shutil.which("tesseract"):
            raise EngineError(
                "未找到 Tesseract。Tesseract is not installed: run `make run` (it installs tesseract-ocr "
                "and tesseract-ocr-chi-sim) or `apt-get install tesseract-ocr tesseract-ocr-chi-sim`."
            )
        import pytesseract

        self._pt = pytesseract
        langs = set(pytesseract.get_languages(config=""))
        if lang is None:
            lang = "chi_sim" if "chi_sim" in langs else "eng"
        if lang.split("+")[0] not in langs:
            raise EngineError(f"Tesseract 缺少语言包 {lang}。Install tesseract-ocr-chi-sim.")
        self.lang = lang
        self.psm = psm
        self._version = str(pytesseract.get_tesseract_version())

    def settings_key(self) -> str:
        return f"tesseract-{self._version}-{self.lang}-psm{self.psm}-redrm1"

    def recognize(self, image: Image.Image) -> list[Line]:
        img = remove_red(image).convert("L")
        try:
            data = self._pt.image_to_data(
                img,
                lang=self.lang,
                config=f"--psm {self.psm}",
                output_type=self._pt.Output.DICT,
                timeout=TIMEOUT_S,
            )
        except RuntimeError as exc:  # pytesseract raises RuntimeError on timeout
            raise EngineError(f"Tesseract 超时 ({TIMEOUT_S}s)。Tesseract timed out on a page.") from exc
        groups: dict[tuple, list[int]] = {}
        for i, text in enumerate(data["text"]):
            if not text or not text.strip():
                continue
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            groups.setdefault(key, []).append(i)
        lines: list[Line] = []
        for idxs in groups.values():
            words = []
            for i in idxs:
                x, y, w, h = data["left"][i], data["top"][i], data["width"][i], data["height"][i]
                conf = max(float(data["conf"][i]), 0.0) / 100.0
                words.append(Word(data["text"][i].strip(), (x, y, x + w, y + h), conf))
            text = clean_text(" ".join(w.text for w in words))
            if not text:
                continue
            bbox = (
                min(w.bbox[0] for w in words),
                min(w.bbox[1] for w in words),
                max(w.bbox[2] for w in words),
                max(w.bbox[3] for w in words),
            )
            conf = sum(w.confidence for w in words) / len(words)
            lines.append(Line(text=text, bbox=bbox, confidence=conf, words=tuple(words)))
        lines.sort(key=lambda l: (l.bbox[1], l.bbox[0]))
        return lines

    def detect_rotation(self, image: Image.Image) -> int:
        """Tesseract's OSD; 0 when it abstains (too little text, or low confidence)."""
        try:
            osd = self._pt.image_to_osd(image.convert("L"), config="--psm 0", timeout=60)
        except Exception:
            return 0
        m = re.search(r"Rotate:\s*(\d+)", osd)
        c = re.search(r"Orientation confidence:\s*([\d.]+)", osd)
        if not m or (c and float(c.group(1)) < 2.0):
            return 0
        return int(m.group(1)) % 360
