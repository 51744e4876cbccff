"""居民身份证 copy: 人像面 and 国徽面 (85.6 x 54 mm each) on one A4 sheet."""
from __future__ import annotations

import math
import random
from datetime import date

from PIL import ImageDraw

from ..canvas import Page
from ..entities import make_person
from . import d

CARD_W, CARD_H = 85.6, 54.0
LABEL = (70, 110, 160)


def person_values(person) -> dict:
    return {"name": person.name, "sex": person.sex, "ethnicity": person.ethnicity,
            "birth_date": person.birth.isoformat(), "address": person.address, "id_number": person.id_number,
            "issuing_authority": person.authority, "valid_from": person.valid_from.isoformat(),
            "valid_to": person.valid_to.isoformat() if person.valid_to else "长期"}


def defaults(rng: random.Random, as_of: date) -> dict:
    v = person_values(make_person(rng, as_of))
    v["layout"] = rng.choice(["stacked", "stacked", "side"])
    return v


def fields(v: dict) -> dict:
    return {k: v[k] for k in ("name", "sex", "ethnicity", "birth_date", "address", "id_number",
                              "issuing_authority", "valid_from", "valid_to")}


def _card(p: Page, x, y, tint):
    r = p.px(3.2)
    p.draw.rounded_rectangle([p.px(x), p.px(y), p.px(x + CARD_W), p.px(y + CARD_H)], radius=r, fill=tint,
                             outline=(150, 150, 150), width=max(1, p.px(0.2)))
    # faint background guilloche
    for i in range(14):
        cx, cy = x + CARD_W * 0.55, y + CARD_H * 0.55
        rr = 6 + i * 2.6
        p.draw.arc([p.px(cx - rr), p.px(cy - rr * 0.6), p.px(cx + rr), p.px(cy + rr * 0.6)], 200, 340,
                   fill=(min(255, tint[0] - 14), min(255, tint[1] - 10), min(255, tint[2] - 4)), width=1)


def _front(p: Page, x, y, v, rng):
    _card(p, x, y, (238, 240, 236))
    f = "hei"
    lx, vx = x + 5, x + 15.5
    p.spread(lx, lx + 8, y + 9, "姓名", f, 7.5, LABEL)
    p.text(vx, y + 9, v["name"], f, 9.5)
    p.spread(lx, lx + 8, y + 16, "性别", f, 7.5, LABEL)
    p.text(vx, y + 16, v["sex"], f, 8.5)
    p.text(vx + 10, y + 16, "民族", f, 7.5, LABEL)
    p.text(vx + 18, y + 16, v["ethnicity"], f, 8.5)
    b = d(v["birth_date"])
    p.spread(lx, lx + 8, y + 23, "出生", f, 7.5, LABEL)
    p.text(vx, y + 23, f"{b.year}", f, 8.5)
    p.text(vx + 8.5, y + 23, "年", f, 7.5, LABEL)
    p.text(vx + 13, y + 23, f"{b.month}", f, 8.5)
    p.text(vx + 16.5, y + 23, "月", f, 7.5, LABEL)
    p.text(vx + 21, y + 23, f"{b.day}", f, 8.5)
    p.text(vx + 25, y + 23, "日", f, 7.5, LABEL)
    p.spread(lx, lx + 8, y + 30, "住址", f, 7.5, LABEL)
    p.wrap(vx, y + 30, 38, v["address"], f, 8.5, 1.45)
    p.text(lx, y + 47.5, "公民身份号码", f, 7.5, LABEL)
    p.text(x + 26, y + 47.5, v["id_number"], "mono", 10.5, tracking=0.35)
    # grey photo placeholder: head and shoulders silhouette
    px0, py0, pw, ph = x + 58, y + 6, 22, 28
    p.rect(px0, py0, px0 + pw, py0 + ph, w=0.1, outline=(205, 205, 205), fill=(214, 214, 214))
    p.draw.ellipse([p.px(px0 + 6.5), p.px(py0 + 5), p.px(px0 + 15.5), p.px(py0 + 16)], fill=(150, 150, 150))
    p.draw.chord([p.px(px0 + 1.5), p.px(py0 + 17), p.px(px0 + 20.5), p.px(py0 + 38)], 180, 360, fill=(150, 150, 150))


def _back(p: Page, x, y, v, rng):
    _card(p, x, y, (240, 236, 232))
    cx, cy, r = x + 13, y + 13, 8
    p.draw.ellipse([p.px(cx - r), p.px(cy - r), p.px(cx + r), p.px(cy + r)], outline=(200, 60, 50),
                   width=p.px(0.8), fill=(236, 200, 190))
    for i in range(5):
        a = -math.pi / 2 + (i - 2) * 0.45
        sx, sy = cx + 4.5 * math.cos(a), cy + 4.5 * math.sin(a) + (2 if i != 2 else 1)
        p.draw.ellipse([p.px(sx - 0.9), p.px(sy - 0.9), p.px(sx + 0.9), p.px(sy + 0.9)], fill=(210, 170, 40))
    p.text(x + 52, y + 14, "中华人民共和国", "hei_bold", 13, anchor="ms", tracking=1.2)
    p.text(x + 52, y + 26, "居民身份证", "hei_bold", 18, anchor="ms", tracking=2.5)
    p.text(x + 16, y + 40, "签发机关", "hei", 7.5, LABEL)
    p.text(x + 31, y + 40, v["issuing_authority"], "hei", 8.5)
    p.text(x + 16, y + 47, "有效期限", "hei", 7.5, LABEL)
    vf = d(v["valid_from"])
    vt = v["valid_to"] if v["valid_to"] == "长期" else f"{d(v['valid_to']):%Y.%m.%d}"
    p.text(x + 31, y + 47, f"{vf:%Y.%m.%d}-{vt}", "hei", 8.5)


def render(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(210, 297, dpi)
    if v.get("layout") == "side":
        y = 40 + rng.uniform(-5, 10)
        _front(p, 14, y, v, rng)
        _back(p, 110, y, v, rng)
    else:
        x = 62 + rng.uniform(-8, 8)
        _front(p, x, 45 + rng.uniform(-5, 5), v, rng)
        _back(p, x, 125 + rng.uniform(-5, 5), v, rng)
    return [p]
