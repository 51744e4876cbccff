"""The lists page and the submission page's "checks not made", in-process over real SQLite."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from intake.db import connect
from intake.validation.lists import ListEntry, set_budget, store_list
from intake.validation.formats import org_code_check_char, uscc_check_char

pytestmark = pytest.mark.anyio


def _uscc(body="MA47M7QP"):
    first17 = "91411002" + body + org_code_check_char(body)
    return first17 + uscc_check_char(first17)


async def test_lists_page_shows_versions_budget_and_missing_lists(built, login):
    db = connect(built["db"])
    store_list(db.conn, "platform_members", [ListEntry(_uscc(), "许昌恒通检测技术有限公司", 2025)], "会员-6月.xlsx", "王科长")
    store_list(db.conn, "platform_members", [ListEntry(_uscc(), "许昌恒通检测技术有限公司", None),
                                             ListEntry(None, "许昌某某检测有限公司", None)], "会员-7月.xlsx", "王科长")
    set_budget(db.conn, 2026, Decimal("5000000"), "李处长")
    db.conn.execute("UPDATE submissions SET lists_used = ? WHERE id = ?",
                    (json.dumps({"lists": {"platform_members": {"version": 1}, "provincial_subsidy": None},
                                 "budget": None}), built["sid"]))
    db.conn.commit()
    db.conn.close()
    s = await login("shen")
    r = await s.get("/-/review/lists")
    assert r.status_code == 200
    page = r.text
    assert "会员-7月.xlsx" in page and "版本 2" in page and "王科长" in page
    assert "已享受省级奖补用户名单" in page and "未导入：相应核查不进行" in page
    assert "5000000.00" in page and "李处长" in page
    r = await s.get("/-/review/lists?version=1")
    assert "会员-6月.xlsx" in r.text and "2025" in r.text
    r = await s.get(f"/-/review/submission/{built['sid']}")
    assert "未进行的核查" in r.text and "已享受省级奖补用户名单未导入" in r.text and "总额度未设置" in r.text


async def test_lists_page_needs_sign_in(session):
    r = await session().get("/-/review/lists")
    assert r.status_code in (302, 403)
