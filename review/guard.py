"""The outermost ASGI wrapper of the review server (installed by `plugin.asgi_wrapper`).

It runs before Datasette's own CSRF check and routing:
- anonymous requests reach only static files and the sign-in page;
- a POST (any unsafe method) from another origin is refused: Sec-Fetch-Site must be
  same-origin (or none: typed by the user) and Origin, when sent, must equal this server's own
  scheme://host:port. Another port of the same host is another origin, although browsers
  count it as same-site (so SameSite=Lax alone does not stop it);
- request bodies are capped (413 before reading further) - the sign-in form far lower;
- every response gets frame-ancestors 'none' / X-Frame-Options DENY, and behind HTTPS every
  cookie the server sets (Datasette's ds_csrftoken included) is marked Secure;
- Datasette's own HTML pages (index, database, tables, SQL, /-/ pages) are for admins: anyone
  else asking for "/" lands on the queue, for the others gets a Chinese page inside the
  docintake frame (`datasette_page` decides; JSON and CSV stay governed by the permissions).
"""
from __future__ import annotations

from urllib.parse import quote

from datasette.utils.asgi import Request, Response

OPEN_PREFIXES = ("/-/static/", "/-/static-plugins/", "/-/review/static/", "/-/review/login")
OPEN_PATHS = ("/favicon.ico", "/robots.txt")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
ADMIN_ONLY_PATH = "/-/review/admin-only"  # what non-admins get for Datasette's own pages
LOGIN_BODY_MAX = 8 * 1024        # user name, password (<= 256), CSRF token, next
BODY_MAX = 256 * 1024            # the largest review form is a 2000-character correction
SECURITY_HEADERS = [
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


def _headers(scope) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in scope.get("headers") or []}


def wants_html(scope) -> bool:
    path = scope["path"]
    if scope["method"] not in ("GET", "HEAD"):
        return False
    if path.endswith((".json", ".csv", ".db", ".png", ".jpg")) or b"_format=" in scope.get("query_string", b""):
        return False
    accept = _headers(scope).get(b"accept", b"").decode("latin-1")
    return "application/json" not in accept or "text/html" in accept


def datasette_page(path: str, databases) -> bool:
    """True for Datasette's own pages: the index, a database and what is under it, and the
    /-/ pages other than the review UI's. Other paths reach Datasette's router (and its 404)."""
    if path == "/" or path.startswith("/-/"):
        return not path.startswith(("/-/review", "/-/static", "/-/static-plugins"))
    first = path.split("/", 2)[1]
    return any(first == name or first.startswith(name + ".") for name in databases)


def own_origins(scope, https: bool, extra=()) -> set[str]:
    host = _headers(scope).get(b"host", b"").decode("latin-1").strip().lower()
    schemes = {scope.get("scheme", "http")} | ({"https"} if https else set())
    out = {f"{s}://{host}" for s in schemes if host}
    # A default port may be left out of Host but is never written in Origin, and vice versa.
    for s, default in (("http", ":80"), ("https", ":443")):
        out |= {o[: -len(default)] for o in out if o.startswith(s + "://") and o.endswith(default)}
    return out | {o.lower() for o in extra}


def cross_origin(scope, https: bool, extra=()) -> bool:
    """True when an unsafe request was sent by a page of another origin."""
    h = _headers(scope)
    site = h.get(b"sec-fetch-site", b"").decode("latin-1").strip().lower()
    if site and site not in ("same-origin", "none"):
        return True
    origin = h.get(b"origin")
    if origin is None:
        return False  # not a browser form (curl, tests); the CSRF token still applies
    origin = origin.decode("latin-1").strip().lower().rstrip("/")
    return origin not in own_origins(scope, https, extra)


def _message(scope, status: int, zh: str, en: str) -> Response:
    if wants_html(dict(scope, method="GET")) and "json" not in _headers(scope).get(b"accept", b"").decode("latin-1"):
        body = (f"<!DOCTYPE html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>{status}</title>"
                f"<p>{zh}</p><p><a href=\"/-/review\">返回审核队列</a></p></html>")
        return Response.html(body, status=status)
    return Response.json({"ok": False, "error": f"{zh}{en}", "status": status}, status=status)


async def _read_capped(receive, limit: int) -> tuple[list[dict], bool]:
    """The body's messages, or (partial, True) as soon as more than `limit` bytes arrived."""
    messages, total = [], 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, False
        total += len(message.get("body", b""))
        if total > limit:
            return messages, True
        if not message.get("more_body"):
            return messages, False


def _replay(messages: list[dict], receive):
    queue = list(messages)

    async def replayed():
        if queue:
            return queue.pop(0)
        return await receive()

    return replayed


def gate_wrapper(datasette, resolve_actor, get_state):
    def wrap(app):
        async def gate(scope, receive, send):
            if scope.get("type") != "http":
                return await app(scope, receive, send)
            st = get_state()

            async def send_secured(message):
                if message["type"] == "http.response.start":
                    headers = [(k, v) for k, v in message.get("headers", [])
                               if k.lower() not in {h for h, _ in SECURITY_HEADERS}]
                    if st.https:
                        headers = [(k, v + b"; Secure" if k.lower() == b"set-cookie" and b"secure" not in v.lower()
                                    else v) for k, v in headers]
                    message = dict(message, headers=headers + SECURITY_HEADERS)
                await send(message)

            path = scope.get("path", "")
            method = scope.get("method", "GET")
            if method not in SAFE_METHODS:
                if cross_origin(scope, st.https, st.origins):
                    return await _message(scope, 403, "请求来自其他网站，已拒绝。",
                                          " Cross-origin request refused.").asgi_send(send_secured)
                limit = LOGIN_BODY_MAX if path.startswith("/-/review/login") else BODY_MAX
                length = _headers(scope).get(b"content-length", b"0")
                try:
                    too_big = int(length) > limit
                except ValueError:
                    too_big = True
                if too_big:
                    return await _message(scope, 413, "提交的内容过大。", " Request body too large.").asgi_send(send_secured)
                messages, too_big = await _read_capped(receive, limit)
                if too_big:
                    return await _message(scope, 413, "提交的内容过大。", " Request body too large.").asgi_send(send_secured)
                receive = _replay(messages, receive)
            if path.startswith(OPEN_PREFIXES) or path in OPEN_PATHS:
                return await app(scope, receive, send_secured)
            actor = await resolve_actor(datasette, Request(scope, receive))
            if actor is not None:
                if (actor.get("role") != "admin" and wants_html(scope)
                        and datasette_page(path, datasette.databases)):
                    if path == "/":  # the README's address: land on the queue
                        return await Response.redirect("/-/review").asgi_send(send_secured)
                    # rendered by the review UI's own route, so that the frame (and its CSRF
                    # token for signing out) is the same as on every other page
                    inner = dict(scope, path=ADMIN_ONLY_PATH, raw_path=ADMIN_ONLY_PATH.encode(), query_string=b"",
                                 docintake_actor=actor)
                    return await app(inner, receive, send_secured)
                return await app(dict(scope, docintake_actor=actor), receive, send_secured)
            if wants_html(scope):
                target = path + (("?" + scope["query_string"].decode("latin-1")) if scope.get("query_string") else "")
                response = Response.redirect("/-/review/login?next=" + quote(target, safe=""))
            else:
                response = Response.json({"ok": False, "error": "请先登录。Sign in first.", "status": 403},
                                         status=403)
            await response.asgi_send(send_secured)

        return gate

    return wrap

