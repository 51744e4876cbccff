"""Document-type and packet files, and their one reader (`schemas.registry`).

    from schemas import load_registry, doc_title, field_label, packet_title
"""
from __future__ import annotations

from .registry import (  # noqa: F401 - the package's interface
    DEFAULT_CONFIDENCE_THRESHOLD,
    DocType,
    FieldSpec,
    Registry,
    SchemaProblem,
    check_schemas,
    clear_cache,
    doc_source,
    doc_title,
    field_label,
    is_personal,
    load_registry,
    packet_title,
    packet_titles,
    personal_fields,
    type_order,
    type_schema,
)
