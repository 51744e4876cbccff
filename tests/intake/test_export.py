"""Export of decided submissions: CSV for Excel, XLSX, JSON Lines against the record schema, speed."""
from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from intake.export import BASE_COLUMNS, export, export_command, field_columns, iter_records

from .conftest import insert_verified

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "export" / "record.schema.json").read_text("utf-8"))


def _export(db, fmt, **kw) -> bytes:
    buf = io.BytesIO()
    export(db, buf, fmt, **kw)
    return buf.getvalue()


def test_record_shape(db):
    insert_verified(db, 2)
    insert_verified(db, 1, start=10, status="needs_review")
    recs = list(iter_records(db))
    assert [r["submission_id"] for r in recs] == [1, 2]
    r = recs[0]
    assert r["status"] == "verified" and r["decision"] == "approved" and r["reviewer"] == "审核员甲"
    assert r["voucher_amount"] == "3000.00" and r["organization"] == "许昌某某科技有限公司0"
    assert r["business_license.uscc"] == "91411002MA3X4K5L2B"
    assert r["service_contract.client_seal_present"] is True
    assert r["service_contract.provider_seal_present"] is False
    assert r["id_card.name"] == "张三" and r["id_card_2.name"] == "李四，\"引号\""
    assert "id_card_2.id_number" not in r  # absent, not empty
    assert r["document_types"] == ["business_license", "id_card", "service_contract", "id_card"]
    assert r["finding_count"] == 1 and r["finding_rules"] == ["voucher.cap_exceeded"]
    assert "id_card_2.name" not in recs[1]
    # columns: base first, then contract type order, schema key order
    cols = field_columns(db)
    assert cols.index("business_license.name") < cols.index("business_license.uscc") < cols.index("id_card.name")
    assert cols.index("id_card.id_number") < cols.index("id_card_2.name") < cols.index("service_contract.contract_number")


def test_csv_round_trip_for_excel(db):
    insert_verified(db, 3)
    data = _export(db, "csv")
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    assert b"\r\n" in data and data.count(b"\n") == data.count(b"\r\n")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert len(rows) == 3
    assert list(rows[0])[: len(BASE_COLUMNS)] == BASE_COLUMNS
    assert rows[0]["submission"] == "2026-11-01 许昌某某科技0"
    assert rows[0]["id_card_2.name"] == "李四，\"引号\""
    assert rows[1]["id_card_2.name"] == ""
    assert rows[0]["service_contract.client_seal_present"] == "true"
    assert rows[0]["id_card.id_number"] == "410102199001011234"
    assert rows[0]["document_types"] == "business_license;id_card;service_contract;id_card"
    assert rows[2]["service_contract.testing_fee"] == "10002.00"


def test_xlsx_round_trip(db, tmp_path):
    insert_verified(db, 2)
    out = tmp_path / "records.xlsx"
    with open(out, "wb") as fh:
        assert export(db, fh, "xlsx") == 2
    ws = load_workbook(out).active
    rows = list(ws.iter_rows(values_only=True))
    header, labels, first = rows[0], rows[1], rows[2]
    assert len(rows) == 4
    col = {name: i for i, name in enumerate(header)}
    assert labels[col["organization"]] == "单位名称"
    assert labels[col["business_license.uscc"]] == "统一社会信用代码"
    assert first[col["organization"]] == "许昌某某科技有限公司0"
    assert first[col["service_contract.testing_fee"]] == 10000.0  # money is a number in Excel
    assert first[col["voucher_amount"]] == 3000.0
    assert first[col["id_card.id_number"]] == "410102199001011234"  # long digits stay text
    assert first[col["business_license.term_end"]] == "长期"
    assert str(first[col["business_license.established_on"]])[:10] == "2019-05-20"


def test_jsonl_matches_record_schema(db):
    insert_verified(db, 4)
    insert_verified(db, 1, start=4, with_findings=False)
    lines = _export(db, "jsonl").decode("utf-8").splitlines()
    assert len(lines) == 5
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    for line in lines:
        rec = json.loads(line)
        errors = list(validator.iter_errors(rec))
        assert not errors, errors[0].message
    assert json.loads(lines[-1])["finding_rules"] == []
    # the JSON array holds the same records
    assert [json.loads(x) for x in lines] == json.loads(_export(db, "json"))


def test_empty_export_and_filters(db):
    assert json.loads(_export(db, "json")) == []
    assert _export(db, "csv").decode("utf-8-sig").splitlines() == [",".join(BASE_COLUMNS)]
    insert_verified(db, 2, decided_at="2026-10-01T08:00:00.000+00:00")
    insert_verified(db, 3, start=2, decided_at="2026-11-15T08:00:00.000+00:00")
    insert_verified(db, 1, start=5, status="rejected")
    assert len(list(iter_records(db, since="2026-11-01"))) == 3
    assert len(list(iter_records(db, status="rejected"))) == 1
    assert len(list(iter_records(db, status="all"))) == 6


def test_cli_stdout_and_file(db, tmp_path):
    insert_verified(db, 2)
    db_path = tmp_path / "data" / "docintake.db"
    runner = CliRunner()
    res = runner.invoke(export_command, ["--db", str(db_path), "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    assert len([x for x in res.stdout.splitlines() if x.startswith("{")]) == 2
    out = tmp_path / "out" / "v.csv"
    res = runner.invoke(export_command, ["--db", str(db_path), "-o", str(out), "--since", "2026-11-01"])
    assert res.exit_code == 0, res.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    res = runner.invoke(export_command, ["--db", str(db_path), "--since", "yesterday"])
    assert res.exit_code != 0


def test_verified_records_view_masks_personal_data(db):
    insert_verified(db, 2)
    insert_verified(db, 1, start=2, status="needs_review")
    rows = db.execute("SELECT submission_id, reviewer, finding_rules, fields FROM verified_records").fetchall()
    assert [r[0] for r in rows] == [1, 2]
    fields = json.loads(rows[0][3])
    assert fields["business_license.uscc"] == "91411002MA3X4K5L2B"
    assert fields["id_card.id_number"] == "410****1234"
    assert fields["id_card_2.name"] == "李四，\"引号\""
    assert rows[0][2] == "voucher.cap_exceeded"


def _bulk_insert(db, n: int) -> None:
    """n verified submissions with 3 documents and 24 fields each, inserted set-wise."""
    from intake.db import transaction

    with transaction(db):
        db.conn.executemany(
            "INSERT INTO submissions (id, name, received_at, packet, status, voucher_amount, organization, uscc, "
            "version, decision, decided_by, decided_at) VALUES (?,?,?,?, 'verified', ?,?,?, 1, 'approved', 'r', ?)",
            [(i, f"申请{i}", "2026-11-01T00:00:00+00:00", "voucher_redemption", f"{i}.00", f"单位{i}",
              "91411002MA3X4K5L2B", "2026-11-02T00:00:00+00:00") for i in range(1, n + 1)],
        )
        db.conn.executemany(
            "INSERT INTO files (id, submission_id, name, status, received_at) VALUES (?,?, 'a.pdf', 'processed', 'x')",
            [(i, i) for i in range(1, n + 1)],
        )
        types = ["business_license", "service_contract", "invoice"]
        db.conn.executemany(
            "INSERT INTO documents (id, submission_id, file_id, idx, type, pages) VALUES (?,?,?,?,?, '[1]')",
            [(i * 3 + k, i, i, k, t) for i in range(1, n + 1) for k, t in enumerate(types)],
        )
        db.conn.executemany(
            "INSERT INTO fields (document_id, key, value, value_json) VALUES (?,?,?,?)",
            [(i * 3 + k, f"f{j}", f"值{i}-{j}", json.dumps(f"值{i}-{j}", ensure_ascii=False))
             for i in range(1, n + 1) for k in range(3) for j in range(8)],
        )
        db.conn.executemany(
            "INSERT INTO findings (submission_id, rule, severity, message) VALUES (?, 'amount.mismatch', 'error', 'x')",
            [(i,) for i in range(1, n + 1, 3)],
        )


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_ten_thousand_records_export_quickly(db, tmp_path, fmt):
    _bulk_insert(db, 10_000)
    out = tmp_path / f"big.{fmt}"
    t0 = time.monotonic()
    with open(out, "wb") as fh:
        assert export(db, fh, fmt) == 10_000
    elapsed = time.monotonic() - t0
    assert elapsed < 30, f"{fmt} export of 10,000 records took {elapsed:.1f}s"
    if fmt == "csv":
        with open(out, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == 10_000 and rows[-1]["invoice.f7"] == "值10000-7"
