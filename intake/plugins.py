"""Plugins: one mechanism (pluggy, which Datasette already brings) for what a site adds from
its own package: OCR engines, extraction strategies, normalizers, packet rule kinds and
export formats.

A site package declares an entry point in the ``docintake`` group pointing at a module (or
object) with ``@hookimpl`` functions::

    [project.entry-points.docintake]
    mysite = "mysite.docintake_hooks"

    # mysite/docintake_hooks.py
    from intake.plugins import hookimpl

    @hookimpl
    def docintake_normalizers():
        return {"plate": normalize_plate}      # fn(raw) -> extractors.normbase.Normalized | None

`install()` (called once by the CLI before any command runs) asks every plugin and adds what
they return to the product's registries; a name that is already taken is refused, never
silently replaced. Schemas and packet files then name the new strategy, normalizer or rule
kind like a built-in one.
"""
from __future__ import annotations

from typing import Any, Callable

import pluggy

from .errors import ConfigError

PROJECT = "docintake"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class Specs:
    @hookspec
    def docintake_ocr_engines(self) -> dict[str, type]:
        """``{name: engine class}``: a class with ``name``, ``settings_key()``, ``recognize(image)``,
        ``detect_rotation(image)`` (see intake/ocr/base.py), built once per worker process."""

    @hookspec
    def docintake_strategies(self) -> dict[str, Callable]:
        """``{name: fn(ctx, spec) -> candidates}``, as `extractors.strategies.strategy` registers."""

    @hookspec
    def docintake_normalizers(self) -> dict[str, Callable]:
        """``{name: fn(raw: str) -> Normalized | None}``, as `extractors.normbase.normalizer` registers."""

    @hookspec
    def docintake_rule_kinds(self) -> dict[str, Callable]:
        """``{name: fn(ctx, entry, params) -> findings}``, as `intake.validation.kinds.kind` registers."""

    @hookspec
    def docintake_export_formats(self) -> dict[str, Callable]:
        """``{format: fn(records, columns, out) -> count}``, beside csv/jsonl/json/xlsx."""


def manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(Specs)
    if load_entry_points:
        pm.load_setuptools_entrypoints(PROJECT)
    return pm


def _targets() -> dict[str, tuple[dict, Callable[[str, Any], Any]]]:
    """Hook name → (the registry it fills, how a value is stored there)."""
    from extractors.normbase import NORMALIZERS
    from extractors.strategies import STRATEGIES

    from . import export
    from .ocr import base as ocr_base
    from .validation.kinds import KINDS

    return {
        "docintake_ocr_engines": (ocr_base._BUILTIN, lambda name, cls: f"{cls.__module__}:{cls.__qualname__}"),
        "docintake_strategies": (STRATEGIES, lambda name, fn: fn),
        "docintake_normalizers": (NORMALIZERS, lambda name, fn: fn),
        "docintake_rule_kinds": (KINDS, lambda name, fn: fn),
        "docintake_export_formats": (export.WRITERS, lambda name, fn: fn),
    }


def install(pm: pluggy.PluginManager | None = None) -> dict[str, list[str]]:
    """Add every plugin's contributions to the registries; ``{hook: names added}``."""
    pm = pm or manager()
    added: dict[str, list[str]] = {}
    if not pm.get_plugins():
        return added  # nothing installed: the registries (and their heavy modules) stay untouched
    for hook, (registry, store) in _targets().items():
        for contribution in getattr(pm.hook, hook)():
            for name, value in (contribution or {}).items():
                stored = store(name, value)
                if name in registry and registry[name] != stored:
                    raise ConfigError(f"插件注册的名称 “{name}” 已被占用（{hook}）。"
                                      f"Plugin name {name!r} for {hook} is already taken.")
                registry[name] = stored
                added.setdefault(hook, []).append(name)
    if added:
        from schemas.registry import clear_cache

        clear_cache()  # schemas naming a plugin's strategy or normalizer are checked again
    return added
