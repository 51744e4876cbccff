"""The `RegionReader` extraction is given (see `model.RegionReader`): through the runner and the OCR cache.

Extraction re-reads regions (a doubtful value's crop, a page with red print kept, a page
with a schema's own engine, a seal ring). It never loads an engine itself; the pipeline and
`docintake extract` pass an `OcrReader`, which reads through `OcrRunner.read_region` and keeps
each result in the OCR cache under the region's pixels plus the engine's settings and the
kind of reading, so a resumed or repeated run reads nothing twice.
"""
from __future__ import annotations

from PIL import Image

from .model import Line
from .ocr.runner import (OcrResult, OcrRunner, cache_get, cache_key_of, cache_put, image_key, known_key,
                         read_region)


class EngineReader:
    """Reads in this process with the named engines, nothing cached (benchmarks, tests without a database)."""

    def __init__(self, engine: str = "rapidocr"):
        self.engine = engine

    def read(self, image: Image.Image, engine: str | None = None, keep_red: bool = False,
             line: bool = False, known=None) -> list[Line]:
        return read_region(image, engine or self.engine, keep_red, line, known)


class OcrReader:
    """The pipeline's reader: `runner.read_region`, cached in the database's `ocr_cache` when one is given."""

    def __init__(self, runner: OcrRunner, db=None):
        self.runner = runner
        self.db = db
        self._settings: dict[str, str] = {}

    def settings_key(self, engine: str) -> str:
        if engine not in self._settings:
            if engine == self.runner.engine:
                self._settings[engine] = self.runner.settings_key()
            else:
                from .ocr.base import settings_key_of

                self._settings[engine] = settings_key_of(engine)
        return self._settings[engine]

    def cache_key(self, image: Image.Image, engine: str, line: bool, known=None) -> str:
        # "|line" is also the key of the text-layer spot check's crops (pages.py): the same reading
        kind = "|line" if line else "|region"
        if known is not None and not line:
            kind += "|known:" + known_key(known)  # what was known decides what is recognised
        return cache_key_of(image_key(image), self.settings_key(engine) + kind)

    def read(self, image: Image.Image, engine: str | None = None, keep_red: bool = False,
             line: bool = False, known=None) -> list[Line]:
        engine = engine or self.runner.engine
        if keep_red:
            image = image.convert("L")  # what is read is the gray image: the cache keys it
        if self.db is None:
            return self.runner.read_region(image, engine, False, line, known)
        key = self.cache_key(image, engine, line, known)
        hit = cache_get(self.db, key)
        if hit is not None:
            return hit.lines
        lines = self.runner.read_region(image, engine, False, line, known)
        cache_put(self.db, key, engine, OcrResult(list(lines), 0))
        return lines
