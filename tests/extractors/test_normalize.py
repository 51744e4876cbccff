"""Normalizers: dates, money (小写 and 大写), codes, text."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.normalize import (NORMALIZERS, compare_key, normalize, parse_money_words, parse_range, to_daxie)

_CN = "〇一二三四五六七八九"


def _cn_num(n: int) -> str:
    if n < 10:
        return _CN[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN[tens]) + "十" + ("" if ones == 0 else _CN[ones])


def _forms(d: date) -> list[str]:
    year_cn = "".join(_CN[int(c)] for c in str(d.year))
    return [
        f"{d.year}年{d.month}月{d.day}日",
        f"{d.year}年{d.month:02d}月{d.day:02d}日",
        f"{d.year} 年 {d.month} 月 {d.day} 日",
        f"{d.year} 年 {d.month:02d} 月 {d.day:02d} 日",
        d.isoformat(),
        f"{d:%Y.%m.%d}",
        f"{d.year}/{d.month}/{d.day}",
        f"{year_cn}年{_cn_num(d.month)}月{_cn_num(d.day)}日",
        f"{year_cn.replace('〇', '○')}年{_cn_num(d.month)}月{_cn_num(d.day)}日",
        f"{year_cn.replace('〇', 'O')}年{_cn_num(d.month)}月{_cn_num(d.day)}日",
    ]


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31)))
def test_every_date_form(d):
    for form in _forms(d):
        n = normalize("date", form)
        assert n is not None and n.value == d.isoformat(), form


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)),
       st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31)), st.booleans())
def test_ranges(a, b, long_):
    end = "长期" if long_ else f"{b:%Y.%m.%d}"
    assert parse_range(f"{a:%Y.%m.%d}-{end}") == (a.isoformat(), "长期" if long_ else b.isoformat())
    end_cn = "长期" if long_ else f"{b.year}年{b.month:02d}月{b.day:02d}日"
    text = f"{a.year}年{a.month:02d}月{a.day:02d}日至{end_cn}"
    assert normalize("range_start", text).value == a.isoformat()
    assert normalize("range_end", text).value == ("长期" if long_ else b.isoformat())


def test_date_ocr_confusions():
    assert normalize("date", "2O23年O3月3l日").value == "2023-03-31"
    assert normalize("date_or_long", "长期").value == "长期"
    assert normalize("date", "2023年2月30日") is None


amounts = st.integers(min_value=0, max_value=99_999_999_999_99).map(lambda c: Decimal(c) / 100)


@settings(max_examples=3000, deadline=None)
@given(amounts)
def test_money_words_round_trip(v):
    words = to_daxie(v)
    assert parse_money_words(words) == v, words
    for prefix in ("人民币", "⊗", "ⓧ"):
        assert normalize("money", prefix + words).value == f"{v:.2f}"
    assert normalize("money_words", words.replace("整", "正")).value == f"{v:.2f}"
    assert normalize("money_words", words.replace("元", "圆")).value == f"{v:.2f}"


@settings(max_examples=500, deadline=None)
@given(amounts)
def test_money_figures(v):
    s = f"{v:.2f}"
    assert normalize("money", f"¥{v:,.2f}").value == s
    assert normalize("money", f"￥{s}元").value == s
    assert normalize("money", f"CNY {v:,.2f}").value == s
    assert normalize("money", f"人民币{s}元").value == s


@pytest.mark.parametrize("text,want", [
    ("壹万贰仟叁佰肆拾伍元整", "12345.00"), ("¥12,345.00", "12345.00"), ("1.2345万元", "12345.00"),
    ("500万元人民币", "5000000.00"), ("人民币伍佰万元整", "5000000.00"), ("伍佰万元整", "5000000.00"),
    ("伍仟元零伍分", "5000.05"), ("玖角整", "0.90"), ("伍角", "0.50"), ("壹拾元整", "10.00"), ("拾元整", "10.00"),
    ("⊗壹万贰仟叁佰元整", "12300.00"), ("人民币壹万零陆佰元整（¥10,600.00）", "10600.00"),
    ("壹亿零伍万元整", "100050000.00"), ("零元整", "0.00"),
])
def test_money_examples(text, want):
    assert normalize("money", text).value == want


def test_money_rejects_junk():
    assert parse_money_words("壹万贰仟abc") is None
    assert normalize("money", "无") is None


def test_codes_repaired_only_when_checks_pass():
    assert normalize("uscc", "9141 1000MA47M7QPXU").value == "91411000MA47M7QPXU"
    assert normalize("uscc", "91411OOOMA47M7QPXU").value == "91411000MA47M7QPXU"
    bad = normalize("uscc", "91411000MA47M7QPX1")  # wrong check char: kept as read, low certainty
    assert bad.value == "91411000MA47M7QPX1" and bad.certainty < 0.5
    assert normalize("idno", "11010519491231002x").value == "11010519491231002X"
    assert normalize("idno", "44O524188OO1010014").value == "440524188001010014"
    assert normalize("tax_id", "91411000MA47M7QPXU").value == "91411000MA47M7QPXU"


def test_text_normalizers():
    assert normalize("name", " 许昌 某某科技 有限公司 ").value == "许昌某某科技有限公司"
    assert normalize("name", "许昌某某(河南)有限公司").value == "许昌某某（河南）有限公司"
    assert normalize("text", "：其他股份有限公司(非上市)").value == "其他股份有限公司（非上市）"
    assert normalize("digits", "6222 0212 3456 7890").value == "6222021234567890"
    assert normalize("sex", "男").value == "男"
    assert normalize("email", "admin2060 @163.com").value == "admin2060@163.com"
    assert normalize("mobile", "手机：176 1221 4064").value == "17612214064"
    assert compare_key("（ 甲 ）") == compare_key("(甲)")


def test_every_normalizer_tolerates_junk():
    for name, fn in NORMALIZERS.items():
        for junk in ("", " ", "：", "???", "\n"):
            fn(junk)  # never raises


def test_date_with_glued_time():
    assert normalize("date", "2026-03-0517:03:17").value == "2026-03-05"


@pytest.mark.parametrize("raw, want, certain", [
    ("许昌市魏都区市场监督管理局", "许昌市魏都区市场监督管理局", True),
    ("许昌市魏都区市场监督管理局巴", "许昌市魏都区市场监督管理局", False),  # a rim stroke read as a character
    ("c襄城县市场监督管理局", "襄城县市场监督管理局", False),
    ("许昌市公安局魏都分局", "许昌市公安局魏都分局", True),
    ("许昌市市场监督管理局城乡一体化示范区分局", "许昌市市场监督管理局城乡一体化示范区分局", True),
    ("许昌市市场监督管理局城乡一体化示范区分局巴", "许昌市市场监督管理局城乡一体化示范区分局", False),
    ("许昌市城乡一体化示范区市场监督管理局", "许昌市城乡一体化示范区市场监督管理局", True),
    ("市场监督管理局", "市场监督管理局", False),  # no division: not vouched for
])
def test_authority(raw, want, certain):
    n = normalize("authority", raw)
    assert n.value == want
    assert (n.certainty >= 1.0) is certain


@pytest.mark.parametrize("raw, want", [
    ("hn3279@foxmai1.com", "hn3279@foxmail.com"),
    ("li.ming@l63.com", "li.ming@163.com"),
    ("abc@qq.corn", "abc@qq.com"),
    ("abc@163.com", "abc@163.com"),
    ("office@xcstc.gov.cn", "office@xcstc.gov.cn"),  # unknown domains are kept as read
    ("a1b2@my1ab.cn", "a1b2@my1ab.cn"),
])
def test_email_domain_repair(raw, want):
    assert normalize("email", raw).value == want


# --- the forms real documents print (domain.md), including OCR's usual damage ------------------

@pytest.mark.parametrize("text", [
    "2026年11月27日", "2026年11月27曰", "2026 年 11 月 27 日", "２０２６年１１月２７日", "2026.11.27", "2026．11．27",
    "2026-11-27", "2026/11/27", "2026年11月27号", "二〇二六年十一月二十七日", "二○二六年十一月二十七日",
    "二O二六年十一月二十七日", "二零二六年十一月二十七日", "二〇二六年十一月廿七日", "二〇二六年十一月二十七",
    "日期：2026年1l月27日", "2026年11月27日 10:00", "公元2026年11月27日",
])
def test_date_forms_of_real_documents(text):
    assert normalize("date", text).value == "2026-11-27"


@pytest.mark.parametrize("text", [
    "¥10,600.00", "￥10,600.00", "10,600.00元", "10,600.00 元", "1.06万元", "¥1.06万", "人民币壹万零陆佰元整",
    "壹万零陆佰元", "壹萬零陸佰圓整", "人民币（大写）壹万零陆佰元整", "(小写)¥10600.00", "RMB10,600.00", "CNY 10,600.00",
    "一万零六百元", "10600元整", "¥ 10 600.00", "小写：10,600.00", "¥10,600.0", "人民币 10,600.00 元（含税）",
    "￥10，600．00", "合计：¥10,600.00", "⊗壹万零陆佰元整",
])
def test_money_forms_of_real_documents(text):
    assert normalize("money", text).value == "10600.00"


wan = st.integers(min_value=1, max_value=99_999_999).map(lambda c: Decimal(c) / 100)  # 0.01 .. 999999.99 万


@settings(max_examples=1000, deadline=None)
@given(wan)
def test_money_in_wan_round_trip(v):
    # "1.06万元" / "500万元人民币": the figure times ten thousand, to the cent
    want = f"{v * 10000:.2f}"
    assert normalize("money", f"{v.normalize():f}万元").value == want
    assert normalize("money", f"{v.normalize():f}万元人民币").value == want
    assert normalize("money_words", to_daxie(v * 10000)).value == want


@settings(max_examples=1000, deadline=None)
@given(amounts)
def test_money_figures_and_words_side_by_side(v):
    s = f"{v:.2f}"
    # a contract clause or an invoice line: words first, figures in brackets, or the reverse
    assert normalize("money", f"人民币{to_daxie(v)}（¥{v:,.2f}）").value == s
    assert normalize("money", f"{v:,.2f}元（大写：{to_daxie(v)}）").value == s
    assert normalize("money_words", f"人民币（大写）{to_daxie(v)}（小写：¥{v:,.2f}）").value == s
