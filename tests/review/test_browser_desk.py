"""Issue 14 (first slice) in Chromium: landing on the queue, Datasette's pages for admins only,
the Chinese 404, suggestion vs decision badges, and typed dates/money normalized on save."""
from __future__ import annotations

import re
import sqlite3

import pytest

from . import builder
from .test_browser import ARTIFACTS, CHROMIUM, page, server  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="Chromium not installed"),
]


def _sign_in(page, server, name="shen"):
    page.fill("#username", name)
    page.fill("#password", builder.PASSWORD)
    page.click("button[type=submit]")


def _query(built, sql, params=()):
    conn = sqlite3.connect(built["db"])
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_landing_datasette_pages_404_and_suggestion_vs_decision(page, server, built):
    from playwright.sync_api import expect

    # the README's address: sign in, land on the queue (not Datasette's English index)
    page.goto(server + "/")
    assert "/-/review/login" in page.url
    _sign_in(page, server)
    page.wait_for_url(re.compile(r"/-/review$"))
    expect(page.locator("h1")).to_have_text("审核队列")
    # the machine only suggests: outlined badges, nobody's decision yet
    expect(page.locator(".rv-table .rv-badge.rv-suggest")).to_have_count(2)
    expect(page.locator(".rv-table .rv-badge.rv-suggest").first).to_have_text("建议驳回")
    expect(page.locator(".rv-table .rv-badge.rv-decided")).to_have_count(0)
    suggest = page.locator(".rv-table .rv-badge.rv-suggest").first.evaluate(
        "e => [getComputedStyle(e).borderTopStyle, getComputedStyle(e).backgroundColor]")
    assert suggest == ["dashed", "rgb(255, 255, 255)"]
    expect(page.locator("nav >> text=数据浏览")).to_have_count(0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "queue_suggestions.png"), full_page=False)

    # Datasette's own pages: a Chinese page in the docintake frame with a way back
    page.goto(server + "/docintake/fields_masked")
    expect(page.locator(".rv-message h1")).to_have_text("无权访问")
    expect(page.locator(".rv-message")).to_contain_text("仅供管理员使用")
    page.click(".rv-message >> text=返回审核队列")
    page.wait_for_url(re.compile(r"/-/review$"))
    # and a Chinese 404
    page.goto(server + "/-/review/no-such-page")
    expect(page.locator(".rv-message h1")).to_have_text("找不到页面")
    expect(page.locator(".rv-brand")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "not_found.png"), full_page=False)

    # a reviewer's decision is a decision: solid badge, its own tab, labelled 审核结论
    page.goto(server + f"/-/review/submission/{built['sid']}")
    expect(page.locator("#rv-status-kind")).to_have_text("机器建议")
    expect(page.locator("#rv-status")).to_have_text("建议驳回")
    page.fill("#rv-comment", "缺少授权委托书")
    page.on("dialog", lambda d: d.accept())
    page.click("#rv-reject")
    expect(page.locator("#rv-status")).to_have_text("已驳回")
    expect(page.locator("#rv-status-kind")).to_have_text("审核结论")
    expect(page.locator("#rv-status")).to_have_class(re.compile(r"\brv-decided\b"))
    page.goto(server + "/-/review?status=declined")
    expect(page.locator(".rv-table .rv-badge.rv-decided")).to_have_text("已驳回")
    expect(page.locator(".rv-table")).to_contain_text("沈审核")
    page.screenshot(path=str(ARTIFACTS / "queue_decisions.png"), full_page=False)

    # an admin still gets Datasette
    page.context.clear_cookies()
    page.goto(server + "/")
    _sign_in(page, server, "admin")
    page.wait_for_url(re.compile(r"/-/review$"))
    page.click("nav >> text=数据浏览")
    expect(page.locator("body")).to_contain_text("docintake")
    assert page.url.rstrip("/") == server


def test_typed_date_and_money_are_normalized_and_bad_values_refused(page, server, built):
    from playwright.sync_api import expect

    page.goto(server + f"/-/review/submission/{built['sid2']}")
    _sign_in(page, server)
    page.wait_for_url(re.compile(rf"/-/review/submission/{built['sid2']}$"))
    (doc,) = _query(built, "SELECT id FROM documents WHERE submission_id = ?", (built["sid2"],))[0]
    date_in, money_in = page.locator(f"#in-f{doc}-established_on"), page.locator(f"#in-f{doc}-registered_capital")
    assert "YYYY-MM-DD" in date_in.get_attribute("placeholder")

    date_in.fill("2026年11月27日")
    date_in.press("Enter")
    expect(date_in).to_have_value("2026-11-27")
    expect(page.locator("#rv-flash")).to_contain_text("已保存")
    money_in.fill("壹万零陆佰元整")
    money_in.press("Enter")
    expect(money_in).to_have_value("10600.00")

    # not a date: refused with the expected form, shown as an error, nothing saved
    date_in.fill("下周一")
    date_in.press("Enter")
    expect(page.locator("#rv-flash")).to_contain_text("YYYY-MM-DD")
    expect(page.locator(f"form#f{doc}-established_on")).to_have_class(re.compile(r"\binvalid\b"))
    page.screenshot(path=str(ARTIFACTS / "input_refused.png"), full_page=False)
    stored = dict(_query(built, "SELECT key, value FROM fields WHERE document_id = ?", (doc,)))
    assert stored["established_on"] == "2026-11-27" and stored["registered_capital"] == "10600.00"

    # the same amount typed again is not a correction
    money_in.fill("¥10,600.00")
    money_in.press("Enter")
    expect(page.locator("#rv-flash")).to_contain_text("值未改变")
    expect(money_in).to_have_value("10600.00")
    corrections = _query(built, "SELECT field, new_value FROM audit WHERE action = 'correct' ORDER BY id")
    assert corrections == [("established_on", "2026-11-27"), ("registered_capital", "10600.00")]
