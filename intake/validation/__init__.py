"""Validation: document schemas, Xuchang jurisdiction, seals, validity, packet rules, routing.

    from intake.validation import validate_document, decide, Decision, SqliteHistory, NoHistory
"""
from __future__ import annotations

from .decide import Decision, decide
from .document import reset_schema_cache, type_schema, validate_document
from .history import History, MemoryHistory, NoHistory, PriorContract, SqliteHistory
from .packets import load_packets
from .rules import RULES

__all__ = ["validate_document", "decide", "Decision", "History", "NoHistory", "SqliteHistory", "MemoryHistory",
           "PriorContract", "RULES", "load_packets", "type_schema", "reset_schema_cache"]
