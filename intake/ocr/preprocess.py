"""Image preparation shared by the OCR engines (moved to intake/imaging.py, which extraction may import)."""
from __future__ import annotations

from ..imaging import remove_red, to_rgb_array

__all__ = ["remove_red", "to_rgb_array"]
