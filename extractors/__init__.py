"""Document types as schema files; classification and field extraction.

The pipeline calls ``extract_pages(pages, images, file_name, engine_name)``;
``explain(documents)`` renders how each field was found. Both are imported
lazily so that ``extractors.registry`` and ``extractors.codes`` stay light.
"""
from __future__ import annotations


def extract_pages(pages, images, file_name, engine_name="rapidocr", registry=None, reader=None):
    from .extract import extract_pages as _extract_pages

    return _extract_pages(pages, images, file_name, engine_name, registry, reader)


def explain(documents) -> str:
    from .extract import explain as _explain

    return _explain(documents)


__all__ = ["extract_pages", "explain"]
