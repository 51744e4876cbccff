"""Candidate ranking, value boundaries, typed checks and cross-checks: pure functions on plain data."""
from __future__ import annotations

from extractors.boundaries import StopKeys, take_run
from extractors.candidates import choose
from extractors.crosschecks import apply as cross_check
from extractors.layout import Char
from extractors.registry import load_registry
from extractors.strategies import Candidate
from extractors.value_types import check


def _chars(text: str, x0: int = 0, w: int = 40, gaps: dict[int, int] | None = None) -> list[Char]:
    out, x = [], x0
    for i, ch in enumerate(text):
        x += (gaps or {}).get(i, 0)
        out.append(Char(ch, (x, 0, x + w, 40), 0.99))
        x += w + 2
    return out


def _cand(value, strategy="label", conf=0.97, bbox=(0, 0, 10, 10), rank=0, raw="", **kw):
    return Candidate(value, conf, 1, bbox, strategy, raw or str(value), "", 1.0, None, [], rank=rank, **kw)


# --- boundaries ------------------------------------------------------------------------------


def test_value_ends_at_a_common_form_label_after_a_gap():
    stops = StopKeys(own=("身份证号码",), foreign=("性别",))
    run, _, why = take_run(_chars("欧阳佳性别：女", gaps={3: 60}), 40, stops, "受托人", float("inf"))
    assert "".join(c.text for c in run) == "欧阳佳" and why == "label 性别"


def test_foreign_label_inside_running_text_does_not_cut_a_name():
    stops = StopKeys(own=(), foreign=("中心",))
    run, _, _ = take_run(_chars("许昌检测中心有限公司"), 40, stops, "名称", float("inf"))
    assert "".join(c.text for c in run) == "许昌检测中心有限公司"


def test_a_short_foreign_label_starting_a_wrapped_line_ends_the_value_only_with_a_colon():
    from extractors.boundaries import starts_with_label

    stops = StopKeys(own=("电话",), foreign=("中心", "电子邮箱"))
    wrapped = _chars("中心")  # 许昌市科技创新公共服务 / 中心: the rest of the name
    assert starts_with_label(wrapped, stops, "单位名称", continuation=True) is None
    assert starts_with_label(_chars("中心：张三"), stops, "单位名称", continuation=True) == "中心"
    assert starts_with_label(_chars("电子邮箱"), stops, "单位名称", continuation=True) == "电子邮箱"
    assert starts_with_label(_chars("电话"), stops, "单位名称", continuation=True) == "电话"  # own label
    assert starts_with_label(wrapped, stops, "单位名称") == "中心"  # at the value's own place: a label


def test_every_schema_contributes_stop_labels():
    from extractors.boundaries import stop_keys

    reg = load_registry()
    keys = stop_keys(reg.get("authorization_letter"))
    assert "性别" in keys.foreign  # x-stop-labels, schema data
    assert "开票日期" in keys.foreign  # another type's label
    assert "受托人" in keys.own


# --- typed candidates -------------------------------------------------------------------------


def test_value_types():
    assert check("person", "欧阳佳")[0] == 1.0
    assert check("person", "欧阳佳性别")[0] < 1.0
    assert check("organization", "许昌科技有限公司")[0] == 1.0
    assert check("organization", "许昌科技有限公")[0] < 1.0  # cut short
    assert check("organization", "中国银行 241960048062")[0] < 0.5
    assert check("invoice_number", "12345678")[0] == 1.0
    assert check("invoice_number", "0410021002")[0] < 1.0


class _Field:
    key = "agent_name"
    type = "string"
    format = None
    schema = {"x-value-type": "person"}
    extract = ({"strategy": "label", "normalizer": "person_name"},)


def test_a_typed_candidate_beats_a_preferred_one_that_fails_its_type():
    spec = _Field.extract[0]
    found = [(0, spec, _cand("欧阳佳性别", rank=0)), (0, spec, _cand("欧阳佳", rank=1, bbox=(0, 100, 10, 110)))]
    best, ranked = choose(_Field, found)
    assert best.value == "欧阳佳" and len(ranked) == 2


def test_a_value_failing_its_type_goes_to_review():
    spec = _Field.extract[0]
    best, _ = choose(_Field, [(0, spec, _cand("欧阳佳性别女", conf=0.99))])
    assert best.confidence < 0.85 and any("type check" in n for n in best.notes)


def test_independent_readings_that_agree_raise_confidence():
    spec = _Field.extract[0]
    best, ranked = choose(_Field, [(0, spec, _cand("欧阳佳", conf=0.8)),
                                   (1, spec, _cand("欧阳佳", "regex", 0.8, bbox=(0, 500, 10, 510)))])
    assert best.confidence > 0.85 and ranked[0].agree == 1


class _Money:
    key = "total_amount"
    type = "string"
    format = "money"
    schema: dict = {}
    extract = ({"strategy": "label", "normalizer": "money"},)


def test_figures_with_lost_decimal_point_repaired_from_words():
    c = _cand("11323000.00", raw="人民币壹拾壹万叁仟贰佰叁拾元整（¥11323000）")
    best, _ = choose(_Money, [(0, _Money.extract[0], c)])
    assert best.value == "113230.00" and best.confidence < 0.85
    assert any(n.startswith("repaired") for n in best.notes)


# --- cross-checks ----------------------------------------------------------------------------


INVOICE_CHECKS = [{"sum": ["amount", "tax"], "equals": "total"}, {"same": ["total", "total_in_words"]}]


def test_cross_check_holds_and_raises_confidence():
    chosen = {"amount": _cand("100.00", conf=0.8), "tax": _cand("6.00", conf=0.8), "total": _cand("106.00", conf=0.8)}
    log = cross_check(INVOICE_CHECKS, chosen)
    assert log == ["amount+tax=total holds"] and all(c.confidence > 0.85 for c in chosen.values())


def test_dropped_decimal_point_repaired_by_the_totals_and_sent_to_review():
    chosen = {"amount": _cand("106820.64"), "tax": _cand("6409.36"), "total": _cand("11323000.00"),
              "total_in_words": _cand("113230.00")}
    cross_check(INVOICE_CHECKS, chosen)
    assert chosen["total"].value == "113230.00"
    assert chosen["total"].confidence < 0.85
    assert any("repaired 11323000.00 → 113230.00" in n for n in chosen["total"].notes)


def test_totals_that_disagree_go_to_review():
    chosen = {"amount": _cand("100.00"), "tax": _cand("6.00"), "total": _cand("107.00")}
    cross_check(INVOICE_CHECKS, chosen)
    assert all(c.confidence < 0.85 for c in chosen.values())


def _items_invoice_figures():
    """The figures an invoice of two item lines prints: each line's 金额 and 税额, the 合计 row's
    sums and the 价税合计 (小写), as `printed_figures` reads them off its rows."""
    from extractors.crosschecks import printed_figures
    from extractors.layout import PageView
    from intake.model import Line, Page

    rows = [("检测服务费", "1800.00", "6%", "108.00"), ("技术咨询费", "1,200.00", "6%", "72.00"),
            ("合计", "¥3000.00", "", "¥180.00")]
    lines, y = [], 400
    for cells in rows:
        for x, cell in zip((100, 900, 1400, 1700), cells):
            if cell:
                lines.append(Line(cell, (x, y, x + 40 * len(cell), y + 40), 0.98))
        y += 80
    lines.append(Line("价税合计（大写）叁仟壹佰捌拾圆整", (100, y, 900, y + 40), 0.98))
    lines.append(Line("（小写）¥3180.00", (1300, y, 1800, y + 40), 0.98))
    page = Page(1, 2400, 1600, 300, "ocr", "", tuple(lines))
    return lambda: printed_figures([PageView(page)])


def test_printed_figures_are_the_two_decimal_amounts_on_the_page():
    assert sorted(float(f.value) for f in _items_invoice_figures()()) == [
        72.0, 108.0, 180.0, 1200.0, 1800.0, 3000.0, 3180.0]


def test_a_tax_read_from_the_first_item_line_is_replaced_by_the_one_the_total_row_prints():
    chosen = {"amount": _cand("3000.00", conf=0.95), "tax": _cand("108.00", strategy="table", conf=0.95),
              "total": _cand("3180.00"), "total_in_words": _cand("3180.00")}
    log = cross_check(INVOICE_CHECKS, chosen, {}, _items_invoice_figures())
    tax = chosen["tax"]
    assert tax.value == "180.00" and tax.strategy == "crosscheck" and tax.bbox is not None
    assert 0.85 <= tax.confidence <= 0.9  # trusted on the sum's other readings and the print, no surer
    assert any("180.00 is printed on the page" in n and "over 108.00" in n for n in tax.notes)
    assert log == ["printed tax 108.00 → 180.00", "amount+tax=total holds", "total=total_in_words holds"]


def test_a_tax_not_read_at_its_label_is_the_figure_the_total_row_prints():
    chosen = {"amount": _cand("3000.00", conf=0.95), "total": _cand("3180.00"), "total_in_words": _cand("3180.00")}
    log = cross_check(INVOICE_CHECKS, chosen, {}, _items_invoice_figures())
    tax = chosen["tax"]
    assert tax.value == "180.00" and tax.strategy == "crosscheck" and 0.85 <= tax.confidence <= 0.9
    assert any("not read at its label" in n for n in tax.notes)
    assert log[:2] == ["printed tax (not read) → 180.00", "amount+tax=total holds"]


def test_a_sum_field_not_read_whose_value_is_not_printed_stays_unread():
    chosen = {"amount": _cand("2900.00"), "total": _cand("3180.00")}
    cross_check(INVOICE_CHECKS, chosen, {}, _items_invoice_figures())
    assert "tax" not in chosen  # 280.00 is printed nowhere: no value is made up


def test_a_sum_two_printed_figures_could_mend_is_left_to_review():
    # amount read from line 1 (1800.00): total - tax = 3000.00 is printed (the amount would be wrong),
    # and so is total - amount = 1380.00 here (the tax would be): nothing says which, a reviewer decides
    figures = _items_invoice_figures()
    more = lambda: figures() + [_cand("1380.00", strategy="crosscheck")]  # noqa: E731
    chosen = {"amount": _cand("1800.00"), "tax": _cand("180.00"), "total": _cand("3180.00")}
    cross_check(INVOICE_CHECKS, chosen, {}, more)
    assert chosen["amount"].value == "1800.00" and chosen["tax"].value == "180.00"
    assert all(c.confidence < 0.85 for c in chosen.values())


def test_invoice_schema_carries_the_cross_checks():
    assert load_registry().get("invoice").schema["x-cross-checks"] == INVOICE_CHECKS


def test_repair_by_totals_is_confirmed_by_the_words():
    chosen = {"amount": _cand("106820.64"), "tax": _cand("6409.36"), "total": _cand("11323000.00"),
              "total_in_words": _cand("113230.00")}
    log = cross_check(INVOICE_CHECKS, chosen)
    assert log == ["repaired total 11323000.00 → 113230.00", "total=total_in_words holds"]


def test_schema_check_names_a_cross_check_on_a_missing_or_non_money_field(tmp_path):
    import json

    from extractors.registry import builtin_dir, check_file

    schema = json.loads((builtin_dir() / "invoice.json").read_text("utf-8"))
    schema["x-cross-checks"] = [{"sum": ["amount", "tax"], "equals": "totl"}, {"same": ["total", "buyer_name"]}]
    schema["properties"]["invoice_number"]["x-distinct-from"] = ["nothing"]
    path = tmp_path / "invoice.json"
    path.write_text(json.dumps(schema, ensure_ascii=False), "utf-8")
    problems = {(p.path, p.message) for p in check_file(path)}
    assert ("/x-cross-checks/0", "field 'totl' is not in properties") in problems
    assert ("/x-cross-checks/1", "field 'buyer_name' must have format money") in problems
    assert ("/properties/invoice_number/x-distinct-from/0", "field 'nothing' is not in properties") in problems


# --- running sentences ------------------------------------------------------------------------

# The OCR lines of a developed org_agent letter (tests/corpus, membership packet seed 0): the agent
# is printed in the form's cell and again in the running sentence, where the line wraps inside the
# name (…由其经办人陆海 / 阳具体办理…).
_ORG_AGENT_ROWS = [
    (979, 404, 1557, 516, "授权委托书"),
    (403, 663, 614, 733, "委托单位"), (915, 673, 1548, 742, "许昌市盛世电气设备有限公司"),
    (398, 910, 611, 981, "受托单位"), (912, 919, 1542, 991, "许昌隆盛汽车零部件有限公司"),
    (391, 1156, 558, 1230, "经办人"), (901, 1165, 1067, 1239, "陆海阳"),
    (394, 1287, 760, 1350, "经办人身份证号码"), (905, 1297, 1379, 1357, "411002197501260778"),
    (475, 1603, 2071, 1693, "兹委托许昌隆盛汽车零部件有限公司为我单位的受托单位，由其经办人陆海"),
    (378, 1693, 2067, 1776, "阳具体办理，办理我单位许昌市科技文献资源共享平台机构会员的申请、材料递"),
    (378, 1778, 2067, 1863, "交及账号领取等事宜。受托单位及其经办人在委托权限内办理的事项，我单位均"),
    (378, 1865, 1365, 1937, "予以认可，由此产生的法律后果由我单位承担。"),
    (1173, 2358, 1808, 2434, "许昌市盛世电气设备有限公司"),
    (1171, 2646, 1655, 2712, "二〇二六年二月十五日"),
]


def test_a_value_cut_at_a_line_wrap_of_running_text_loses_to_the_forms_cell():
    from extractors import extract_pages
    from intake.model import Line, Page

    page = Page(number=1, width=2480, height=3508, dpi=300, source="ocr", image_path="",
                lines=tuple(Line(t, (a, b, c, d), 0.99) for a, b, c, d, t in _ORG_AGENT_ROWS), engine="rapidocr")
    docs = extract_pages([page], [None], "letter")
    assert [d.type for d in docs] == ["authorization_letter"]
    agent = docs[0].fields["agent_name"]
    assert agent.value == "陆海阳"  # not 陆海, the part before the wrap
    assert "may run on past the line wrap" in agent.why


def test_a_value_cut_at_a_line_wrap_is_never_trusted():
    from extractors import extract_pages
    from intake.model import Line, Page

    rows = [r for r in _ORG_AGENT_ROWS if r[4] not in ("经办人", "陆海阳")]  # the sentence alone
    page = Page(number=1, width=2480, height=3508, dpi=300, source="ocr", image_path="",
                lines=tuple(Line(t, (a, b, c, d), 0.99) for a, b, c, d, t in rows), engine="rapidocr")
    agent = extract_pages([page], [None], "letter")[0].fields.get("agent_name")
    assert agent.value == "陆海" and agent.confidence < 0.85  # below every review threshold: a person checks
    assert "cut at a line wrap of running text" in agent.notes


def _ranked(*cands):
    from extractors.candidates import Scored

    return [Scored(c, 0, "money", 1.0, "", score=1.0 - 0.1 * i) for i, c in enumerate(cands)]


def test_a_failing_cross_check_takes_the_runner_up_that_makes_it_hold():
    """The nearest label gave the amount of another column (the unit price); the amount the totals
    agree with was the runner-up: it is chosen, its choice explained, and the check raises it."""
    amount = _cand("2180.00", conf=0.9)
    runner_up = _cand("9000.00", conf=0.9, rank=1)
    chosen = {"amount": amount, "tax": _cand("540.00"), "total": _cand("9540.00"), "total_in_words": _cand("9540.00")}
    log = cross_check(INVOICE_CHECKS, chosen, {"amount": _ranked(amount, runner_up, _cand("12.00", rank=2))})
    assert log[:2] == ["swapped amount 2180.00 → 9000.00", "amount+tax=total holds"]
    assert chosen["amount"].value == "9000.00" and chosen["amount"].confidence > 0.9
    assert any(n.startswith("chosen by cross-check amount+tax=total over 2180.00") for n in chosen["amount"].notes)


def test_two_runner_ups_that_each_make_the_check_hold_choose_nothing():
    """Either the amount or the total may be the misread one: no swap, all three to review."""
    amount, total = _cand("100.00"), _cand("107.00")
    chosen = {"amount": amount, "tax": _cand("6.00"), "total": total}
    cross_check(INVOICE_CHECKS, chosen, {"amount": _ranked(amount, _cand("101.00")),
                                         "total": _ranked(total, _cand("106.00"))})
    assert chosen["amount"].value == "100.00" and chosen["total"].value == "107.00"
    assert all(c.confidence < 0.85 for c in chosen.values())
