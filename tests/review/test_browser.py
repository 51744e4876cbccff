"""The review UI in a real browser: Debian's Chromium driven by Playwright against a real
`datasette` server (subprocess on 127.0.0.1, a free port)."""
from __future__ import annotations

import json
import re
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from . import builder

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium not installed"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(built, tmp_path):
    meta = tmp_path / "metadata.json"
    meta.write_text(json.dumps({"plugins": {"docintake-review": {}}}))
    port = _free_port()
    env = dict(os.environ, DATASETTE_SECRET="browser-test-secret")
    proc = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", str(built["db"]), "--host", "127.0.0.1", "--port", str(port),
         "--metadata", str(meta)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read().decode())
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        pg = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        pg.set_default_timeout(15_000)
        yield pg
        browser.close()


def test_review_a_submission_end_to_end(page, server, built):
    from playwright.sync_api import expect

    page.goto(server + "/-/review")
    assert "/-/review/login" in page.url
    page.fill("#username", "shen")
    page.fill("#password", builder.PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("审核队列")

    page.click("text=2026-11-20 许昌恒达科技")
    expect(page.locator(".rv-findings li[data-rule='id.checksum']")).to_be_visible()

    # the viewer opens on the first page at fit width; its boxes are overlays on the canvas
    canvas = page.locator("#rv-osd .openseadragon-canvas")
    expect(canvas).to_be_visible()
    page.wait_for_function("document.querySelectorAll('#rv-osd .rv-box').length > 0")
    cb = canvas.bounding_box()
    box = page.locator("#rv-osd .rv-box").first
    bb = box.bounding_box()
    assert bb["width"] > 5 and bb["height"] > 5
    assert cb["x"] <= bb["x"] and bb["x"] + bb["width"] <= cb["x"] + cb["width"] + 1

    # hovering a field on the other page brings that page and its box into view, then back
    doc = page.locator("form.rv-field[data-uid$='-id_number']")
    uid = doc.get_attribute("data-uid")
    field_box = page.locator(f".rv-box[data-uid='{uid}']")
    doc.hover()
    expect(field_box).to_have_class("rv-box low flag-error active")
    expect(page.locator(f"#thumb-{built['id_page']}")).to_have_class(re.compile(r"\bactive\b"))
    page.wait_for_function("""uid => { const b = document.querySelector(`.rv-box[data-uid='${uid}']`);
        const c = document.querySelector('#rv-osd').getBoundingClientRect(); if (!b) return false;
        const r = b.getBoundingClientRect();
        return r.width > c.width * 0.2 && r.left >= c.left - 1 && r.right <= c.right + 1; }""", arg=uid)
    page.mouse.move(0, 0)
    expect(page.locator(f"#thumb-{built['license_page']}")).to_have_class(re.compile(r"\bactive\b"))
    page.locator(f"#thumb-{built['id_page']}").click()
    field_box.hover()
    expect(doc).to_have_class(re.compile(r"\bactive\b"))

    # correct the ID number; the real validation re-runs and the finding disappears without a reload,
    # while the packet's other findings (documents still missing) stay
    findings = page.locator(".rv-findings li[data-rule]")
    before = findings.count()
    expect(page.locator(".rv-findings li[data-rule='id.checksum']")).to_have_count(1)
    page.fill(f"#in-{uid}", builder.GOOD_ID)
    page.press(f"#in-{uid}", "Enter")
    expect(page.locator(".rv-findings li[data-rule='id.checksum']")).to_have_count(0)
    expect(findings).to_have_count(before - 1)
    expect(page.locator(".rv-findings li[data-rule='packet.missing_document']").first).to_be_visible()
    expect(doc).to_have_class(re.compile(r"\bcorrected\b"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "submission.png"), full_page=False)

    # approve with the keyboard (a, then confirm): refused until every open error has a reason
    page.on("dialog", lambda d: d.accept())
    overrides = page.locator("textarea.rv-override")
    n_errors = overrides.count()
    assert n_errors >= 1  # the missing documents are still errors
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    expect(page.locator("#rv-flash")).to_contain_text("超越理由")
    for i in range(n_errors):
        overrides.nth(i).fill(f"原件已当面核对 {i}")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    expect(page.locator("#rv-status")).to_have_text("已核验")
    # decided: read-only, reopening offered instead
    expect(page.locator("#rv-reopen")).to_be_visible()
    expect(page.locator("#rv-approve")).to_have_count(0)

    # the audit log in Chinese labels (Datasette's raw audit table is for admins only)
    page.goto(server + "/-/review/audit")
    rows = page.locator("tr.rv-audit-row")
    # 4 user_add + the claim on opening + correct + an override per error + approve
    expect(rows).to_have_count(7 + n_errors)
    text = page.locator("table.rv-table").inner_text()
    assert "更正字段" in text and "批准" in text and builder.GOOD_ID in text and "沈审核" in text
    assert "居民身份证" in text and "公民身份号码" in text and "建议驳回 → 已核验" in text
    for raw in ("id_card", "id_number", "correct", "approve", "verified/", "\tshen\t"):
        assert raw not in text, raw
    page.screenshot(path=str(ARTIFACTS / "audit.png"), full_page=False)


def test_keyboard_moves_between_fields_and_saves(page, server, built):
    page.goto(server + "/-/review/login")
    page.fill("#username", "li")
    page.fill("#password", builder.PASSWORD)
    page.click("button[type=submit]")
    page.goto(server + f"/-/review/submission/{built['sid2']}")
    page.keyboard.press("j")
    focused = page.evaluate("document.activeElement.id")
    assert focused.startswith("in-f") and focused.endswith("-name")
    page.keyboard.press("Control+a")
    page.keyboard.type("长葛精工机械股份有限公司")
    page.keyboard.press("Control+s")
    page.wait_for_selector("form.rv-field.corrected")
    assert page.locator("#rv-flash").inner_text().startswith("已保存")
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    page.wait_for_url(f"**/-/review/submission/{built['sid']}")
