"""退回补正 in Chromium: tick a preset reason, return, the later submission of the same
organization shows the returned one with its reasons; screenshots for the CI artifacts; nothing
overflows at phone width."""
from __future__ import annotations

import sqlite3

import pytest

from intake.supplements import link

from . import builder
from .test_browser import ARTIFACTS, CHROMIUM, page, server  # noqa: F401 - fixtures
from pathlib import Path

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium not installed")]


def test_return_with_reasons_and_review_the_supplement(page, server, built):  # noqa: F811
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(server + "/-/review/login")
    page.fill("#username", "shen")
    page.fill("#password", builder.PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{server}/-/review/submission/{built['sid']}")
    page.click("#rv-return-box summary")
    page.check("#rv-reason-missing")
    page.fill("input[name=detail_missing]", "缺少授权委托书")
    page.check("#rv-reason-seal")
    page.fill("#rv-return-comment", "请补正后重新提交")
    page.click("#rv-return-submit")
    expect(page.locator("#rv-waiting")).to_be_visible()
    expect(page.locator(".rv-decision")).to_contain_text("已退回补正")
    expect(page.locator("#rv-notices")).to_contain_text("退回补正通知")
    page.screenshot(path=str(ARTIFACTS / "returned_submission.png"), full_page=True)

    with sqlite3.connect(built["db"]) as c:
        uscc, decided_at = c.execute("SELECT uscc, decided_at FROM submissions WHERE id = ?",
                                     (built["sid"],)).fetchone()
        new = c.execute("INSERT INTO submissions (name, received_at, packet, status, uscc, organization) "
                        "VALUES (?,?,?,?,?,?)", ("2026-12-02 许昌恒达科技（补正）", decided_at, "membership_application",
                                                 "needs_review", uscc, "许昌恒达科技有限公司")).lastrowid
        link(c, new)  # as store.decide_and_save does when a submission is decided at ingest
        c.commit()
    page.goto(f"{server}/-/review/submission/{new}")
    linked = page.locator("#rv-returned-for")
    expect(linked).to_contain_text("缺少材料：缺少授权委托书")
    expect(linked).to_contain_text("印章不清")
    page.screenshot(path=str(ARTIFACTS / "supplement_linked.png"), full_page=True)
    linked.locator("a").first.click()
    expect(page.locator("#rv-supplemented-by")).to_contain_text("许昌恒达科技（补正）")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/-/review/submission/{new}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.goto(f"{server}/-/review/ledger")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(ARTIFACTS / "ledger_phone.png"), full_page=True)
