"""Packets as data: ``schemas/packets/*.json`` (meta-schema ``_packet.schema.json``).

A packet names the documents it needs (``role`` → alternative ``types``) and its
cross-document rules.  A rule entry is ``{"rule": <rule id>, <kind>: <params>, "source": …,
"message": …}``: the kind is looked up by name in `kinds.KINDS`, so a new rule of an
existing kind is only data.  References are ``[role or document type, field]``.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from jsonschema import Draft202012Validator

from ..errors import SchemaError
from ..model import Document, FieldValue
from .labels import doc_label, field_label

PACKET_DIR = Path(__file__).resolve().parent.parent.parent / "schemas" / "packets"
META_SCHEMA = "_packet.schema.json"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class DocRequirement:
    role: str
    types: tuple[str, ...]
    label: str
    required: bool
    source: str


@dataclass(frozen=True)
class PacketSpec:
    packet: str
    title: str
    source: str
    documents: tuple[DocRequirement, ...]
    rules: tuple[dict, ...]
    applicant: dict
    path: str = ""

    def role_types(self) -> dict[str, tuple[str, ...]]:
        return {d.role: d.types for d in self.documents}

    def all_types(self) -> set[str]:
        return {t for d in self.documents for t in d.types}


def rule_kind(entry: dict) -> str:
    from .kinds import KINDS
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
    from .kinds import KINDS
    from .rules import RULES
    meta = json.loads((PACKET_DIR / META_SCHEMA).read_text(encoding="utf-8"))
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


PACKETS_ENV = "DOCINTAKE_PACKETS"  # a deployment's own packet directory (its settings, e.g. require_service_result)


def load_packets(directory: str | None = None) -> dict[str, PacketSpec]:
    """The packet definitions of ``directory``, else of $DOCINTAKE_PACKETS, else the shipped ones."""
    return _load_packets(directory or os.environ.get(PACKETS_ENV) or None)


@lru_cache(maxsize=4)
def _load_packets(directory: str | None = None) -> dict[str, PacketSpec]:
    d = Path(directory) if directory else PACKET_DIR
    out: dict[str, PacketSpec] = {}
    for path in sorted(d.glob("*.json")):
        if path.name.startswith("_"):
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SchemaError(f"数据包定义 {path} 不是有效的 JSON：{exc}。Packet file {path} is not valid JSON.") from exc
        spec = parse_packet(data, str(path))
        if spec.packet in out:
            raise SchemaError(f"数据包 {spec.packet} 定义了两次（{path}）。Packet {spec.packet} is defined twice.")
        out[spec.packet] = spec
    return out


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


# --- evaluation context -----------------------------------------------------------------

@dataclass
class Ref:
    role: str
    key: str
    doc_type: str
    value: Any
    fv: FieldValue
    doc: Document

    def label(self) -> str:
        return f"{doc_label(self.doc_type)}{field_label(self.doc_type, self.key)}"


@dataclass
class PacketContext:
    spec: PacketSpec
    documents: list[Document]
    as_of: date
    history: Any
    page_texts: list[str] | None = None
    submission_id: int | None = None
    voucher_config: Any = None
    voucher_amount: str | None = None
    notes: dict = field(default_factory=dict)

    def docs(self, name: str) -> list[Document]:
        """Documents for a role (its first alternative type present) or a document type."""
        types = self.spec.role_types().get(name, (name,))
        for t in types:
            found = [d for d in self.documents if d.type == t]
            if found:
                return found
        return []

    def refs(self, name: str, key: str) -> list[Ref]:
        """Every present value of ``key`` over the documents of ``name`` (all invoices, …)."""
        out = []
        for d in self.docs(name):
            fv = d.fields.get(key)
            if fv is not None and fv.value not in (None, ""):
                out.append(Ref(name, key, d.type, fv.value, fv, d))
        return out

    def ref(self, ref: list) -> Ref | None:
        found = self.refs(ref[0], ref[1])
        return found[0] if found else None

    def first(self, refs: list[list] | None) -> Ref | None:
        for r in refs or []:
            found = self.ref(r)
            if found is not None:
                return found
        return None

    def texts_of(self, doc_type: str) -> list[str]:
        """Page text of the documents of a type (``page_texts`` aligned with ``documents``),
        else their fields' raw OCR text and values."""
        out = []
        for i, d in enumerate(self.documents):
            if d.type != doc_type:
                continue
            if self.page_texts is not None and i < len(self.page_texts) and self.page_texts[i]:
                out.append(self.page_texts[i])
            else:
                out.append("\n".join(f"{fv.raw}\n{fv.value}" if fv.raw and fv.raw != str(fv.value) else str(fv.value)
                                     for fv in d.fields.values()))
        return out
