"""营业执照（副本）, 2019 layout: portrait, ornamented border, emblem, QR top right.

Families: classic (the 2019 副本: two columns of fields, QR top right); pre2019 (the 2015-2018
三证合一 licence: one column of fields in a bordered panel, the code under the title, QR bottom
left, 副本编号); landscape (the 正本: a landscape sheet with the fields in two columns and the
registration block bottom right); branch (a 分公司 licence: 负责人 and 营业场所, no 注册资本 printed).
"""
from __future__ import annotations

import math
import random
from datetime import date

from .. import money
from ..canvas import Page
from ..dates import ymd
from ..entities import make_org
from ..qr import qr_image
from ..seals import round_seal, seal_color
from . import d, opt_date

ORNAMENT = (205, 170, 120)


def defaults(rng: random.Random, as_of: date) -> dict:
    o = make_org(rng, as_of)
    return org_values(o, rng)


def org_values(o, rng: random.Random) -> dict:
    return {"name": o.name, "uscc": o.uscc, "company_type": o.company_type, "legal_representative": o.legal_rep,
            "registered_capital": o.registered_capital, "established_on": o.established_on.isoformat(),
            "term_start": o.term_start.isoformat(), "term_end": o.term_end.isoformat() if o.term_end else "长期",
            "address": o.address, "business_scope": o.business_scope, "registration_authority": o.authority,
            "issued_on": o.issued_on.isoformat(), "seal": True,
            "capital_style": rng.choice(["words", "wan", "rmb_words"]),
            "term_style": rng.choice(["range", "range", "bare"]),
            "serial": "".join(rng.choice("0123456789") for _ in range(16))}


def fields(v: dict) -> dict:
    f = {k: v[k] for k in ("name", "uscc", "company_type", "legal_representative", "registered_capital",
                           "established_on", "term_end", "address", "business_scope", "issued_on")}
    f["registered_capital"] = money.norm(v["registered_capital"])
    if v.get("family") == "branch":  # a branch has no capital of its own: the licence prints none
        del f["registered_capital"]
    if not (v["term_style"] == "bare" and v["term_end"] == "长期"):
        f["term_start"] = v["term_start"]
    if v.get("seal", True):
        f["registration_authority"] = v["registration_authority"]
    return f


def _border(p: Page, rng: random.Random):
    m = 9
    p.rect(m, m, p.w_mm - m, p.h_mm - m, w=0.6, outline=ORNAMENT)
    p.rect(m + 5, m + 5, p.w_mm - m - 5, p.h_mm - m - 5, w=0.35, outline=ORNAMENT)
    # guilloche-like band: interleaved arcs between the two frame lines
    step = 2.5
    for side in range(4):
        length = (p.w_mm if side % 2 == 0 else p.h_mm) - 2 * m
        n = int(length / step)
        for i in range(n):
            t = m + i * step
            if side == 0:
                box = (t, m + 1, t + step * 2, m + 4)
            elif side == 1:
                box = (t, p.h_mm - m - 4, t + step * 2, p.h_mm - m - 1)
            elif side == 2:
                box = (m + 1, t, m + 4, t + step * 2)
            else:
                box = (p.w_mm - m - 4, t, p.w_mm - m - 1, t + step * 2)
            p.draw.ellipse([p.px(box[0]), p.px(box[1]), p.px(box[2]), p.px(box[3])], outline=ORNAMENT,
                           width=max(1, p.px(0.12)))


def _emblem(p: Page, cx: float, cy: float, r: float):
    gold, red = (226, 180, 60), (200, 30, 35)
    p.draw.ellipse([p.px(cx - r), p.px(cy - r), p.px(cx + r), p.px(cy + r)], fill=red, outline=gold,
                   width=p.px(1.2))
    for (dx, dy, rr) in ((0, -r * 0.35, r * 0.28), (-r * 0.45, -r * 0.6, r * 0.1), (-r * 0.2, -r * 0.72, r * 0.1),
                         (r * 0.2, -r * 0.72, r * 0.1), (r * 0.45, -r * 0.6, r * 0.1)):
        pts = []
        for i in range(10):
            rad = rr if i % 2 == 0 else rr * 0.38
            a = -math.pi / 2 + i * math.pi / 5
            pts.append((p.px(cx + dx + rad * math.cos(a)), p.px(cy + dy + rad * math.sin(a))))
        p.draw.polygon(pts, fill=gold)
    p.draw.rectangle([p.px(cx - r * 0.5), p.px(cy + r * 0.05), p.px(cx + r * 0.5), p.px(cy + r * 0.35)], fill=gold)
    p.draw.rectangle([p.px(cx - r * 0.7), p.px(cy + r * 0.45), p.px(cx + r * 0.7), p.px(cy + r * 0.55)], fill=gold)


def _capital(v) -> str:
    amt = money.to_decimal(v["registered_capital"])
    style = v["capital_style"]
    if style == "wan":
        return f"{money.wan(amt)}万元人民币"
    words = money.daxie(amt)
    return ("人民币" + words) if style == "rmb_words" else words


def _term(v) -> str:
    end = v["term_end"]
    if v["term_style"] == "bare" and end == "长期":
        return "长期"
    start = ymd(d(v["term_start"]), "padded")
    return f"{start}至" + ("长期" if end == "长期" else ymd(d(end), "padded"))


def _classic(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(210, 297, dpi)
    _border(p, rng)
    body = rng.choice(["song", "ming", "song"])
    # code block top left, QR top right
    p.text(24, 36, "统一社会信用代码", "hei", 10)
    p.text(24, 43.5, v["uscc"], "hei", 12.5)
    p.text(24, 50, f"证照编号：{v['serial']}", "song", 8)
    qr = qr_image(f"http://www.gsxt.gov.cn/index.html?uniscid={v['uscc']}", p.px(26))
    p.img.paste(qr, (p.px(161), p.px(24)))
    p.wrap(157, 55, 36, "扫描市场主体身份码了解更多登记、备案、许可、监管信息，体验更多应用服务。", "song", 6, 1.3)
    _emblem(p, 105, 40, 13)
    p.text(105, 79, "营业执照", "song_bold", 40, anchor="ms", tracking=6)
    p.text(105, 90, "（副  本）", "song", 15, anchor="ms")
    x1, x2, vx1, vx2, y = 24, 114, 50, 140, 110
    gap = 11
    rows_left = [("名　　称", v["name"]), ("类　　型", v["company_type"]), ("法定代表人", v["legal_representative"])]
    yl = y
    for label, value in rows_left:
        p.spread(x1, x1 + 20, yl, label, "hei", 11)
        yl = p.wrap(vx1, yl, 60, value, body, 11, 1.45) + gap
    p.spread(x1, x1 + 20, yl, "经营范围", "hei", 11)
    p.wrap(vx1, yl, 60, v["business_scope"], body, 10, 1.55)
    yr = y
    for label, value in (("注册资本", _capital(v)), ("成立日期", ymd(d(v["established_on"]), "padded")),
                         ("营业期限", _term(v)), ("住　　所", v["address"])):
        p.spread(x2, x2 + 20, yr, label, "hei", 11)
        yr = p.wrap(vx2, yr, 50, value, body, 11, 1.45) + gap
    # registration authority: seal over the issue date
    p.text(128, 244, "登记机关", "hei", 12, tracking=2)
    issued = d(v["issued_on"])
    p.text(170, 259, ymd(issued, "padded"), body, 12, anchor="ms")
    if v.get("seal", True):
        alpha = round_seal(v["registration_authority"], dpi, rng, diameter_mm=42)
        bbox = p.stamp(alpha, seal_color(rng), 170 + rng.uniform(-3, 3), 250 + rng.uniform(-2, 2))
        p.seals.append({"page": 1, "bbox": bbox, "color": "red", "shape": "round", "text": v["registration_authority"]})
    p.text(105, 272, "国家企业信用信息公示系统网址：http://www.gsxt.gov.cn", "song", 8, anchor="ms")
    p.text(105, 276.5, "市场主体应当于每年1月1日至6月30日通过国家企业信用信息公示系统报送公示年度报告", "song", 7.5, anchor="ms")
    p.text(105, 281.5, "国家市场监督管理总局监制", "song", 8, anchor="ms")
    return [p]


# --- other families ---------------------------------------------------------------------------
def for_family(v: dict, family: str, rng: random.Random) -> dict:
    v["family"] = family
    v.setdefault("family_font", rng.choice(["song", "ming", "kai"]))
    v.setdefault("copy_no", f"{rng.randint(1, 2)}-{rng.randint(1, 3)}")
    return v


def _authority(p: Page, v, dpi, rng, x_label, y_label, cx, y_date, body, size=12):
    p.text(x_label, y_label, "登记机关", "hei", size, tracking=2)
    p.text(cx, y_date, ymd(d(v["issued_on"]), "padded"), body, size, anchor="ms")
    if v.get("seal", True):
        alpha = round_seal(v["registration_authority"], dpi, rng, diameter_mm=42)
        bbox = p.stamp(alpha, seal_color(rng), cx + rng.uniform(-3, 3), y_date - 9 + rng.uniform(-2, 2))
        p.seals.append({"page": 1, "bbox": bbox, "color": "red", "shape": "round", "text": v["registration_authority"]})


def _pre2019(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(210, 297, dpi)
    body = v["family_font"]
    p.rect(12, 12, 198, 285, w=1.2, outline=ORNAMENT)
    p.rect(15, 15, 195, 282, w=0.4, outline=ORNAMENT)
    _emblem(p, 105, 38, 12)
    p.text(105, 72, "营业执照", "song_bold", 36, anchor="ms", tracking=8)
    p.text(105, 82, "（副本）", "song", 13, anchor="ms")
    p.text(172, 82, f"副本编号：{v['copy_no']}", "song", 8.5, anchor="ms")
    p.text(40, 96, "统一社会信用代码", "hei", 10.5)
    p.text(80, 96, v["uscc"], "hei", 12)
    x, vx, y = 38, 68, 114
    rows = [("名　　称", v["name"]), ("类　　型", v["company_type"]), ("住　　所", v["address"]),
            ("法定代表人", v["legal_representative"]), ("注册资本", _capital(v)),
            ("成立日期", ymd(d(v["established_on"]), "padded")), ("营业期限", _term(v)),
            ("经营范围", v["business_scope"])]
    for label, value in rows:
        p.spread(x, x + 21, y, label, "song", 11)
        y = p.wrap(vx, y, 110, value, body, 11 if label != "经营范围" else 10, 1.5) + 11
    _authority(p, v, dpi, rng, 126, 240, 160, 258, body)
    p.img.paste(qr_image(f"http://www.gsxt.gov.cn/index.html?uniscid={v['uscc']}", p.px(22)), (p.px(26), p.px(236)))
    p.text(26, 263, "请于每年1月1日至6月30日", "song", 7)
    p.text(26, 267, "报送上一年度年度报告", "song", 7)
    p.text(105, 276, "企业信用信息公示系统网址：", "song", 8, anchor="ms")
    return [p]


def _landscape(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(297, 210, dpi)
    _border(p, rng)
    body = v["family_font"]
    p.text(26, 32, "统一社会信用代码", "hei", 10)
    p.text(26, 39, v["uscc"], "hei", 12)
    p.img.paste(qr_image(f"http://www.gsxt.gov.cn/index.html?uniscid={v['uscc']}", p.px(24)), (p.px(250), p.px(22)))
    _emblem(p, 148.5, 34, 12)
    p.text(148.5, 66, "营业执照", "song_bold", 34, anchor="ms", tracking=8)
    p.text(148.5, 75, "（正  本）" if rng.random() < 0.5 else "（副  本）", "song", 12, anchor="ms")
    left = [("名　　称", v["name"]), ("类　　型", v["company_type"]), ("法定代表人", v["legal_representative"]),
            ("经营范围", v["business_scope"])]
    right = [("注册资本", _capital(v)), ("成立日期", ymd(d(v["established_on"]), "padded")),
             ("营业期限", _term(v)), ("住　　所", v["address"])]
    for (x, vx, width, rows) in ((28, 54, 88, left), (156, 182, 86, right)):
        y = 92
        for label, value in rows:
            p.spread(x, x + 20, y, label, "hei", 10.5)
            y = p.wrap(vx, y, width, value, body, 10.5 if label != "经营范围" else 9.5, 1.45) + 9
    _authority(p, v, dpi, rng, 196, 168, 236, 184, body, 11)
    p.text(148.5, 197, "国家企业信用信息公示系统网址：http://www.gsxt.gov.cn", "song", 7.5, anchor="ms")
    return [p]


def _branch(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    """A branch licence: 负责人 and 营业场所, no registered capital; fields in one column."""
    p = Page(210, 297, dpi)
    _border(p, rng)
    body = v["family_font"]
    p.text(24, 36, "统一社会信用代码", "hei", 10)
    p.text(24, 43.5, v["uscc"], "hei", 12.5)
    p.img.paste(qr_image(f"http://www.gsxt.gov.cn/index.html?uniscid={v['uscc']}", p.px(26)), (p.px(161), p.px(24)))
    _emblem(p, 105, 40, 13)
    p.text(105, 79, "营业执照", "song_bold", 40, anchor="ms", tracking=6)
    p.text(105, 90, "（副  本）", "song", 15, anchor="ms")
    y = 112
    for label, value in (("名　　称", v["name"]), ("类　　型", v["company_type"]), ("负 责 人", v["legal_representative"]),
                         ("营业场所", v["address"]), ("成立日期", ymd(d(v["established_on"]), "padded")),
                         ("营业期限", _term(v)), ("经营范围", v["business_scope"])):
        p.spread(34, 55, y, label, "hei", 11)
        y = p.wrap(66, y, 112, value, body, 11 if label != "经营范围" else 10, 1.5) + 10
    _authority(p, v, dpi, rng, 128, 244, 170, 259, body)
    p.text(105, 276.5, "市场主体应当于每年1月1日至6月30日通过国家企业信用信息公示系统报送公示年度报告", "song", 7.5, anchor="ms")
    p.text(105, 281.5, "国家市场监督管理总局监制", "song", 8, anchor="ms")
    return [p]


FAMILY_RENDER = {"classic": _classic, "pre2019": _pre2019, "landscape": _landscape, "branch": _branch}


def render(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    return FAMILY_RENDER[v.get("family", "classic")](v, dpi, rng)
