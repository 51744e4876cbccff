"""The scan viewer in Chromium: zoom, rotate, fit width / fit page, thumbnails, page jump,
document tabs, the original for staff and the masked image for viewers, and a phone-width page
with nothing overflowing."""
from __future__ import annotations

import re

import pytest

from . import builder
from .test_browser import ARTIFACTS, CHROMIUM, page, server  # noqa: F401  (fixtures)
from .test_images import _use_scan, scan_png  # noqa: F401  (a 300-dpi scan from the generator)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="Chromium not installed"),
]


_sign_in = builder.sign_in


def _zoom(page) -> float:
    return page.evaluate("rvViewer.viewer.viewport.getZoom(true)")


def test_zoom_rotate_fit_thumbnails_tabs_and_original(page, server, built, scan_png):
    from playwright.sync_api import expect

    _use_scan(built, scan_png)  # the licence page becomes a real 2480 x 3508 scan
    _sign_in(page, server, then=f"/-/review/submission/{built['sid']}")
    page.wait_for_function("window.rvViewer && rvViewer.viewer.world.getItemCount() === 1")
    expect(page.locator("#rv-caption")).to_contain_text("营业执照.jpg · 第 1 页")
    # the page arrives as the fit-width WebP, never the 300-dpi PNG
    page.wait_for_function("performance.getEntriesByType('resource').some(e => e.name.includes('/fit.webp'))")
    names = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert not any(n.endswith(".png") and "/-/review/page/" in n for n in names)

    fit = _zoom(page)
    page.click("text=放大")
    page.wait_for_function(f"rvViewer.viewer.viewport.getZoom(true) > {fit} * 1.3")
    # full resolution only on zoom: opening (and zooming a little) never fetched it
    full = "performance.getEntriesByType('resource').some(e => e.name.includes('/full.webp'))"
    assert not page.evaluate(full)
    page.click("text=放大")
    page.click("text=放大")
    page.wait_for_function(full)
    page.click("text=适合页面")
    page.wait_for_function(f"rvViewer.viewer.viewport.getZoom(true) < {fit} * 1.01")
    page_zoom = _zoom(page)
    page.click("text=适合宽度")
    page.wait_for_function(f"Math.abs(rvViewer.viewer.viewport.getZoom(true) - {fit}) < {fit} * 0.01")
    assert page_zoom <= fit

    page.click("text=⟳ 右转")
    page.wait_for_function("rvViewer.viewer.viewport.getRotation() === 90")
    # the boxes turn with the page: the name's box is now taller than wide
    page.wait_for_function("""() => { const b = document.querySelector("#rv-osd .rv-box[data-uid$='-name']");
        const r = b && b.parentElement.getBoundingClientRect(); return r && r.height > r.width; }""")
    page.screenshot(path=str(ARTIFACTS / "viewer_rotated.png"), full_page=False)
    page.click("text=⟲ 左转")
    page.wait_for_function("rvViewer.viewer.viewport.getRotation() === 0")

    # thumbnail, document tab and page number all jump
    page.click(f"#thumb-{built['id_page']}")
    expect(page.locator("#rv-caption")).to_contain_text("身份证.jpg · 第 1 页")
    expect(page.locator("#rv-pageno")).to_have_value("2")
    expect(page.locator(".rv-doctab", has_text="居民身份证")).to_have_class(re.compile(r"\bactive\b"))
    page.locator(".rv-doctab", has_text="营业执照").click()
    expect(page.locator("#rv-pageno")).to_have_value("1")
    page.fill("#rv-pageno", "2")
    page.press("#rv-pageno", "Enter")
    expect(page.locator(f"#thumb-{built['id_page']}")).to_have_class(re.compile(r"\bactive\b"))
    page.locator(".rv-doctab", has_text="营业执照").click()
    page.screenshot(path=str(ARTIFACTS / "viewer.png"), full_page=False)

    # the original: the archived file, byte for byte, as a download
    with page.expect_download() as dl:
        page.click("#rv-download")
    archived = (builder.Path(built["db"]).parent / "archive" / "license-original.jpg").read_bytes()
    assert open(dl.value.path(), "rb").read() == archived
    assert dl.value.suggested_filename == "营业执照.jpg"
    assert page.get_attribute("#rv-original", "href").endswith(f"/file/{built['license_file']}/original?inline=1")


def test_viewer_role_opens_only_the_masked_image(page, server, built):
    from playwright.sync_api import expect

    _sign_in(page, server, "zhou", then=f"/-/review/submission/{built['sid']}")
    page.wait_for_function("window.rvViewer && rvViewer.viewer.world.getItemCount() === 1")
    expect(page.locator("#rv-download")).to_have_count(0)
    expect(page.locator("#rv-original")).to_have_text("打开图像（已脱敏）")
    href = page.get_attribute("#rv-original", "href")
    assert "/full.webp?v=" in href and "-m" in href  # the redacted copy's key
    r = page.request.get(server + f"/-/review/file/{built['license_file']}/original")
    assert r.status == 403


def test_phone_width_queue_and_submission_do_not_overflow(page, server, built):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, server)
    expect(page.locator("h1")).to_have_text("审核队列")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(ARTIFACTS / "phone_queue.png"), full_page=True)
    page.goto(server + f"/-/review/submission/{built['sid']}")
    page.wait_for_function("window.rvViewer && rvViewer.viewer.world.getItemCount() === 1")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(ARTIFACTS / "phone_submission.png"), full_page=False)
