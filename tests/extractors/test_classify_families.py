"""Document type on layouts other than the classic one, on photos, and with misread keywords.

Documents come from the generator's developed layout families (running letters 兹委托…, an
organization as agent, contracts with a cover page or party tables …); held-out families are
never used here. The scoring data lives in the schemas' ``x-classify`` (titles, weighted
keywords, synonyms), not in Python.
"""
from __future__ import annotations

import pytest

from extractors import extract_pages
from extractors.classify import classify_page, keyword_found
from extractors.layout import PageView, nk
from extractors.registry import load_registry

from .conftest import generated_pages


def _developed(t):
    from tests.corpus.families import families

    return [f for f in families(t, "developed") if f != "classic"]


CASES = ([("authorization_letter", f, 1, "scan") for f in _developed("authorization_letter")]
         + [("service_contract", f, 1, "scan") for f in _developed("service_contract")]
         + [("business_license", "classic", 2, "photo"), ("authorization_letter", "classic", 2, "photo")])


@pytest.mark.parametrize("doc_type,family,seed,quality", CASES)
def test_type_of_other_layouts_and_photos(doc_type, family, seed, quality):
    from tests.corpus import generate_document

    doc = generate_document(doc_type, seed=seed, quality=quality, family=family)
    pages, images = generated_pages(doc)
    docs = extract_pages(pages, images, f"{doc_type}-{family}-{seed}")
    assert [d.type for d in docs] == [doc_type]


def _page(rows: list[str]):
    from intake.model import Line, Page

    lines = tuple(Line(t, (100, 100 + 60 * i, 100 + 40 * len(t), 140 + 60 * i), 0.9) for i, t in enumerate(rows))
    return Page(number=1, width=2480, height=3508, dpi=300, source="ocr", image_path="", lines=lines,
                engine="rapidocr", rotation=0)


def test_misread_keywords_still_count_but_less():
    text = nk("价税合汁（大写）壹万元整 开票日朗 2026年3月5日")
    assert keyword_found(text, "价税合计") == pytest.approx(0.6)
    assert keyword_found(text, "开票日期") == pytest.approx(0.6)
    assert keyword_found(text, "发票号码") == 0.0
    assert keyword_found(nk("发票号码：12345678"), "发票号码") == 1.0
    assert keyword_found(text, "税额") == 0.0  # short keywords must match exactly


def test_a_running_letter_without_its_title_is_still_an_authorization():
    # the top of a photographed letter cut off: no title, the wording of a running letter
    reg = load_registry()
    page = _page(["兹委托张三（身份证号：410102199001011234）", "作为我单位代理人，代为办理许昌市科技创新券申领事宜。",
                  "委托期限：自2026年3月1日至2026年12月31日。", "特此委托。", "委托人（盖章）：许昌某某科技有限公司"])
    pc = classify_page(PageView(page), reg)
    assert pc.type == "authorization_letter", pc.scores


def test_traditional_forms_classify_like_simplified():
    reg = load_registry()
    page = _page(["授權委託書", "委託單位：許昌某某科技有限公司", "受託人：歐陽佳", "委託事項：代為辦理創新券申領", "身份證號碼：410102199001011234"])
    pc = classify_page(PageView(page), reg)
    assert pc.type == "authorization_letter", pc.scores
