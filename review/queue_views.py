"""The queue's handlers (filters, sort, paging, bulk approval, claims) and the export page.
Registered in routes.ROUTES; the data access is in review/queue.py and review/export_page.py."""
from __future__ import annotations

from urllib.parse import urlencode

from datasette.utils.asgi import Response

from . import auth
from . import queue as rqueue
from .service import QUEUE_TABS, ReviewError, packets_zh
from .http import _error, _page, _require, _role, _run, _state, _url_id, _wants_json, plain_id, safe_next


async def queue(datasette, request):
    try:
        _require(request)
    except ReviewError as exc:
        return await _error(datasette, request, exc)
    args = {
        "status": request.args.get("status", "pending"),
        "packet": request.args.get("packet", ""),
        "q": (request.args.get("q") or "").strip()[:100],
        "date_from": request.args.get("from", ""),
        "date_to": request.args.get("to", ""),
        "sort": request.args.get("sort", "received"),
    }
    page = plain_id(request.args.get("page") or "1") or 1
    data = await _run(datasette, rqueue.list_queue, **args, page=page, masked=_role(request) == "viewer")
    if _wants_json(request) or request.path.endswith(".json"):
        return Response.json({"ok": True, "rows": data["rows"], "counts": data["counts"], "total": data["total"],
                              "page": data["page"], "pages": data["pages"],
                              "tab_counts": data["tab_counts"], "pending": data["pending"]})
    # suggestions and decisions are separate tab groups (tab css: sg- suggestion, dc- decision)
    tabs = [("pending", "待处理", data["pending"], "")] + [
        (key, label, data["tab_counts"].get(key, 0),
         "sg" if key in ("rejected", "needs_review", "ready") else "dc" if key in ("verified", "declined") else "")
        for key, (label, _) in QUEUE_TABS.items()
    ] + [("all", "全部", data["total_all"], "")]
    current = {"status": args["status"], "packet": args["packet"], "q": args["q"], "from": args["date_from"],
               "to": args["date_to"], "sort": args["sort"]}

    def qs(**kw):
        merged = {**current, **kw}
        if "page" not in kw:
            merged.pop("page", None)  # a new filter starts at the first page
        return "?" + urlencode({k: v for k, v in merged.items() if v and not (k == "sort" and v == "received")})

    return await _page(datasette, request, "review_queue.html", {
        **data, "tabs": tabs, **args, "date_from": args["date_from"], "date_to": args["date_to"],
        "packets": packets_zh(), "sorts": rqueue.SORTS, "database": _state(datasette).database, "qs": qs,
        "can_bulk": _role(request) in ("reviewer", "admin"),
        "quarantine_files": data["quarantined_files"],
    })


async def export_view(datasette, request):
    """The export page (GET /-/review/export) and its downloads (/-/review/export.csv|.xlsx)."""
    from . import export_page

    try:
        role = _require(request)
    except ReviewError as exc:
        return await _error(datasette, request, exc)
    args = {"status": request.args.get("status", "verified"), "packet": request.args.get("packet", ""),
            "date_from": request.args.get("from", ""), "date_to": request.args.get("to", "")}
    fmt = request.url_vars.get("fmt")
    if fmt in ("csv", "xlsx"):
        body, n = await _run(datasette, export_page.build, fmt, **args, masked=role == "viewer")
        kind = "text/csv; charset=utf-8" if fmt == "csv" else \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(body, content_type=kind, headers={
            "content-disposition": f'attachment; filename="{export_page.file_name(fmt)}"',
            "x-export-count": str(n), "x-content-type-options": "nosniff"})
    count = await _run(datasette, lambda db: len(export_page.selected_ids(db, **args)))
    statuses = [("verified", "已核验"), ("declined", "已驳回"), ("pending", "待处理")] + [
        (k, label) for k, (label, _) in QUEUE_TABS.items() if k not in ("verified", "declined")] + [("all", "全部")]
    query = urlencode({k2: v for k2, v in {"status": args["status"], "packet": args["packet"],
                                           "from": args["date_from"], "to": args["date_to"]}.items() if v})
    return await _page(datasette, request, "review_export.html", {
        **args, "count": count, "statuses": statuses, "packets": packets_zh(), "query": query,
        "masked": role == "viewer"})


async def bulk_approve(datasette, request):
    try:
        _require(request, "reviewer", "admin", post=True)
        form = await request.post_vars()
        picks = {}
        for k, v in form.items():
            if k.startswith("pick_") and plain_id(k[5:]) is not None:
                picks[int(k[5:])] = v
        if not picks:
            raise ReviewError("请先勾选要批量批准的申请。")
        if form.get("confirm") != "1":
            raise ReviewError("批量批准需要确认。")
        done, refused = await _run(datasette, rqueue.bulk_approve, picks, request.actor["id"])
    except ReviewError as exc:
        return await _error(datasette, request, exc)
    if _wants_json(request):
        return Response.json({"ok": True, "approved": done, "refused": refused})
    datasette.add_message(request, f"已批量批准 {len(done)} 件申请。")
    for line in refused[:10]:
        datasette.add_message(request, line, datasette.WARNING)
    back = safe_next(form.get("back") or "/-/review")
    return Response.redirect(back)


async def take_over(datasette, request):
    """Take a submission another reviewer holds (or, as admin, assign it to someone)."""
    try:
        submission_id = _url_id(request, "submission_id")
        role = _require(request, "reviewer", "admin", post=True)
        form = await request.post_vars()
        to = (form.get("to") or "").strip() or request.actor["id"]
        if to != request.actor["id"] and role != "admin":
            raise ReviewError("只有管理员可以把申请分配给他人。", 403)
        users = await _run(datasette, lambda db: {u["username"] for u in auth.list_users(db)
                                                  if u["active"] and u["role"] in ("reviewer", "admin")})
        if to not in users:
            raise ReviewError("该用户不存在或不能审核。")
        await _run(datasette, rqueue.take_over, submission_id, to,
                   request.actor["id"] if to != request.actor["id"] else None)
    except ReviewError as exc:
        return await _error(datasette, request, exc)
    datasette.add_message(request, "已接手该申请。" if to == request.actor["id"] else f"已分配给 {to}。")
    return Response.redirect(f"/-/review/submission/{submission_id}")


async def release_claim(datasette, request):
    """Give up one's claim on a submission (an admin: anyone's), back to the queue."""
    try:
        submission_id = _url_id(request, "submission_id")
        role = _require(request, "reviewer", "admin", post=True)
        done = await _run(datasette, rqueue.release, submission_id, request.actor["id"], role == "admin")
    except ReviewError as exc:
        return await _error(datasette, request, exc)
    if _wants_json(request):
        return Response.json({"ok": True, "released": done})
    datasette.add_message(request, "已释放认领，其他审核员可以接手。" if done else "该申请没有可释放的认领。")
    return Response.redirect("/-/review")
