"""Fewer bytes for the first paint: gzip for text responses, a year's caching for versioned static files.

An ASGI wrapper outside the gate (review/guard.py), so every response passes through it:

- HTML, JavaScript, CSS, JSON and SVG are gzipped when the browser accepts it (the viewer's
  openseadragon.min.js is 353 KB as sent today, 100 KB gzipped). A response is buffered to be
  compressed only up to `MAX_BUFFER`; a larger or streamed one (an export download) passes
  through as it comes. Images and archives are already compressed: never touched.
- Static files under ``/-/review/static/`` asked for with ``?v=<content hash>`` (what
  `static_url` writes into the pages) are sent ``public, max-age=31536000, immutable``: a new
  file has a new URL, so the browser never has to ask again. Compressed static files are kept
  (by URL) so that each is compressed once per process.

brotli is not in the environment; gzip at level 6 takes ~10 ms for the viewer's script, once; pages
are compressed at level 1, which costs about a millisecond for a submission page.
"""
from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

STATIC_PREFIX = "/-/review/static/"
STATIC_DIR = Path(__file__).resolve().parent / "static"
COMPRESSIBLE = (b"text/html", b"text/css", b"application/javascript", b"text/javascript", b"application/json",
                b"image/svg+xml", b"text/plain")
MIN_SIZE = 1024
MAX_BUFFER = 4 * 1024 * 1024
IMMUTABLE = b"public, max-age=31536000, immutable"

_static_gz: dict[str, bytes] = {}


@lru_cache(maxsize=256)
def _hash(path: str, mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """``/-/review/static/<name>?v=<content hash>``: cacheable for a year (a new file, a new URL)."""
    path = STATIC_DIR / name
    try:
        return f"{STATIC_PREFIX}{name}?v={_hash(str(path), path.stat().st_mtime_ns)}"
    except OSError:
        return f"{STATIC_PREFIX}{name}"


def _accepts_gzip(scope) -> bool:
    for k, v in scope.get("headers") or []:
        if k.lower() == b"accept-encoding":
            return b"gzip" in v.lower()
    return False


def compress_wrapper(app):
    async def wrapped(scope, receive, send):
        if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD"):
            return await app(scope, receive, send)
        path = scope.get("path", "")
        versioned = path.startswith(STATIC_PREFIX) and b"v=" in scope.get("query_string", b"")
        gz_ok = _accepts_gzip(scope)
        start: dict | None = None
        chunks: list[bytes] = []
        size = 0
        passing = False

        async def send_through(message):
            nonlocal start, size, passing
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if versioned and message.get("status") == 200:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"] + [
                        (b"cache-control", IMMUTABLE)]
                message = dict(message, headers=headers)
                kind = next((v for k, v in headers if k.lower() == b"content-type"), b"").split(b";")[0].strip()
                encoded = any(k.lower() == b"content-encoding" for k, _ in headers)
                if not gz_ok or encoded or message.get("status") != 200 or kind not in COMPRESSIBLE:
                    passing = True
                    return await send(message)
                start = message
                return None
            if message["type"] != "http.response.body" or passing:
                return await send(message)
            body = message.get("body", b"")
            chunks.append(body)
            size += len(body)
            if message.get("more_body") and size <= MAX_BUFFER:
                return None
            data = b"".join(chunks)
            if message.get("more_body") or len(data) < MIN_SIZE:
                # too large to hold (streamed) or too small to gain: as it came
                passing = True
                await send(start)
                return await send({"type": "http.response.body", "body": data,
                                   "more_body": message.get("more_body", False)})
            key = path + "?" + scope.get("query_string", b"").decode("latin-1")
            if versioned and key in _static_gz:
                packed = _static_gz[key]
            else:
                # static files once at 6; pages at 1 (a 69 KB page: ~4x smaller either way, 1 is ~3x cheaper)
                packed = gzip.compress(data, compresslevel=6 if versioned else 1)
                if versioned and len(_static_gz) < 64:
                    _static_gz[key] = packed
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            vary = [v for k, v in headers if k.lower() == b"vary"]
            headers = [(k, v) for k, v in headers if k.lower() != b"vary"]
            headers += [(b"content-encoding", b"gzip"), (b"content-length", str(len(packed)).encode()),
                        (b"vary", b", ".join(vary + [b"Accept-Encoding"]))]
            await send(dict(start, headers=headers))
            await send({"type": "http.response.body", "body": packed, "more_body": False})

        return await app(scope, receive, send_through)

    return wrapped
