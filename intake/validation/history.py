"""What earlier submissions tell a voucher decision: vouchers granted, contracts used.

`decide` asks through the small `History` protocol; `SqliteHistory` reads the core
tables (intake/migrations/m0001_core.py), `MemoryHistory` serves tests and benchmarks,
`NoHistory` is the default (the ``extract`` command has no database).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, runtime_checkable

from .formats import compact
from .lists import ListEntry, read_budget, read_budget_version, read_list, read_list_version
from .normalize import money

NOT_COUNTED = ("rejected", "quarantined", "processing", "returned")  # a returned one waits for its supplement


@dataclass(frozen=True)
class ContractQuery:
    """Where a packet keeps its contract, from the ``duplicate_contract`` rule's parameters
    (``schemas/packets/*.json``): the packet whose submissions count, the document types that
    hold the contract, the field with its number and the party fields to compare."""
    packet: str
    doc_types: tuple[str, ...]
    number_key: str
    party_keys: tuple[str, ...] = ()


@dataclass
class PriorContract:
    submission_id: int
    submission: str
    status: str
    contract_number: str
    fields: dict[str, str] = field(default_factory=dict)  # the prior contract's party fields (query.party_keys)
    uscc: str | None = None  # the prior submission's applicant


@runtime_checkable
class History(Protocol):
    def vouchers_granted(self, uscc: str, year: int, exclude_submission: int | None = None) -> Decimal:
        """Sum of voucher amounts of other counted submissions of this client and year (a
        submission has an amount only when its packet computes one: ``voucher_cap``)."""

    def contracts_used(self, contract_number: str, exclude_submission: int | None = None, *,
                       query: ContractQuery | None = None) -> list[PriorContract]:
        """Other counted submissions of ``query.packet`` whose contract has this number."""

    # Optional (a History without them has no lists and no budget: those rules stay silent).
    def vouchers_granted_all(self, year: int, exclude_submission: int | None = None) -> Decimal:
        """Sum of voucher amounts of all other counted submissions of the year."""

    def reference_list(self, kind: str) -> list[ListEntry] | None:
        """The imported list of ``kind`` (`lists.LIST_KINDS`), None when never imported."""

    def voucher_budget(self, year: int) -> Decimal | None:
        """The year's total voucher budget, None when not set."""

    def list_version(self, kind: str) -> dict | None:
        """Which import of ``kind`` `reference_list` reads (recorded on the decision), None when none."""

    def budget_version(self, year: int) -> dict | None:
        """Which `budget set` `voucher_budget` reads (recorded on the decision), None when none."""


class NoHistory:
    def vouchers_granted(self, uscc: str, year: int, exclude_submission: int | None = None) -> Decimal:
        return Decimal("0.00")

    def contracts_used(self, contract_number: str, exclude_submission: int | None = None, *,
                       query: ContractQuery | None = None) -> list[PriorContract]:
        return []

    def vouchers_granted_all(self, year: int, exclude_submission: int | None = None) -> Decimal:
        return Decimal("0.00")

    def reference_list(self, kind: str) -> list[ListEntry] | None:
        return None

    def voucher_budget(self, year: int) -> Decimal | None:
        return None


def contract_key(number: str) -> str:
    """A contract number for comparison: NFKC, upper case, without spaces or separators
    (OCR reads ``XCJC-2026-017`` as ``XCJC 2026—017`` or ``XCJC2026-017``)."""
    return re.sub(r"[-_—–－/／.·、]", "", compact(number).upper())


def _same_number(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and contract_key(a) == contract_key(b)


class SqliteHistory:
    """Reads ``submissions``/``documents``/``fields``.

    Counted submissions: a status not in rejected/quarantined/processing, other than the one
    being decided; for vouchers, those with an amount; for contracts, those of the query's packet.
    """

    def __init__(self, db):
        self.db = db

    def _conn(self):
        return getattr(self.db, "conn", self.db)

    def vouchers_granted(self, uscc: str, year: int, exclude_submission: int | None = None) -> Decimal:
        if not uscc:
            return Decimal("0.00")
        placeholders = ",".join("?" * len(NOT_COUNTED))
        rows = self._conn().execute(
            f"SELECT voucher_amount FROM submissions WHERE voucher_amount IS NOT NULL AND status NOT IN ({placeholders}) "
            "AND UPPER(uscc) = ? AND year = ? AND id IS NOT ?",
            (*NOT_COUNTED, compact(uscc).upper(), int(year), exclude_submission),
        ).fetchall()
        total = Decimal("0.00")
        for (amount,) in rows:
            value = money(amount) if amount is not None else None
            if value is not None:
                total += value
        return total

    def vouchers_granted_all(self, year: int, exclude_submission: int | None = None) -> Decimal:
        placeholders = ",".join("?" * len(NOT_COUNTED))
        rows = self._conn().execute(
            f"SELECT voucher_amount FROM submissions WHERE voucher_amount IS NOT NULL AND status NOT IN ({placeholders}) "
            "AND year = ? AND id IS NOT ?", (*NOT_COUNTED, int(year), exclude_submission)).fetchall()
        return sum((money(a) or Decimal("0") for (a,) in rows if a is not None), Decimal("0.00"))

    def _has(self, table: str) -> bool:
        return bool(self._conn().execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                          (table,)).fetchone())

    def reference_list(self, kind: str) -> list[ListEntry] | None:
        return read_list(self._conn(), kind) if self._has("reference_list_imports") else None

    def voucher_budget(self, year: int) -> Decimal | None:
        return read_budget(self._conn(), year) if self._has("voucher_budgets") else None

    def list_version(self, kind: str) -> dict | None:
        return read_list_version(self._conn(), kind) if self._has("reference_list_versions") else None

    def budget_version(self, year: int) -> dict | None:
        return read_budget_version(self._conn(), year) if self._has("voucher_budget_changes") else None

    def contracts_used(self, contract_number: str, exclude_submission: int | None = None, *,
                       query: ContractQuery | None = None) -> list[PriorContract]:
        if not contract_number or query is None:
            return []
        placeholders = ",".join("?" * len(NOT_COUNTED))
        types = ",".join("?" * len(query.doc_types))
        conn = self._conn()
        rows = conn.execute(
            "SELECT s.id, s.name, s.status, s.uscc, d.id, f.value FROM submissions s "
            "JOIN documents d ON d.submission_id = s.id JOIN fields f ON f.document_id = d.id "
            f"WHERE s.packet = ? AND s.status NOT IN ({placeholders}) AND d.type IN ({types}) "
            "AND f.key = ? AND s.id IS NOT ? ORDER BY s.id",
            (query.packet, *NOT_COUNTED, *query.doc_types, query.number_key, exclude_submission),
        ).fetchall()
        out = []
        for sid, name, status, uscc, doc_id, number in rows:
            if not _same_number(number, contract_number):
                continue
            marks = ",".join("?" * len(query.party_keys))
            fields = dict(conn.execute(
                f"SELECT key, value FROM fields WHERE document_id = ? AND key IN ({marks})",
                (doc_id, *query.party_keys)).fetchall()) if query.party_keys else {}
            out.append(PriorContract(sid, name, status, number, {k: v for k, v in fields.items() if v}, uscc))
        return out


class MemoryHistory:
    """An in-memory history: `record` each decided voucher submission (tests, benchmarks)."""

    def __init__(self, lists: dict[str, list[ListEntry]] | None = None, budgets: dict[int, Decimal] | None = None):
        self._rows: list[dict] = []
        self.lists = dict(lists or {})
        self.budgets = dict(budgets or {})

    def reference_list(self, kind: str) -> list[ListEntry] | None:
        return self.lists.get(kind)

    def voucher_budget(self, year: int) -> Decimal | None:
        return self.budgets.get(year)

    def list_version(self, kind: str) -> dict | None:
        entries = self.lists.get(kind)
        return None if entries is None else {"version": "memory", "rows": len(entries)}

    def budget_version(self, year: int) -> dict | None:
        b = self.budgets.get(year)
        return None if b is None else {"change": "memory", "amount": str(b), "year": year}

    def vouchers_granted_all(self, year: int, exclude_submission: int | None = None) -> Decimal:
        return sum((money(r["voucher_amount"]) or Decimal("0") for r in self._counted(exclude_submission)
                    if r["year"] == year and r["voucher_amount"] is not None), Decimal("0.00"))

    def record(self, submission_id: int, decision, documents, name: str = "") -> None:
        docs = [(d.type, {k: str(fv.value) for k, fv in d.fields.items() if fv.value not in (None, "")})
                for d in documents]
        self._rows = [r for r in self._rows if r["id"] != submission_id]
        self._rows.append({"id": submission_id, "name": name or str(submission_id), "packet": decision.packet,
                           "status": decision.status, "voucher_amount": decision.voucher_amount,
                           "uscc": decision.uscc, "year": decision.year, "documents": docs})

    def _counted(self, exclude):
        return [r for r in self._rows if r["status"] not in NOT_COUNTED and r["id"] != exclude]

    def vouchers_granted(self, uscc: str, year: int, exclude_submission: int | None = None) -> Decimal:
        total = Decimal("0.00")
        for r in self._counted(exclude_submission):
            if r["voucher_amount"] is not None and r["uscc"] and uscc and compact(r["uscc"]).upper() == compact(uscc).upper() and r["year"] == year:
                total += money(r["voucher_amount"]) or Decimal("0")
        return total

    def contracts_used(self, contract_number: str, exclude_submission: int | None = None, *,
                       query: ContractQuery | None = None) -> list[PriorContract]:
        if query is None:
            return []
        out = []
        for r in self._counted(exclude_submission):
            if r["packet"] != query.packet:
                continue
            for doc_type, fields in r["documents"]:
                if doc_type in query.doc_types and _same_number(fields.get(query.number_key), contract_number):
                    out.append(PriorContract(r["id"], r["name"], r["status"], fields[query.number_key],
                                             {k: v for k, v in fields.items() if k in query.party_keys}, r["uscc"]))
                    break
        return out
