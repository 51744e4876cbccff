"""Document types for extraction: the schema registry (`schemas.registry`) plus the checks
only extraction can make (strategy and normalizer names).

``schemas.registry`` is the one reader of the files and keeps the one cache; this module
adds its checker there on import, so a schema naming an unknown strategy stops loading
wherever extraction runs (and ``docintake schemas check`` reports it).
"""
from __future__ import annotations

from typing import Any

from schemas.registry import (  # noqa: F401 - re-exported: extraction's view of the registry
    ENV_DIRS,
    META_SCHEMA_NAME,
    DocType,
    FieldSpec,
    Registry,
    SchemaProblem,
    add_checker,
    builtin_dir,
    check_file,
    check_schemas,
    extract_specs,
    clear_cache,
    load_registry,
    meta_schema,
    schema_dirs,
    schema_files,
)


def _extraction_problems(name: str, schema: dict[str, Any]) -> list[tuple[str, str]]:
    """Every x-extract spec names a registered strategy and normalizer."""
    from . import normalize, strategies

    problems: list[tuple[str, str]] = []
    for base, spec in extract_specs(schema):
        st = spec.get("strategy")
        if st and st not in strategies.STRATEGIES:
            problems.append(
                (f"{base}/strategy", f"unknown strategy {st!r}; known: {', '.join(sorted(strategies.STRATEGIES))}")
            )
        nz = spec.get("normalizer")
        if nz and nz not in normalize.NORMALIZERS:
            problems.append(
                (f"{base}/normalizer", f"unknown normalizer {nz!r}; known: {', '.join(sorted(normalize.NORMALIZERS))}")
            )
    return problems


add_checker("extraction", _extraction_problems)
