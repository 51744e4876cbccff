"""The Xuchang division table and the address traps (domain.md: Xuchang divisions)."""
from __future__ import annotations

import pytest

from intake.validation.checks import jurisdiction_finding
from intake.validation.jurisdiction import OUTSIDE, UNKNOWN, XUCHANG, classify_address, classify_region, table

from .helpers import uscc


@pytest.mark.parametrize("address, status", [
    ("上海市杨浦区许昌路88号", OUTSIDE),            # a Shanghai street named 许昌路
    ("许昌路88号", UNKNOWN),                       # the street alone proves nothing
    ("东城区和平街1号", UNKNOWN),                  # bare 东城区: Beijing's 110101 as likely as Xuchang's
    ("北京市东城区东直门南大街5号", OUTSIDE),
    ("河南省郑州市金水区许昌路12号", OUTSIDE),
    ("襄阳市襄城区檀溪路", OUTSIDE),                # 襄城区 is not 襄城县
    ("许昌市魏都区七一路188号", XUCHANG),
    ("河南省许昌市魏都区东城区魏武大道", XUCHANG),
    ("许昌市东城区学院路", XUCHANG),
    ("禹州市神垕镇东街12号", XUCHANG),
    ("神垕镇老街", XUCHANG),                       # a township of 禹州
    ("河南省长葛市石固镇工业园区", XUCHANG),
    ("许昌市城乡一体化示范区魏武大道智慧信息产业园", XUCHANG),
    ("城乡一体化示范区竹林路", XUCHANG),
    ("许昌新区永兴东路", XUCHANG),
    ("河南省许昌市许昌经济技术开发区瑞祥路", XUCHANG),
    ("河南省鄢陵县安陵镇花都大道", XUCHANG),
    ("河南省许昌市建安区将官池镇", XUCHANG),
    ("广东省深圳市南山区科技园南路", OUTSIDE),
    ("河南省某某路1号", UNKNOWN),
])
def test_address(address, status):
    assert classify_address(address).status == status


def test_address_with_spaces_and_fullwidth():
    assert classify_address("河南省 许昌市  魏都区 七一路１８８号").status == XUCHANG


@pytest.mark.parametrize("code, inside", [
    ("411000", True), ("411002", True), ("411003", True), ("411023", True), ("411024", True), ("411025", True),
    ("411071", True), ("411081", True), ("411082", True), ("411099", True),
    ("412601", True), ("412621", True), ("412627", True),
    ("410426", False), ("310110", False), ("110101", False), ("412602", False),
])
def test_region_codes(code, inside):
    assert (classify_region(code).status == XUCHANG) is inside


def test_table_lists_the_codes_of_the_issue():
    codes = {d["code"] for d in table()["divisions"]} | {h["code"] for h in table()["historical_codes"]}
    assert {"411000", "411002", "411003", "411023", "411024", "411025", "411071", "411081", "411082",
            "412601"} <= codes


def test_finding_message_names_region_and_address():
    f = jurisdiction_finding(uscc=uscc("310110"), address="上海市杨浦区许昌路88号", name="上海某某有限公司",
                             fields=["uscc", "address"], documents=["business_license"])
    assert f.rule == "jurisdiction.xuchang" and f.severity == "error"
    assert "310110" in f.message and "上海市杨浦区许昌路" in f.message and "不在许昌市注册" in f.message
    assert f.source and f.evidence["by_uscc"] == "outside"


def test_xuchang_code_with_a_misleading_street_elsewhere_is_rejected():
    # The code is Xuchang's but the address names Shanghai first: the address wins a contradiction.
    f = jurisdiction_finding(uscc=uscc("411002"), address="上海市杨浦区许昌路88号", name=None,
                             fields=["uscc", "address"], documents=["business_license"])
    assert f is not None and f.severity == "error"


def test_xuchang_code_confirms_an_ambiguous_address():
    assert jurisdiction_finding(uscc=uscc("411002"), address="东城区魏武大道", name=None, fields=[],
                                documents=[]) is None


def test_nothing_confirms_gives_a_warning():
    f = jurisdiction_finding(uscc=None, address="东城区和平街1号", name=None, fields=["address"], documents=["x"])
    assert f.severity == "warning" and "东城区" in f.message


def test_historical_code_in_uscc_is_xuchang():
    assert jurisdiction_finding(uscc="914110237241033719", address=None, name=None, fields=[], documents=[]) is None
