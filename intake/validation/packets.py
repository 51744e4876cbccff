"""Packets as data: ``schemas/packets/*.json`` (meta-schema ``_packet.schema.json``).

A packet names the documents it needs (``role`` → alternative ``types``) and its
cross-document rules.  A rule entry is ``{"rule": <rule id>, <kind>: <params>, "source": …,
"message": …}``: the kind is looked up by name in `kinds.KINDS`, so a new rule of an
existing kind is only data.  References are ``[role or document type, field]``.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

from jsonschema import Draft202012Validator

from schemas.registry import PACKET_META_NAME as META_SCHEMA
from schemas.registry import builtin_dir, load_registry, packet_meta_schema, read_packet_dir

from ..errors import SchemaError
from .context import DocRequirement, PacketContext, PacketSpec, Ref  # noqa: F401 - re-exported
from .kinds import KINDS
from .rules import RULES

PACKET_DIR = builtin_dir() / "packets"
UNKNOWN = "unknown"


def rule_kind(entry: dict) -> str:
    if "kind" in entry:
        return entry["kind"]
    names = [k for k in entry if k in KINDS]
    if len(names) != 1:
        raise SchemaError(f"规则 {entry.get('rule')} 应恰好指明一种规则类型（{', '.join(sorted(KINDS))}），实为 {names}。"
                          f"Rule {entry.get('rule')} must name exactly one kind.")
    return names[0]


def rule_params(entry: dict) -> Any:
    return entry.get(rule_kind(entry)) if "kind" not in entry else entry.get("params", entry.get(entry["kind"]))


# Parameters that hold plain text lists, never references (two labels are no [role, field]).
_TEXT_PARAMS = frozenset({"labels", "keywords", "negations", "separators"})


def _refs_in(obj: Any) -> Iterable[list]:
    if isinstance(obj, list) and len(obj) == 2 and all(isinstance(x, str) for x in obj):
        yield obj
    elif isinstance(obj, list):
        for x in obj:
            yield from _refs_in(x)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if k not in _TEXT_PARAMS:
                yield from _refs_in(v)


def parse_packet(data: dict, path: str = "<dict>") -> PacketSpec:
    meta = packet_meta_schema()
    errors = sorted(Draft202012Validator(meta).iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        e = errors[0]
        where = "/".join(map(str, e.absolute_path)) or "(root)"
        raise SchemaError(f"数据包定义 {path} 无效（{where}）：{e.message}。Packet definition {path} is invalid at {where}: {e.message}")
    settings = data.get("settings", {})
    for d in data["documents"]:
        if "required_if" in d and d["required_if"] not in settings:
            raise SchemaError(f"数据包定义 {path} 的材料 {d['role']} 引用了未定义的设置 {d['required_if']}。"
                              f"Document {d['role']} in {path} names the undefined setting {d['required_if']}.")
    # ``required_if``: a deployment setting of the packet file decides (the service result, 第二十条(一))
    docs = tuple(DocRequirement(d["role"], tuple(d["types"]), d["label"],
                                bool(settings[d["required_if"]]["value"]) if "required_if" in d else d.get("required", True),
                                d.get("source", ""))
                 for d in data["documents"])
    names = {d.role for d in docs} | {t for d in docs for t in d.types}
    for entry in data["rules"]:
        if entry["rule"] not in RULES:
            raise SchemaError(f"数据包定义 {path} 使用了未知的规则编号 {entry['rule']}。Unknown rule id {entry['rule']} in {path}.")
        kind = rule_kind(entry)
        if kind not in KINDS:
            raise SchemaError(f"数据包定义 {path} 使用了未知的规则类型 {kind}。Unknown rule kind {kind} in {path}.")
        for ref in _refs_in(rule_params(entry)):
            if ref[0] not in names and kind != "keyword_warning":
                raise SchemaError(f"数据包定义 {path} 的规则 {entry['rule']} 引用了未声明的材料 {ref[0]}。"
                                  f"Rule {entry['rule']} in {path} refers to undeclared document {ref[0]}.")
    for ref in _refs_in(data.get("applicant", {})):
        if ref[0] not in names:
            raise SchemaError(f"数据包定义 {path} 的 applicant 引用了未声明的材料 {ref[0]}。")
    return PacketSpec(data["packet"], data["title"], data["source"], docs, tuple(data["rules"]),
                      data.get("applicant", {}), path)


def load_packets(directory: str | None = None) -> dict[str, PacketSpec]:
    """Every packet of the schema registry (built-in ``schemas/packets`` and ``packets/`` of
    each ``DOCINTAKE_SCHEMA_DIRS`` folder), or only those of ``directory`` (tests)."""
    data = read_packet_dir(directory) if directory else load_registry().packet_data
    return _parsed(json.dumps(data, sort_keys=True, ensure_ascii=False), data)


_PARSED: dict[str, dict[str, PacketSpec]] = {}


def _parsed(key: str, data: dict[str, tuple[dict, str]]) -> dict[str, PacketSpec]:
    # Parsed once per set of files (the registry caches the reading, this the checking).
    if key not in _PARSED:
        _PARSED[key] = {name: parse_packet(d, path) for name, (d, path) in data.items()}
    return _PARSED[key]


def recognise(types: Iterable[str], packets: dict[str, PacketSpec]) -> str:
    """The packet whose document requirements best match the types present; ``unknown`` if none
    or a tie.  Score: requirements met (a required one counts 2, an optional one 1)."""
    present = set(types)
    scores = {}
    for name, spec in packets.items():
        scores[name] = sum((2 if d.required else 1) for d in spec.documents if present & set(d.types))
    best = max(scores.values(), default=0)
    winners = [n for n, s in scores.items() if s == best]
    return winners[0] if best > 0 and len(winners) == 1 else UNKNOWN


