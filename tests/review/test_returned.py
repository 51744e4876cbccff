"""退回补正 in the review UI (real Datasette, real SQLite): preset reasons, audited; the next
submission of the same organization is linked and shows what was asked; the ledger dashboard."""
from __future__ import annotations

import sqlite3

import pytest

from intake.supplements import link

pytestmark = pytest.mark.anyio


def _version(db_path, sid):
    with sqlite3.connect(db_path) as c:
        return c.execute("SELECT version FROM submissions WHERE id = ?", (sid,)).fetchone()[0]


def _later_submission(db_path, uscc, received="2026-12-20T02:00:00.000+00:00", name="2026-12-20 许昌恒达科技（补正）"):
    with sqlite3.connect(db_path) as c:
        sid = c.execute("INSERT INTO submissions (name, received_at, packet, status, uscc, organization) "
                        "VALUES (?,?,?,?,?,?)", (name, received, "membership_application", "needs_review", uscc,
                                                 "许昌恒达科技有限公司")).lastrowid
        link(c, sid)  # as store.decide_and_save does when a submission is decided at ingest
        c.commit()
    return sid


async def _return(s, sid, version, **form):
    data = {"version": version, **form}
    return await s.post(f"/-/review/submission/{sid}/return", data)


async def test_return_needs_a_reason_and_only_staff_may_return(built, login):
    sid = built["sid"]
    viewer = await login("zhou")
    r = await _return(viewer, sid, _version(built["db"], sid), reason_missing="1")
    assert r.status_code == 403
    s = await login("shen")
    r = await _return(s, sid, _version(built["db"], sid))
    assert r.status_code == 400 and "退回原因" in r.text
    with sqlite3.connect(built["db"]) as c:
        assert c.execute("SELECT decision FROM submissions WHERE id = ?", (sid,)).fetchone()[0] is None


async def test_returned_submission_is_linked_to_the_supplement_and_both_pages_show_it(built, login, monkeypatch):
    monkeypatch.setenv("DOCINTAKE_SUPPLEMENT_DAYS", "30")
    sid = built["sid"]
    s = await login("shen")
    page = await s.get(f"/-/review/submission/{sid}")
    assert 'id="rv-return"' in page.text and "印章不清" in page.text  # the form with its preset reasons
    r = await _return(s, sid, _version(built["db"], sid), reason_missing="1", detail_missing="缺少授权委托书",
                      reason_seal="1", comment="请补正后重新提交")
    assert r.status_code == 302
    with sqlite3.connect(built["db"]) as c:
        status, decision, uscc, decided_at = c.execute(
            "SELECT status, decision, uscc, decided_at FROM submissions WHERE id = ?", (sid,)).fetchone()
        audit = c.execute("SELECT action, comment FROM audit WHERE submission_id = ? AND action = 'return'",
                          (sid,)).fetchone()
        notice = c.execute("SELECT kind, status FROM notices WHERE submission_id = ?", (sid,)).fetchone()
    assert (status, decision) == ("returned", "returned")
    assert audit[1].startswith("退回原因：缺少材料：缺少授权委托书；印章不清")
    assert notice == ("returned", "no_address")  # the test packet has no application form: print it
    page = await s.get(f"/-/review/submission/{sid}")
    assert "已退回补正" in page.text and 'id="rv-waiting"' in page.text and "30 天内" in page.text

    # another organization, and the same one too late, are not linked; the same one in time is
    _later_submission(built["db"], "91411002MA3X4K5L2B", name="别家单位")
    late = _later_submission(built["db"], uscc, received="2099-01-01T00:00:00.000+00:00", name="太晚的申请")
    new = _later_submission(built["db"], uscc, received=decided_at)
    page = await s.get(f"/-/review/submission/{new}")
    assert 'id="rv-returned-for"' in page.text
    assert f'/-/review/submission/{sid}"' in page.text and "缺少材料：缺少授权委托书" in page.text
    assert "请补正后重新提交" in page.text
    old = await s.get(f"/-/review/submission/{sid}")
    assert 'id="rv-supplemented-by"' in old.text and f'/-/review/submission/{new}"' in old.text
    assert f'/-/review/submission/{late}"' not in old.text
    with sqlite3.connect(built["db"]) as c:
        assert c.execute("SELECT returned_id, supplement_id FROM supplement_links").fetchall() == [(sid, new)]
    # the notice is there to print
    r = await s.get("/-/review/notice/1.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf" and r.content[:5] == b"%PDF-"


async def test_ledger_dashboard_shows_budget_months_and_providers(built, login):
    with sqlite3.connect(built["db"]) as c:
        c.execute("INSERT INTO voucher_budgets (year, amount, set_at) VALUES (2026, '100000.00', '2026-01-01')")
        for i, (provider, amount, at) in enumerate([("许昌检测中心", "3180.00", "2026-03-02T02:00:00+00:00"),
                                                    ("许昌检测中心", "1590.00", "2026-05-02T02:00:00+00:00"),
                                                    ("长葛质检所", "6360.00", "2026-05-09T02:00:00+00:00")]):
            sid = c.execute("INSERT INTO submissions (name, received_at, packet, status) VALUES (?,?,?,?)",
                            (f"v{i}", at, "voucher_redemption", "verified")).lastrowid
            c.execute("INSERT INTO voucher_ledger (year, client_uscc, client_name, provider_name, contract_number, "
                      "amount, submission_id, reviewer, granted_at) VALUES (2026,?,?,?,?,?,?,?,?)",
                      ("91411000MA47M7QPXU", "许昌恒达科技有限公司", provider, f"HT-{i}", amount, sid, "shen", at))
        c.commit()
    viewer = await login("zhou")
    assert (await viewer.get("/-/review/ledger?year=2026")).status_code == 403
    s = await login("shen")
    r = await s.get("/-/review/ledger?year=2026")
    assert r.status_code == 200
    text = r.text
    assert "已核定 <strong>3</strong> 张，合计 <strong>11130.00</strong> 元" in text
    assert "剩余 <strong>88870.00</strong> 元" in text
    assert text.count("<svg") >= 3 and "<script src" not in text.split("rv-ledger")[1]
    assert "许昌检测中心：4770.00 元" in text and "5月：7950.00 元" in text
    assert "38870.00" in text  # the client's cap left: 50000 - 11130
    assert (await s.get("/-/review/ledger?year=abc")).status_code == 400
