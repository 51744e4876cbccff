"""The queue at scale over HTTP: paging, sort, local-date filters, reason chips, claims and
audited bulk approval."""
from __future__ import annotations

import re
import sqlite3

import pytest

from . import builder

pytestmark = pytest.mark.anyio


def _add_ready(built, n: int, start_day: int = 1, low_field: bool = False) -> list[int]:
    """`n` submissions the machine suggests approving (no finding), received one a minute."""
    conn = sqlite3.connect(built["db"])
    ids = []
    for i in range(n):
        ids.append(conn.execute(
            "INSERT INTO submissions (name, received_at, packet, status, finding_count, organization) "
            "VALUES (?, ?, 'voucher_redemption', 'ready', 0, ?)",
            (f"批量-{i:04d}", f"2026-10-{start_day:02d}T{i // 60:02d}:{i % 60:02d}:00.000+00:00", f"单位{i:04d}"),
        ).lastrowid)
    if low_field:
        # one of them has a field read below its type's review threshold: doubtful
        f = conn.execute("INSERT INTO files (submission_id, name, status, received_at) VALUES (?, 'x.png', "
                         "'processed', '2026-10-01T00:00:00+00:00')", (ids[0],)).lastrowid
        d = conn.execute("INSERT INTO documents (submission_id, file_id, idx, type, pages, confidence) "
                         "VALUES (?, ?, 0, 'invoice', '[1]', 0.9)", (ids[0], f)).lastrowid
        conn.execute("INSERT INTO fields (document_id, key, value, value_json, confidence, source) "
                     "VALUES (?, 'total', '100.00', '\"100.00\"', 0.4, 'ocr')", (d,))
    conn.commit()
    conn.close()
    return ids


def _names(html: str) -> list[str]:
    return re.findall(r'<td class="rv-name"><a href="/-/review/submission/\d+">([^<]+)</a>', html)


async def test_paging_sort_and_tab_counts_at_scale(login, built):
    _add_ready(built, 120)
    s = await login("shen")
    r = await s.get("/-/review?status=ready")
    assert "第 1 / 3 页（共 120 件）" in r.text
    first = _names(r.text)
    assert len(first) == 50 and first[0] == "批量-0000"
    assert re.search(r'建议通过 <span class="rv-count">120</span>', r.text)
    r = await s.get("/-/review?status=ready&page=3")
    assert _names(r.text) == [f"批量-{i:04d}" for i in range(100, 120)]
    assert "下一页" not in r.text and "上一页" in r.text
    r = await s.get("/-/review?status=ready&sort=-received")
    assert _names(r.text)[0] == "批量-0119"
    # a page past the end shows the last one; a nonsense page number the first
    assert "第 3 / 3 页" in (await s.get("/-/review?status=ready&page=99")).text
    assert "第 1 / 3 页" in (await s.get("/-/review?status=ready&page=x")).text


async def test_date_filter_uses_local_days(login, built):
    s = await login("shen")
    # 许昌恒达 arrived 2026-11-20 01:30 UTC = 09:30 Beijing; 长葛精工 2026-11-21 02:00 UTC
    r = await s.get("/-/review?status=all&from=2026-11-21&to=2026-11-21")
    assert _names(r.text) == ["2026-11-21 长葛精工"]
    conn = sqlite3.connect(built["db"])
    conn.execute("UPDATE submissions SET received_at = '2026-11-20T16:30:00.000+00:00' WHERE id = ?", (built["sid"],))
    conn.commit()
    conn.close()
    r = await s.get("/-/review?status=all&from=2026-11-21&to=2026-11-21")  # 00:30 on the 21st in Xuchang
    assert _names(r.text) == ["2026-11-20 许昌恒达科技", "2026-11-21 长葛精工"]
    assert 'value="2026-11-21"' in r.text


async def test_reason_chips_name_rules_in_chinese(login, built):
    s = await login("shen")
    r = await s.get("/-/review")
    row = r.text.split('data-id="%d"' % built["sid"], 1)[1].split("</tr>", 1)[0]
    assert "文件已损坏" in row and "必填字段缺失" in row and "另 " in row
    assert "schema.required" in row  # only as the chip's tooltip, a small secondary code
    assert ">schema.required<" not in row


async def test_bulk_approve_needs_confirmation_and_only_takes_clean_ones(login, built):
    ids = _add_ready(built, 3, low_field=True)
    s = await login("shen")
    r = await s.get("/-/review?status=ready")
    assert f'name="pick_{ids[0]}"' not in r.text  # the doubtful one offers no box
    assert f'name="pick_{ids[1]}"' in r.text and f'name="pick_{ids[2]}"' in r.text
    picks = {f"pick_{i}": "1" for i in ids}
    r = await s.post("/-/review/bulk-approve", picks, json_accept=True)
    assert r.status_code == 400 and "确认" in r.json()["error"]
    r = await s.post("/-/review/bulk-approve", {**picks, "confirm": "1"}, json_accept=True)
    data = r.json()
    assert data["approved"] == ids[1:] and len(data["refused"]) == 1 and "存疑" in data["refused"][0]
    rows = builder.query(built, "SELECT id, decision, decided_by FROM submissions WHERE id IN (?, ?, ?) ORDER BY id", ids)
    assert rows == [(ids[0], None, None), (ids[1], "approved", "shen"), (ids[2], "approved", "shen")]
    audit = builder.query(built, "SELECT submission_id, actor, action, comment FROM audit WHERE action = 'approve' "
                                 "ORDER BY id")
    assert [(a[0], a[1]) for a in audit] == [(ids[1], "shen"), (ids[2], "shen")]
    assert all("批量批准" in (a[3] or "") for a in audit)
    v = await login("zhou")
    r = await v.post("/-/review/bulk-approve", {f"pick_{ids[0]}": "1", "confirm": "1"}, json_accept=True)
    assert r.status_code == 403


async def test_claims_show_who_is_reviewing(login, built):
    shen, li, zhou = await login("shen"), await login("li"), await login("zhou")
    await shen.get(f"/-/review/submission/{built['sid']}")
    r = await li.get("/-/review")
    row = r.text.split('data-id="%d"' % built["sid"], 1)[1].split("</tr>", 1)[0]
    assert '<span class="rv-claim">沈审核</span>' in row
    page = await li.get(f"/-/review/submission/{built['sid']}")
    assert "正在由 <strong>沈审核</strong> 审核" in page.text
    # a viewer opening it claims nothing and sees no staff name
    await zhou.get(f"/-/review/submission/{built['sid2']}")
    r = await zhou.get("/-/review")
    assert "沈审核" not in r.text and '<span class="rv-claim">工作人员</span>' in r.text
    assert builder.query(built, "SELECT actor FROM review_claims WHERE submission_id = ?", (built["sid2"],)) == []
    # li takes it over; only an admin may hand it to someone else
    r = await li.post(f"/-/review/submission/{built['sid']}/take", {"to": "shen"})
    assert r.status_code == 403
    r = await li.post(f"/-/review/submission/{built['sid']}/take", {})
    assert r.status_code == 302
    assert builder.query(built, "SELECT actor FROM review_claims WHERE submission_id = ?", (built["sid"],)) == [("li",)]
    admin = await login("admin")
    page = await admin.get(f"/-/review/submission/{built['sid']}")
    assert 'id="rv-assign"' in page.text and '<option value="shen">沈审核</option>' in page.text
    assert 'value="zhou"' not in page.text  # a viewer cannot review
    await admin.post(f"/-/review/submission/{built['sid']}/take", {"to": "shen"})
    assert builder.query(built, "SELECT actor, assigned_by FROM review_claims WHERE submission_id = ?",
                         (built["sid"],)) == [("shen", "admin")]


async def test_claims_are_audited_in_chinese_on_both_audit_views(login, built):
    shen, li, admin = await login("shen"), await login("li"), await login("admin")
    sid = built["sid"]
    await shen.get(f"/-/review/submission/{sid}")
    await shen.get(f"/-/review/submission/{sid}")  # a reload renews, it is not a second claim
    await li.post(f"/-/review/submission/{sid}/take", {})
    await admin.post(f"/-/review/submission/{sid}/take", {"to": "shen"})
    r = await shen.post(f"/-/review/submission/{sid}/release", {})
    assert r.status_code == 302
    assert builder.query(built, "SELECT actor FROM review_claims WHERE submission_id = ?", (sid,)) == []
    r = await li.post(f"/-/review/submission/{sid}/release", {}, json_accept=True)  # nothing left to release
    assert r.json()["released"] is False
    rows = builder.query(built, "SELECT actor, action, old_value, new_value FROM audit WHERE field = 'claimed_by' "
                                "AND submission_id = ? ORDER BY id", (sid,))
    assert rows == [("shen", "claim", None, "shen"), ("li", "take_over", "shen", "li"),
                    ("admin", "assign", "li", "shen"), ("shen", "release", "shen", None)]
    expected = [("认领审核", "（空） → 沈审核"), ("接手审核", "沈审核 → 李审核"), ("分配审核", "李审核 → 沈审核"),
                ("释放认领", "沈审核 → （空）")]
    page = await shen.get(f"/-/review/submission/{sid}")  # claims it again (a fifth row)
    log = await admin.get("/-/review/audit")
    for text in (page.text, log.text):
        for action, change in expected:
            row = next(r for r in text.split('<tr class="rv-audit-row">')[1:] if f"<td>{action}</td>" in r)
            assert "<td>审核人</td>" in row and change in row, row
        assert "claimed_by" not in text.split('rv-audit-row', 1)[1] and "take_over" not in text
    # a viewer's audit view shows no staff names
    zhou = await login("zhou")
    mine = await zhou.get(f"/-/review/submission/{sid}")
    history = mine.text.split('rv-audit-row', 1)[1]
    assert "沈审核" not in history and "工作人员 → 工作人员" in history
