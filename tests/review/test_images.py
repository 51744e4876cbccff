"""Web-sized page images and the archived original, over HTTP against the real plugin."""
from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from . import builder

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def scan_png(tmp_path_factory) -> Path:
    """A 300-dpi A4 scan from the project's generator (a business licence, flatbed quality)."""
    from tests.corpus.documents import generate_document

    doc = generate_document("business_license", seed=3, quality="scan")
    path = tmp_path_factory.mktemp("scan") / "licence-300dpi.png"
    doc.pages[0].save(path)
    return path


def _use_scan(built, scan_png) -> None:
    """Point the licence page at the real-size scan."""
    w, h = Image.open(scan_png).size
    conn = sqlite3.connect(built["db"])
    conn.execute("UPDATE pages SET image_path = ?, width = ?, height = ? WHERE id = ?",
                 (str(scan_png), w, h, built["license_page"]))
    conn.commit()
    conn.close()


async def test_fit_width_page_is_a_small_webp_and_full_size_on_demand(login, built, scan_png):
    _use_scan(built, scan_png)
    s = await login("shen")
    page = await s.get(f"/-/review/submission/{built['sid']}")
    url = f"/-/review/page/{built['license_page']}/fit.webp?v="
    assert url in page.text
    v = page.text.split(url, 1)[1].split('"', 1)[0]
    r = await s.get(f"/-/review/page/{built['license_page']}/fit.webp?v={v}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/webp"
    assert len(r.content) <= 400 * 1024, len(r.content)
    assert Image.open(io.BytesIO(r.content)).size == (1400, round(3508 * 1400 / 2480))
    # the URL names the content: cached for a year, privately; the ETag answers a revalidation
    assert r.headers["cache-control"] == "private, max-age=31536000, immutable"
    again = await s.get(f"/-/review/page/{built['license_page']}/fit.webp", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304 and again.headers["cache-control"] == "private, no-cache"
    full = await s.get(f"/-/review/page/{built['license_page']}/full.webp?v={v}")
    assert Image.open(io.BytesIO(full.content)).size == (2480, 3508)
    assert len(full.content) < Path(scan_png).stat().st_size  # still smaller than the PNG
    # encoded once: the cache file is under the data folder and is what the second request served
    # (the warm-up may also have cached the page's first image before the test re-pointed it:
    # look for this page's file by its content, not by the order the folder lists its files)
    cached = list((Path(built["db"]).parent / "webcache").rglob("*-fit.webp"))
    assert sum(p.read_bytes() == r.content for p in cached) == 1
    thumb = await s.get(f"/-/review/page/{built['license_page']}/thumb.webp")
    assert Image.open(io.BytesIO(thumb.content)).width == 160


async def test_viewer_images_are_redacted_and_keyed_apart(login, built):
    s = await login("shen")
    v = await login("zhou")
    staff = await s.get(f"/-/review/page/{built['id_page']}/fit.webp")
    masked = await v.get(f"/-/review/page/{built['id_page']}/fit.webp")
    assert staff.status_code == masked.status_code == 200
    assert staff.headers["etag"] != masked.headers["etag"]
    # the ID number's box is dark on the viewer's copy and white paper on the reviewer's
    (x0, y0, x1, y1), = builder.query(
        built, "SELECT f.x0, f.y0, f.x1, f.y1 FROM fields f JOIN documents d ON d.id = f.document_id "
               "WHERE d.type = 'id_card' AND f.key = 'id_number'")
    centre = ((x0 + x1) // 2, (y0 + y1) // 2)  # the page is 1000 px wide: no scaling at fit width

    def dark(img_bytes) -> int:
        im = Image.open(io.BytesIO(img_bytes)).convert("L")
        return sum(1 for dx in range(-30, 31, 3) if im.getpixel((centre[0] + dx, centre[1])) < 90)

    assert dark(masked.content) == 21
    assert dark(staff.content) < 21
    # a viewer cannot ask for the unredacted copy by the staff's ETag or key
    r = await v.get(f"/-/review/page/{built['id_page']}/fit.webp", headers={"if-none-match": staff.headers["etag"]})
    assert r.status_code == 200 and r.content == masked.content


async def test_original_is_the_archived_file_for_staff_only(login, built):
    s = await login("shen")
    r = await s.get(f"/-/review/file/{built['license_file']}/original")
    archived = Path(built["db"]).parent / "archive" / "license-original.jpg"
    assert r.status_code == 200 and r.content == archived.read_bytes()
    assert r.headers["content-type"] == "image/jpeg"
    assert r.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.jpg" in r.headers["content-disposition"]
    assert (await s.get(f"/-/review/file/{built['license_file']}/original?inline=1")).headers[
        "content-disposition"].startswith("inline;")
    # no archived copy (or an unknown file): a Chinese 404, not a server path
    r = await s.get(f"/-/review/file/{built['quarantined_file']}/original")
    assert r.status_code == 404 and "原件不存在" in r.text
    v = await login("zhou")
    r = await v.get(f"/-/review/file/{built['license_file']}/original")
    assert r.status_code == 403 and archived.read_bytes() != r.content


async def test_anonymous_gets_no_image(session, built):
    s = session()
    for path in (f"/-/review/page/{built['id_page']}/fit.webp", f"/-/review/file/{built['license_file']}/original"):
        r = await s.get(path)
        assert r.status_code in (302, 403) and not r.content.startswith(b"RIFF")


async def test_unknown_size_or_page_is_404(login, built):
    s = await login("shen")
    assert (await s.get(f"/-/review/page/{built['id_page']}/huge.webp")).status_code == 404
    assert (await s.get("/-/review/page/999/fit.webp")).status_code == 404
