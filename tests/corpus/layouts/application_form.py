"""许昌市科技文献资源共享平台会员申请表 (attachment 1): a ruled table, one ticked member type."""
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


def render(v: dict, dpi: int, rng: random.Random) -> list[Page]:
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
