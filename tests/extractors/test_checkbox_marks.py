"""会员类型 read however the option is marked, on the developed layout families of the generator.

Families draw boxes left or right of the options, ticks, X, filled boxes and circles round
the option (tests/corpus/layouts/application_form.py); every option is the truth once. A form
marked twice must not give a confident answer.
"""
from __future__ import annotations

import pytest

from extractors import extract_pages
from extractors.checkbox import AMBIGUOUS_CONFIDENCE, checkbox_strategy
from extractors.layout import PageView
from extractors.registry import load_registry
from extractors.strategies import Context

from .conftest import generated_pages, pages_of_image

OPTIONS = ["政府机关", "事业单位", "科研单位", "学校", "企业", "其他"]


def _developed():
    from tests.corpus.families import families

    return families("application_form", "developed")


CASES = [(fam, seed, "scan") for fam in _developed() for seed in (0, 1)] + [
    (fam, 2, "photo") for fam in _developed()]


@pytest.mark.parametrize("family,seed,quality", CASES)
def test_member_type_marked_any_way(family, seed, quality):
    from tests.corpus import generate_document

    doc = generate_document("application_form", seed=seed, quality=quality, family=family,
                            member_type=OPTIONS[(seed + len(family)) % 6])
    pages, images = generated_pages(doc)
    docs = extract_pages(pages, images, f"af-{family}-{seed}")
    assert [d.type for d in docs] == ["application_form"]
    fv = docs[0].fields.get("member_type")
    assert fv is not None, "no option read"
    assert fv.value == doc.truth["fields"]["member_type"]
    assert fv.confidence >= 0.6


def _spec():
    reg = load_registry()
    dt = reg.get("application_form")
    fs = next(f for f in dt.fields if f.key == "member_type")
    return dt, fs, next(s for s in fs.extract if s["strategy"] == "checkbox")


def test_a_form_marked_twice_goes_to_review():
    from tests.corpus import generate_document

    doc = generate_document("application_form", seed=3, quality="scan", member_type="企业")
    pages, images = generated_pages(doc)
    dt, fs, spec = _spec()
    view = PageView(pages[0], images[0])
    ctx = Context(dt, [view], images)
    single = checkbox_strategy(spec, fs, ctx)
    assert single is not None and single.value == "企业" and single.confidence >= 0.85
    # copy the ticked box onto another option's box: the applicant ticked two types
    img = images[0].copy()
    marked = view.find("企业")[0]
    other = view.find("学校")[0]
    ch = marked.bbox[3] - marked.bbox[1]
    box = (int(marked.bbox[0] - 1.9 * ch), int(marked.cy - 0.9 * ch), int(marked.bbox[0]), int(marked.cy + 0.9 * ch))
    patch = img.crop(box)
    img.paste(patch, (int(other.bbox[0] - 1.9 * ch), int(other.cy - 0.9 * ch)))
    pages2, images2 = pages_of_image(img, pages[0].dpi)  # read again, as the pipeline would
    twice = checkbox_strategy(spec, fs, Context(dt, [PageView(pages2[0], images2[0])], images2))
    assert twice is None or twice.confidence <= AMBIGUOUS_CONFIDENCE + 0.15


def test_an_unmarked_form_gives_no_option():
    from tests.corpus import generate_document

    doc = generate_document("application_form", seed=3, quality="scan", member_type="企业")
    pages, images = generated_pages(doc)
    dt, fs, spec = _spec()
    view = PageView(pages[0], images[0])
    img = images[0].copy()
    marked = view.find("企业")[0]
    ch = marked.bbox[3] - marked.bbox[1]
    # paste an empty box (from 学校) over the ticked one
    other = view.find("学校")[0]
    src = (int(other.bbox[0] - 1.9 * ch), int(other.cy - 0.9 * ch), int(other.bbox[0]), int(other.cy + 0.9 * ch))
    img.paste(img.crop(src), (int(marked.bbox[0] - 1.9 * ch), int(marked.cy - 0.9 * ch)))
    pages2, images2 = pages_of_image(img, pages[0].dpi)  # read again: the OCR sees no tick either
    got = checkbox_strategy(spec, fs, Context(dt, [PageView(pages2[0], images2[0])], images2))
    assert got is None or got.confidence <= AMBIGUOUS_CONFIDENCE + 0.15
