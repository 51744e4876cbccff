"""List-based voucher rules and the yearly budget (细则 第四、六、十五、十八条), from values.

Each rule is silent until its list is imported / the budget set, fires when it should,
and not for its valid twin."""
from __future__ import annotations

from decimal import Decimal

import pytest

from intake.errors import InputError
from intake.validation import decide
from intake.validation.history import MemoryHistory
from intake.validation.lists import ListEntry, parse_list_csv

from .helpers import AS_OF, CLIENT, CLIENT_USCC, PROVIDER, PROVIDER_USCC, contract_, invoice_, receipt_, rules_of, uscc, voucher

MEMBERS = [ListEntry(PROVIDER_USCC, PROVIDER, 2025)]
CATEGORY = [ListEntry(CLIENT_USCC, CLIENT, 2026)]
OTHER = uscc("411002", "MA9K2B3C")


def _decide(history, docs=None, sid=99):
    return decide(docs or voucher(), AS_OF, history=history, submission_id=sid)


def _of(d, rule):
    return [f for f in d.findings if f.rule == rule]


def test_no_list_imported_no_budget_set_nothing_fires():
    d = _decide(MemoryHistory())
    assert (d.status, d.findings, d.voucher_amount) == ("ready", [], "3816.00")


def test_all_lists_met_is_ready():
    h = MemoryHistory(lists={"platform_members": MEMBERS, "user_category": CATEGORY, "provincial_subsidy": []},
                      budgets={2026: Decimal("1000000")})
    d = _decide(h)
    assert (d.status, d.findings) == ("ready", [])


def test_client_with_the_provincial_subsidy_is_rejected():
    d = _decide(MemoryHistory(lists={"provincial_subsidy": [ListEntry(CLIENT_USCC, None, 2026)]}))
    [f] = _of(d, "voucher.provincial_subsidy")
    assert f.severity == "error" and d.status == "rejected" and "省级奖补" in f.message and f.source == "细则 第六条"


def test_provincial_subsidy_of_another_year_or_client_does_not_count():
    h = MemoryHistory(lists={"provincial_subsidy": [ListEntry(CLIENT_USCC, None, 2024), ListEntry(OTHER, None, 2026)]})
    assert _of(_decide(h), "voucher.provincial_subsidy") == []


def test_provider_not_a_platform_member_is_rejected():
    d = _decide(MemoryHistory(lists={"platform_members": [ListEntry(OTHER, "许昌某某检测有限公司", None)]}))
    [f] = _of(d, "voucher.provider_not_member")
    assert f.severity == "error" and PROVIDER in f.message and d.status == "rejected"


def test_membership_registered_later_than_the_voucher_year_does_not_count():
    d = _decide(MemoryHistory(lists={"platform_members": [ListEntry(PROVIDER_USCC, PROVIDER, 2027)]}))
    assert rules_of(d.findings) == ["voucher.provider_not_member"]


def test_member_listed_by_name_only_matches_the_name():
    h = MemoryHistory(lists={"platform_members": [ListEntry(None, PROVIDER.replace("有限公司", "有限公司 "), None)]})
    assert _of(_decide(h), "voucher.provider_not_member") == []


def test_member_list_with_a_misread_name_goes_to_review():
    docs = voucher(service_contract=contract_(provider_uscc=None), invoice=invoice_(seller_tax_id=None))
    h = MemoryHistory(lists={"platform_members": [ListEntry(None, PROVIDER.replace("恒", "桓"), None)]})
    [f] = _of(_decide(h, docs), "voucher.provider_not_member")
    assert f.severity == "warning" and "请人工核对" in f.message


def test_client_on_no_user_list_is_a_warning():
    d = _decide(MemoryHistory(lists={"user_category": [ListEntry(OTHER, None, 2026)]}))
    [f] = _of(d, "voucher.user_category")
    assert f.severity == "warning" and d.status == "needs_review"


def _granted(history, amount, year=2026, sid=1):
    """Record another client's voucher of ``amount`` as granted."""
    other = voucher(service_contract=contract_(client_uscc=OTHER, contract_number=f"X-{sid}"),
                    invoice=invoice_(buyer_tax_id=OTHER), bank_receipt=receipt_())
    d = decide(other, AS_OF, submission_id=sid)
    d.voucher_amount, d.year, d.uscc = amount, year, OTHER
    history.record(sid, d, other)


def test_budget_used_up_rejects():
    h = MemoryHistory(budgets={2026: Decimal("10000.00")})
    _granted(h, "10000.00")
    d = _decide(h)
    [f] = _of(d, "voucher.budget_exhausted")
    assert f.severity == "error" and d.status == "rejected" and d.voucher_amount == "0.00"


def test_budget_partly_left_reduces_the_voucher_with_a_warning():
    h = MemoryHistory(budgets={2026: Decimal("10000.00")})
    _granted(h, "8000.00")
    d = _decide(h)
    [f] = _of(d, "voucher.budget_exhausted")
    assert f.severity == "warning" and d.voucher_amount == "2000.00" and "核减为 2000.00 元" in f.message


def test_budget_of_another_year_or_enough_left_says_nothing():
    h = MemoryHistory(budgets={2025: Decimal("1.00"), 2026: Decimal("20000.00")})
    _granted(h, "8000.00")
    d = _decide(h)
    assert (d.findings, d.voucher_amount) == ([], "3816.00")


def test_list_csv_reads_bom_blank_lines_and_empty_years():
    rows = parse_list_csv(f"\ufeffuscc,name,year\n{PROVIDER_USCC},{PROVIDER},2025\n,,\n,许昌某团队,\n")
    assert rows == [ListEntry(PROVIDER_USCC, PROVIDER, 2025), ListEntry(None, "许昌某团队", None)]


@pytest.mark.parametrize("text, words", [
    ("序号,地址\n1,许昌市\n", "没有表头"),  # no name or USCC column (the year column is optional)
    ("uscc,name,year\n91411002MA3X4K5L2A,甲,2026\n", "第 2 行"),
    (f"uscc,name,year\n{PROVIDER_USCC},甲,26\n", "年份"),
    ("uscc,name,year\n,,2026\n", "既无"),
])
def test_bad_list_csv_is_refused_naming_the_problem(text, words):
    with pytest.raises(InputError, match=words):
        parse_list_csv(text, "l.csv")
