"""One module per document type. Each exposes:

- ``defaults(rng, as_of) -> dict``: coherent values (contract keys, normalized) plus render options
- ``render(v, dpi, rng) -> list[Page]``
- ``fields(v) -> dict``: the truth fields for what was printed (contract keys only)
"""
from datetime import date


def d(v) -> date:
    return v if isinstance(v, date) else date.fromisoformat(v)


def opt_date(v):
    return None if v in (None, "", "长期") else d(v)
