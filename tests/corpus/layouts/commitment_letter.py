"""许昌科技文献信息共享平台机构用户使用承诺书: the attachment-2 text verbatim, signed and sealed."""
from __future__ import annotations

import random
import re
from datetime import date, timedelta
from importlib import resources

from ..canvas import Page
from ..dates import ymd
from ..entities import make_org, make_person
from ..seals import round_seal, seal_color
from ..signatures import ink, signature
from . import d

TEXT = resources.files("tests.corpus").joinpath("data/commitment_letter.txt").read_text("utf-8")
TITLE, _, BODY = TEXT.partition("\n")
HEADING = re.compile(r"^[一二三四五六七八九十]+、")


def defaults(rng: random.Random, as_of: date) -> dict:
    o = make_org(rng, as_of)
    return {"organization_name": o.name, "legal_representative": o.legal_rep,
            "signed_on": (as_of - timedelta(days=rng.randint(0, 12))).isoformat(),
            "signature_present": True, "seal_present": True,
            "date_style": rng.choice(["plain", "plain", "chinese", "padded"]),
            "body_font": rng.choice(["song", "ming", "song"]), "body_size": rng.choice([10.5, 10.5, 11])}


def fields(v: dict) -> dict:
    f = {"organization_name": v["organization_name"], "signature_present": bool(v["signature_present"]),
         "seal_present": bool(v["seal_present"])}
    if v.get("signed_on"):
        f["signed_on"] = v["signed_on"]
    return f


def render(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    family, size = v["body_font"], v["body_size"]
    left, right, top, bottom = 25, 185, 30, 272
    pages = [Page(210, 297, dpi)]
    p = pages[0]
    p.text(105, top + 4, TITLE, "hei_bold" if rng.random() < 0.6 else "song_bold", 16, anchor="ms")
    y = top + 18
    lh = p.line_height(size, 1.65)
    indent = p.width("　　", family, size)
    for para in [s.strip() for s in BODY.split("\n") if s.strip()]:
        heading = bool(HEADING.match(para))
        first = para.startswith("致：")
        fam = "hei" if heading else family
        for i, line in enumerate(p.lines(para, right - left, fam, size, 0 if first else indent)):
            if y > bottom:
                pages.append(Page(210, 297, dpi))
                p = pages[-1]
                y = top
            p.text(left + (indent if i == 0 and not first else 0), y, line, fam, size)
            y += lh
        y += lh * 0.25
    # signature block: keep it together on the last page
    if y + 55 > bottom:
        pages.append(Page(210, 297, dpi))
        p = pages[-1]
        y = top + 10
    y += 12
    label = "法定代表人或企业负责人签字："
    x = p.text(left, y, label, family, size + 0.5)
    if v["signature_present"]:
        alpha = signature(v["legal_representative"], dpi, rng, height_mm=rng.uniform(8, 11))
        h_mm = alpha.shape[0] * 25.4 / dpi
        w_mm = alpha.shape[1] * 25.4 / dpi
        p.stamp(alpha, ink(rng), x + 4 + w_mm / 2, y - h_mm * 0.3)
    y += 18
    x = p.text(left, y, "公司名称（加盖红色公章）：", family, size + 0.5)
    xe = p.text(x + 1, y, v["organization_name"], family, size + 0.5)
    if v["seal_present"]:
        alpha = round_seal(v["organization_name"], dpi, rng, diameter_mm=rng.uniform(39, 42),
                           code="".join(rng.choice("0123456789") for _ in range(13)) if rng.random() < 0.5 else None)
        cx = (x + xe) / 2 + rng.uniform(-10, 10)
        bbox = p.stamp(alpha, seal_color(rng), cx, y - 2 + rng.uniform(-5, 5))
        p.seals.append({"page": len(pages), "bbox": bbox, "color": "red", "shape": "round",
                        "text": v["organization_name"]})
    y += 18
    if v.get("signed_on"):
        p.text(left, y, "日期：" + ymd(d(v["signed_on"]), v["date_style"]), family, size + 0.5)
    else:  # the printed template leaves the date to be filled in by hand
        p.text(left, y, "日期：  2026年   月    日" if rng.random() < 0.5 else "日期：        年     月     日",
               family, size + 0.5)
    return pages
