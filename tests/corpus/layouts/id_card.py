"""居民身份证 copy: 人像面 and 国徽面 (85.6 x 54 mm each) on one A4 sheet.

Families: classic (both faces stacked or side by side at true size); enlarged (a copy enlarged
to about 150%, as counters ask for); tilted (both faces laid crooked on the copier glass, each
turned a few degrees its own way); certified_copy (a 身份证复印件 sheet: captioned frames, a
"仅供…使用" overprint across the faces and a handwritten 与原件一致 with the holder's signature);
toner_copy (a black-and-white photocopy, both faces side by side, grey levels pushed apart, toner dots).
"""
from __future__ import annotations

import math
import random
from datetime import date

import numpy as np
from PIL import Image, ImageDraw

from ..canvas import Page
from ..entities import make_person
from ..fonts import font
from ..signatures import ink, signature
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


def _classic(v: dict, dpi: int, rng: random.Random) -> list[Page]:
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


# --- other families ---------------------------------------------------------------------------
def for_family(v: dict, family: str, rng: random.Random) -> dict:
    v["family"] = family
    v.setdefault("scale", rng.uniform(1.35, 1.6))
    v.setdefault("angles", [rng.choice([-1, 1]) * rng.uniform(2.0, 6.0), rng.choice([-1, 1]) * rng.uniform(1.5, 5.0)])
    v.setdefault("purpose", rng.choice(["仅供办理许昌市科技文献资源共享平台会员申请使用", "仅用于会员申请 他用无效",
                                        "此复印件仅供许昌科技大市场会员注册使用"]))
    if family == "toner_copy":  # drawn last, so the other families' draws stay as they were
        v.setdefault("copy_scale", rng.uniform(1.0, 1.15))
    return v


def _card_image(face: str, v: dict, dpi: int, rng, scale: float = 1.0) -> Image.Image:
    """One face drawn on its own sheet at dpi*scale, to be pasted (enlarged, turned) on the page."""
    sub = Page(CARD_W + 1, CARD_H + 1, int(round(dpi * scale)))
    (_front if face == "front" else _back)(sub, 0.5, 0.5, v, rng)
    return sub.img


def _paste(p: Page, img: Image.Image, x_mm: float, y_mm: float, angle: float = 0.0):
    if angle:
        img = img.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=p.bg)
    p.img.paste(img, (p.px(x_mm), p.px(y_mm)))


def _enlarged(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(210, 297, dpi)
    k = v["scale"]
    w = (CARD_W + 1) * k
    x = (210 - w) / 2 + rng.uniform(-4, 4)
    _paste(p, _card_image("front", v, dpi, rng, k), x, 22 + rng.uniform(-3, 3))
    _paste(p, _card_image("back", v, dpi, rng, k), x, 32 + (CARD_H + 1) * k + rng.uniform(-3, 3))
    return [p]


def _tilted(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(210, 297, dpi, bg=(250, 250, 248))
    a, b = v["angles"]
    _paste(p, _card_image("front", v, dpi, rng), 50 + rng.uniform(-15, 15), 40 + rng.uniform(-8, 8), a)
    _paste(p, _card_image("back", v, dpi, rng), 50 + rng.uniform(-15, 15), 135 + rng.uniform(-8, 8), b)
    return [p]


def _overprint(p: Page, text: str, cx: float, cy: float, dpi: int, angle: float = 12.0):
    """A grey line of text across a face, like the 仅供…使用 that people write over ID copies."""
    f = font("hei", p.pt(11))
    w = int(f.getlength(text)) + 8
    h = p.pt(11) * 2
    im = Image.new("L", (w, h), 0)
    ImageDraw.Draw(im).text((4, h // 2), text, font=f, fill=255, anchor="lm")
    alpha = np.asarray(im.rotate(angle, resample=Image.BICUBIC, expand=True), dtype=np.float32) / 255.0 * 0.55
    p.stamp(alpha, (110, 110, 110), cx, cy)


def _certified_copy(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(210, 297, dpi)
    p.text(105, 26, "居民身份证复印件", "hei_bold", 16, anchor="ms", tracking=2)
    frames = (("人像面（正面）", "front", 36), ("国徽面（反面）", "back", 120))
    for caption, face, y in frames:
        p.rect(45, y, 165, y + 74, 0.25, outline=(120, 120, 120))
        p.text(48, y + 6, caption, "song", 9, (100, 100, 100))
        x0, y0 = 62 + rng.uniform(-3, 3), y + 12 + rng.uniform(-2, 2)
        _paste(p, _card_image(face, v, dpi, rng), x0, y0)
        # the overprint crosses the upper part of the face, clear of the 18-digit number
        _overprint(p, v["purpose"], x0 + CARD_W / 2, y0 + 20, dpi, rng.uniform(6, 14))
    hand, blue = "kai", (30, 40, 110)
    p.text(40, 222, "此复印件与原件一致", hand, 14, blue)
    x = p.text(40, 238, "本人签字：", hand, 13, blue)
    a = signature(v["name"], dpi, rng, height_mm=9)
    p.stamp(a, ink(rng), x + 6 + a.shape[1] * 12.7 / dpi, 236)
    p.text(120, 238, f"{rng.randint(2025, 2026)}.{rng.randint(1, 12)}.{rng.randint(1, 28)}", hand, 13, blue)
    return [p]


def _toner(img: Image.Image, rng) -> Image.Image:
    """A black-and-white copier's rendering: grey levels pushed apart (light tints drop out, mid greys
    and the blue labels go dark) and a sprinkle of toner dots."""
    a = np.asarray(img.convert("L")).astype(np.float32)
    a = np.clip((a - 95.0) * 1.55 + 40.0, 0, 255)
    dots = np.random.default_rng(rng.randrange(1 << 30)).random(a.shape) < 0.0006
    a[dots] = 60
    return Image.fromarray(a.astype(np.uint8)).convert("RGB")


def _toner_copy(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    """A black-and-white photocopy of both faces side by side on one A4 sheet, slightly enlarged, the
    way counters ask for them (居民身份证 85.6 x 54 mm placed on A4, 正反面 on one sheet:
    baiwenwang.com.cn/a/151318.html, ketang.xout.cn/yxwd/202505/110888.html), with a handwritten
    caption line 身份证正反面复印件 above."""
    p = Page(210, 297, dpi, bg=(252, 252, 252))
    k = v.get("copy_scale", 1.1)
    w = (CARD_W + 1) * k
    gap = 210 - 2 * w - 2 * 8
    y = 38 + rng.uniform(-4, 10)
    p.text(105, y - 8, "身份证正反面复印件", "hei", 11, anchor="ms")
    _paste(p, _toner(_card_image("front", v, dpi, rng, k), rng), 8 + rng.uniform(0, 2), y)
    _paste(p, _toner(_card_image("back", v, dpi, rng, k), rng), 8 + w + gap - rng.uniform(0, 2), y + rng.uniform(-1.5, 1.5))
    return [p]


FAMILY_RENDER = {"classic": _classic, "enlarged": _enlarged, "tilted": _tilted, "certified_copy": _certified_copy,
                 "toner_copy": _toner_copy}


def render(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    return FAMILY_RENDER[v.get("family", "classic")](v, dpi, rng)
