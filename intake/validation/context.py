"""What a packet rule kind sees: the packet's definition and the submission's documents.

Kept apart from `packets` (which parses definitions against the rule kinds) so that `kinds`
can use it without importing `packets` back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from schemas.registry import doc_title as doc_label
from schemas.registry import field_label

from ..model import Document, FieldValue


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
