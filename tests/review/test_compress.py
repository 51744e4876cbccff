"""Fewer bytes for the first paint: gzip for text, a year's caching for versioned static files."""
from __future__ import annotations

import re

import pytest

from review.compress import STATIC_DIR

pytestmark = pytest.mark.anyio


async def test_pages_and_scripts_are_gzipped_and_static_files_cached_for_a_year(login, built):
    s = await login("shen")
    page = await s.get(f"/-/review/submission/{built['sid']}")
    assert page.status_code == 200
    assert page.headers["content-encoding"] == "gzip" and "Accept-Encoding" in page.headers["vary"]
    assert page.num_bytes_downloaded < len(page.content) / 3  # the HTML on the wire
    # every script and style of the page names its content, and is sent once for a year
    urls = re.findall(r'(?:src|href)="(/-/review/static/[^"?]+\?v=[0-9a-f]{12})"', page.text)
    names = {u.split("/-/review/static/", 1)[1].split("?", 1)[0] for u in urls}
    assert {"vendor/openseadragon/openseadragon.min.js", "viewer.js", "review.js", "review.css"} <= names
    osd = next(u for u in urls if "openseadragon.min.js" in u)
    r = await s.get(osd)
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-encoding"] == "gzip"
    plain = (STATIC_DIR / "vendor/openseadragon/openseadragon.min.js").read_bytes()
    assert r.content == plain and r.num_bytes_downloaded < len(plain) * 0.4
    # unversioned, the same file is not promised for a year
    r = await s.get("/-/review/static/viewer.js")
    assert "immutable" not in r.headers.get("cache-control", "")
    # a browser that does not accept gzip gets the bytes as they are; images are never re-compressed
    r = await s.get(osd, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in r.headers and r.content == plain
    img = await s.get(f"/-/review/page/{built['license_page']}/fit.webp")
    assert img.status_code == 200 and "content-encoding" not in img.headers
