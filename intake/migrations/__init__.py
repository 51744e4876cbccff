"""Explicit, numbered schema migrations.

Each module `mNNNN_<name>.py` defines `VERSION = NNNN` and `def up(db)` taking a
`sqlite_utils.Database`. They run in order, once each, inside a transaction,
and the `schema_version` table records which ran. Never edit a migration that
has landed: add a new one.
"""
from __future__ import annotations

import importlib
import pkgutil


def all_migrations():
    mods = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("m") and info.name[1:5].isdigit():
            mods.append(importlib.import_module(f"{__name__}.{info.name}"))
    mods.sort(key=lambda m: m.VERSION)
    versions = [m.VERSION for m in mods]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"duplicate migration versions: {versions}")
    return mods


def run_script(db, sql: str) -> None:
    """Execute `;`-separated DDL inside the caller's transaction.

    (`executescript` would COMMIT first and break the migration's atomicity.)
    """
    for statement in sql.split(";\n"):
        if statement.strip():
            db.conn.execute(statement)
