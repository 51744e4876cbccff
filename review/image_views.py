"""The page-image handlers: the full-resolution page (PNG), the web-sized WebP sizes the viewer
loads (review/images.py), and the archived original for staff. Registered in routes.ROUTES."""
from __future__ import annotations

import asyncio
import io
import re
from urllib.parse import quote

from datasette.utils.asgi import Response

from . import images, service
from .service import ReviewError
from .http import _error, _require, _run, _state, _url_id, plain_id


def _image_bytes(db, page_id: int, db_path: str, redact: bool):
    """The page image at full resolution as PNG: the stored file for staff, redacted for viewers."""
    row = db.execute("SELECT image_path FROM pages WHERE id = ?", [page_id]).fetchone()
    path = images.resolve(row[0] if row else None, db_path)
    if path is None:
        return None
    if not redact:
        kind = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}
        return path.read_bytes(), kind.get(path.suffix.lower(), "application/octet-stream")
    from PIL import Image, ImageDraw

    boxes = service.redaction_boxes(db, page_id)
    with Image.open(path) as im:
        im = im.convert("RGB")
        draw = ImageDraw.Draw(im)
        for box in boxes:
            x0, y0, x1, y1 = box
            draw.rectangle((x0 - 2, y0 - 2, x1 + 2, y1 + 2), fill=(60, 60, 60))
        out = io.BytesIO()
        im.save(out, "PNG")
    return out.getvalue(), "image/png"


def _not_found() -> Response:
    return Response.text("页面图像不存在。Not found.", status=404)


def _image_request(request) -> tuple[str, int] | Response:
    """The signed-in role and the page id of an image request, or the plain answer to send
    instead (an image is fetched by <img>, so it gets text, not the HTML error page)."""
    try:
        role = _require(request)
    except ReviewError as exc:
        return Response.text(exc.message, status=exc.status)
    page_id = plain_id(request.url_vars["page_id"])
    return _not_found() if page_id is None else (role, page_id)


async def page_image(datasette, request):
    asked = _image_request(request)
    if isinstance(asked, Response):
        return asked
    role, page_id = asked
    st = _state(datasette)
    result = await _run(datasette, _image_bytes, page_id, st.path, role == "viewer")
    if result is None:
        return _not_found()
    body, content_type = result
    return Response(body, content_type=content_type,
                    headers={"cache-control": "private, max-age=300", "x-content-type-options": "nosniff"})


def _web_image(db, page_id: int, db_path: str, size: str, masked: bool):
    # a viewer's copy is redacted over the boxes computed now: the key (and so the cache file and
    # the ETag) changes with them, so an edit that adds a personal value never serves an old copy
    boxes = service.redaction_boxes(db, page_id) if masked else None
    return images.web_image(db, page_id, db_path, size, boxes)


async def page_web_image(datasette, request):
    """A web-sized page image (thumb / fit / full WebP), cached on disk, with caching headers."""
    asked = _image_request(request)
    if isinstance(asked, Response):
        return asked
    role, page_id = asked
    size = request.url_vars["size"]
    if size not in images.SIZES:
        return _not_found()
    img = await _run(datasette, _web_image, page_id, _state(datasette).path, size, role == "viewer")
    if img is None:
        return _not_found()
    # A URL naming the current content (?v=key) never changes: a year, immutable. Without it
    # (or with an old key) the browser revalidates by ETag every time.
    fresh = request.args.get("v") and img.etag.strip('"').startswith(request.args.get("v") + "-")
    headers = {
        "etag": img.etag,
        "cache-control": "private, max-age=31536000, immutable" if fresh else "private, no-cache",
        "x-content-type-options": "nosniff",
        "vary": "cookie",
    }
    if request.headers.get("if-none-match") == img.etag:
        return Response("", status=304, headers=headers)
    body = await asyncio.to_thread(img.path.read_bytes)
    return Response(body, content_type=img.content_type, headers=headers)


# Datasette replaces Cache-Control with "private, no-store" on every signed-in response except
# its static handlers'. A page image is private but fixed by its content key, so it opts in to
# the static treatment (for 200/304 only; the sign-in gate in guard.py still runs first) and
# sets its own private caching headers above.
page_web_image._datasette_static = True


async def original_file(datasette, request):
    """The archived original of a file, byte for byte, for reviewers and admins (viewers get the
    masked page images only: the original holds every personal value unmasked)."""
    try:
        file_id = _url_id(request, "file_id")
        _require(request, "reviewer", "admin")
        found = await _run(datasette, images.original, file_id, _state(datasette).path)
        if found is None:
            raise service.NotFound("原件不存在（可能未归档或已被移走）。")
    except ReviewError as exc:
        return await _error(datasette, request, exc)
    path, name, content_type = found
    disposition = "inline" if request.args.get("inline") else "attachment"
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", name) or "original"
    body = await asyncio.to_thread(path.read_bytes)
    return Response(body, content_type=content_type, headers={
        "content-disposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
        "cache-control": "private, no-store", "x-content-type-options": "nosniff",
        "content-security-policy": "sandbox",
    })
