"""The settings of an ingest run (`docintake ingest`/`watch`): where the data lives, which engine reads.

Its own module so that the pipeline's helpers (taking.py, archived.py) can name it without
importing the pipeline that calls them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

# A file whose processing failed (or crashed the process) this many times is quarantined.
MAX_ATTEMPTS = 3


@dataclass
class Settings:
    data_dir: Path = Path("data")
    engine: str = "rapidocr"
    as_of: date | None = None
    workers: int | None = None
    progress: bool | None = None
    settle: float = 2.0  # seconds a file's mtime must lie in the past before `ingest` takes it
    max_attempts: int = MAX_ATTEMPTS
    verify_text_layer: bool = True  # OCR spot check of text layers (a broken ToUnicode map reads as garbage)

    def __post_init__(self) -> None:
        # Stored paths (archive, pages, quarantine) must not depend on the working directory.
        self.data_dir = Path(self.data_dir).resolve()

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def pages_dir(self) -> Path:
        return self.data_dir / "pages"

    @property
    def locks_dir(self) -> Path:
        return self.data_dir / "locks"
