"""The page images of one file, decoded on demand and only a few at a time.

The pipeline hands extraction the paths of the rendered page PNGs, not decoded images:
a 200-page file would otherwise be decoded whole as extraction touches its pages (up to
the per-file pixel budget, 400 MP x 3 bytes = 1.2 GB). `PageImages` opens a page when a
strategy asks for its pixels and keeps at most `WINDOW` decoded; older ones are dropped
(not closed: a caller may still be using one, and Python frees it when that caller is done).
Callers that pass decoded `Image`s (tests, benchmarks) keep them as they are.
"""
from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Sequence

from PIL import Image

# Decoded pages kept at once: a document's pages are usually 1-3, and a page is decoded
# again only when extraction comes back to it after more than this many others.
WINDOW = 4


class PageImages(Sequence):
    def __init__(self, items: Sequence, window: int = WINDOW):
        self._items = list(items)
        self._window = max(1, window)
        self._open: OrderedDict[int, Image.Image] = OrderedDict()
        self.decoded = 0  # pages decoded from disk, for tests and the benchmark

    @classmethod
    def of(cls, images) -> "PageImages":
        return images if isinstance(images, cls) else cls(images)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        item = self._items[i]
        if item is None or isinstance(item, Image.Image):
            return item
        i = i % len(self._items)
        img = self._open.get(i)
        if img is None:
            img = Image.open(Path(item))
            img.load()
            self.decoded += 1
            self._open[i] = img
            while len(self._open) > self._window:
                self._open.popitem(last=False)
        else:
            self._open.move_to_end(i)
        return img

    def held(self, i: int) -> Image.Image | None:
        """The image if it is already in memory (a caller's decoded image), without decoding a path."""
        item = self._items[i]
        return item if isinstance(item, Image.Image) else self._open.get(i % len(self._items))

    def mode(self, i: int) -> str | None:
        """The image's mode from the file header (no decoding)."""
        item = self._items[i]
        if item is None:
            return None
        if isinstance(item, Image.Image):
            return item.mode
        held = self._open.get(i % len(self._items))
        if held is not None:
            return held.mode
        with Image.open(Path(item)) as img:
            return img.mode

    def subset(self, idx: Sequence[int]) -> "PageSubset":
        """The pages at `idx` (one document), decoded through this object's window."""
        return PageSubset(self, list(idx))

    def release(self) -> None:
        self._open.clear()


class PageSubset(Sequence):
    """Some pages of a `PageImages` (one document's), sharing its window of decoded pages."""

    def __init__(self, parent: PageImages, idx: list[int]):
        self._parent = parent
        self._idx = idx

    def __len__(self) -> int:
        return len(self._idx)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[j] for j in range(*k.indices(len(self)))]
        return self._parent[self._idx[k]]

    def held(self, k: int):
        return self._parent.held(self._idx[k])

    def mode(self, k: int):
        return self._parent.mode(self._idx[k])
