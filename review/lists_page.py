"""The reference-lists page: every imported version of each list (who, when, which file, how
many rows; the one rules read marked), the lists not imported (their checks are not made), and
the yearly voucher budget with what was granted and its change history."""
from __future__ import annotations

from intake.validation.history import SqliteHistory
from intake.validation.lists import LIST_LABELS, budget_changes, list_versions, read_list

from . import http


def _has(db, table: str) -> bool:
    return bool(db.conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone())


def lists_overview(db, version: int | None = None) -> dict:
    if not _has(db, "reference_list_versions"):
        return {"kinds": [], "budgets": [], "changes": [], "entries": None, "version": None}
    versions = list_versions(db.conn)
    kinds = []
    for kind, label in LIST_LABELS.items():
        vs = [v for v in versions if v["kind"] == kind]
        kinds.append({"kind": kind, "label": label, "versions": vs, "current": next((v for v in vs if v["current"]), None)})
    history = SqliteHistory(db)
    budgets = []
    for year, amount, set_at in db.conn.execute("SELECT year, amount, set_at FROM voucher_budgets ORDER BY year DESC"):
        granted = history.vouchers_granted_all(year)
        budgets.append({"year": year, "amount": amount, "set_at": set_at, "granted": f"{granted:.2f}",
                        "left": f"{max(history.voucher_budget(year) - granted, 0):.2f}"})
    picked = next((v for v in versions if v["id"] == version), None)
    entries = read_list(db.conn, picked["kind"], picked["id"]) if picked else None
    return {"kinds": kinds, "budgets": budgets, "changes": budget_changes(db.conn), "entries": entries,
            "version": picked}


async def lists_page(datasette, request):
    try:
        http._require(request)
    except http.ReviewError as exc:
        return await http._error(datasette, request, exc)
    data = await http._run(datasette, lists_overview, http.plain_id(request.args.get("version")))
    if http._wants_json(request):
        return http.Response.json({"ok": True, **data}, default=lambda o: o.__dict__)
    return await http._page(datasette, request, "review_lists.html", data)
