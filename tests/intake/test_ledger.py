"""The voucher ledger: an approval is a row, a reopen takes it back, a closed year is locked;
the yearly redemption list as XLSX (Chinese headers, per-provider totals) and a printable PDF."""
from __future__ import annotations

import sqlite3

import pypdfium2
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from intake import ledger
from intake.db import transaction
from intake.model import Document, FieldValue
from intake.store import save_documents
from review import decisions


def voucher(db, n: int, provider: str, amount: str, year: int = 2026, uscc: str = "91411000MA47M7QPXU") -> int:
    with transaction(db):
        sid = db.conn.execute(
            "INSERT INTO submissions (name, received_at, packet, status, voucher_amount, organization, uscc, year) "
            "VALUES (?,?,?,?,?,?,?,?)", (f"{year}-05-0{n} 兑付{n}", f"{year}-05-0{n}T01:00:00+00:00", "voucher_redemption",
                                          "ready", amount, "许昌恒达科技有限公司", uscc, year)).lastrowid
        fid = db.conn.execute("INSERT INTO files (submission_id, name, status, received_at) VALUES (?,?,?,?)",
                              (sid, "合同.pdf", "processed", "2026-05-01")).lastrowid
        save_documents(db, sid, fid, [Document("service_contract", [1], 0.9, {
            "contract_number": FieldValue(f"XCJC-{year}-{n:04d}", 0.95),
            "provider_name": FieldValue(provider, 0.95),
            "provider_uscc": FieldValue("91411002MA3X4K5L2B", 0.95),
            "testing_fee": FieldValue("10600.00", 0.95)})])
    return sid


def approve(db, sid, who="shen"):
    v = db.execute("SELECT version FROM submissions WHERE id = ?", [sid]).fetchone()[0]
    return decisions.decide(db, sid, v, "approve", "同意", who)


def test_approval_is_a_ledger_row_and_reopen_takes_it_back(db):
    sid = voucher(db, 1, "许昌市检验检测中心", "3180.00")
    v = approve(db, sid)
    row = db.execute("SELECT year, client_uscc, provider_name, contract_number, amount, reviewer, decision_id "
                     "FROM voucher_ledger").fetchone()
    assert row[:6] == (2026, "91411000MA47M7QPXU", "许昌市检验检测中心", "XCJC-2026-0001", "3180.00", "shen")
    assert row[6] == db.execute("SELECT id FROM decision_log").fetchone()[0]
    assert ledger.remaining_cap(db.conn, "91411000MA47M7QPXU", "许昌恒达科技有限公司", 2026)["left"] == "46820.00"
    decisions.reopen(db, sid, v, "金额需复核", "li")
    assert db.execute("SELECT COUNT(*) FROM voucher_ledger").fetchone()[0] == 0


def test_rejected_or_returned_vouchers_are_not_in_the_ledger(db):
    a, b = voucher(db, 1, "甲检测", "3180.00"), voucher(db, 2, "乙检测", "1000.00")
    decisions.decide(db, a, 1, "reject", "合同无效", "shen")
    decisions.decide(db, b, 1, "return", "", "shen", reasons=["unclear"])
    assert db.execute("SELECT COUNT(*) FROM voucher_ledger").fetchone()[0] == 0


def test_redemption_list_and_closing_the_year(db, tmp_path):
    from intake.cli import cli

    ids = [voucher(db, 1, "许昌市检验检测中心", "3180.00"), voucher(db, 2, "长葛市质量检测所", "1590.00"),
           voucher(db, 3, "许昌市检验检测中心", "4770.00"), voucher(db, 4, "许昌市检验检测中心", "999.00", year=2025)]
    for sid in ids:
        approve(db, sid)
    db_path = tmp_path / "data" / "docintake.db"
    runner = CliRunner()
    r = runner.invoke(cli, ["redemption", "2026", "--db", str(db_path), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    ws = load_workbook(tmp_path / "out" / "创新券兑付清单-2026.xlsx").active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][:7] == ["序号", "管理单位（服务方）", "管理单位统一社会信用代码", "用户单位（委托方）",
                           "用户统一社会信用代码", "合同编号", "创新券金额（元）"]
    assert ws.freeze_panes == "A2"
    vouchers = [r for r in rows[1:] if isinstance(r[0], int)]
    assert [(r[1], r[5], r[6]) for r in vouchers] == [
        ("许昌市检验检测中心", "XCJC-2026-0001", 3180.0), ("许昌市检验检测中心", "XCJC-2026-0003", 4770.0),
        ("长葛市质量检测所", "XCJC-2026-0002", 1590.0)]  # grouped by provider; 2025's voucher is not there
    subtotals = {r[1]: r[6] for r in rows if isinstance(r[1], str) and "小计" in r[1]}
    assert subtotals == {"许昌市检验检测中心 小计（2 张）": 7950.0, "长葛市质量检测所 小计（1 张）": 1590.0}
    assert rows[-1][1].startswith("2026 年度合计（3 张）") and rows[-1][6] == 9540.0
    pdf = pypdfium2.PdfDocument(tmp_path / "out" / "创新券兑付清单-2026.pdf")
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "2026 年度科技创新券兑付清单" in text and "许昌市检验检测中心" in text and "9,540.00" in text

    r = runner.invoke(cli, ["redemption", "close", "2026", "--db", str(db_path), "--yes"])
    assert r.exit_code == 0 and "3 vouchers, 9540.00 yuan" in r.output
    # locked: no reopen of a listed voucher, no new grant, not even by hand in SQL
    v = db.execute("SELECT version FROM submissions WHERE id = ?", [ids[0]]).fetchone()[0]
    with pytest.raises(decisions.ReviewError, match="已关闭"):
        decisions.reopen(db, ids[0], v, "想撤销", "li")
    late = voucher(db, 5, "许昌市检验检测中心", "100.00")
    with pytest.raises(decisions.ReviewError, match="已关闭"):
        approve(db, late)
    assert db.execute("SELECT decision FROM submissions WHERE id = ?", [late]).fetchone()[0] is None
    with pytest.raises(sqlite3.IntegrityError):
        db.conn.execute("UPDATE voucher_ledger SET amount = '1.00' WHERE year = 2026")
    assert runner.invoke(cli, ["redemption", "close", "2026", "--db", str(db_path), "--yes"]).exit_code != 0
    # the year before is still open
    assert approve(db, voucher(db, 6, "长葛市质量检测所", "200.00", year=2025))
