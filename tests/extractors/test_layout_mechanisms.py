"""Layout mechanisms found on the widened developed families (issue 11), as plain data.

Each test builds the page reading the way OCR returned it on a generated developed-family document
(tests/corpus/layouts: invoice etax_mono, commitment_letter bare_signoff, application_form
two_column) and checks the general rule, not the layout: a label inside a longer known label, a
spread label whose first character was lost, a vertical row head, a signature label that stands
as one, an unlabelled name under a seal, a radio column and a filled round mark.
"""
from __future__ import annotations

import numpy as np

from extractors.context import Context
from extractors.layout import PageView
from extractors.registry import load_registry
from extractors.strategies import STRATEGIES
from intake.model import Line, Page, Seal, Word

H = 46  # text height in px, as at 300 dpi


def _line(text: str, x0: int, y0: int, w: int = 32, gaps: dict[int, int] | None = None) -> Line:
    words, x = [], x0
    for i, ch in enumerate(text):
        x += (gaps or {}).get(i, 0)
        words.append(Word(ch, (x, y0, x + w, y0 + H), 0.99))
        x += w + 2
    return Line(text, (x0, y0, x, y0 + H), 0.99, tuple(words))


def _ctx(doc_type: str, lines: list[Line], seals=None) -> tuple[Context, object]:
    dt = load_registry().get(doc_type)
    page = Page(1, 2480, 1654, 300, "ocr", "", tuple(lines))
    view = PageView(page, None)
    ctx = Context(dt, [view], [None])
    ctx._seals[1] = list(seals or [])
    return ctx, dt


def _field(dt, key):
    return next(f for f in dt.fields if f.key == key)


def _label_values(ctx, dt, key):
    from extractors.text_strategies import label_candidates

    fs = _field(dt, key)
    spec = fs.extract[0]
    return [c.value for c in label_candidates(spec, fs, ctx)]


# the etax_mono invoice as read with red kept: 购/买/方 down the row head, 名　　称 spread
def _invoice_lines(buyer_first_char_lost=False, seller_first_char_lost=True):
    buyer = ("称：许昌市三昌环保科技有限公司" if buyer_first_char_lost else "名称：许昌市三昌环保科技有限公司")
    seller = ("称:许昌天宇分析测试中心有限公司" if seller_first_char_lost else "名称:许昌天宇分析测试中心有限公司")
    return [
        _line("购", 110, 414), _line(buyer, 300 if buyer_first_char_lost else 200, 436,
                                    gaps=None if buyer_first_char_lost else {1: 80}),
        _line("买", 110, 480), _line("方", 110, 530), _line("纳税人识别号:91411071668591242B", 200, 530),
        _line("销", 110, 600), _line(seller, 300 if seller_first_char_lost else 200, 600,
                                    gaps=None if seller_first_char_lost else {1: 80}),
        _line("售", 110, 650), _line("方", 110, 700), _line("纳税人识别号:91411025MAKQEK788B", 200, 700),
        _line("项目名称", 112, 780), _line("规格型号", 700, 780), _line("单位", 930, 780), _line("数量", 1080, 780),
    ]


def test_a_label_inside_a_longer_known_label_is_a_last_resort():
    ctx, dt = _ctx("invoice", _invoice_lines(seller_first_char_lost=False))
    seller = _label_values(ctx, dt, "seller_name")
    assert seller[0] == "许昌天宇分析测试中心有限公司"
    assert seller[-1].startswith("规格型号")  # 名称 of the header 项目名称: read last, if at all


def test_a_spread_label_whose_first_character_was_lost_is_still_found():
    from extractors.candidates import keep_doubt
    from extractors.text_strategies import label_candidates

    ctx, dt = _ctx("invoice", _invoice_lines(seller_first_char_lost=True))
    assert _label_values(ctx, dt, "seller_name")[0] == "许昌天宇分析测试中心有限公司"
    assert _label_values(ctx, dt, "buyer_name")[0] == "许昌市三昌环保科技有限公司"
    fs = _field(dt, "seller_name")
    c = label_candidates(fs.extract[0], fs, ctx)[0]
    assert "label partly read: its first character lost" in c.notes
    keep_doubt(c)
    assert c.confidence <= 0.8  # read, and shown to a reviewer


def test_a_vertical_row_head_owns_the_rows_within_its_height():
    # the buyer's own row lost its 名: the seller's full label just below must not win for the buyer
    ctx, dt = _ctx("invoice", _invoice_lines(buyer_first_char_lost=True, seller_first_char_lost=False))
    assert _label_values(ctx, dt, "buyer_name")[0] == "许昌市三昌环保科技有限公司"
    assert _label_values(ctx, dt, "seller_name")[0] == "许昌天宇分析测试中心有限公司"


def test_a_partial_label_reading_is_not_trusted_as_exact():
    from extractors.hits import find_spread_partial

    ctx, _ = _ctx("invoice", _invoice_lines(seller_first_char_lost=True))
    hits = find_spread_partial(ctx.views[0], "名称")
    assert hits and all(h.partial for h in hits)
    # inside running text (no gap before it) 称： is not a label
    ctx2, _ = _ctx("invoice", [_line("简称：某某公司", 200, 300)])
    assert find_spread_partial(ctx2.views[0], "名称") == []


def test_signature_label_standing_as_one_is_used_before_the_word_in_running_text():
    from extractors.strategies import _ends_as_label

    ctx, _ = _ctx("commitment_letter", [_line("本承诺书自单位法定代表人（或负责人）签字并加盖公章之日起生效。", 200, 300),
                                         _line("法定代表人（签名）：", 1300, 1200)])
    v = ctx.views[0]
    body = v.find("签字")[0]
    block = v.find("签名")[0]
    assert not _ends_as_label(v, body)
    assert _ends_as_label(v, block)


def test_an_unlabelled_unit_name_under_its_seal_is_read_but_not_trusted():
    lines = [_line("本单位承诺遵守以上规定。", 200, 900), _line("许昌莲城新材料科技有限公司", 1500, 1200),
             _line("负责人签字：", 1500, 1300)]
    seal = Seal(1, (1600, 1050, 2000, 1450))
    ctx, dt = _ctx("commitment_letter", lines, [seal])
    fs = _field(dt, "organization_name")
    spec = next(s for s in fs.extract if s["strategy"] == "sealed_line")
    c = STRATEGIES["sealed_line"](spec, fs, ctx)
    assert c is not None and c.value == "许昌莲城新材料科技有限公司"
    assert c.confidence < 0.98 and "read under a seal, no label" in c.notes
    # a line under the seal that is not an organization's name, or carries a label, is not taken
    ctx2, _ = _ctx("commitment_letter", [_line("负责人签字：", 1650, 1200), _line("2026年3月9日", 1650, 1300)], [seal])
    assert STRATEGIES["sealed_line"](spec, fs, ctx2) is None


def test_options_listed_one_per_line_are_gathered_below_the_label():
    from extractors.checkbox import _options_found

    opts = ["政府机关", "事业单位", "科研单位", "学校", "企业", "其他"]
    lines = [_line("会员类型", 1540, 700)] + [_line("○" + o, 1590, 830 + i * 115) for i, o in enumerate(opts)]
    ctx, dt = _ctx("application_form", lines)
    spec = _field(dt, "member_type").extract[0]
    assert [o for o, _ in _options_found(ctx.views[0], spec)] == opts


def test_a_filled_round_mark_is_a_solid_mark_and_a_ring_is_not():
    from extractors.checkbox import _solid_blob

    yy, xx = np.mgrid[0:90, 0:90]
    r = np.hypot(yy - 45, xx - 45)
    disc = (r <= 18)
    ring = (r <= 18) & (r >= 15)
    assert _solid_blob(disc, 90) is not None
    assert _solid_blob(ring, 90) is None
    stroke = np.zeros((90, 90), bool)
    stroke[44:47, 10:80] = True  # a ruling, not a mark
    assert _solid_blob(stroke, 90) is None


def test_a_fuzzy_label_hit_that_is_exactly_another_label_of_the_type_is_refused():
    """金额（小写） one character off is 金额（大写）: the words line, another label of the receipt,
    must not give the figures' label its value (the figures' own line, misread, gives none)."""
    from extractors.hits import candidate_hits

    lines = [_line("金额（大写）：人民币玖仟伍佰肆拾元整", 200, 600),
             _line("金颔（小与）：¥9540.00", 200, 700)]  # the figures' label read two characters off
    ctx, dt = _ctx("bank_receipt", lines)
    fs = _field(dt, "amount")
    spec = fs.extract[0]
    labels = ["金额（小写）", "金额(小写)"]
    assert ctx.views[0].find(labels[0])[0].row == 0  # one substitution away: what the refusal is for
    assert candidate_hits(spec, ctx, labels) == [], "the words' label taken for the figures' label"
    # the same label printed exactly, or one character off and no other label, is still found
    for text in ("金额（小写）：¥9540.00", "金颔（小写）：¥9540.00"):
        ctx, dt = _ctx("bank_receipt", [_line(text, 200, 700)])
        assert [h.row for _, h in candidate_hits(spec, ctx, labels)] == [0, 0]
