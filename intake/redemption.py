"""The yearly redemption list for the finance bureau (细则 第二十条(一)): XLSX and printable PDF.

Grouped by provider (the management unit the finance bureau pays), each voucher on its own row,
a subtotal per provider and the year's total. Money cells are numbers with two decimals.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from . import ledger

HEADERS = ("序号", "管理单位（服务方）", "管理单位统一社会信用代码", "用户单位（委托方）", "用户统一社会信用代码",
           "合同编号", "创新券金额（元）", "批准日期", "审核人", "申请编号")
WIDTHS = (6, 34, 24, 34, 24, 22, 16, 12, 12, 10)


def _d(v) -> Decimal:
    return Decimal(str(v or "0"))


def _date(iso):
    return ledger.local_date(iso)


def write_xlsx(groups, year: int, path: Path, closed: bool) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = f"{year}年度兑付清单"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.freeze_panes = "A2"
    for i, w in enumerate(WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    n, total = 0, Decimal("0")
    for provider, rows in groups.items():
        sub = Decimal("0")
        for r in rows:
            n += 1
            amount = _d(r["amount"])
            sub += amount
            ws.append([n, provider, r["provider_uscc"] or "", r["client_name"] or "", r["client_uscc"] or "",
                       r["contract_number"] or "", float(amount), _date(r["granted_at"]), r["reviewer"] or "",
                       r["submission_id"]])
            ws.cell(ws.max_row, 7).number_format = "#,##0.00"
        ws.append(["", f"{provider} 小计（{len(rows)} 张）", "", "", "", "", float(sub), "", "", ""])
        ws.cell(ws.max_row, 2).font = Font(bold=True)
        ws.cell(ws.max_row, 7).number_format = "#,##0.00"
        ws.cell(ws.max_row, 7).font = Font(bold=True)
        total += sub
    ws.append(["", f"{year} 年度合计（{n} 张）" + ("（台账已关闭）" if closed else "（台账未关闭）"), "", "", "", "",
               float(total), "", "", ""])
    ws.cell(ws.max_row, 2).font = Font(bold=True)
    ws.cell(ws.max_row, 7).number_format = "#,##0.00"
    ws.cell(ws.max_row, 7).font = Font(bold=True)
    wb.save(path)


def write_pdf(groups, year: int, path: Path, closed: bool) -> None:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    from .notices.render import cjk_font

    font, index = cjk_font()
    doc = FPDF(orientation="L", format="A4", unit="mm")
    doc.set_title(f"{year}年度科技创新券兑付清单")
    doc.set_margins(12, 12, 12)
    doc.set_auto_page_break(True, 14)
    doc.add_font("cjk", "", font, collection_font_number=index)
    doc.add_page()
    doc.set_font("cjk", size=16)
    doc.cell(0, 10, f"{year} 年度科技创新券兑付清单", align="C", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("cjk", size=9)
    doc.cell(0, 6, "依据《许昌市科研设施和仪器开放共享双向奖补实施细则》第二十条" +
             ("；本年度台账已关闭" if closed else "；本年度台账尚未关闭，清单可能变化"),
             align="C", new_x="LMARGIN", new_y="NEXT")
    doc.ln(2)
    cols = ("序号", "用户单位（委托方）", "用户统一社会信用代码", "合同编号", "金额（元）", "批准日期", "审核人")
    widths = (12, 78, 46, 46, 30, 26, 35)
    n, total = 0, Decimal("0")
    with doc.table(col_widths=widths, text_align=("CENTER", "LEFT", "LEFT", "LEFT", "RIGHT", "CENTER", "CENTER"),
                   line_height=6, first_row_as_headings=True,
                   headings_style=FontFace(emphasis="", fill_color=(225, 232, 240))) as table:
        table.row(cols)
        for provider, rows in groups.items():
            sub = sum((_d(r["amount"]) for r in rows), Decimal("0"))
            head = table.row()
            head.cell(f"管理单位：{provider}  {rows[0]['provider_uscc'] or ''}", colspan=len(cols))
            for r in rows:
                n += 1
                table.row((str(n), r["client_name"] or "", r["client_uscc"] or "", r["contract_number"] or "",
                           f"{_d(r['amount']):,.2f}", _date(r["granted_at"]), r["reviewer"] or ""))
            table.row(("", f"小计（{len(rows)} 张）", "", "", f"{sub:,.2f}", "", ""))
            total += sub
        table.row(("", f"合计（{n} 张）", "", "", f"{total:,.2f}", "", ""))
    doc.ln(8)
    doc.set_font("cjk", size=10)
    doc.cell(0, 7, "经办人：                    审核人：                    市科技局（盖章）", new_x="LMARGIN", new_y="NEXT")
    path.write_bytes(bytes(doc.output()))


def write_redemption(conn, year: int, out_dir: Path) -> tuple[Path, Path]:
    groups = ledger.redemption_rows(conn, year)
    out_dir.mkdir(parents=True, exist_ok=True)
    xlsx = out_dir / f"创新券兑付清单-{year}.xlsx"
    pdf = out_dir / f"创新券兑付清单-{year}.pdf"
    closed = ledger.is_closed(conn, year)
    write_xlsx(groups, year, xlsx, closed)
    write_pdf(groups, year, pdf, closed)
    return xlsx, pdf
