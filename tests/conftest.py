"""Shared fixtures: a CJK font, rendered text pages, a fresh database and settings."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def _font_path(family: str = "Noto Sans CJK SC") -> str:
    out = subprocess.run(["fc-match", "-f", "%{file}", f"{family}:lang=zh"], capture_output=True, text=True)
    return out.stdout.strip()


@pytest.fixture(scope="session")
def cjk_font() -> str:
    path = _font_path()
    if not path:
        pytest.fail("no CJK font installed: run `make test` (it installs fonts-noto-cjk)")
    return path


def render_lines(lines: list[str], font_path: str, size: int = 44, width: int = 2000, margin: int = 120,
                 mode: str = "RGB") -> Image.Image:
    """A page of black text lines on white, as a 300 dpi scan of 15-pt print would look."""
    font = ImageFont.truetype(font_path, size)
    height = margin * 2 + len(lines) * int(size * 2)
    img = Image.new(mode, (width, height), "white")
    draw = ImageDraw.Draw(img)
    for i, text in enumerate(lines):
        draw.text((margin, margin + i * int(size * 2)), text, font=font, fill="black")
    return img


@pytest.fixture(scope="session")
def text_page(cjk_font):
    def make(lines, **kw):
        return render_lines(lines, cjk_font, **kw)

    return make


@pytest.fixture
def db(tmp_path):
    from intake.db import connect

    return connect(tmp_path / "data" / "docintake.db")


@pytest.fixture
def settings(tmp_path):
    from intake.pipeline import Settings

    return Settings(data_dir=tmp_path / "data", workers=1, progress=False)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return SHARED


# Property tests explore with a fixed seed in CI: a new random example on every run would make a
# green build turn red by luck. Run `pytest --hypothesis-profile=explore` to search afresh.
from hypothesis import settings as _hsettings  # noqa: E402

_hsettings.register_profile("ci", derandomize=True, print_blob=True)
_hsettings.register_profile("explore", derandomize=False)
_hsettings.load_profile("ci")


def serve_region_reads(monkeypatch, hook) -> None:
    """Region re-reads (red kept, crops, seal bands) answered by ``hook(image, engine)`` (a test's
    committed OCR readings) instead of the engine; one-line reads still go to the engine."""
    import intake.ocr.runner as runner_mod

    real = runner_mod.read_region

    def via_hook(image, engine_name, keep_red=False, line=False, known=None):  # committed full readings
        if line:
            return real(image, engine_name, keep_red, line)
        return hook(image.convert("L") if keep_red else image, engine_name)

    monkeypatch.setattr(runner_mod, "read_region", via_hook)
