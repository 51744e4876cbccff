"""docintake's review UI as a Datasette plugin (registered as the `docintake_review` entry point).

Hooks only; the pages are in `routes.py` (handlers in `views.py` and beside it), the data access in `service.py`.

Auth in one paragraph: an HttpOnly, SameSite=Lax cookie (`docintake_session`, or
`__Host-docintake_session` behind HTTPS) holds a random token naming a row of the `sessions`
table (review/sessions.py); `actor_from_request` turns a live, unrevoked session of an active
user into an actor. An ASGI wrapper (outermost, before Datasette's CSRF check) lets nothing but
static files and the sign-in page through for anonymous requests (browsers are redirected to
sign in, anything else gets 403), refuses POSTs from another origin (Origin / Sec-Fetch-Site)
and bodies over a size cap, and adds frame-ancestors 'none' to every response.
`permission_allowed` denies every action to anonymous or foreign actors, the raw
personal-data tables to viewers, and password hashes and the unmasked outbox to everyone;
`prepare_connection` backs that with an SQLite authorizer so that an admin's SQL cannot read
them either.
"""
from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from datasette import hookimpl
from datasette.utils.asgi import Response

from . import auth, routes, sessions
from .compress import compress_wrapper, static_url
from .context import State, role_of, session_token, state  # noqa: F401 - re-exported (the views use .context)
from .guard import OPEN_PATHS, OPEN_PREFIXES, gate_wrapper  # noqa: F401  (re-exported)
from .metadata import metadata_for
from intake.masking import PERSONAL_VALUES_SQL

log = logging.getLogger(__name__)

PLUGIN = "docintake-review"
HERE = Path(__file__).resolve().parent

# The only tables and views a viewer may read in Datasette (an allow-list, so that a table a
# later migration adds is closed to viewers until someone decides otherwise). Everything else
# holds personal data unmasked, server paths, or staff accounts; viewers read submissions
# through the masked views and the review pages.
VIEWER_ALLOWED = {"review_queue", "fields_masked", "audit_masked"}
# Nobody reads these through Datasette: password hashes, session tokens, sign-in attempts, the
# unmasked outbox payloads and what the receiver answered. The plugin reads them on its own
# connections (intake.db.connect), never on Datasette's.
ALWAYS_DENIED = {"users", "sessions", "login_attempts", "outbox", "deliveries"}
# Columns no SQL on Datasette's connections may read (an admin's ad-hoc SQL included): the
# authorizer turns them into NULL. `users` keeps its other columns (the sign-in gate reads
# username/role/active through Datasette).
DENIED_COLUMNS = {"users": {"password_hash"}}  # session ids are SHA-256 of tokens: not replayable
DENIED_TABLES = {"outbox", "deliveries", "login_attempts"}


def _has_docintake_tables(path: str) -> bool:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return "submissions" in names


def _prepare(path: str) -> None:
    """Apply pending migrations (users, audit ...) and write the schemas' packet titles and personal keys."""
    from intake.db import connect

    from intake.migrations.m0010_registry_titles import sync_registry

    db = connect(path)
    try:
        with db.conn:
            sync_registry(db.conn)  # packet titles and personal keys as the loaded schemas say
    finally:
        db.conn.close()


@hookimpl
def startup(datasette):
    async def inner():
        st = state(datasette)
        cfg = datasette.plugin_config(PLUGIN) or {}
        st.revalidate = cfg.get("revalidate")
        st.https = bool(cfg.get("https")) or os.environ.get("DOCINTAKE_HTTPS", "") in ("1", "true", "yes")
        st.origins = tuple(o.rstrip("/") for o in (cfg.get("origins") or []))
        st.trusted_proxies = tuple(cfg.get("trusted_proxies") or ())
        wanted = cfg.get("database")
        for name, db in datasette.databases.items():
            if db.is_memory or not db.path or (wanted and name != wanted):
                continue
            if _has_docintake_tables(db.path):
                st.database, st.path = name, db.path
                break
        if st.path:
            await asyncio.to_thread(_prepare, st.path)
        else:
            log.warning("docintake review: no database with a submissions table is being served")

    return inner


@hookimpl
def prepare_jinja2_environment(env, datasette):
    # Entry-point plugins that are modules (not packages) get no templates_path from Datasette;
    # put review/templates before Datasette's defaults (after any --template-dir).
    fs = env.loader.loaders[0]
    fs.searchpath.insert(max(0, len(fs.searchpath) - 1), str(HERE / "templates"))


@hookimpl
def get_metadata(datasette, key, database, table):
    st = state(datasette)
    return metadata_for([st.database] if st.database else [])


# ---------------------------------------------------------------- authentication

async def resolve_actor(datasette, request) -> dict | None:
    st = state(datasette)
    params = sessions.lookup_params(session_token(request))
    if params is None or not st.database:
        return None
    db = datasette.get_database(st.database)
    row = (await db.execute(sessions.LOOKUP_SQL, params)).first()
    if row is None or row["role"] not in auth.ROLES:
        return None
    user = auth.User(row["id"], row["username"], row["display_name"] or "", row["role"], True, row["session_epoch"])
    return user.actor()


@hookimpl
def actor_from_request(datasette, request):
    async def inner():
        if "docintake_actor" in request.scope:
            return request.scope["docintake_actor"]
        return await resolve_actor(datasette, request)

    return inner


@hookimpl
def asgi_wrapper(datasette):
    gate = gate_wrapper(datasette, resolve_actor, lambda: state(datasette))
    return lambda app: compress_wrapper(gate(app))  # outermost: compresses what the gate lets through


# ---------------------------------------------------------------- authorization

@hookimpl(trylast=True)
def permission_allowed(datasette, actor, action, resource):
    role = role_of(actor)
    if role is None:
        return False  # anonymous, or an actor this plugin did not sign in (e.g. --root): nothing
    if action in ("view-database-download", "permissions-debug", "debug-menu"):
        return False  # the whole file holds hashes and unmasked personal data
    if action == "execute-sql":
        return role == "admin"
    if action == "view-table" and resource:
        table = resource[1]
        if table in ALWAYS_DENIED:
            return False
        if role == "viewer" and table not in VIEWER_ALLOWED:
            return False
    if action == "view-query" and resource and role == "viewer":
        return resource[1].startswith("masked_") or False
    return None


def _authorizer(action, arg1, arg2, dbname, source):
    # SQLITE_READ: arg1 table, arg2 column. Views over these tables are checked too, since
    # SQLite reports the underlying table's columns.
    if action == sqlite3.SQLITE_READ:
        if arg1 in DENIED_TABLES or arg2 in DENIED_COLUMNS.get(arg1, ()):
            return sqlite3.SQLITE_IGNORE  # read as NULL
    return sqlite3.SQLITE_OK


@hookimpl
def prepare_connection(conn):
    from intake.masking import register

    register(conn)
    conn.set_authorizer(_authorizer)


@hookimpl
def canned_queries(datasette, database, actor):
    if database != state(datasette).database:
        return None
    values = PERSONAL_VALUES_SQL.format(sid="f.submission_id")
    page_text = f"docintake_mask_text(p.text, {values})"
    return {
        "masked_page_text": {
            "title": "页面文字（脱敏）",
            "description": "按关键词查找页面识别文字；身份证号、电话、账号、住址等个人信息已脱敏。",
            "sql": (
                f"SELECT p.id AS page_id, f.submission_id, docintake_mask_text(f.name, {values}) AS 文件, "
                f"p.number AS 页码, {page_text} AS 文字 FROM pages p JOIN files f ON f.id = p.file_id "
                f"WHERE :q = '' OR instr({page_text}, :q) > 0 ORDER BY p.id LIMIT 200"
            ),
        },
        "masked_ocr_lines": {
            "title": "识别文字行（脱敏）",
            "sql": (
                f"SELECT l.page_id, l.idx AS 行号, docintake_mask_text(l.text, {values}) AS 文字, "
                "l.confidence AS 置信度 FROM ocr_lines l JOIN pages p ON p.id = l.page_id "
                "JOIN files f ON f.id = p.file_id "
                "WHERE :page_id = '' OR l.page_id = :page_id ORDER BY l.page_id, l.idx LIMIT 1000"
            ),
        },
    }


@hookimpl
def forbidden(datasette, request, message):
    async def inner():
        actor = request.actor
        if role_of(actor) is None:
            return Response.redirect("/-/review/login?next=" + quote(request.full_path, safe=""))
        if request.path.endswith((".json", ".csv")):
            return Response.json({"ok": False, "error": "无权访问。Forbidden.", "status": 403}, status=403)
        return Response.html(
            await datasette.render_template(
                "review_message.html",
                {"title": "无权访问", "message": f"您的角色（{actor.get('role_zh', '')}）无权访问此页面或数据。",
                 "status": 403},
                request=request,
            ),
            status=403,
        )

    return inner


ERROR_PAGES = {
    404: ("找不到页面", "您要访问的页面不存在，或链接已失效。"),
    500: ("服务器出错", "服务器处理请求时出错，已记录在日志中。请稍后重试；如仍出错，请联系管理员。"),
}


@hookimpl
def handle_exception(datasette, request, exception):
    """Datasette's 404 and 500 as a Chinese page inside the docintake frame, with a way back
    to the queue (JSON/CSV requests keep Datasette's JSON error)."""
    from datasette.utils.asgi import NotFound

    status = 404 if isinstance(exception, NotFound) else getattr(exception, "status", 500)
    if status not in ERROR_PAGES or request is None:
        return None
    if status == 500:
        # logged in full here; the client never sees the exception's text (it can quote paths)
        log.error("unhandled error on %s", request.path, exc_info=exception)
    as_data = request.path.endswith((".json", ".csv")) or "application/json" in request.headers.get("accept", "")
    if as_data:
        if status != 500:
            return None  # Datasette's JSON 404 names what was not found, which is fine
        return Response.json({"ok": False, "error": "服务器出错。Internal server error.", "status": 500}, status=500)

    async def inner():
        title, message = ERROR_PAGES[status]
        html = await datasette.render_template(
            "review_message.html", {"title": title, "message": message, "status": status}, request=request)
        return Response.html(html, status=status)

    return inner


@hookimpl
def menu_links(datasette, actor):
    role = role_of(actor)
    if role is None:
        return []
    links = [
        {"href": "/-/review", "label": "审核队列"},
        {"href": "/-/review/audit", "label": "审计日志"},
    ]
    if role == "admin":
        links.append({"href": "/-/review/users", "label": "用户管理"})
    return links


@hookimpl
def extra_template_vars(request, datasette):
    actor = request.actor if request is not None else None
    return {
        "review_actor": actor if role_of(actor) else None,
        "review_static": static_url,  # ?v=<content hash>: cached for a year (review/compress.py)
    }


@hookimpl
def register_routes(datasette):
    return routes.ROUTES
