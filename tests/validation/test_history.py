"""The yearly cap and the duplicate contract across a real SQLite database (SqliteHistory)."""
from __future__ import annotations

import json
from datetime import date

import pytest

from intake.db import connect, now
from intake.validation import MemoryHistory, NoHistory, SqliteHistory, decide

from .helpers import CLIENT_USCC, contract_, invoice_, receipt_, voucher


@pytest.fixture
def db(tmp_path):
    return connect(tmp_path / "data" / "docintake.db")


def store(db, name, documents, decision, as_of: date) -> int:
    """Record a decided submission the way the pipeline does (submissions, files, documents, fields)."""
    conn = db.conn
    cur = conn.execute(
        "INSERT INTO submissions (name, received_at, as_of, packet, status, voucher_amount, organization, uscc, year)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (name, now(), as_of.isoformat(), decision.packet, decision.status, decision.voucher_amount,
         decision.organization, decision.uscc, decision.year))
    sid = cur.lastrowid
    for i, d in enumerate(documents):
        fid = conn.execute("INSERT INTO files (submission_id, name, status, received_at) VALUES (?, ?, 'done', ?)",
                           (sid, f"{i:02d}_{d.type}.jpg", now())).lastrowid
        did = conn.execute("INSERT INTO documents (submission_id, file_id, idx, type, pages) VALUES (?, ?, ?, ?, ?)",
                           (sid, fid, i, d.type, json.dumps(d.pages))).lastrowid
        for k, fv in d.fields.items():
            conn.execute("INSERT INTO fields (document_id, key, value, value_json, confidence) VALUES (?, ?, ?, ?, ?)",
                         (did, k, str(fv.value), json.dumps(fv.value, ensure_ascii=False), fv.confidence))
    return sid


def packet_with_fee(fee: str, number: str, signed="2026-04-20"):
    return voucher(service_contract=contract_(testing_fee=fee, total_amount=fee, contract_number=number,
                                              signed_on=signed),
                   invoice=invoice_(total=fee), bank_receipt=receipt_(amount=fee))


def submit(db, name, docs, as_of):
    history = SqliteHistory(db)
    d = decide(docs, as_of, history)
    sid = store(db, name, docs, d, as_of)
    # Re-deciding the stored submission excludes itself from the history.
    again = decide(docs, as_of, history, submission_id=sid)
    assert (again.status, again.voucher_amount) == (d.status, d.voucher_amount)
    return d


def test_yearly_cap_across_packets(db):
    as_of = date(2026, 9, 1)
    d1 = submit(db, "a", packet_with_fee("100000.00", "A-1"), as_of)
    assert (d1.status, d1.voucher_amount) == ("ready", "30000.00")
    d2 = submit(db, "b", packet_with_fee("50000.00", "A-2"), as_of)
    assert (d2.status, d2.voucher_amount) == ("ready", "15000.00")
    d3 = submit(db, "c", packet_with_fee("31800.00", "A-3"), as_of)  # 9,540 wanted, 5,000 left
    assert (d3.status, d3.voucher_amount) == ("needs_review", "5000.00")
    f = d3.findings[0]
    assert (f.rule, f.severity) == ("voucher.cap_exceeded", "warning")
    assert "5000.00" in f.message and "45000.00" in f.message
    d4 = submit(db, "d", packet_with_fee("10600.00", "A-4"), as_of)  # nothing left
    assert (d4.status, d4.voucher_amount) == ("rejected", "0.00")
    assert d4.findings[0].rule == "voucher.cap_exceeded" and d4.findings[0].severity == "error"


def test_cap_counts_only_granted_vouchers_of_the_same_client_and_year(db):
    as_of = date(2026, 9, 1)
    d1 = submit(db, "a", packet_with_fee("150000.00", "B-1"), as_of)
    assert d1.voucher_amount == "45000.00"
    # A rejected submission of the same client does not count.
    db.conn.execute("UPDATE submissions SET status = 'rejected' WHERE name = 'a'")
    assert submit(db, "b", packet_with_fee("31800.00", "B-2"), as_of).voucher_amount == "9540.00"
    # Last year's vouchers do not count in 2027.
    d = decide(packet_with_fee("150000.00", "B-3", signed="2027-02-01"), date(2027, 3, 1), SqliteHistory(db))
    assert d.voucher_amount == "45000.00"
    assert SqliteHistory(db).vouchers_granted(CLIENT_USCC, 2026) == pytest.approx(9540)
    assert SqliteHistory(db).vouchers_granted("91411002MA3X4K5L2U", 2026) == 0


def test_duplicate_contract_across_the_database(db):
    as_of = date(2026, 9, 1)
    first = submit(db, "2026-09-01 first", packet_with_fee("12720.00", "XCJC-2026-017"), as_of)
    assert first.status == "ready"
    d = decide(packet_with_fee("12720.00", "XCJC 2026-017"), date(2026, 9, 20), SqliteHistory(db))
    assert [f.rule for f in d.findings] == ["voucher.duplicate_contract"] and d.status == "rejected"
    assert "2026-09-01 first" in d.findings[0].message
    # Same number from another provider: a different contract.
    other = voucher(service_contract=contract_(contract_number="XCJC-2026-017", provider_name="许昌另一检测有限公司",
                                               provider_uscc=None),
                    invoice=invoice_(seller_name="许昌另一检测有限公司", seller_tax_id=None))
    assert decide(other, date(2026, 9, 20), SqliteHistory(db)).findings == []
    # Once the first is rejected, the contract is free again.
    db.conn.execute("UPDATE submissions SET status = 'rejected'")
    assert decide(packet_with_fee("12720.00", "XCJC-2026-017"), date(2026, 9, 20), SqliteHistory(db)).findings == []


def test_memory_history_matches():
    h = MemoryHistory()
    as_of = date(2026, 9, 1)
    docs = packet_with_fee("12720.00", "M-1")
    d = decide(docs, as_of, h)
    h.record(1, d, docs)
    again = decide(docs, as_of, h)
    assert [f.rule for f in again.findings] == ["voucher.duplicate_contract"]
    assert decide(docs, as_of, h, submission_id=1).findings == []
    assert h.vouchers_granted(CLIENT_USCC, 2026) == 3816


def test_no_history():
    assert NoHistory().vouchers_granted(CLIENT_USCC, 2026) == 0 and NoHistory().contracts_used("x") == []
