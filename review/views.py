"""The review pages (registered by `plugin.register_routes`).

Handlers are thin: check the role, run a `service` function on a fresh connection in a thread,
render a template or answer JSON (when the request asks for `application/json`).
"""
from __future__ import annotations

import json
import logging

from datasette.utils.asgi import Response

from intake.errors import UsageError
from intake.notices.reasons import RETURN_REASONS
from intake.validation.lists import not_checked

from . import auth, decisions, images, qr_notes, returned, service, sessions, throttle
from . import queue as rqueue
from .context import session_token
from .http import (DEFAULT_NEXT, reviewer_post, _error, _page, _require, _role, _run, _state, _url_id, _wants_json,  # noqa: F401
                   plain_id, safe_next)
from .service import ReviewError

log = logging.getLogger(__name__)


def _client(request, trusted: tuple = ()) -> str:
    """The client's address for sign-in throttling. Behind a reverse proxy listed in the
    `trusted_proxies` setting, the address the proxy appended to X-Forwarded-For (the last
    entry: earlier ones are whatever the client sent)."""
    client = request.scope.get("client")
    peer = str(client[0]) if client else "unknown"
    if peer in trusted:
        forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",") if a.strip()]
        if forwarded:
            return forwarded[-1][:64]
    return peer


def _cookie_name(datasette) -> str:
    return sessions.SECURE_COOKIE if _state(datasette).https else sessions.COOKIE


def _secure(datasette, request) -> bool:
    return _state(datasette).https or request.scheme == "https"


# ---------------------------------------------------------------- sign in / out

async def login(datasette, request):
    next_url = safe_next(request.args.get("next"))
    if request.method == "GET":
        if _role(request):
            return Response.redirect(next_url)
        return await _page(datasette, request, "review_login.html", {"next": next_url, "error": None})
    if "ds_csrftoken" not in request.cookies:
        # asgi-csrf does not check requests without cookies; demand the token cookie ourselves.
        return await _page(datasette, request, "review_login.html",
                           {"next": next_url, "error": "页面已过期，请刷新后重新登录。"}, status=400)
    form = await request.post_vars()
    username = (form.get("username") or "").strip()
    password = form.get("password") or ""
    next_url = safe_next(form.get("next"))

    def again(error: str, status: int):
        return _page(datasette, request, "review_login.html",
                     {"next": next_url, "error": error, "username": username[:64]}, status=status)

    if len(password) > auth.MAX_PASSWORD or len(username) > 64:
        return await again("用户名或密码错误。", 401)
    try:
        client = _client(request, _state(datasette).trusted_proxies)
        attempt = await _run(datasette, throttle.begin, username, client)
    except throttle.Throttled as exc:
        return await again(exc.message, 429)
    user = await _run(datasette, auth.authenticate, username, password)
    if user is None:
        log.info("failed sign-in for %r from %s", username, client)
        return await again("用户名或密码错误。", 401)
    await _run(datasette, throttle.succeeded, attempt)
    token = await _run(datasette, auth.start_session, user, client)
    response = Response.redirect(next_url)
    response.set_cookie(_cookie_name(datasette), token, max_age=auth.SESSION_SECONDS,
                        httponly=True, samesite="lax", secure=_secure(datasette, request), path="/")
    return response


async def logout(datasette, request):
    if request.method != "POST":
        return Response.redirect("/-/review")
    await _run(datasette, auth.end_session, session_token(request))
    response = Response.redirect("/-/review/login")
    for name in (sessions.COOKIE, sessions.SECURE_COOKIE):
        if name in request.cookies:
            response.set_cookie(name, "", max_age=0, expires=0, httponly=True, samesite="lax",
                                secure=name.startswith("__Host-") or _secure(datasette, request), path="/")
    return response


# ---------------------------------------------------------------- queue

async def next_submission(datasette, request):
    try:
        _require(request)
    except ReviewError as exc:
        return await _error(datasette, request, exc)
    nxt = await _run(datasette, service.next_submission, plain_id(request.args.get("after")))
    if nxt is None:
        datasette.add_message(request, "没有更多待处理的申请。")
        return Response.redirect("/-/review")
    return Response.redirect(f"/-/review/submission/{nxt}")


# ---------------------------------------------------------------- submission

async def _submission_context(datasette, request, submission_id: int) -> dict:
    role = _role(request)
    masked = role == "viewer"
    data = await _run(datasette, service.submission, submission_id, masked)
    db_path = _state(datasette).path
    views = await _run(datasette, lambda db: images.viewer_pages(
        db, data["pages"], db_path, (lambda pid: service.redaction_boxes(db, pid)) if masked else None))
    missing = [v["id"] for v in views if not v["missing"] and not v.get("cached")]
    if missing and db_path:
        images.warm(db_path, missing, service.redaction_boxes if masked else None)
    for p, v in zip(data["pages"], views):
        p.update(v)
    index = {(p["file_id"], p["number"]): i for i, p in enumerate(data["pages"])}
    for d in data["documents"]:  # a document tab opens the viewer on the document's first page
        found = [index[(d["file_id"], n)] for n in d["page_numbers"] if (d["file_id"], n) in index]
        d["page_indexes"] = found
        d["first_page"] = found[0] if found else None
    if db_path:  # an OFD / 数电票 XML invoice: its QR's values beside its fields
        await _run(datasette, lambda db: qr_notes.annotate(data, db_path))
    data["viewer_json"] = _viewer_json(data["pages"], masked)
    data["reasons"] = _reasons(data)
    staff = role in ("reviewer", "admin")
    decided = bool(data["submission"].get("decision"))
    data.update({
        "role": role,
        # a decided submission is read-only for everyone until reopened
        "can_edit": staff and not decided,
        "can_reopen": staff and decided,
        "decided": decided,
        "open_errors": [f for f in data["findings"] if f["severity"] == "error"],
        "masked": masked,
        "can_requeue": service.requeue_available() is not None and staff and not decided,
        "database": _state(datasette).database,
        "not_checked": not_checked(data["submission"].get("lists_used")),
    })
    data.update(await _run(datasette, returned.context, submission_id))  # 退回补正 links and notices
    return data


def _reasons(data: dict) -> list[dict]:
    """Every reason the submission needs a human, each linking to where it is: unreadable
    files, findings (to their first field's box), low-confidence and missing fields, a QR that disagrees."""
    out = []
    for f in data["quarantined"]:
        f["reason_zh"] = rqueue.quarantine_zh(f.get("reason"))
        out.append({"kind": "error", "text": f"无法读取的文件：{f['name']}（{f['reason_zh']}）", "href": f"#file-{f['id']}",
                    "uid": None})
    uids = {(d["type"], fl["key"]): fl["uid"] for d in data["documents"] for fl in d["field_list"]}
    for fd in data["findings"]:
        uid = next((uids[(t, k)] for k in fd["fields"] for t in (fd["documents"] or [d["type"] for d in data["documents"]])
                    if (t, k) in uids), None)
        out.append({"kind": fd["severity"], "text": f"{fd['severity_zh']}：{fd['message']}",
                    "href": f"#{uid}" if uid else "#rv-findings", "uid": uid})
    for d in data["documents"]:
        for fl in d["field_list"]:
            if fl["low"]:
                out.append({"kind": "warning", "text": f"{d['title']}·{fl['label']} 置信度低，请核对",
                            "href": f"#{fl['uid']}", "uid": fl["uid"]})
            qr = fl.get("qr_note")
            if qr and not qr["ok"]:  # the invoice's own QR contradicts the field
                out.append({"kind": "warning", "text": f"{d['title']}·{qr['text']}", "href": f"#{fl['uid']}",
                            "uid": fl["uid"]})
    return out


def _viewer_json(pages: list[dict], masked: bool) -> str:
    """The viewer's page list, safe inside <script type="application/json">."""
    out = []
    for p in pages:
        out.append({
            "id": p["id"], "file_id": p["file_id"], "number": p["number"], "width": p["width"],
            "height": p["height"], "thumb": p["thumb"], "fit": p["fit"], "full": p["full"], "missing": p["missing"],
            "caption": f"{p['file_name']} · 第 {p['number']} 页" + (f" · {'、'.join(p['documents'])}" if p["documents"] else ""),
            "boxes": [{k: b[k] for k in ("uid", "x", "y", "w", "h", "label", "title")} for b in p["boxes"]],
            "seals": p.get("seals") or [],
            # a viewer opens the masked full image, staff the archived original
            "open": p["full"]["url"] if masked else f"/-/review/file/{p['file_id']}/original?inline=1",
            "download": None if masked else f"/-/review/file/{p['file_id']}/original",
        })
    return json.dumps(out, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


async def submission(datasette, request):
    try:
        role = _require(request)
        sid = _url_id(request, "submission_id")
        holder = None
        if role in ("reviewer", "admin"):  # claimed before the page is read: its history shows the claim
            holder = await _run(datasette, rqueue.claim_if_open, sid, request.actor["id"])
        ctx = await _submission_context(datasette, request, sid)
        if holder and not ctx["decided"]:
            names = await _run(datasette, lambda db: service.display_names(db))
            ctx["claimed_by"] = holder
            ctx["claimed_by_zh"] = names.get(holder, holder)
            ctx["claimed_by_other"] = holder != request.actor["id"]
            if role == "admin":  # an admin may hand the submission to a reviewer
                ctx["assignees"] = await _run(datasette, lambda db: [
                    (u["username"], u["display_name"] or u["username"]) for u in auth.list_users(db)
                    if u["active"] and u["role"] in ("reviewer", "admin")])
    except ReviewError as exc:
        return await _error(datasette, request, exc)
    if request.path.endswith(".json") or _wants_json(request):
        return Response.json({"ok": True, **{k: ctx[k] for k in ("submission", "documents", "findings", "files")}},
                             default=str)
    return await _page(datasette, request, "review_submission.html", ctx)


async def _after_write(datasette, request, submission_id: int, version: int, message: str, warning: str | None,
                       unchanged: bool = False):
    if _wants_json(request):
        ctx = await _submission_context(datasette, request, submission_id)
        findings_html = await datasette.render_template("_review_findings.html", ctx, request=request)
        overrides_html = await datasette.render_template("_review_overrides.html", ctx, request=request)
        sub = ctx["submission"]
        return Response.json({
            "ok": True, "version": version, "message": message, "warning": warning, "unchanged": unchanged,
            "status": sub["status"], "status_zh": sub["status_zh"], "status_css": sub["status_css"],
            "outcome_kind": sub["outcome_kind"],
            "finding_count": len(ctx["findings"]), "findings_html": findings_html, "overrides_html": overrides_html,
            "flags": {f["uid"]: f["flag"] for d in ctx["documents"] for f in d["field_list"]},
            # the stored (normalized) values, shown in place of what was typed
            "values": {f["uid"]: f["value"] for d in ctx["documents"] for f in d["field_list"]},
        })
    datasette.add_message(request, message)
    if warning:
        datasette.add_message(request, warning, datasette.WARNING)
    return Response.redirect(f"/-/review/submission/{submission_id}")


async def correct(datasette, request):
    try:
        submission_id, form = await reviewer_post(request)
        version = await _run(datasette, service.correct_field, submission_id, form.get("version"),
                             form.get("document_id"), form.get("key") or "", form.get("value") or "",
                             request.actor["id"])
    except ReviewError as exc:
        return await _error(datasette, request, exc)
    except service.Unchanged as same:
        return await _after_write(datasette, request, submission_id, same.version,
                                  "值未改变，未记录为更正。", None, unchanged=True)
    warning = await _run(datasette, service.run_revalidation, submission_id, _state(datasette).revalidate)
    return await _after_write(datasette, request, submission_id, version, "已保存更正并重新校验。", warning)


async def _after_decision(datasette, request, submission_id: int, version, message: str):
    """A decision's answer: the page's new state for the page's script, else back to the page."""
    if _wants_json(request):
        return await _after_write(datasette, request, submission_id, version, message, None)
    datasette.add_message(request, message)
    return Response.redirect(f"/-/review/submission/{submission_id}")


async def decide(datasette, request):
    try:
        submission_id, form = await reviewer_post(request)
        decision = form.get("decision") or ""
        overrides = {k[len("override_"):]: v for k, v in form.items() if k.startswith("override_")}
        version = await _run(datasette, decisions.decide, submission_id, form.get("version"), decision,
                             form.get("comment") or "", request.actor["id"], overrides)
    except ReviewError as exc:
        return await _error(datasette, request, exc)
    message = "已批准该申请。" if decision == "approve" else "已驳回该申请。"
    return await _after_decision(datasette, request, submission_id, version, message)


async def reopen(datasette, request):
    try:
        submission_id, form = await reviewer_post(request)
        version = await _run(datasette, decisions.reopen, submission_id, form.get("version"),
                             form.get("reason") or "", request.actor["id"])
    except ReviewError as exc:
        return await _error(datasette, request, exc)
    warning = await _run(datasette, service.run_revalidation, submission_id, _state(datasette).revalidate)
    return await _after_write(datasette, request, submission_id, version, "已重新打开该申请并重新校验。", warning)


async def requeue(datasette, request):
    try:
        file_id, form = await reviewer_post(request, "file_id")
        submission_id = plain_id(form.get("submission_id") or "")
        if submission_id is None:
            raise service.NotFound("找不到该申请。")
        version, _ = await _run(datasette, service.requeue, submission_id, form.get("version"), file_id,
                                request.actor["id"])
    except ReviewError as exc:
        return await _error(datasette, request, exc)
    except Exception as exc:  # noqa: BLE001 - the requeue module's own failure, shown to the reviewer
        log.exception("requeue of file %s failed", file_id)
        return await _error(datasette, request, ReviewError(f"重新排队失败：{exc}", 500))
    return await _after_write(datasette, request, submission_id, version, "文件已重新排队。", None)


# ---------------------------------------------------------------- audit and users

async def audit_page(datasette, request):
    try:
        role = _require(request)
    except ReviewError as exc:
        return await _error(datasette, request, exc)
    sid = request.args.get("submission")
    rows = await _run(datasette, service.audit_log, plain_id(sid), role == "viewer")
    if _wants_json(request):
        return Response.json({"ok": True, "rows": rows})
    return await _page(datasette, request, "review_audit.html",
                       {"rows": rows, "submission": sid, "database": _state(datasette).database,
                        "audit_table": "audit_masked" if role == "viewer" else "audit"})


async def users_page(datasette, request):
    try:
        _require(request, "admin")
    except ReviewError as exc:
        return await _error(datasette, request, exc)
    error = None
    status = 200
    if request.method == "POST":
        form = await request.post_vars()
        action = form.get("action")
        try:
            if action == "add":
                await _run(datasette, auth.add_user, form.get("username") or "", form.get("role") or "",
                           form.get("password") or "", form.get("display_name") or "", request.actor["id"])
                datasette.add_message(request, f"已添加用户 {form.get('username')}。")
            elif action == "update":
                username = (form.get("username") or "").strip()
                # users.username is COLLATE NOCASE: "Admin" is the same account as "admin".
                if username.casefold() == request.actor["id"].casefold() and (form.get("active") == "0" or
                                                       (form.get("role") and form.get("role") != "admin")):
                    raise UsageError("不能停用自己或取消自己的管理员角色。")
                await _run(datasette, auth.update_user, username, request.actor["id"],
                           role=form.get("role") or None,
                           active=None if form.get("active") in (None, "") else form.get("active") == "1",
                           password=form.get("password") or None)
                datasette.add_message(request, f"已更新用户 {username}。")
            else:
                raise UsageError("未知的操作。")
            return Response.redirect("/-/review/users")
        except UsageError as exc:
            error = exc.message.split("。")[0] + "。"
            status = 400
    users = await _run(datasette, lambda db: auth.list_users(db))
    for u in users:
        u["role_zh"] = auth.ROLE_ZH.get(u["role"], u["role"])
        u["last_login_local"] = service.local_time(u["last_login_at"])
    return await _page(datasette, request, "review_users.html",
                       {"users": users, "roles": auth.ROLE_ZH, "error": error}, status=status)


async def admin_only(datasette, request):
    """Datasette's own pages for a reviewer or viewer (review/guard.py routes them here)."""
    if _role(request) is None:
        return Response.redirect("/-/review/login")
    return await _page(datasette, request, "review_message.html", {
        "title": "无权访问", "status": 403,
        "message": "数据浏览（数据库、数据表和 SQL 查询页面）仅供管理员使用。请在审核队列中查看和处理申请。"},
        status=403)


# ---------------------------------------------------------------- 退回补正 and notices

async def return_view(datasette, request):
    try:
        submission_id, form = await reviewer_post(request)
        codes = [c for c in RETURN_REASONS if form.get(f"reason_{c}")]
        details = {c: form.get(f"detail_{c}") or "" for c in codes}
        version = await _run(datasette, returned.return_submission, submission_id, form.get("version"), codes, details,
                                   form.get("comment") or "", request.actor["id"])
    except ReviewError as exc:
        return await _error(datasette, request, exc)
    message = "已退回补正，通知已加入发送队列。"
    return await _after_decision(datasette, request, submission_id, version, message)


async def notice_pdf_view(datasette, request):
    """The notice as printed (for an applicant without e-mail, or the file)."""
    from intake.notices.outbox import notice_pdf

    try:
        _require(request, "reviewer", "admin")
        nid = _url_id(request, "notice_id")

        def work(db):
            if not db.execute("SELECT 1 FROM notices WHERE id = ?", [nid]).fetchone():
                raise service.NotFound("找不到该通知。")
            return notice_pdf(db, nid)

        body = await _run(datasette, work)
    except ReviewError as exc:
        return await _error(datasette, request, exc)
    return Response(body, content_type="application/pdf",
                          headers={"content-disposition": f'inline; filename="notice-{nid}.pdf"',
                                   "cache-control": "private, no-store", "x-content-type-options": "nosniff"})
