"""The voucher dashboard: granted vs the year's budget, by month and by provider (inline SVG, no
scripts or CDN), each client's cap left, and the ledger rows (细则 第十五、十六条)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape

from intake import ledger

from . import http

from .service import ReviewError


def _d(v) -> Decimal:
    return Decimal(str(v or "0"))


def bar_chart(pairs: list[tuple[str, str]], width: int = 640, bar: int = 22, label_w: int = 150,
              title: str = "") -> str:
    """Horizontal bars as an SVG string (labels and values are escaped text)."""
    peak = max((_d(v) for _, v in pairs), default=Decimal("0")) or Decimal("1")
    h = bar * len(pairs) + 8
    out = [f'<svg class="rv-chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {h}" '
           f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">']
    span = width - label_w - 110
    for i, (label, value) in enumerate(pairs):
        y = 4 + i * bar
        w = int(span * (_d(value) / peak)) if _d(value) > 0 else 0
        out.append(f'<text x="{label_w - 6}" y="{y + bar * 0.68:.0f}" text-anchor="end" font-size="12">'
                   f'{escape(label[:14])}</text>')
        out.append(f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{bar - 7}" fill="#3b7dd8"><title>'
                   f'{escape(label)}：{escape(value)} 元</title></rect>')
        out.append(f'<text x="{label_w + w + 5}" y="{y + bar * 0.68:.0f}" font-size="12">{escape(value)}</text>')
    out.append("</svg>")
    return "".join(out)


def gauge(granted: str, budget: str | None, width: int = 640) -> str:
    if not budget:
        return ""
    share = min(_d(granted) / _d(budget), Decimal("1")) if _d(budget) > 0 else Decimal("1")
    w = int((width - 2) * share)
    return (f'<svg class="rv-chart" role="img" aria-label="年度额度使用" viewBox="0 0 {width} 26" width="100%" '
            f'xmlns="http://www.w3.org/2000/svg"><rect x="1" y="1" width="{width - 2}" height="24" fill="#eef2f7" '
            f'stroke="#aab"/><rect x="1" y="1" width="{w}" height="24" fill="{"#c0392b" if share >= 1 else "#2e8b57"}"/>'
            f'<text x="8" y="18" font-size="13">已核定 {escape(granted)} / {escape(budget)} 元（{share * 100:.1f}%）</text></svg>')


def data(db, year: int) -> dict:
    summary = ledger.summary(db.conn, year)
    clients = []
    for uscc, name, total, n in db.execute(
            "SELECT client_uscc, MAX(client_name), SUM(CAST(amount AS REAL)), COUNT(*) FROM voucher_ledger "
            "WHERE year = ? GROUP BY client_uscc ORDER BY 3 DESC", [year]).fetchall():
        cap = ledger.remaining_cap(db.conn, uscc, name, year)
        clients.append({"uscc": uscc, "name": name, "vouchers": n, **cap})
    cur = db.execute("SELECT l.*, s.name AS submission FROM voucher_ledger l JOIN submissions s ON s.id = l.submission_id "
                     "WHERE l.year = ? ORDER BY l.granted_at DESC, l.id DESC LIMIT 500", [year])
    cols = [d[0] for d in cur.description]
    rows = [dict(zip(cols, r)) for r in cur.fetchall()]
    for r in rows:
        r["granted_local"] = ledger.local_date(r["granted_at"])
    years = [y for (y,) in db.execute("SELECT DISTINCT year FROM voucher_ledger UNION SELECT year FROM voucher_budgets "
                                      "ORDER BY 1 DESC").fetchall()]
    return {"summary": summary, "clients": clients, "rows": rows, "years": years or [year],
            "month_chart": bar_chart([(f"{m}月", v) for m, v in summary["by_month"]], title="按月核定金额"),
            "provider_chart": bar_chart(summary["by_provider"][:20], title="按管理单位核定金额"),
            "gauge": gauge(summary["granted"], summary["budget"])}


async def ledger_view(datasette, request):
    try:
        http._require(request, "reviewer", "admin")
        raw = request.args.get("year") or str(date.today().year)
        if not raw.isascii() or not raw.isdigit() or not 2000 <= int(raw) <= 2100:
            raise ReviewError("年度格式不正确。")
        year = int(raw)
        ctx = await http._run(datasette, data, year)
    except ReviewError as exc:
        return await http._error(datasette, request, exc)
    if http._wants_json(request):
        return http.Response.json({"ok": True, "summary": ctx["summary"], "clients": ctx["clients"]}, default=str)
    return await http._page(datasette, request, "review_ledger.html", {"year": year, **ctx})
