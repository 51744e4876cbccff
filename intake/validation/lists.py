"""Reference lists and the voucher budget: reading the CSV files the bureau publishes, and
storing / reading them through a connection the caller opened (tables of migration m0009).

A list file is UTF-8 CSV (a BOM, as Excel writes it, is fine) with the columns ``uscc``,
``name`` and ``year``: each row names an organization by USCC and/or name; ``year`` may be
empty (any year).  A file with one bad row is refused whole, naming the row, so an import
never half-replaces a list.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from ..errors import InputError, UsageError
from .formats import compact, uscc_problem
from .normalize import money, org_name

LIST_KINDS = ("provincial_subsidy", "platform_members", "user_category")
COLUMNS = ("uscc", "name", "year")


@dataclass(frozen=True)
class ListEntry:
    uscc: str | None
    name: str | None
    year: int | None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def check_kind(kind: str) -> str:
    if kind not in LIST_KINDS:
        raise UsageError(f"未知的名单类型 {kind}（可选：{'、'.join(LIST_KINDS)}）。Unknown list kind {kind}.")
    return kind


def parse_list_csv(text: str, source: str = "<csv>") -> list[ListEntry]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [compact(h).lower() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(f"名单文件 {source} 缺少列：{', '.join(missing)}（应有 uscc,name,year）。"
                         f"List file {source} lacks the columns {', '.join(missing)}.", reason="bad_list")
    reader.fieldnames = header
    out: list[ListEntry] = []
    for line, row in enumerate(reader, start=2):
        uscc = compact(row.get("uscc") or "").upper() or None
        name = compact(row.get("name") or "") or None
        year_text = compact(row.get("year") or "")
        if uscc is None and name is None:
            if year_text:
                raise InputError(f"名单文件 {source} 第 {line} 行既无统一社会信用代码也无名称。"
                                 f"Row {line} of {source} has neither uscc nor name.", reason="bad_list")
            continue  # a blank line
        if uscc is not None and uscc_problem(uscc):
            raise InputError(f"名单文件 {source} 第 {line} 行的统一社会信用代码 {uscc} 无效：{uscc_problem(uscc)[1]}。"
                             f"Row {line} of {source}: invalid USCC {uscc}.", reason="bad_list")
        if year_text and not re.fullmatch(r"(19|20)\d\d", year_text):
            raise InputError(f"名单文件 {source} 第 {line} 行的年份“{year_text}”应为四位年份或留空。"
                             f"Row {line} of {source}: year must be YYYY or empty.", reason="bad_list")
        out.append(ListEntry(uscc, name, int(year_text) if year_text else None))
    return out


def store_list(conn, kind: str, entries: list[ListEntry], source: str = "") -> int:
    """Replace the kind's rows with ``entries`` in one transaction; returns how many."""
    check_kind(kind)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM reference_lists WHERE kind = ?", (kind,))
        conn.executemany("INSERT INTO reference_lists (kind, uscc, name, year) VALUES (?, ?, ?, ?)",
                         [(kind, e.uscc, e.name, e.year) for e in entries])
        conn.execute("INSERT OR REPLACE INTO reference_list_imports (kind, imported_at, source, rows) "
                     "VALUES (?, ?, ?, ?)", (kind, _now(), source, len(entries)))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(entries)


def parse_budget(year: str | int, amount: str) -> tuple[int, Decimal]:
    if not re.fullmatch(r"(19|20)\d\d", str(year).strip()):
        raise UsageError(f"年份“{year}”应为四位年份。YEAR must be YYYY.")
    text = compact(amount).removesuffix("元")
    value = money(text) if re.fullmatch(r"[¥￥]?\d[\d,]*(\.\d{1,2})?", text) else None
    if value is None:
        raise UsageError(f"预算金额“{amount}”无法识别（应为以元计的金额，例：5000000 或 5,000,000.00）。"
                         f"AMOUNT must be yuan, e.g. 5000000.")
    return int(str(year).strip()), value


def set_budget(conn, year: int, amount: Decimal) -> None:
    conn.execute("INSERT OR REPLACE INTO voucher_budgets (year, amount, set_at) VALUES (?, ?, ?)",
                 (int(year), f"{amount:.2f}", _now()))


# --- reading (History) ------------------------------------------------------------------

def read_list(conn, kind: str) -> list[ListEntry] | None:
    """The kind's entries, or None when the list was never imported."""
    if not conn.execute("SELECT 1 FROM reference_list_imports WHERE kind = ?", (kind,)).fetchone():
        return None
    return [ListEntry(u, n, y) for u, n, y in
            conn.execute("SELECT uscc, name, year FROM reference_lists WHERE kind = ?", (kind,))]


def read_budget(conn, year: int) -> Decimal | None:
    row = conn.execute("SELECT amount FROM voucher_budgets WHERE year = ?", (int(year),)).fetchone()
    return money(row[0]) if row else None


def listed(entries: list[ListEntry], uscc: str | None, name: str | None, year: int, years: str = "same") -> ListEntry | None:
    """The entry naming this organization (USCC when both have one, else the name) for ``year``:
    ``years="same"`` — the entry's year is that year or empty; ``"until"`` — that year or earlier
    (a platform membership registered before still holds)."""
    u = compact(uscc).upper() if uscc else None
    n = org_name(name) if name else None
    for e in entries:
        if e.year is not None and (e.year > year if years == "until" else e.year != year):
            continue
        if u and e.uscc:
            if e.uscc == u:
                return e
        elif n and e.name and org_name(e.name) == n:
            return e
    return None
