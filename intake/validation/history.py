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

VOUCHER_PACKET = "voucher_redemption"
NOT_COUNTED = ("rejected", "quarantined", "processing")
CONTRACT_PARTY_FIELDS = ("client_name", "client_uscc", "provider_name", "provider_uscc")


@dataclass
class PriorContract:
    submission_id: int
    submission: str
    status: str
    contract_number: str
    fields: dict[str, str] = field(default_factory=dict)  # the prior contract's party fields
    uscc: str | None = None  # the prior submission's applicant


@runtime_checkable
class History(Protocol):
    def vouchers_granted(self, uscc: str, year: int, exclude_submission: int | None = None) -> Decimal:
        """Sum of voucher amounts of other counted voucher submissions of this client and year."""

    def contracts_used(self, contract_number: str, exclude_submission: int | None = None) -> list[PriorContract]:
        """Other counted voucher submissions whose service contract has this number."""

    # Optional (a History without them has no lists and no budget: those rules stay silent).
    def vouchers_granted_all(self, year: int, exclude_submission: int | None = None) -> Decimal:
        """Sum of voucher amounts of all other counted voucher submissions of the year."""

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

    def contracts_used(self, contract_number: str, exclude_submission: int | None = None) -> list[PriorContract]:
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

    Counted submissions: packet ``voucher_redemption`` with a status not in
    rejected/quarantined/processing, other than the one being decided.
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
            f"SELECT voucher_amount FROM submissions WHERE packet = ? AND status NOT IN ({placeholders}) "
            "AND UPPER(uscc) = ? AND year = ? AND id IS NOT ?",
            (VOUCHER_PACKET, *NOT_COUNTED, compact(uscc).upper(), int(year), exclude_submission),
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
            f"SELECT voucher_amount FROM submissions WHERE packet = ? AND status NOT IN ({placeholders}) "
            "AND year = ? AND id IS NOT ?", (VOUCHER_PACKET, *NOT_COUNTED, int(year), exclude_submission)).fetchall()
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

    def contracts_used(self, contract_number: str, exclude_submission: int | None = None) -> list[PriorContract]:
        if not contract_number:
            return []
        placeholders = ",".join("?" * len(NOT_COUNTED))
        conn = self._conn()
        rows = conn.execute(
            "SELECT s.id, s.name, s.status, s.uscc, d.id, f.value FROM submissions s "
            "JOIN documents d ON d.submission_id = s.id JOIN fields f ON f.document_id = d.id "
            f"WHERE s.packet = ? AND s.status NOT IN ({placeholders}) AND d.type = 'service_contract' "
            "AND f.key = 'contract_number' AND s.id IS NOT ? ORDER BY s.id",
            (VOUCHER_PACKET, *NOT_COUNTED, exclude_submission),
        ).fetchall()
        out = []
        for sid, name, status, uscc, doc_id, number in rows:
            if not _same_number(number, contract_number):
                continue
            marks = ",".join("?" * len(CONTRACT_PARTY_FIELDS))
            fields = dict(conn.execute(
                f"SELECT key, value FROM fields WHERE document_id = ? AND key IN ({marks})",
                (doc_id, *CONTRACT_PARTY_FIELDS)).fetchall())
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
        contract = next((d for d in documents if d.type == "service_contract"), None)
        fields = {k: str(contract.fields[k].value) for k in CONTRACT_PARTY_FIELDS + ("contract_number",)
                  if contract is not None and k in contract.fields} if contract else {}
        self._rows = [r for r in self._rows if r["id"] != submission_id]
        self._rows.append({"id": submission_id, "name": name or str(submission_id), "packet": decision.packet,
                           "status": decision.status, "voucher_amount": decision.voucher_amount,
                           "uscc": decision.uscc, "year": decision.year, "contract": fields})

    def _counted(self, exclude):
        return [r for r in self._rows if r["packet"] == VOUCHER_PACKET and r["status"] not in NOT_COUNTED
                and r["id"] != exclude]

    def vouchers_granted(self, uscc: str, year: int, exclude_submission: int | None = None) -> Decimal:
        total = Decimal("0.00")
        for r in self._counted(exclude_submission):
            if r["uscc"] and uscc and compact(r["uscc"]).upper() == compact(uscc).upper() and r["year"] == year:
                total += money(r["voucher_amount"]) or Decimal("0")
        return total

    def contracts_used(self, contract_number: str, exclude_submission: int | None = None) -> list[PriorContract]:
        out = []
        for r in self._counted(exclude_submission):
            if _same_number(r["contract"].get("contract_number"), contract_number):
                out.append(PriorContract(r["id"], r["name"], r["status"], r["contract"]["contract_number"],
                                         {k: v for k, v in r["contract"].items() if k in CONTRACT_PARTY_FIELDS},
                                         r["uscc"]))
        return out
