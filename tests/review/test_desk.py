"""Issue 14 (first slice), in-process HTTP: suggestions vs decisions (item 2), landing and
Datasette's pages (item 4), normalized reviewer input (item 6), Chinese audit labels (item 8)."""
from __future__ import annotations

import re

import pytest

from . import builder
from .builder import query

pytestmark = pytest.mark.anyio

DB = "docintake"


def _doc(built, dtype="business_license"):
    return query(built, "SELECT id FROM documents WHERE submission_id = ? AND type = ?", (built["sid"], dtype))[0][0]


def _version(built):
    return query(built, "SELECT version FROM submissions WHERE id = ?", (built["sid"],))[0][0]


async def _save(s, built, key, value, dtype="business_license"):
    return await s.post(f"/-/review/submission/{built['sid']}/field",
                        {"version": _version(built), "document_id": _doc(built, dtype), "key": key, "value": value},
                        json_accept=True)


def _stored(built, key, dtype="business_license"):
    rows = query(built, "SELECT value FROM fields WHERE document_id = ? AND key = ?", (_doc(built, dtype), key))
    return rows[0][0] if rows else None


def _corrections(built):
    return query(built, "SELECT field, old_value, new_value FROM audit WHERE action = 'correct' ORDER BY id")


def _badges(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<span class="rv-badge ([^"]+)"[^>]*>([^<]+)</span>', html)


# ------------------------------------------------------------------ item 6: normalized input

@pytest.mark.parametrize("key, typed, stored", [
    ("established_on", "2026年11月27日", "2026-11-27"),
    ("registered_capital", "¥10,600.00", "10600.00"),
    ("registered_capital", "壹万零陆佰元整", "10600.00"),
    ("uscc", " 91411000ma47m7qpxu ", "91411000MA47M7QPXU"),
    ("term_end", "长期", "长期"),
    ("term_start", "2015.06.01", "2015-06-01"),
])
async def test_reviewer_input_is_normalized_like_ocr_output(login, built, key, typed, stored):
    s = await login("shen")
    r = await _save(s, built, key, typed)
    assert r.status_code == 200, r.text
    data = r.json()
    uid = f"f{_doc(built)}-{key}"
    assert data["values"][uid] == stored  # what the page shows after saving
    assert _stored(built, key) == stored
    # the stored value passes the schema's format check: no 应为 … 格式 finding for it
    assert not query(built, "SELECT 1 FROM findings WHERE submission_id = ? AND rule = 'schema.format' "
                            "AND fields LIKE ?", (built["sid"], f'%"{key}"%'))


@pytest.mark.parametrize("key, typed, expected", [
    ("established_on", "下周一", "YYYY-MM-DD"),
    ("established_on", "2026年13月40日", "YYYY-MM-DD"),
    ("registered_capital", "面议", "12345.00"),
    ("registered_capital", "待定", "12345.00"),
    ("uscc", "9141100", "18 位"),
])
async def test_a_value_that_cannot_be_normalized_is_refused_and_not_saved(login, built, key, typed, expected):
    s = await login("shen")
    before_version, before_value = _version(built), _stored(built, key)
    r = await _save(s, built, key, typed)
    assert r.status_code == 400
    data = r.json()
    assert not data["ok"] and expected in data["error"] and "未保存" in data["error"]
    assert _stored(built, key) == before_value and _version(built) == before_version
    assert _corrections(built) == []


async def test_refusal_by_form_post_says_the_expected_form(login, built):
    s = await login("shen")
    r = await s.post(f"/-/review/submission/{built['sid']}/field",
                     {"version": _version(built), "document_id": _doc(built), "key": "established_on",
                      "value": "明年"})
    assert r.status_code == 400 and "YYYY-MM-DD" in r.text and "已保存" not in r.text


async def test_resaving_an_unchanged_value_is_not_a_correction(login, built):
    s = await login("shen")
    assert (await _save(s, built, "registered_capital", "¥10,600.00")).status_code == 200
    version = _version(built)
    assert len(_corrections(built)) == 1
    # the same amount typed another way, and the stored name as printed, are no change
    for key, typed in [("registered_capital", "10600.00"), ("registered_capital", "壹万零陆佰元整"),
                       ("name", "许昌恒达科技有限公司"), ("legal_representative", " 王建国 ")]:
        r = await _save(s, built, key, typed)
        assert r.status_code == 200 and r.json()["unchanged"], (key, typed)
        assert "未记录为更正" in r.json()["message"]
    assert _version(built) == version
    assert _corrections(built) == [("registered_capital", None, "10600.00")]
    # a real change still is one
    r = await _save(s, built, "registered_capital", "10,700")
    assert r.status_code == 200 and not r.json()["unchanged"]
    assert _corrections(built)[-1] == ("registered_capital", "10600.00", "10700.00")


# ------------------------------------------------------------------ item 2: suggestion vs decision

async def test_queue_shows_machine_suggestions_apart_from_decisions(login, built):
    s = await login("shen")
    r = await s.get("/-/review")
    badges = _badges(r.text)
    # both packets lack documents: the machine suggests rejecting, nobody has decided
    assert ("rv-suggest sg-rejected", "建议驳回") in badges
    assert not any("rv-decided" in css for css, _ in badges)
    assert "未审核" in r.text and "<th>机器建议</th>" in r.text and "<th>审核结论</th>" in r.text
    tabs = dict(re.findall(r'class="rv-tab st-(\w+)[^"]*"[^>]*>([^<]+?) <span', r.text))
    assert tabs == {"pending": "待处理", "rejected": "建议驳回", "needs_review": "需复核", "ready": "建议通过",
                    "verified": "已核验", "declined": "已驳回", "quarantined": "已隔离", "all": "全部"}

    # a reviewer rejects one: it leaves 待处理 and the suggestion tab, and appears as a decision
    r = await s.post(f"/-/review/submission/{built['sid']}/decide",
                     {"version": _version(built), "decision": "reject", "comment": "缺少授权委托书"})
    assert r.status_code == 302
    pending = await s.get("/-/review.json", headers={"accept": "application/json"})
    assert [row["id"] for row in pending.json()["rows"]] == [built["sid2"]]
    declined = await s.get("/-/review?status=declined")
    assert ("rv-decided dc-rejected", "已驳回") in _badges(declined.text)
    assert "沈审核" in declined.text and "2026-11-20 许昌恒达科技" in declined.text
    suggested = await s.get("/-/review?status=rejected")
    assert "2026-11-20 许昌恒达科技" not in suggested.text and "2026-11-21 长葛精工" in suggested.text
    counts = re.findall(r'st-(declined|rejected)[^>]*>[^<]+<span class="rv-count">(\d+)', suggested.text)
    assert dict(counts) == {"rejected": "1", "declined": "1"}


async def test_submission_page_labels_suggestion_and_decision(login, built):
    s = await login("shen")
    r = await s.get(f"/-/review/submission/{built['sid']}")
    assert re.search(r'id="rv-status-kind">机器建议</span>\s*<span class="rv-badge rv-suggest sg-rejected" '
                     r'id="rv-status">建议驳回</span>', r.text)
    await s.post(f"/-/review/submission/{built['sid']}/decide",
                 {"version": _version(built), "decision": "reject", "comment": "缺少授权委托书"})
    r = await s.get(f"/-/review/submission/{built['sid']}")
    assert re.search(r'id="rv-status-kind">审核结论</span>\s*<span class="rv-badge rv-decided dc-rejected" '
                     r'id="rv-status">已驳回</span>', r.text)
    assert "审核人：沈审核" in r.text


# ------------------------------------------------------------------ item 4: landing, Datasette pages, 404

async def test_sign_in_from_the_servers_address_lands_on_the_queue(session):
    s = session()
    r = await s.get("/")
    assert r.headers["location"] == "/-/review/login?next=%2F"
    r = await s.login("shen")  # Session.login posts without next; the README's address posts next=/
    r = await s.post("/-/review/login", {"username": "shen", "password": builder.PASSWORD, "next": "/"})
    assert r.status_code == 302 and r.headers["location"] == "/-/review"
    r = await s.get("/")
    assert r.status_code == 302 and r.headers["location"] == "/-/review"


@pytest.mark.parametrize("who", ["shen", "zhou"])
async def test_datasette_pages_are_for_admins_only(login, who):
    s = await login(who)
    for path in [f"/{DB}", f"/{DB}/review_queue", f"/{DB}/fields_masked", f"/{DB}?sql=select+1",
                 f"/{DB}/masked_page_text?q=", "/-/versions", "/-/metadata"]:
        r = await s.get(path)
        assert r.status_code == 403, path
        assert "仅供管理员使用" in r.text and 'href="/-/review"' in r.text and "rv-brand" in r.text, path
        assert "Datasette" not in r.text.split("<footer")[0] or "数据浏览" not in r.text.split("<footer")[0], path
    queue = await s.get("/-/review")
    assert 'href="/">数据浏览' not in queue.text and f'href="/{DB}/review_queue"' not in queue.text
    audit = await s.get("/-/review/audit")
    assert f'href="/{DB}/audit' not in audit.text


async def test_admin_keeps_datasette(login):
    a = await login("admin")
    r = await a.get("/")
    assert r.status_code == 200 and f'href="/{DB}"' in r.text
    r = await a.get(f"/{DB}/fields")
    assert r.status_code == 200 and "字段（原始值）" in r.text
    assert 'href="/">数据浏览' in (await a.get("/-/review")).text


async def test_404_is_chinese_inside_the_frame(login):
    for who in ("admin", "shen"):
        s = await login(who)
        for path in ["/-/review/nothing-here", f"/{DB}/no_such_table", "/no-such-page"]:
            if who == "shen" and path.startswith(f"/{DB}"):
                continue  # a reviewer gets the admin-only page there
            r = await s.get(path)
            assert r.status_code == 404, (who, path)
            assert "找不到页面" in r.text and 'href="/-/review">返回审核队列' in r.text, (who, path)
            assert "rv-brand" in r.text and "Not Found" not in r.text, (who, path)
    r = await s.get(f"/{DB}/no_such_table.json")
    assert r.status_code in (403, 404) and r.headers["content-type"].startswith("application/json")


async def test_500_is_chinese_inside_the_frame(login, monkeypatch):
    from review import service

    s = await login("shen")

    def broken(*args, **kwargs):  # an unexpected failure inside a page (fault injected)
        raise RuntimeError("kaputt /srv/secret/path")

    from review import queue as rqueue

    monkeypatch.setattr(rqueue, "list_queue", broken)
    r = await s.get("/-/review")
    assert r.status_code == 500
    assert "服务器出错" in r.text and 'href="/-/review">返回审核队列' in r.text and "rv-brand" in r.text
    assert "kaputt" not in r.text and "/srv/secret" not in r.text and "Traceback" not in r.text
    r = await s.get("/-/review.json", headers={"accept": "application/json"})
    assert r.status_code == 500 and "kaputt" not in r.text


# ------------------------------------------------------------------ item 8: Chinese audit

async def test_audit_log_is_in_chinese_and_agrees_with_the_history(login, built):
    s = await login("shen")
    await _save(s, built, "id_number", builder.GOOD_ID, dtype="id_card")
    r = await s.post(f"/-/review/submission/{built['sid']}/decide",
                     {"version": _version(built), "decision": "reject", "comment": "缺少授权委托书"})
    assert r.status_code == 302
    a = await login("admin")
    await a.post(f"/-/review/submission/{built['sid']}/reopen", {"version": _version(built), "reason": "申请人补交材料"})

    # the submission page first: opening the reopened submission claims it (an audited 认领审核)
    history = await s.get(f"/-/review/submission/{built['sid']}")
    audit = await s.get(f"/-/review/audit?submission={built['sid']}")
    rows_audit = _audit_rows(audit.text, with_submission=True)
    rows_history = _audit_rows(history.text, with_submission=False)
    assert rows_audit and rows_audit == rows_history  # same wording on both pages
    by_action = {r[2]: r for r in rows_audit}
    assert by_action["更正字段"][1:] == ("沈审核", "更正字段", "居民身份证", "公民身份号码",
                                     f"{builder.BAD_ID} → {builder.GOOD_ID}", "")
    assert by_action["驳回"][1:] == ("沈审核", "驳回", "", "审核状态", "建议驳回 → 已驳回", "缺少授权委托书")
    assert by_action["重新打开"][1:] == ("管理员", "重新打开", "", "审核状态", "已驳回（沈审核） → 需复核",
                                     "申请人补交材料")
    for raw in ("id_card", "id_number", "rejected/", "needs_review", ">shen<", ">admin<"):
        assert raw not in audit.text.split("<tbody>")[1], raw
    # accounts made on the command line: actor, field and role in Chinese too
    everything = (await a.get("/-/review/audit")).text
    assert "添加用户" in everything and "（空） → shen（审核员）" in everything and "<td>命令行</td>" in everything
    assert "(reviewer)" not in everything and "<td>cli</td>" not in everything


async def test_viewer_audit_hides_staff_names_in_the_chinese_labels(login, built):
    s = await login("shen")
    await s.post(f"/-/review/submission/{built['sid']}/decide",
                 {"version": _version(built), "decision": "reject", "comment": "缺少授权委托书"})
    a = await login("admin")
    await a.post(f"/-/review/submission/{built['sid']}/reopen", {"version": _version(built), "reason": "补交"})
    v = await login("zhou")
    text = (await v.get("/-/review/audit")).text
    assert "已驳回 → 需复核" in text and "工作人员" in text
    assert "沈审核" not in text and "管理员</td>" not in text


def _audit_rows(html: str, with_submission: bool) -> list[tuple]:
    out = []
    for row in re.findall(r'<tr class="rv-audit-row">(.*?)</tr>', html, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if with_submission:
            cells.pop(3)
        out.append(tuple(re.sub(r"\s+", " ", c) for c in cells))
    return out
