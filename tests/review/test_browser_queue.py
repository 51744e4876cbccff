"""The queue, the summary band and the export page in Chromium: reason chips, paging, claims,
bulk approval with its confirmation, a reason that opens its box, and downloads that open in
openpyxl / start with a BOM."""
from __future__ import annotations

import io
import re

import pytest

from . import builder
from .test_browser import ARTIFACTS, CHROMIUM, page, server  # noqa: F401  (fixtures)
from .test_queue import _add_ready

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="Chromium not installed"),
]


_sign_in = builder.sign_in


def test_queue_chips_paging_claims_and_bulk_approve(page, server, built):
    from playwright.sync_api import expect

    ids = _add_ready(built, 55, low_field=True)
    _sign_in(page, server, "li", then=f"/-/review/submission/{built['sid']}")  # li opens (claims) one
    expect(page.locator("#rv-reasons")).to_be_visible()
    page.goto(server + "/-/review?status=rejected")
    row = page.locator(f"tr[data-id='{built['sid']}']")
    expect(row.locator(".rv-chip").first).to_have_text("文件已损坏")
    expect(row.locator(".rv-claim")).to_have_text("李审核")
    page.screenshot(path=str(ARTIFACTS / "queue_reasons.png"), full_page=False)

    # the 建议通过 tab: 55 rows over two pages, clean ones offered for bulk approval
    page.click(".rv-tab.st-ready")
    expect(page.locator(".rv-pager")).to_contain_text("第 1 / 2 页（共 55 件）")
    page.click("text=下一页")
    expect(page.locator(".rv-pager")).to_contain_text("第 2 / 2 页")
    expect(page.locator(".rv-queue-table tbody tr")).to_have_count(5)
    page.click("text=上一页")
    expect(page.locator(f"input[name='pick_{ids[0]}']")).to_have_count(0)  # doubtful field
    dialogs = []

    def answer(d):
        dialogs.append(d.message)
        d.accept()

    page.on("dialog", answer)
    page.check("#rv-pick-all")
    page.check("#rv-bulk-confirm")
    page.screenshot(path=str(ARTIFACTS / "queue_bulk.png"), full_page=False)
    page.click("#rv-bulk-approve")
    expect(page.locator(".message-info")).to_contain_text("已批量批准 49 件申请")
    assert dialogs == ["确认批准所选的 49 件申请？每件都将记入审计日志。"]
    approved = builder.query(built, "SELECT COUNT(*) FROM audit WHERE action = 'approve' AND actor = 'li'")[0][0]
    assert approved == 49
    expect(page.locator(".rv-pager")).to_contain_text("第 1 / 1 页（共 6 件）")


def test_summary_band_lists_every_reason_and_opens_its_box(page, server, built):
    from playwright.sync_api import expect

    _sign_in(page, server, then=f"/-/review/submission/{built['sid']}")
    band = page.locator("#rv-reasons li")
    text = page.locator("#rv-reasons").inner_text()
    assert "无法读取的文件：授权委托书.pdf（文件已损坏）" in text
    assert "公民身份号码" in text and "置信度低" in text and "corrupt" not in text
    n_findings = page.locator(".rv-findings li[data-rule]").count()
    assert band.count() == 1 + n_findings + 2  # the file, every finding, two low-confidence fields
    page.wait_for_function("window.rvViewer && rvViewer.viewer.world.getItemCount() === 1")
    page.locator("#rv-reasons li.rv-reason-error a[data-uid$='-id_number']").click()
    uid = page.evaluate("document.activeElement.id").removeprefix("in-")
    assert uid.endswith("-id_number")
    expect(page.locator(f".rv-box[data-uid='{uid}']")).to_have_class(re.compile(r"\bactive\b"))
    page.screenshot(path=str(ARTIFACTS / "summary_band.png"), full_page=False)


def test_export_page_downloads_open_in_excel_tools(page, server, built):
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    _sign_in(page, server)
    page.click("header >> text=导出")
    expect(page.locator("h1")).to_have_text("导出")
    page.select_option("select[name=status]", "all")
    page.fill("input[name=from]", "2026-11-20")
    page.fill("input[name=to]", "2026-11-21")
    page.click("text=更新")
    expect(page.locator("#rv-export-count")).to_contain_text("2 件")
    page.screenshot(path=str(ARTIFACTS / "export.png"), full_page=False)
    with page.expect_download() as dl:
        page.click("#rv-export-xlsx")
    assert dl.value.suggested_filename.endswith(".xlsx")
    ws = load_workbook(io.BytesIO(open(dl.value.path(), "rb").read())).active
    head = [c.value for c in ws[1]]
    assert "营业执照·名称" in head and "居民身份证·公民身份号码" in head and ws.freeze_panes == "C2"
    assert ws.max_row == 3
    with page.expect_download() as dl:
        page.click("#rv-export-csv")
    raw = open(dl.value.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert "营业执照·名称" in raw.decode("utf-8-sig").split("\r\n", 1)[0]


def test_claim_and_release_are_in_the_audit_log(page, server, built):
    from playwright.sync_api import expect

    _sign_in(page, server, "shen", then=f"/-/review/submission/{built['sid']}")
    expect(page.locator("#rv-claimbar")).to_contain_text("由我审核中")
    history = page.locator(".rv-audit-row", has_text="认领审核")
    expect(history.first).to_contain_text("沈审核")
    page.click("#rv-release button")
    expect(page.locator(".message-info")).to_contain_text("已释放认领")
    row = page.locator(f"tr[data-id='{built['sid']}']")
    if row.count():
        expect(row.locator(".rv-claim")).to_have_count(0)
    page.goto(server + "/-/review/audit")
    released = page.locator(".rv-audit-row", has_text="释放认领").first
    expect(released).to_contain_text("审核人")
    expect(released).to_contain_text("沈审核 → （空）")
    expect(page.locator(".rv-audit-row", has_text="认领审核").first).to_contain_text("（空） → 沈审核")
    page.screenshot(path=str(ARTIFACTS / "audit_claims.png"), full_page=False)
