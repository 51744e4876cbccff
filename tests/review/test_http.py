"""In-process HTTP tests of the review plugin: every route, every role, CSRF, masking."""
from __future__ import annotations

import json
import sqlite3

import pytest

from intake.db import connect
from intake.model import Document, FieldValue
from intake.store import save_documents

from . import builder
from .builder import query
from .conftest import Session

pytestmark = pytest.mark.anyio

DB = "docintake"
BAD = builder.BAD_ID


def version_of(built, sid=None):
    conn = sqlite3.connect(built["db"])
    try:
        return conn.execute("SELECT version FROM submissions WHERE id = ?", [sid or built["sid"]]).fetchone()[0]
    finally:
        conn.close()


# ------------------------------------------------------------------ anonymous

PROTECTED_HTML = ["/", "/-/review", "/-/review/submission/1", "/-/review/audit", "/-/review/users",
                  f"/{DB}", f"/{DB}/fields", f"/{DB}/submissions", f"/{DB}/fields/1", "/-/metadata",
                  "/-/versions", "/-/actor", f"/{DB}?sql=select+*+from+users", "/-/review/next"]
PROTECTED_DATA = [f"/{DB}/fields.json", f"/{DB}/fields.csv", f"/{DB}/submissions.json", f"/{DB}/pages.csv",
                  f"/{DB}/fields_masked.json", f"/{DB}.db", "/-/versions.json", "/-/metadata.json",
                  "/-/review/page/1.png", f"/{DB}.json?sql=select+1", "/-/review/submission/1.json"]


async def test_anonymous_browser_is_sent_to_sign_in(session):
    s = session()
    for path in PROTECTED_HTML:
        r = await s.get(path)
        assert r.status_code == 302, path
        assert r.headers["location"].startswith("/-/review/login?next="), path


async def test_anonymous_gets_nothing_as_data(session):
    s = session()
    for path in PROTECTED_DATA:
        r = await s.get(path)
        assert r.status_code == 403, path
        assert BAD not in r.text and "许昌恒达" not in r.text


async def test_anonymous_cannot_write(session, built):
    s = session()
    await s.get("/-/review/login")  # has a csrf cookie, so the CSRF check passes; auth must still refuse
    r = await s.post(f"/-/review/submission/{built['sid']}/field",
                     {"version": 1, "document_id": 2, "key": "name", "value": "x"})
    assert r.status_code == 403
    r = await s.post(f"/-/review/submission/{built['sid']}/decide", {"version": 1, "decision": "approve"})
    assert r.status_code == 403
    assert query(built, "SELECT COUNT(*) FROM audit")[0][0] == 4  # the four user_add rows only


async def test_open_paths(session):
    s = session()
    for path in ["/-/review/login", "/-/static/app.css", "/-/review/static/review.css", "/-/review/static/review.js"]:
        r = await s.get(path)
        assert r.status_code == 200, path
    r = await s.get("/-/review/login")
    assert '<html lang="zh-CN">' in r.text and "登录" in r.text


# ------------------------------------------------------------------ sign in

async def test_sign_in_sets_a_safe_cookie_and_redirects(session):
    s = session()
    await s.get("/-/review/login")
    r = await s.post("/-/review/login", {"username": "shen", "password": builder.PASSWORD,
                                         "next": "/-/review/submission/1"})
    assert r.status_code == 302 and r.headers["location"] == "/-/review/submission/1"
    cookie = [c for c in r.headers.get_list("set-cookie") if c.startswith("docintake_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    r = await s.get("/-/review")
    assert r.status_code == 200 and "沈审核" in r.text


async def test_sign_in_rejects_wrong_password_and_unknown_user(session):
    s = session()
    await s.get("/-/review/login")
    r = await s.post("/-/review/login", {"username": "shen", "password": "wrong-password"})
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    r = await s.post("/-/review/login", {"username": "nobody", "password": builder.PASSWORD})
    assert r.status_code == 401
    assert "docintake_session" not in s.cookies


async def test_sign_in_ignores_offsite_next(session):
    s = session()
    await s.get("/-/review/login")
    r = await s.post("/-/review/login", {"username": "shen", "password": builder.PASSWORD,
                                         "next": "//evil.example/"})
    assert r.headers["location"] == "/-/review"


@pytest.mark.parametrize("target", ["/\t/evil.example/", "/\n/evil.example", "/\r\n/evil.example", "/\\evil.example",
                                    "https://evil.example/", "//evil.example", "/\x00/x", "http:/evil.example"])
async def test_sign_in_never_redirects_off_site_nor_fails_on_control_characters(session, target):
    s = session()
    await s.get("/-/review/login")
    r = await s.post("/-/review/login", {"username": "shen", "password": builder.PASSWORD, "next": target})
    assert r.status_code == 302 and r.headers["location"] == "/-/review", target
    r = await s.get("/-/review/login", params={"next": target})  # signed in: redirected at once
    assert r.status_code == 302 and r.headers["location"] == "/-/review", target


async def test_sign_in_keeps_an_internal_next_with_chinese(session):
    s = session()
    await s.get("/-/review/login")
    r = await s.post("/-/review/login", {"username": "shen", "password": builder.PASSWORD,
                                         "next": "/-/review?status=all&q=长葛"})
    assert r.status_code == 302 and r.headers["location"] == "/-/review?status=all&q=%E9%95%BF%E8%91%9B"


async def test_sign_in_needs_csrf(session, ds):
    s = session()
    await s.get("/-/review/login")
    r = await s.post("/-/review/login", {"username": "shen", "password": builder.PASSWORD, "csrftoken": "forged"})
    assert r.status_code == 403
    # without any cookie asgi-csrf would let it through; the login view refuses instead
    r = await ds.client.post("/-/review/login", data={"username": "shen", "password": builder.PASSWORD})
    assert r.status_code == 400 and "docintake_session" not in r.headers.get("set-cookie", "")


async def test_forged_or_revoked_session_is_anonymous(login, ds, built):
    s = await login("li")
    s.cookies["docintake_session"] = s.cookies["docintake_session"][:-3] + "abc"
    assert (await s.get("/-/review")).status_code == 302
    s = await login("li")
    db = connect(built["db"])
    from review import auth

    auth.update_user(db, "li", "admin", active=False)
    db.conn.close()
    assert (await s.get("/-/review")).status_code == 302


async def test_sign_out(login):
    s = await login("shen")
    r = await s.post("/-/review/logout")
    assert r.status_code == 302
    assert (await s.get("/-/review")).status_code == 302


async def test_too_many_failures_lock_the_client_not_the_real_user(session, ds):
    s = session()
    await s.get("/-/review/login")
    for _ in range(5):
        await s.post("/-/review/login", {"username": "zhou", "password": "nope-nope"})
    r = await s.post("/-/review/login", {"username": "zhou", "password": builder.PASSWORD})
    assert r.status_code == 429 and "次数过多" in r.text
    # the same account from another machine (no failures of its own) still signs in
    other = Session(ds, client=("192.0.2.7", 50000))
    r = await other.login("zhou")
    assert r.status_code == 302 and "docintake_session" in other.cookies


# ------------------------------------------------------------------ queue and pages

async def test_queue_lists_pending_oldest_first_with_counts(login):
    s = await login("zhou")
    r = await s.get("/-/review")
    assert r.status_code == 200
    assert r.text.index("许昌恒达") < r.text.index("长葛精工")
    assert "已驳回" in r.text and "文献平台会员申请" in r.text
    r = await s.get("/-/review?status=quarantined")
    # the all-unreadable submission, and the one holding an unreadable file among good ones,
    # with the files' reasons in Chinese (never the inbox's codes)
    assert "扫描件损坏" in r.text and "许昌恒达" in r.text and "长葛精工" not in r.text
    assert "文件已加密" in r.text and "文件已损坏" in r.text and ">encrypted<" not in r.text
    assert "（2 个文件）" in r.text
    r = await s.get("/-/review?status=all&q=长葛")
    assert "长葛精工" in r.text and "许昌恒达科技有限公司" not in r.text
    r = await s.get("/-/review.json", headers={"accept": "application/json"})
    data = r.json()
    assert [row["name"] for row in data["rows"]] == ["2026-11-20 许昌恒达科技", "2026-11-21 长葛精工"]
    assert data["counts"]["rejected"] == 2  # both packets lack documents (real validation)


async def test_submission_page_for_reviewer(login, built):
    s = await login("shen")
    r = await s.get(f"/-/review/submission/{built['sid']}")
    assert r.status_code == 200
    t = r.text
    assert "营业执照" in t and "居民身份证" in t and "公民身份号码" in t and "法定代表人" in t
    assert BAD in t  # reviewers see personal data
    assert f'/-/review/page/{built["license_page"]}/fit.webp?v=' in t  # the viewer's web-sized page
    assert '-legal_representative", "x": ' in t  # the 法定代表人 box, drawn by the viewer
    assert f'/-/review/file/{built["license_file"]}/original' in t
    assert "id.checksum" in t and "GB 11643-1999" in t  # rule and source article
    assert "授权委托书.pdf" in t and "文件已损坏" in t and "重新排队" in t
    assert 'name="version" value="1"' in t and "批准" in t


async def test_submission_page_for_viewer_is_masked_and_read_only(login, built):
    s = await login("zhou")
    r = await s.get(f"/-/review/submission/{built['sid']}")
    assert r.status_code == 200
    assert BAD not in r.text and "110****0021" in r.text
    assert "河南省许昌市****" in r.text and "七一路18号" not in r.text
    assert "rv-approve" not in r.text and "重新排队" not in r.text and "readonly" in r.text


async def test_unknown_submission_is_404(login):
    s = await login("shen")
    assert (await s.get("/-/review/submission/999")).status_code == 404


async def test_page_image_by_id_only(login, built):
    s = await login("shen")
    r = await s.get(f"/-/review/page/{built['id_page']}.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    original = (builder.Path(built["db"]).parent / "idcard.png").read_bytes()
    assert r.content == original
    assert (await s.get("/-/review/page/999.png")).status_code == 404
    assert (await s.get("/-/review/page/..%2F..%2Fetc%2Fpasswd.png")).status_code != 200
    v = await login("zhou")
    r = await v.get(f"/-/review/page/{built['id_page']}.png")
    assert r.status_code == 200 and r.content != original  # ID number blacked out for viewers


async def test_next_submission(login, built):
    s = await login("shen")
    r = await s.get(f"/-/review/next?after={built['sid']}")
    assert r.headers["location"] == f"/-/review/submission/{built['sid2']}"
    r = await s.get(f"/-/review/next?after={built['sid2']}")
    assert r.headers["location"] == f"/-/review/submission/{built['sid']}"


# ------------------------------------------------------------------ writes

def _doc_id(built, dtype):
    return query(built, "SELECT id FROM documents WHERE submission_id = ? AND type = ?", (built["sid"], dtype))[0][0]


async def test_correction_revalidates_and_is_audited(login, built):
    s = await login("shen")
    doc = _doc_id(built, "id_card")
    (before,) = query(built, "SELECT finding_count FROM submissions WHERE id = ?", (built["sid"],))[0]
    r = await s.post(f"/-/review/submission/{built['sid']}/field",
                     {"version": 1, "document_id": doc, "key": "id_number", "value": builder.GOOD_ID},
                     json_accept=True)
    assert r.status_code == 200, r.text
    data = r.json()
    # the real validation re-ran: the checksum finding is gone, the missing documents remain
    assert data["ok"] and data["version"] == 2 and data["finding_count"] == before - 1
    assert "id.checksum" not in data["findings_html"] and "packet.missing_document" in data["findings_html"]
    row = query(built, "SELECT value, source, updated_by FROM fields WHERE document_id = ? AND key = 'id_number'",
                (doc,))[0]
    assert row == (builder.GOOD_ID, "reviewer", "shen")
    audit = query(built, "SELECT actor, action, submission_id, document_id, field, old_value, new_value FROM audit "
                         "WHERE action = 'correct'")
    assert audit == [("shen", "correct", built["sid"], doc, "id_number", BAD, builder.GOOD_ID)]
    assert version_of(built) == 2


async def test_correction_by_form_post_redirects_back(login, built):
    s = await login("shen")
    r = await s.post(f"/-/review/submission/{built['sid']}/field",
                     {"version": 1, "document_id": _doc_id(built, "business_license"),
                      "key": "legal_representative", "value": "王建军"})
    assert r.status_code == 302 and r.headers["location"] == f"/-/review/submission/{built['sid']}"
    r = await s.get(r.headers["location"])
    assert "已保存更正" in r.text and "王建军" in r.text


async def test_write_without_csrf_token_is_refused(login, built):
    s = await login("shen")
    doc = _doc_id(built, "id_card")
    r = await s.post(f"/-/review/submission/{built['sid']}/field",
                     {"version": 1, "document_id": doc, "key": "id_number", "value": builder.GOOD_ID}, csrf=False)
    assert r.status_code == 403
    r = await s.post(f"/-/review/submission/{built['sid']}/field",
                     {"version": 1, "document_id": doc, "key": "id_number", "value": builder.GOOD_ID,
                      "csrftoken": "not-the-token"})
    assert r.status_code == 403
    # JSON-style fetch: the header carries the token
    r = await s.ds.client.post(f"/-/review/submission/{built['sid']}/decide",
                               content=json.dumps({"decision": "approve"}), cookies=s.cookies,
                               headers={"content-type": "application/json", "accept": "application/json"})
    assert r.status_code == 403
    assert version_of(built) == 1 and query(built, "SELECT COUNT(*) FROM audit WHERE action != 'user_add'")[0][0] == 0
    r = await s.ds.client.post(f"/-/review/submission/{built['sid']}/field",
                               data={"version": 1, "document_id": doc, "key": "id_number", "value": builder.GOOD_ID},
                               cookies=s.cookies,
                               headers={"accept": "application/json", "x-csrftoken": s.csrftoken()})
    assert r.status_code == 200 and r.json()["version"] == 2


async def test_stale_version_is_a_409_with_who_and_when(login, built):
    shen, li = await login("shen"), await login("li")
    doc = _doc_id(built, "business_license")
    r = await shen.post(f"/-/review/submission/{built['sid']}/field",
                        {"version": 1, "document_id": doc, "key": "name", "value": "许昌恒达科技股份有限公司"})
    assert r.status_code == 302
    r = await li.post(f"/-/review/submission/{built['sid']}/field",
                      {"version": 1, "document_id": doc, "key": "name", "value": "别的名称"}, json_accept=True)
    assert r.status_code == 409
    assert "该申请已被 shen 于" in r.json()["error"] and "请刷新后重试" in r.json()["error"]
    r = await li.post(f"/-/review/submission/{built['sid']}/decide", {"version": 1, "decision": "approve"})
    assert r.status_code == 409 and "该申请已被 shen 于" in r.text
    assert query(built, "SELECT value FROM fields WHERE document_id = ? AND key = 'name'", (doc,))[0][0] == \
        "许昌恒达科技股份有限公司"


async def test_approve_and_reject(login, built):
    s = await login("shen")
    r = await s.post(f"/-/review/submission/{built['sid2']}/decide", {"version": 1, "decision": "reject"})
    assert r.status_code == 400 and "驳回理由" in r.text
    # open error findings: approving needs a written reason for each
    errors = query(built, "SELECT id, rule FROM findings WHERE submission_id = ? AND severity = 'error' ORDER BY id",
                   (built["sid2"],))
    assert errors
    r = await s.post(f"/-/review/submission/{built['sid2']}/decide",
                     {"version": 1, "decision": "approve", "comment": "材料齐全"})
    assert r.status_code == 400 and "超越理由" in r.text
    partial = {f"override_{errors[0][0]}": "已电话核实"} if len(errors) > 1 else {f"override_{errors[0][0]}": " "}
    r = await s.post(f"/-/review/submission/{built['sid2']}/decide",
                     {"version": 1, "decision": "approve", "comment": "材料齐全", **partial})
    assert r.status_code == 400 and "超越理由" in r.text
    overrides = {f"override_{fid}": f"理由{i}：原件已当面核对" for i, (fid, _) in enumerate(errors)}
    r = await s.post(f"/-/review/submission/{built['sid2']}/decide",
                     {"version": 1, "decision": "approve", "comment": "材料齐全", **overrides})
    assert r.status_code == 302
    row = query(built, "SELECT status, decision, decided_by, decision_comment, version FROM submissions WHERE id = ?",
                (built["sid2"],))[0]
    assert row[:3] == ("verified", "approved", "shen") and row[4] == 2
    assert row[3].startswith("材料齐全") and all(f"超越错误 {rule}：理由{i}" in row[3] for i, (_, rule) in enumerate(errors))
    stored = query(built, "SELECT rule, reason, actor FROM override_reasons WHERE submission_id = ? ORDER BY id",
                   (built["sid2"],))
    assert stored == [(rule, f"理由{i}：原件已当面核对", "shen") for i, (_, rule) in enumerate(errors)]
    assert len(query(built, "SELECT 1 FROM audit WHERE action = 'override'")) == len(errors)
    # and the export carries them (in the decision comment: the record schema has no other place)
    from intake.export import iter_records

    db = connect(built["db"])
    try:
        (record,) = [r for r in iter_records(db) if r["submission_id"] == built["sid2"]]
    finally:
        db.conn.close()
    assert all(f"超越错误 {rule}：理由{i}：原件已当面核对" in record["comment"] for i, (_, rule) in enumerate(errors))
    r = await s.post(f"/-/review/submission/{built['sid']}/decide",
                     {"version": 1, "decision": "reject", "comment": "身份证号码有误"})
    assert query(built, "SELECT status, decision FROM submissions WHERE id = ?", (built["sid"],))[0] == \
        ("rejected", "rejected")
    actions = query(built, "SELECT action, comment FROM audit WHERE action IN ('approve', 'reject') ORDER BY id")
    assert [a for a, _ in actions] == ["approve", "reject"] and actions[0][1].startswith("材料齐全")
    assert actions[1][1] == "身份证号码有误"
    r = await s.post(f"/-/review/submission/{built['sid3']}/decide", {"version": 1, "decision": "approve"})
    assert r.status_code == 400  # quarantined


async def test_a_decided_submission_is_read_only_until_reopened(login, built):
    s, admin = await login("shen"), await login("li")
    sid = built["sid"]
    r = await s.post(f"/-/review/submission/{sid}/decide", {"version": 1, "decision": "reject", "comment": "缺材料"})
    assert r.status_code == 302
    doc = _doc_id(built, "business_license")
    # edits, re-decisions and requeues are refused with a Chinese message; nothing changes
    r = await admin.post(f"/-/review/submission/{sid}/field",
                         {"version": 2, "document_id": doc, "key": "name", "value": "改过的名称"}, json_accept=True)
    assert r.status_code == 409 and "已有审核结论" in r.json()["error"] and "重新打开" in r.json()["error"]
    r = await admin.post(f"/-/review/submission/{sid}/decide", {"version": 2, "decision": "approve"})
    assert r.status_code == 409 and "已有审核结论" in r.text
    r = await admin.post(f"/-/review/submission/{sid}/decide", {"version": 2, "decision": "reject", "comment": "再驳"})
    assert r.status_code == 409
    assert query(built, "SELECT status, decision, decided_by, version FROM submissions WHERE id = ?", (sid,))[0] == \
        ("rejected", "rejected", "shen", 2)
    page = await admin.get(f"/-/review/submission/{sid}")
    assert "rv-reopen" in page.text and "rv-approve" not in page.text and "内容只读" in page.text
    # reopening needs a reason, is audited, clears the decision and re-runs validation
    r = await admin.post(f"/-/review/submission/{sid}/reopen", {"version": 2, "reason": "  "})
    assert r.status_code == 400 and "理由" in r.text
    r = await admin.post(f"/-/review/submission/{sid}/reopen", {"version": 2, "reason": "申请人补交了材料"},
                         json_accept=True)
    assert r.status_code == 200, r.text
    row = query(built, "SELECT status, decision, decided_by, decided_at, decision_comment, version FROM submissions "
                       "WHERE id = ?", (sid,))[0]
    assert row[1:5] == (None, None, None, None) and row[5] == 3 and row[0] in ("rejected", "needs_review", "ready")
    assert query(built, "SELECT actor, comment FROM audit WHERE action = 'reopen'") == [("li", "申请人补交了材料")]
    assert query(built, "SELECT COUNT(*) FROM events WHERE kind = 'revalidated' AND submission_id = ?", (sid,))[0][0]
    r = await admin.post(f"/-/review/submission/{sid}/field",
                         {"version": 3, "document_id": doc, "key": "name", "value": "许昌恒达科技股份有限公司"})
    assert r.status_code == 302
    r = await admin.post(f"/-/review/submission/{sid}/reopen", {"version": 4, "reason": "再开"})
    assert r.status_code == 400 and "无需重新打开" in r.text


async def test_viewer_cannot_reopen(login, built):
    s = await login("shen")
    await s.post(f"/-/review/submission/{built['sid']}/decide", {"version": 1, "decision": "reject", "comment": "x"})
    v = await login("zhou")
    r = await v.post(f"/-/review/submission/{built['sid']}/reopen", {"version": 2, "reason": "想改"})
    assert r.status_code == 403
    assert query(built, "SELECT decision FROM submissions WHERE id = ?", (built["sid"],))[0][0] == "rejected"


async def test_viewer_cannot_write(login, built):
    s = await login("zhou")
    r = await s.post(f"/-/review/submission/{built['sid']}/field",
                     {"version": 1, "document_id": _doc_id(built, "id_card"), "key": "name", "value": "x"})
    assert r.status_code == 403
    r = await s.post(f"/-/review/submission/{built['sid']}/decide", {"version": 1, "decision": "approve"})
    assert r.status_code == 403
    assert version_of(built) == 1


async def test_requeue(login, built, monkeypatch):
    import intake.requeue

    calls = []
    monkeypatch.setattr(intake.requeue, "requeue_file", lambda db, file_id: calls.append(file_id) or "inbox/x.pdf")
    s = await login("shen")
    r = await s.post(f"/-/review/file/{built['quarantined_file']}/requeue",
                     {"version": 1, "submission_id": built["sid"]})
    assert r.status_code == 302 and calls == [built["quarantined_file"]]
    assert query(built, "SELECT action, file_id FROM audit WHERE action = 'requeue'") == \
        [("requeue", built["quarantined_file"])]
    v = await login("zhou")
    r = await v.post(f"/-/review/file/{built['quarantined_file']}/requeue",
                     {"version": 2, "submission_id": built["sid"]})
    assert r.status_code == 403


async def test_get_on_write_routes_is_refused(login, built):
    s = await login("shen")
    assert (await s.get(f"/-/review/submission/{built['sid']}/decide")).status_code == 405


# ------------------------------------------------------------------ Datasette's own views

async def test_reviewer_table_views(login):
    s = await login("shen")
    r = await s.get(f"/{DB}/fields.json?_shape=array&key=id_number")
    assert r.status_code == 200 and r.json()[0]["value"] == BAD
    r = await s.get(f"/{DB}/fields")  # Datasette's HTML pages are for admins (test_desk.py)
    assert r.status_code == 403 and "仅供管理员使用" in r.text and '<html lang="zh-CN">' in r.text
    r = await s.get(f"/{DB}/submissions.json")
    assert {"status", "packet"} <= set(r.json()["facet_results"])
    r = await s.get(f"/{DB}/pages.json?_search=营业执照&_shape=array")
    assert r.status_code == 200 and len(r.json()) == 2
    r = await s.get(f"/{DB}.json")
    tables = {t["name"]: t for t in r.json()["tables"]}
    assert tables["ocr_cache"]["hidden"] and tables["schema_version"]["hidden"]
    assert "users" not in tables  # not even listed: it holds password hashes
    for path in [f"/{DB}/users.json", f"/{DB}.db", f"/{DB}.json?sql=select+1"]:
        assert (await s.get(path)).status_code == 403, path


async def test_viewer_table_views_are_masked(login):
    s = await login("zhou")
    for path in [f"/{DB}/fields.json", f"/{DB}/fields.csv", f"/{DB}/fields", f"/{DB}/pages.json",
                 f"/{DB}/ocr_lines.csv", f"/{DB}/audit.json", f"/{DB}/findings.json", f"/{DB}/users.json",
                 f"/{DB}.json?sql=select+value+from+fields"]:
        r = await s.get(path)
        assert r.status_code == 403, path
        assert BAD not in r.text
    r = await s.get(f"/{DB}/fields_masked.json?_shape=array")
    assert r.status_code == 200
    values = {row["字段"]: row["值"] for row in r.json() if row["文档类型"] == "id_card"}
    assert values["id_number"] == "110****0021" and values["name"] == "李明"
    r = await s.get(f"/{DB}/fields_masked.csv")
    assert r.status_code == 200 and BAD not in r.text
    r = await s.get(f"/{DB}/masked_page_text.json?q=公民&_shape=array")
    assert r.status_code == 200 and r.json() and BAD not in r.text and "110****0021" in r.text
    r = await s.get(f"/{DB}/submissions.json")
    assert r.status_code == 403  # free-text comments: viewers list submissions through review_queue
    r = await s.get(f"/{DB}/review_queue.json")
    assert r.status_code == 200


async def test_viewer_audit_is_masked(login, built):
    s = await login("shen")
    await s.post(f"/-/review/submission/{built['sid']}/field",
                 {"version": 1, "document_id": _doc_id(built, "id_card"), "key": "id_number", "value": builder.GOOD_ID})
    v = await login("zhou")
    for path in ["/-/review/audit", f"/{DB}/audit_masked.json", f"/-/review/submission/{built['sid']}"]:
        r = await v.get(path)
        assert r.status_code == 200, path
        assert BAD not in r.text and builder.GOOD_ID not in r.text, path
    r = await s.get("/-/review/audit")
    assert BAD in r.text and builder.GOOD_ID in r.text


async def test_forbidden_page_is_chinese(login):
    s = await login("zhou")
    r = await s.get(f"/{DB}/fields")
    assert r.status_code == 403 and "无权访问" in r.text


# ------------------------------------------------------------------ admin

async def test_admin_manages_users(login, built, session):
    a = await login("admin")
    r = await a.get("/-/review/users")
    assert r.status_code == 200 and "沈审核" in r.text and "argon2" not in r.text
    r = await a.post("/-/review/users", {"action": "add", "username": "wang", "role": "reviewer",
                                         "password": "wang-password-1", "display_name": "王审核"})
    assert r.status_code == 302
    assert query(built, "SELECT actor, action FROM audit WHERE action = 'user_add' ORDER BY id DESC LIMIT 1") == \
        [("admin", "user_add")]
    hashed = query(built, "SELECT password_hash FROM users WHERE username = 'wang'")[0][0]
    assert hashed.startswith("$argon2")
    r = await a.post("/-/review/users", {"action": "add", "username": "wang2", "role": "reviewer",
                                         "password": "short"})
    assert r.status_code == 400
    w = session()
    assert (await w.login("wang", "wang-password-1")).status_code == 302
    r = await a.post("/-/review/users", {"action": "update", "username": "wang", "role": "viewer", "active": "1"})
    assert r.status_code == 302
    assert "（查看者）" in (await w.get("/-/review")).text  # role changes apply at once
    r = await a.get(f"/{DB}.json?sql=select+count(*)+as+n+from+submissions&_shape=array")
    assert r.status_code == 200 and r.json() == [{"n": 3}]
    for name in ("shen", "zhou"):
        s = await login(name)
        assert (await s.get("/-/review/users")).status_code == 403


# ------------------------------------------------------------------ storage guarantees

def test_audit_is_append_only(built):
    conn = sqlite3.connect(built["db"])
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit SET actor = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit")
    conn.close()


async def test_reviewer_correction_survives_a_pipeline_rerun(login, built):
    s = await login("shen")
    doc = _doc_id(built, "id_card")
    r = await s.post(f"/-/review/submission/{built['sid']}/field",
                     {"version": 1, "document_id": doc, "key": "id_number", "value": builder.GOOD_ID})
    assert r.status_code == 302
    # the pipeline runs again over the same file and extracts the wrong number again
    db = connect(built["db"])
    file_id = query(built, "SELECT file_id FROM documents WHERE id = ?", (doc,))[0][0]
    rerun = Document("id_card", [1], 0.95)
    rerun.fields["id_number"] = FieldValue(BAD, 0.7, 1, (1, 2, 3, 4))
    rerun.fields["name"] = FieldValue("李明", 0.95)
    from intake.db import transaction

    with transaction(db):
        save_documents(db, built["sid"], file_id, [rerun])
    from intake.store import revalidate

    revalidate(db, built["sid"])
    db.conn.close()
    rows = query(built, "SELECT f.value, f.source FROM fields f JOIN documents d ON d.id = f.document_id "
                        "WHERE d.submission_id = ? AND f.key = 'id_number'", (built["sid"],))
    assert rows == [(builder.GOOD_ID, "reviewer")]
    r = await s.get(f"/-/review/submission/{built['sid']}")
    assert builder.GOOD_ID in r.text and "id.checksum" not in r.text


async def test_throttling_uses_x_forwarded_for_only_from_a_trusted_proxy(built, session):
    # untrusted peer: a spoofed X-Forwarded-For does not give an attacker fresh addresses
    s = session()
    await s.get("/-/review/login")
    for i in range(5):
        await s.post("/-/review/login", {"username": "zhou", "password": "nope-nope"},
                     headers={"x-forwarded-for": f"198.51.100.{i}"})
    r = await s.post("/-/review/login", {"username": "zhou", "password": builder.PASSWORD},
                     headers={"x-forwarded-for": "198.51.100.99"})
    assert r.status_code == 429
    # behind a trusted proxy (a second server on another copy would share nothing: same db here)
    from datasette.app import Datasette

    proxied = Datasette([str(built["db"])], metadata={"plugins": {"docintake-review": {
        "trusted_proxies": ["192.0.2.50"]}}})
    await proxied.invoke_startup()
    p = Session(proxied, client=("192.0.2.50", 443))
    await p.get("/-/review/login")
    for _ in range(5):
        await p.post("/-/review/login", {"username": "li", "password": "nope-nope"},
                     headers={"x-forwarded-for": "203.0.113.7"})
    r = await p.post("/-/review/login", {"username": "li", "password": builder.PASSWORD},
                     headers={"x-forwarded-for": "203.0.113.7"})
    assert r.status_code == 429  # the failing client behind the proxy
    r = await p.post("/-/review/login", {"username": "li", "password": builder.PASSWORD},
                     headers={"x-forwarded-for": "spoofed, 203.0.113.8"})
    assert r.status_code == 302  # another client behind the same proxy still signs in
