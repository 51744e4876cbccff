"""The request helpers every review page shares: who is asking, running a database call off
the event loop, rendering a page or a Chinese error, ids from URLs, and where to go after
signing in. The handlers (views.py, image_views.py, queue_views.py, ledger_page.py,
lists_page.py) import these; routes.py puts the handlers together."""
from __future__ import annotations

import asyncio
import re
from urllib.parse import quote, urlsplit

from datasette.utils.asgi import Response

from intake.db import connect

from . import auth, service
from .context import role_of, state
from .service import ReviewError

__all__ = ["DEFAULT_NEXT", "Response", "ReviewError", "_error", "_page", "_require", "_role", "_run", "_state",
           "_url_id", "_wants_json", "plain_id", "safe_next"]

DEFAULT_NEXT = "/-/review"
# Ids in URLs are plain ASCII digits of a sane length (str.isdigit() also accepts "²" and "٣").
_ID = re.compile(r"^[0-9]{1,12}$")


def _state(datasette):
    return state(datasette)


def _role(request) -> str | None:
    return role_of(request.actor)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def _run(datasette, fn, *args, **kwargs):
    path = _state(datasette).path
    if not path:
        raise ReviewError("未找到 docintake 数据库（需要包含 submissions 表）。", 503)

    def work():
        db = connect(path, migrate=False)
        try:
            return fn(db, *args, **kwargs)
        finally:
            db.conn.close()

    return await asyncio.to_thread(work)


async def _page(datasette, request, template, context, status=200):
    context = dict(context)
    context.setdefault("actor", request.actor)
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html, status=status)


async def _error(datasette, request, exc: ReviewError):
    if _wants_json(request):
        return Response.json({"ok": False, "error": exc.message}, status=exc.status)
    return await _page(datasette, request, "review_message.html",
                       {"title": "操作未完成", "message": exc.message, "status": exc.status,
                        "back": request.headers.get("referer")}, status=exc.status)


def _require(request, *roles, post: bool = False):
    if post and request.method != "POST":
        raise ReviewError("请使用表单提交。", 405)
    role = _role(request)
    if role is None:
        raise ReviewError("请先登录。", 403)
    if roles and role not in roles:
        raise ReviewError(f"您的角色（{auth.ROLE_ZH[role]}）无权执行此操作。", 403)
    return role


def plain_id(value) -> int | None:
    """`value` as an id when it is 1-12 ASCII digits, else None (the caller answers 404)."""
    return int(value) if isinstance(value, str) and _ID.match(value) else None


def _url_id(request, name: str) -> int:
    value = plain_id(request.url_vars.get(name))
    if value is None:
        raise service.NotFound("找不到该页面。")
    return value


async def reviewer_post(request, name: str = "submission_id"):
    """The URL's id and the posted form of a reviewer's (or admin's) write: every write handler
    checks the method and the role before it reads a byte of the body."""
    item_id = _url_id(request, name)
    _require(request, "reviewer", "admin", post=True)
    return item_id, await request.post_vars()


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this server, never another site.

    Browsers strip tabs and newlines from URLs and read "\\" as "/", so "/\t/evil" or "/\\evil"
    would leave the site; anything with a control character or a backslash, or that a URL parser
    sees a scheme or host in, is replaced by the queue.
    """
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return DEFAULT_NEXT
    if target == "/":
        return DEFAULT_NEXT  # Datasette's English index is nobody's landing page
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return DEFAULT_NEXT
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return DEFAULT_NEXT
    # Non-ASCII (a Chinese search term) is percent-encoded: a Location header is Latin-1.
    return quote(target, safe="/?&=%#:@!$'()*+,;~-._")
