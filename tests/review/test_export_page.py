"""Export from the browser's page, over HTTP: the filters, the CSV (BOM, CRLF) and the XLSX
(`文档·字段` headers, local time, typed dates and money, widths, frozen header), masked for viewers."""
from __future__ import annotations

import csv
import io

import pytest

from . import builder

pytestmark = pytest.mark.anyio


async def test_csv_is_excel_friendly_with_document_field_headers(login, built):
    s = await login("shen")
    r = await s.get("/-/review/export.csv?status=all")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Chinese
    assert b"\r\n" in r.content and b"\n" not in r.content.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    head = rows[0]
    assert "营业执照·名称" in head and "居民身份证·公民身份号码" in head and "收到时间" in head
    assert not any(h.startswith(("business_license", "id_card")) for h in head)
    first = dict(zip(head, rows[1]))
    assert first["收到时间"] == "2026-11-20 09:30"  # 01:30 UTC in Beijing time
    assert first["材料类型"] == "文献平台会员申请"
    assert first["居民身份证·公民身份号码"] == builder.BAD_ID
    assert r.headers["x-export-count"] == "3"


async def test_xlsx_opens_in_openpyxl_typed_and_laid_out(login, built):
    from openpyxl import load_workbook

    s = await login("shen")
    r = await s.get("/-/review/export.xlsx?status=all&packet=membership_application")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    head = [c.value for c in ws[1]]
    assert head[:3] == ["编号", "申请名称", "材料类型"] and "营业执照·统一社会信用代码" in head
    assert ws.freeze_panes == "C2"
    col = head.index("营业执照·名称") + 1
    from openpyxl.utils import get_column_letter

    assert ws.column_dimensions[get_column_letter(col)].width >= 20
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert len(rows) == 2  # the two membership applications, not the quarantined scan
    received = rows[0][head.index("收到时间")]
    assert received == "2026-11-20 09:30"


async def test_filters_by_date_range_and_status(login, built):
    s = await login("shen")
    page = await s.get("/-/review/export?status=all&from=2026-11-21&to=2026-11-21")
    assert page.status_code == 200 and "<strong>1</strong> 件" in page.text
    assert "/-/review/export.xlsx?status=all&amp;from=2026-11-21&amp;to=2026-11-21" in page.text
    r = await s.get("/-/review/export.csv?status=all&from=2026-11-21&to=2026-11-21")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and "长葛精工" in rows[1][1]
    r = await s.get("/-/review/export.csv")  # the default: verified only, and nothing is yet
    assert r.headers["x-export-count"] == "0"


async def test_viewer_gets_masked_values(login, built):
    v = await login("zhou")
    r = await v.get("/-/review/export.csv?status=all")
    text = r.content.decode("utf-8-sig")
    assert builder.BAD_ID not in text and "110****0021" in text
    assert "七一路18号" not in text

