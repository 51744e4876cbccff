"""许昌市科技文献资源共享平台会员申请表 (attachment 1): a ruled table, one ticked member type.

Families: classic (the attachment's table, a hand tick in a printed box); pair_grid (a full grid
with two label/value pairs a row, the box after each option, ticked or the option circled by
hand); open_lines (no table: labelled lines to fill in, other label wording, a tick mark by hand
or print); printed_glyphs (horizontal rules only, the choice printed as ☑ or ■ or √ beside □);
two_column (details left, the member type as a radio column ○/●/◉ or a hand ring on the right).
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from ..canvas import Page
from ..dates import ymd
from ..entities import make_org, make_person
from ..ids import make_landline
from ..names import email_for
from ..seals import round_seal, seal_color
from ..signatures import ink
from . import d

MEMBER_TYPES = ("政府机关", "事业单位", "科研单位", "学校", "企业", "其他")
NEEDS = ("期刊、学位论文、专利", "期刊、专利、标准", "专利、标准、科技成果", "期刊、会议论文、专利、标准",
         "学位论文、期刊", "标准、法律法规")
REMARK = "许昌市科技文献资源共享平台所有数据库资源仅限单位内部人员或个人使用，用户信息不得外泄，不得对外传播和用于任何商业目的。"


def defaults(rng: random.Random, as_of: date) -> dict:
    o = make_org(rng, as_of)
    contact = make_person(rng, as_of)
    return values(rng, o, contact, as_of)


def values(rng, org, contact, as_of: date) -> dict:
    staff = rng.randint(5, 60)
    return {"unit_name": org.name, "legal_representative": org.legal_rep, "address": org.address,
            "contact_person": contact.name, "phone": org.phone, "mobile": contact.mobile,
            "email": email_for(rng, contact.name), "member_type": "企业" if rng.random() < 0.9 else "其他",
            "literature_needs": rng.choice(NEEDS),
            "expected_users": rng.choice([f"科技人员{staff}人，预计使用{max(2, staff // 3)}人", f"{staff}人",
                                          f"科技人员{staff}名，预计使用人员{max(2, staff // 2)}名"]),
            "seal": True, "filled_on": (as_of - timedelta(days=rng.randint(0, 7))).isoformat(),
            "typo_template": rng.random() < 0.5, "hand": rng.random() < 0.35}


def fields(v: dict) -> dict:
    return {k: v[k] for k in ("unit_name", "legal_representative", "address", "contact_person", "phone", "mobile",
                              "email", "member_type", "literature_needs", "expected_users")}


def _check(p: Page, x, y, size_mm, color):
    """A hand-drawn tick inside the box at (x, y) (top-left, mm)."""
    pts = [(x + size_mm * 0.15, y + size_mm * 0.5), (x + size_mm * 0.42, y + size_mm * 0.85),
           (x + size_mm * 1.05, y - size_mm * 0.15)]
    p.draw.line([(p.px(a), p.px(b)) for a, b in pts], fill=color, width=max(2, p.px(0.45)), joint="curve")


def _classic(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(210, 297, dpi)
    fam = rng.choice(["song", "ming"])
    val_fam = "kai" if v.get("hand") else fam
    val_color = (30, 40, 110) if v.get("hand") else (20, 20, 20)
    p.text(105, 32, "许昌市科技文献资源共享平台会员申请表", "hei_bold", 16, anchor="ms")
    L, R = 20, 190
    c1, c2, c3 = L + 28, 105, 130
    y = 42
    rows = [(16, [("单位名称\n（盖章）", v["unit_name"], None)]),
            (12, [("法人代表", v["legal_representative"], None)]),
            (12, [("通信地址", v["address"], None)]),
            (12, [("联系人", v["contact_person"], ("电  话", v["phone"]))]),
            (12, [("手  机", v["mobile"], ("电子信箱", v["email"]))])]
    seal_y = None
    for h, cells in rows:
        p.rect(L, y, R, y + h, 0.35)
        p.line(c1, y, c1, y + h, 0.35)
        label, value, right = cells[0]
        lines = label.split("\n")
        for i, ln in enumerate(lines):
            p.text((L + c1) / 2, y + h / 2 + 1.8 + (i - (len(lines) - 1) / 2) * 5.5, ln, fam, 10.5, anchor="ms")
        if right:
            p.line(c2, y, c2, y + h, 0.35)
            p.line(c3, y, c3, y + h, 0.35)
            p.text((c2 + c3) / 2, y + h / 2 + 1.8, right[0], fam, 10.5, anchor="ms")
            p.text(c3 + 3, y + h / 2 + 1.8, right[1], val_fam, 10.5, val_color)
        p.text(c1 + 3, y + h / 2 + 1.8, value, val_fam, 11 if len(value) < 28 else 9.5, val_color)
        if label.startswith("单位名称"):
            seal_y = y + h / 2
        y += h
    # member type: six boxes, exactly one ticked
    h = 20
    p.rect(L, y, R, y + h, 0.35)
    p.line(c1, y, c1, y + h, 0.35)
    p.text((L + c1) / 2, y + h / 2 + 1.8, "会员类型", fam, 10.5, anchor="ms")
    printed = list(MEMBER_TYPES)
    if v.get("typo_template"):
        printed[1] = "事业单业"  # the official template really prints this typo
    for i, name in enumerate(printed):
        bx = c1 + 5 + (i % 3) * 46
        by = y + 4 + (i // 3) * 8
        p.rect(bx, by, bx + 3.6, by + 3.6, 0.3)
        p.text(bx + 5, by + 3.3, name, fam, 10.5)
        if MEMBER_TYPES[i] == v["member_type"]:
            _check(p, bx, by, 3.6, val_color if v.get("hand") else (20, 20, 20))
    y += h
    for label, value, hh in (("文献信息\n需求类型", v["literature_needs"], 18), ("科技人员及\n预计使用人员", v["expected_users"], 18)):
        p.rect(L, y, R, y + hh, 0.35)
        p.line(c1, y, c1, y + hh, 0.35)
        for i, ln in enumerate(label.split("\n")):
            p.text((L + c1) / 2, y + hh / 2 + 1.8 + (i - 0.5) * 5.5, ln, fam, 10.5, anchor="ms")
        if label.startswith("文献"):
            p.text(c1 + 3, y + 6, "（如期刊、学位、会议、专利、标准等）", fam, 8.5, (90, 90, 90))
            p.text(c1 + 3, y + 13.5, value, val_fam, 11, val_color)
        else:
            p.text(c1 + 3, y + hh / 2 + 1.8, value, val_fam, 11, val_color)
        y += hh
    hh = 22
    p.rect(L, y, R, y + hh, 0.35)
    p.line(c1, y, c1, y + hh, 0.35)
    p.text((L + c1) / 2, y + hh / 2 + 1.8, "备  注", fam, 10.5, anchor="ms")
    p.wrap(c1 + 3, y + 7, R - c1 - 6, REMARK, fam, 10, 1.6)
    y += hh + 12
    y = p.wrap(L, y, R - L, "请将此注册表的电子版和加盖公章的打印版，各一份递交到许昌市科学技术情报研究所。我们将通过电子邮件将您的用户名和密码发送到您的电子信箱。",
               fam, 10.5, 1.7, indent=p.width("　　", fam, 10.5)) + 10
    p.text(L, y, "联系地址：河南省许昌市城乡一体化示范区魏武大道智慧信息产业园3号厂房许昌科技大市场", fam, 10)
    p.text(L, y + 8, "联系人：石先生", fam, 10)
    p.text(L + 70, y + 8, "联系电话：0374-2965381", fam, 10)
    filled = d(v["filled_on"])
    p.text(R - 5, y + 24, ymd(filled), val_fam, 11, val_color, anchor="rs")
    if v.get("seal", True):
        alpha = round_seal(v["unit_name"], dpi, rng, diameter_mm=rng.uniform(39, 42))
        bbox = p.stamp(alpha, seal_color(rng), c1 + 45 + rng.uniform(-10, 20), seal_y + rng.uniform(-3, 6))
        p.seals.append({"page": 1, "bbox": bbox, "color": "red", "shape": "round", "text": v["unit_name"]})
    return [p]


# --- other families ---------------------------------------------------------------------------
HAND_INK = (30, 40, 110)
# how the chosen member type is marked, per family
MARKS = {"pair_grid": ("hand_tick", "hand_circle", "hand_cross"), "open_lines": ("hand_tick", "print_check", "hand_circle"),
         "printed_glyphs": ("print_boxcheck", "print_filled", "print_check"),
         "two_column": ("print_dot", "print_fisheye", "hand_ring")}


def for_family(v: dict, family: str, rng: random.Random) -> dict:
    v["family"] = family
    v.setdefault("mark", rng.choice(MARKS[family]))
    v.setdefault("family_font", rng.choice(["song", "ming", "hei"]))
    v.setdefault("hand", rng.random() < 0.5)
    return v


def _mark_ink(v: dict) -> tuple[int, int, int]:
    """The mark's ink: pen blue, printer black, or faint (a dry pen, a light pencil tick: about as
    dark as the ink threshold of the reader, so some strokes drop out)."""
    if v.get("faint"):
        return (120, 125, 150) if v.get("hand") else (125, 125, 125)
    return HAND_INK if v.get("hand") else (20, 20, 20)


def _circle(p: Page, x0, y_base, text_w, size_pt, color):
    h = size_pt * 25.4 / 72
    p.draw.ellipse([p.px(x0 - 2), p.px(y_base - h - 1.6), p.px(x0 + text_w + 2), p.px(y_base + 1.6)],
                   outline=color, width=max(2, p.px(0.4)))


def _cross(p: Page, x, y, size, color):
    w = max(2, p.px(0.4))
    p.draw.line([(p.px(x + 0.4), p.px(y + 0.4)), (p.px(x + size - 0.4), p.px(y + size - 0.4))], fill=color, width=w)
    p.draw.line([(p.px(x + size - 0.4), p.px(y + 0.4)), (p.px(x + 0.4), p.px(y + size - 0.4))], fill=color, width=w)


def _options(p: Page, v, x, y, fam, size, box_after: bool, gap: float, per_row: int = 6, row_h: float = 8):
    """Draw the six member types with boxes and mark the chosen one as v["mark"] says."""
    mark = v["mark"]
    ink_c = _mark_ink(v)
    box = size * 25.4 / 72 * 0.95
    cx, cy = x, y
    for i, name in enumerate(MEMBER_TYPES):
        if i and i % per_row == 0:
            cx, cy = x, cy + row_h
        chosen = name == v["member_type"]
        tw = p.width(name, fam, size)
        bx = cx + tw + 1 if box_after else cx
        tx = cx if box_after else cx + box + 1.2
        by = cy - box * 0.9
        if chosen and mark == "print_filled":
            p.rect(bx, by, bx + box, by + box, 0.3, fill=(20, 20, 20))  # ■
        else:
            p.rect(bx, by, bx + box, by + box, 0.3)  # □
        p.text(tx, cy, name, fam, size)
        if chosen:
            if mark == "print_boxcheck":  # ☑: a printed check inside the box
                p.text(bx + box / 2, cy - 0.2, "✓", "hei", size * 0.95, anchor="ms")
            elif mark == "print_check":  # √ printed after the option
                p.text(max(bx, tx + tw) + box + 1.2, cy, "√", "song", size)
            elif mark == "hand_tick":
                _check(p, bx, by, box, ink_c)
            elif mark == "hand_circle":
                _circle(p, min(bx, tx), cy, tw + box + 1.2, size, ink_c)
            elif mark == "hand_cross":
                _cross(p, bx, by, box, ink_c)
        cx = max(bx + box, tx + tw) + gap


def _seal_on(p: Page, v, dpi, rng, cx, cy):
    if v.get("seal", True):
        alpha = round_seal(v["unit_name"], dpi, rng, diameter_mm=rng.uniform(39, 42))
        bbox = p.stamp(alpha, seal_color(rng), cx, cy)
        p.seals.append({"page": 1, "bbox": bbox, "color": "red", "shape": "round", "text": v["unit_name"]})


def _pair_grid(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(210, 297, dpi)
    fam = v["family_font"]
    vf, vc = ("kai", HAND_INK) if v["hand"] else (fam, (20, 20, 20))
    p.text(105, 30, "许昌市科技文献资源共享平台", "song_bold", 15, anchor="ms")
    p.text(105, 39, "会 员 申 请 表", "song_bold", 17, anchor="ms", tracking=2)
    L, R = 18, 192
    a, b, c = L + 25, 105, 130
    y = 48
    rows = [[("单位名称", v["unit_name"])], [("法人代表", v["legal_representative"]), ("联系人", v["contact_person"])],
            [("电　　话", v["phone"]), ("手　　机", v["mobile"])], [("电子信箱", v["email"])],
            [("通信地址", v["address"])]]
    rh = 11
    for row in rows:
        p.rect(L, y, R, y + rh, 0.3)
        p.line(a, y, a, y + rh, 0.3)
        p.text(L + 2.5, y + 7.3, row[0][0], fam, 10.5)
        size = 10.5 if len(row[0][1]) < 30 else 9
        p.text(a + 2.5, y + 7.3, row[0][1], vf, size, vc)
        if len(row) > 1:
            p.line(b, y, b, y + rh, 0.3)
            p.line(c, y, c, y + rh, 0.3)
            p.text(b + 2.5, y + 7.3, row[1][0], fam, 10.5)
            p.text(c + 2.5, y + 7.3, row[1][1], vf, 10.5, vc)
        y += rh
    seal_y = y - rh * 4.5
    p.rect(L, y, R, y + 20, 0.3)
    p.line(a, y, a, y + 20, 0.3)
    p.text(L + 2.5, y + 11.5, "会员类型", fam, 10.5)
    _options(p, v, a + 4, y + 8.5, fam, 10.5, box_after=True, gap=7, per_row=4, row_h=8)
    y += 20
    for label, value in (("文献信息需求", v["literature_needs"]), ("科技人员及预计\n使用人员", v["expected_users"])):
        p.rect(L, y, R, y + 16, 0.3)
        p.line(a, y, a, y + 16, 0.3)
        for i, ln in enumerate(label.split("\n")):
            p.text(L + 2.5, y + 7 + i * 5, ln, fam, 9.5)
        p.text(a + 2.5, y + 10, value, vf, 10.5, vc)
        y += 16
    p.rect(L, y, R, y + 24, 0.3)
    p.line(a, y, a, y + 24, 0.3)
    p.text(L + 2.5, y + 13, "备　　注", fam, 10.5)
    p.wrap(a + 2.5, y + 7, R - a - 5, REMARK, fam, 9.5, 1.6)
    y += 36
    p.text(L, y, "申请单位（盖章）：", fam, 10.5)
    p.text(R - 5, y + 14, "填表日期：" + ymd(d(v["filled_on"]), "padded"), vf, 10.5, vc, anchor="rs")
    _seal_on(p, v, dpi, rng, a + 60 + rng.uniform(-15, 15), seal_y + rng.uniform(-4, 6))
    return [p]


def _open_lines(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(210, 297, dpi)
    fam = v["family_font"]
    vf, vc = ("kai", HAND_INK) if v["hand"] else (fam, (20, 20, 20))
    L, R = 24, 186
    p.text(105, 34, "许昌市科技文献资源共享平台会员申请表", "hei_bold", 15, anchor="ms")
    y = 52
    p.text(L, y, "一、申请单位基本信息", "hei", 11)
    y += 12
    lines = [[("单位名称", v["unit_name"])], [("法定代表人", v["legal_representative"])], [("通讯地址", v["address"])],
             [("联 系 人", v["contact_person"]), ("联系电话", v["phone"])], [("手机号码", v["mobile"]), ("电子邮箱", v["email"])]]
    seal_y = y
    for line in lines:
        x = L
        for j, (label, value) in enumerate(line):
            x = L if j == 0 else 108
            xe = p.text(x, y, f"{label}：", fam, 11)
            end = R if j == len(line) - 1 else 104
            p.line(xe, y + 1.5, end, y + 1.5, 0.25)
            p.text(xe + 2, y - 0.5, value, vf, 11 if len(value) < 28 else 9.5, vc)
        y += 12
    y += 4
    p.text(L, y, "二、会员类型（请在相应的□内打“√”）", "hei", 11)
    y += 11
    _options(p, v, L + 4, y, fam, 11, box_after=False, gap=6)
    y += 15
    p.text(L, y, "三、文献信息需求及使用人员", "hei", 11)
    y += 12
    for label, value in (("文献信息需求类型", v["literature_needs"]), ("科技人员及预计使用人员", v["expected_users"])):
        xe = p.text(L, y, f"{label}：", fam, 11)
        p.line(xe, y + 1.5, R, y + 1.5, 0.25)
        p.text(xe + 2, y - 0.5, value, vf, 11, vc)
        y += 12
    y += 6
    y = p.wrap(L, y, R - L, "说明：" + REMARK, fam, 10, 1.6) + 14
    p.text(R - 70, y, "申请单位（公章）", fam, 11)
    _seal_on(p, v, dpi, rng, R - 45 + rng.uniform(-8, 8), y + rng.uniform(-4, 6))
    p.text(R - 70, y + 14, ymd(d(v["filled_on"]), rng.choice(["plain", "spaced"])), vf, 11, vc)
    return [p]


def _printed_glyphs(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    """Filled in on a computer: values in print, the choice as a printed glyph; horizontal rules only."""
    p = Page(210, 297, dpi)
    fam = v["family_font"]
    L, R = 20, 190
    c1 = L + 34
    p.text(105, 30, "许昌市科技文献资源共享平台会员申请表", "song_bold", 15, anchor="ms")
    y = 42
    p.line(L, y, R, y, 0.5)
    rows = [("单位名称（盖章）", v["unit_name"]), ("法定代表人", v["legal_representative"]), ("单位地址", v["address"]),
            ("联系人", v["contact_person"]), ("固定电话", v["phone"]), ("手机", v["mobile"]), ("E-mail", v["email"])]
    seal_y = y + 6
    for label, value in rows:
        p.text(L + 1, y + 7, label, fam, 10.5)
        p.text(c1, y + 7, value, fam, 10.5 if len(value) < 32 else 9)
        y += 10.5
        p.line(L, y, R, y, 0.25)
    p.text(L + 1, y + 8, "会员类型", fam, 10.5)
    _options(p, v, c1, y + 8, fam, 10.5, box_after=False, gap=5.5)
    y += 12
    p.line(L, y, R, y, 0.25)
    for label, value in (("文献需求类型", v["literature_needs"]), ("科技人员及预计使用人员", v["expected_users"])):
        p.text(L + 1, y + 7, label, fam, 10.5 if len(label) < 8 else 8.5)
        p.text(c1 + (8 if len(label) >= 8 else 0), y + 7, value, fam, 10.5)
        y += 10.5
        p.line(L, y, R, y, 0.25)
    y += 6
    y = p.wrap(L, y, R - L, "备注：" + REMARK, fam, 9.5, 1.6) + 12
    p.line(L, y - 6, R, y - 6, 0.5)
    p.text(R, y + 6, ymd(d(v["filled_on"]), "dash"), fam, 10.5, anchor="rs")
    _seal_on(p, v, dpi, rng, c1 + 50 + rng.uniform(-10, 20), seal_y + rng.uniform(-3, 5))
    return [p]


def _radio_column(p: Page, v, x, y, fam, size, row_h):
    """The member types one per line, radio style as web member systems print them: ● (or ◉) before the
    chosen option, ○ before the others; or a hand ring around the chosen one."""
    ink_c = _mark_ink(v)
    for i, name in enumerate(MEMBER_TYPES):
        cy = y + i * row_h
        chosen = name == v["member_type"]
        glyph = ("●" if v["mark"] == "print_dot" else "◉") if chosen and v["mark"] != "hand_ring" else "○"
        xe = p.text(x, cy, glyph, "song", size)
        p.text(xe + 1.5, cy, name, fam, size)
        if chosen and v["mark"] == "hand_ring":
            _circle(p, x, cy, xe - x + 1.5 + p.width(name, fam, size), size, ink_c)


def _two_column(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    """Printed from an online member system (as 中国宇航学会 asks its 单位会员申请表 be submitted through
    its 会员管理与服务系统, hy.csaspace.org.cn/Muser/newsinfo/12): a two-column sheet, the unit's
    details on the left in label/value lines, the member type as a radio column (○/●/◉ or a hand
    ring) in a ruled box on the right, other label wording (单位全称, 单位地址, 联系电话, 电子邮箱)."""
    p = Page(210, 297, dpi)
    fam = v["family_font"]
    vf, vc = ("kai", HAND_INK) if v["hand"] else (fam, (20, 20, 20))
    L, R, mid = 18, 192, 132
    p.text(105, 28, "许昌市科技文献资源共享平台", "hei_bold", 14, anchor="ms")
    p.text(105, 37, "单位会员申请表", "hei_bold", 16, anchor="ms", tracking=1)
    y0 = 48
    p.rect(L, y0, R, y0 + 92, 0.4)
    p.line(mid, y0, mid, y0 + 92, 0.3)
    y = y0 + 9
    rows = [("单位名称", v["unit_name"]), ("法定代表人", v["legal_representative"]), ("单位地址", v["address"]),
            ("联系人", v["contact_person"]), ("联系电话", v["phone"]), ("手机号码", v["mobile"]),
            ("电子邮箱", v["email"])]
    for label, value in rows:
        xe = p.text(L + 3, y, f"{label}：", fam, 10)
        size = 10 if p.width(value, vf, 10) < mid - xe - 3 else 8.5
        p.text(xe + 1, y, value, vf, size, vc)
        y += 12
    p.text(mid + 4, y0 + 9, "会员类型", "hei", 10.5)
    _radio_column(p, v, mid + 8, y0 + 21, fam, 10.5, 10.5)
    y = y0 + 92
    for label, value in (("文献信息需求类型", v["literature_needs"]), ("预计使用人员", v["expected_users"])):
        p.rect(L, y, R, y + 13, 0.3)
        xe = p.text(L + 3, y + 8.5, f"{label}：", fam, 10)
        p.text(xe + 1, y + 8.5, value, vf, 10, vc)
        y += 13
    y += 10
    y = p.wrap(L, y, R - L, "注：" + REMARK, fam, 9.5, 1.6) + 16
    p.text(R - 75, y, "申请单位（盖章）", fam, 10.5)
    _seal_on(p, v, dpi, rng, R - 50 + rng.uniform(-8, 8), y + rng.uniform(-3, 5))
    p.text(R - 75, y + 14, "日期：" + ymd(d(v["filled_on"]), rng.choice(["padded", "dash"])), vf, 10.5, vc)
    return [p]


FAMILY_RENDER = {"classic": _classic, "pair_grid": _pair_grid, "open_lines": _open_lines,
                 "printed_glyphs": _printed_glyphs, "two_column": _two_column}


def render(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    return FAMILY_RENDER[v.get("family", "classic")](v, dpi, rng)
