"""The voucher ledger (细则 第十五、十六、二十条): every granted voucher, the caps and budget left,
and the yearly redemption list for the finance bureau.

A voucher is granted when a reviewer approves a voucher redemption (`grant`, inside the
decision's transaction) and taken back when that approval is reopened (`revoke`). Closing a
year (`close_year`) locks its rows: triggers of migration m0012 refuse any change after that.
"""
from __future__ import annotations

import sqlite3
from collections import OrderedDict
from decimal import Decimal

from .db import now, transaction
from .errors import UsageError



def contract_fields(packet: str) -> tuple[tuple[str, ...], dict[str, str]]:
    """Which document types hold a packet's contract and which of their fields give the ledger's
    columns, read from the packet's own ``duplicate_contract`` rule (schemas/packets/*.json), so a
    packet added as a file gets a ledger without Python."""
    from schemas.registry import packet_definitions

    found = packet_definitions().get(packet)
    if not found:
        return (), {}
    data = found[0]
    roles = {d["role"]: tuple(d.get("types", [d["role"]])) for d in data.get("documents", [])}
    for rule in data.get("rules", []):
        params = rule.get("duplicate_contract")
        if not params:
            continue
        role, number = params["contract_number"][0]
        cols = {"contract_number": number}
        for side in ("client", "provider"):
            for what in ("name", "uscc"):
                refs = [key for r, key in params.get(side, {}).get(what, []) if r == role]
                if refs:
                    cols[f"{side}_{what}"] = refs[0]
        return roles.get(role, (role,)), cols
    return (), {}


def _d(value) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except ArithmeticError:
        return Decimal("0")


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


class LedgerClosed(UsageError):
    pass


def is_closed(conn, year: int | None) -> bool:
    if year is None:
        return False
    return bool(conn.execute("SELECT 1 FROM ledger_closures WHERE year = ?", (int(year),)).fetchone())


def grant(conn, submission_id: int, decision_id: int | None, reviewer: str, at: str | None = None) -> int | None:
    """The ledger row of an approved voucher redemption (caller's transaction); None when the
    submission is not a voucher or its amount is nothing."""
    s = conn.execute("SELECT packet, voucher_amount, year, uscc, organization FROM submissions WHERE id = ?",
                     (submission_id,)).fetchone()
    # only a packet whose rules compute a voucher amount (a ``voucher_cap`` rule) has one
    if s is None or _d(s[1]) <= 0:
        return None
    packet, amount, year, uscc, organization = s
    types, cols = contract_fields(packet)
    fields: dict[str, str] = {}
    if types and cols:
        by_key = {key: col for col, key in cols.items()}
        rows = conn.execute(
            "SELECT f.key, f.value FROM fields f JOIN documents d ON d.id = f.document_id WHERE d.submission_id = ? "
            f"AND d.type IN ({','.join('?' * len(types))}) AND f.key IN ({','.join('?' * len(by_key))}) "
            "ORDER BY d.id DESC", (submission_id, *types, *by_key)).fetchall()[::-1]
        fields = {by_key[k]: v for k, v in rows}
    if year is None:
        # no date was read: the voucher belongs to the year it was granted in (细则 第二十一条)
        year = int((at or now())[:4])
    if is_closed(conn, year):
        raise LedgerClosed(f"{year} 年度创新券台账已关闭，不能再批准该年度的创新券。The {year} ledger is closed.")
    try:
        cur = conn.execute(
            "INSERT INTO voucher_ledger (year, client_uscc, client_name, provider_name, provider_uscc, contract_number, "
            "amount, submission_id, decision_id, reviewer, granted_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (int(year), (uscc or fields.get("client_uscc") or "").upper() or None,
             organization or fields.get("client_name"), fields.get("provider_name"), fields.get("provider_uscc"),
             fields.get("contract_number"), _money(_d(amount)), submission_id, decision_id, reviewer, at or now()))
    except sqlite3.IntegrityError as exc:
        if "closed" in str(exc):
            raise LedgerClosed(f"{year} 年度创新券台账已关闭。The {year} ledger is closed.") from exc
        raise
    return cur.lastrowid


def revoke(conn, submission_id: int) -> bool:
    """Take a voucher back out of the ledger (its approval was reopened); refused for a closed year."""
    row = conn.execute("SELECT year FROM voucher_ledger WHERE submission_id = ?", (submission_id,)).fetchone()
    if row is None:
        return False
    if is_closed(conn, row[0]):
        raise LedgerClosed(f"{row[0]} 年度创新券台账已关闭，已兑付清单中的创新券不能撤销。The {row[0]} ledger is closed.")
    conn.execute("DELETE FROM voucher_ledger WHERE submission_id = ?", (submission_id,))
    return True


def granted(conn, year: int, uscc: str | None = None) -> Decimal:
    sql, params = "SELECT amount FROM voucher_ledger WHERE year = ?", [int(year)]
    if uscc:
        sql += " AND client_uscc = UPPER(?)"
        params.append(uscc)
    return sum((_d(a) for (a,) in conn.execute(sql, params)), Decimal("0"))


def budget(conn, year: int) -> Decimal | None:
    try:
        row = conn.execute("SELECT amount FROM voucher_budgets WHERE year = ?", (int(year),)).fetchone()
    except sqlite3.OperationalError:
        return None
    return _d(row[0]) if row else None


def remaining_cap(conn, uscc: str | None, name: str | None, year: int) -> dict:
    """The client's cap for the year (细则 第十六条), what it was granted, and what is left."""
    from .validation.config import load_voucher_config

    cap, enterprise = load_voucher_config().cap_for(uscc, name)
    used = granted(conn, year, uscc) if uscc else Decimal("0")
    return {"cap": _money(cap), "granted": _money(used), "left": _money(max(cap - used, Decimal("0"))),
            "category": enterprise.category if enterprise else None}


def summary(conn, year: int) -> dict:
    """Granted vs budget, by month and by provider (the dashboard)."""
    rows = conn.execute("SELECT amount, granted_at, provider_name FROM voucher_ledger WHERE year = ? ORDER BY granted_at",
                        (int(year),)).fetchall()
    from .localtime import to_local

    by_month: OrderedDict[int, Decimal] = OrderedDict((m, Decimal("0")) for m in range(1, 13))
    by_provider: dict[str, Decimal] = {}
    for amount, at, provider in rows:
        local = to_local(at)
        month = local.month if local else int(at[5:7])
        by_month[month] += _d(amount)
        key = provider or "（未识别）"
        by_provider[key] = by_provider.get(key, Decimal("0")) + _d(amount)
    total = sum(by_month.values(), Decimal("0"))
    b = budget(conn, year)
    closure = conn.execute("SELECT closed_at, closed_by FROM ledger_closures WHERE year = ?", (int(year),)).fetchone()
    return {"year": int(year), "vouchers": len(rows), "granted": _money(total),
            "budget": _money(b) if b is not None else None,
            "left": _money(max(b - total, Decimal("0"))) if b is not None else None,
            "by_month": [(m, _money(v)) for m, v in by_month.items()],
            "by_provider": sorted(((p, _money(v)) for p, v in by_provider.items()), key=lambda x: -_d(x[1])),
            "closed": {"at": closure[0], "by": closure[1]} if closure else None}


def redemption_rows(conn, year: int) -> "OrderedDict[str, list[dict]]":
    """The year's vouchers grouped by provider (the finance bureau pays each provider its total)."""
    cur = conn.execute(
        "SELECT l.provider_name, l.provider_uscc, l.client_name, l.client_uscc, l.contract_number, l.amount, "
        "l.granted_at, COALESCE(u.display_name, l.reviewer) AS reviewer, l.submission_id, s.name "
        "FROM voucher_ledger l JOIN submissions s ON s.id = l.submission_id "
        "LEFT JOIN users u ON u.username = l.reviewer "
        "WHERE l.year = ? ORDER BY l.provider_name, l.granted_at, l.id", (int(year),))
    cols = [d[0] for d in cur.description]
    out: OrderedDict[str, list[dict]] = OrderedDict()
    for r in cur.fetchall():
        row = dict(zip(cols, r))
        out.setdefault(row["provider_name"] or "（未识别）", []).append(row)
    return out


def close_year(db, year: int, actor: str) -> dict:
    with transaction(db):
        if is_closed(db.conn, year):
            raise LedgerClosed(f"{year} 年度创新券台账已经关闭。The {year} ledger is already closed.")
        n, = db.execute("SELECT COUNT(*) FROM voucher_ledger WHERE year = ?", [int(year)]).fetchone()
        total = _money(granted(db.conn, year))
        db.conn.execute("INSERT INTO ledger_closures (year, closed_at, closed_by, vouchers, total) VALUES (?,?,?,?,?)",
                        (int(year), now(), actor, n, total))
        db.conn.execute("INSERT INTO audit (at, actor, action, field, new_value, comment) VALUES (?,?,?,?,?,?)",
                        (now(), actor, "ledger_close", f"ledger:{year}", f"{n} 张 / {total} 元", None))
    return {"year": int(year), "vouchers": n, "total": total}


def local_date(iso: str | None) -> str:
    from .localtime import to_local

    local = to_local(iso)
    return local.date().isoformat() if local else (iso or "")[:10]
