"""A rendered 事业单位法人证书 (public institution legal person certificate), for the ninth-type test.

Drawn here, not in the corpus, to show that a new document type needs a schema file
and nothing else: the extractor code never names this type.
"""
from __future__ import annotations

import random

from tests.corpus.canvas import Page
from tests.corpus.seals import round_seal, seal_color

TRUTH = {
    "name": "许昌市科学技术情报研究所",
    "uscc": "12411000416010567J",
    "scope": "为科技创新提供信息服务。科技文献信息收集、加工与服务，科技查新，科技情报研究与咨询，相关技术培训。",
    "address": "河南省许昌市魏都区魏文路128号",
    "legal_representative": "李建华",
    "funding_source": "财政补助",
    "funding": "3200000.00",
    "sponsor": "许昌市科学技术局",
    "registration_authority": "许昌市事业单位登记管理局",
    "term_start": "2024-05-06",
    "term_end": "2029-05-06",
}


def render(dpi: int = 200, seed: int = 7):
    rng = random.Random(seed)
    p = Page(210, 297, dpi)
    p.text(105, 40, "事业单位法人证书", "song_bold", 30, anchor="ms", tracking=3)
    p.text(105, 52, "（副本）", "song", 14, anchor="ms")
    p.text(24, 68, "统一社会信用代码", "hei", 10.5)
    p.text(62, 68, TRUTH["uscc"], "hei", 12)
    rows = [("名　　称", TRUTH["name"]), ("宗旨和业务范围", TRUTH["scope"]), ("住　　所", TRUTH["address"]),
            ("法定代表人", TRUTH["legal_representative"]), ("经费来源", TRUTH["funding_source"]),
            ("开办资金", "￥320万元"), ("举办单位", TRUTH["sponsor"])]
    y = 88
    for label, value in rows:
        p.text(24, y, label, "hei", 11)
        y = p.wrap(62, y, 120, value, "song", 11, 1.5) + 12
    p.text(24, y, "有 效 期", "hei", 11)
    p.text(62, y, "自2024年05月06日至2029年05月06日", "song", 11)
    y += 24
    p.text(120, y, "登记管理机关", "hei", 11)
    p.text(150, y, TRUTH["registration_authority"], "song", 11)
    alpha = round_seal(TRUTH["registration_authority"], dpi, rng, diameter_mm=42)
    p.stamp(alpha, seal_color(rng), 160, y + 8)
    p.text(150, y + 16, "2024年05月06日", "song", 11)
    return p.img, dpi
