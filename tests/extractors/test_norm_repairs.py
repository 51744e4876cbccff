"""Generic repairs of OCR readings are made only where one reading is possible, and always reported."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from extractors.money import reconcile_figures, to_daxie
from extractors.normalize import normalize
from extractors.repairs import MAIL_DOMAINS, complete_org_name, repair_mail_domain


@pytest.mark.parametrize("read, want", [
    ("99.com", "qq.com"), ("qa.com", "qq.com"), ("gq.com", "qq.com"), ("foxmai1.com", "foxmail.com"),
    ("foxrnail.com", "foxmail.com"), ("163.corn", "163.com"), ("l63.com", "163.com"), ("l26.com", "126.com"),
    ("sina.corn", "sina.com"), ("gmai1.com", "gmail.com"), ("outlok.com", "outlook.com"),
    ("hotmall.com", "hotmail.com"), ("0utlook.com", "outlook.com"),
])
def test_misread_mail_domains_are_repaired_and_reported(read, want):
    n = normalize("email", f"zhang.wei2026@{read}")
    assert n.value == f"zhang.wei2026@{want}"
    assert n.certainty < 1.0 and n.repairs and read in n.repairs[0] and want in n.repairs[0]


@pytest.mark.parametrize("domain", ["xcst.gov.cn", "company.com", "qq.cn", "qy.com", "haust.edu.cn", "xcu.edu.cn"])
def test_other_domains_are_left_alone(domain):
    n = normalize("email", f"office@{domain}")
    assert n.value == f"office@{domain}" and n.repairs == () and n.certainty == 1.0


def test_known_domains_are_never_changed():
    for d in MAIL_DOMAINS:
        assert repair_mail_domain(d) == (d, None)


@pytest.mark.parametrize("read, want", [
    ("许昌市某某科技有限公", "许昌市某某科技有限公司"), ("河南某某机械股份有限公", "河南某某机械股份有限公司"),
    ("许昌某某有限责任公", "许昌某某有限责任公司"), ("许昌某某科技有限公司长葛分公", "许昌某某科技有限公司长葛分公司"),
    ("许昌市产品质量检测中", "许昌市产品质量检测中心"), ("河南某某律师事务", "河南某某律师事务所"),
    ("许昌某某创业投资合伙企业（有限合", "许昌某某创业投资合伙企业（有限合伙）"),  # the bracket closes too
])
def test_names_cut_at_the_last_character(read, want):
    n = normalize("name", read)
    assert n.value == want
    if want != read:
        assert n.repairs and n.certainty < 1.0


@pytest.mark.parametrize("read", ["河南省某某研究", "许昌某某有限", "许昌某某设计"])
def test_ambiguous_cut_names_are_kept_as_read_and_doubted(read):
    n = normalize("name", read)
    assert n.value == read and n.certainty < 0.8 and n.repairs


@pytest.mark.parametrize("name", ["许昌市某某科技有限公司", "欧阳佳", "许昌学院", "河南省科学院", "许昌市科学技术局",
                                  "中国科学院某某研究所", "张公", "许昌市某某研究院"])
def test_complete_names_are_not_touched(name):
    assert complete_org_name(name) == (name, None, False)
    n = normalize("name", name)
    assert n.value == name and n.repairs == () and n.certainty == 1.0


def test_an_organization_where_a_person_is_expected():
    # an authorization letter whose agent is a company: kept whole, not cut to six characters
    n = normalize("person_name", "许昌某某知识产权代理有限公司")
    assert n.value == "许昌某某知识产权代理有限公司" and n.certainty >= 0.9
    assert normalize("person_name", "欧阳佳").value == "欧阳佳"


amounts = st.integers(min_value=1, max_value=99_999_999_99).map(lambda c: Decimal(c) / 100)


@settings(max_examples=500, deadline=None)
@given(amounts, st.sampled_from([Decimal(100), Decimal(10), Decimal("0.01"), Decimal("0.1")]))
def test_a_slipped_decimal_point_is_restored_from_the_words(v, factor):
    words = normalize("money_words", to_daxie(v)).value
    exact = v * factor
    assume(exact == exact.quantize(Decimal("0.01")))  # the digits as printed, the point elsewhere
    misread = f"{exact:.2f}"
    got, note = reconcile_figures(misread, words)
    if misread == words:
        assert note is None
    elif Decimal(misread) > 0:
        assert got == words and note and misread in note


def test_disagreeing_amounts_are_not_decided_by_the_repair():
    assert reconcile_figures("10600.00", "10500.00") == ("10600.00", None)
    assert reconcile_figures("10600.00", "10600.00") == ("10600.00", None)
