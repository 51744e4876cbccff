"""What every normalizer module shares: the result type, the registry, digit confusions.

Kept apart from extractors/normalize.py so that dates.py and money.py can register
normalizers without importing the module that imports them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Normalized:
    """A normalizer's reading of a raw text.

    ``certainty`` (0..1) is multiplied into the field's confidence; ``repairs`` says
    in words what was changed to reach ``value`` (``'mail domain 99.com→qq.com'``),
    so the explain output can show it. A repaired value always has certainty < 1.
    """

    value: Any
    certainty: float = 1.0
    repairs: tuple[str, ...] = ()


NORMALIZERS: dict[str, Callable[[str], Normalized | None]] = {}


def normalizer(name: str):
    def deco(fn):
        NORMALIZERS[name] = fn
        return fn

    return deco


_DIGIT_TABLE = {"O": "0", "o": "0", "D": "0", "Q": "0", "〇": "0", "I": "1", "l": "1", "L": "1", "|": "1",
                "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "G": "6", "b": "6", "g": "9", "q": "9"}
_DIGIT_PAT = re.compile(r"(?<=\d)[OoDQ〇IlL|ZzSsBGbgq]|[OoDQ〇IlL|ZzSsBG](?=\d)")


def digit_confusions(s: str) -> str:
    """Letters OCR reads for digits, replaced where they sit among digits."""
    for _ in range(4):
        t = _DIGIT_PAT.sub(lambda m: _DIGIT_TABLE[m.group(0)], s)
        if t == s:
            break
        s = t
    return s
