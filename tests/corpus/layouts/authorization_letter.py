"""授权委托书: the organization authorizes its handler (the ID card's holder).

Families: classic (labelled lines or a table, then the 兹委托 paragraph); running_letter (a letter
addressed 致：…, every fact inside running sentences, 代理人/被委托人 wording); inline_fields
(several fields on one line: 受托人：…  性别：…  身份证号码：…); org_agent (the agent is an
organization, 受托单位, and its 经办人 is the person who carries the ID card).
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from ..canvas import Page
from ..dates import ymd
from ..entities import make_org, make_person
from ..seals import round_seal, seal_color
from ..signatures import ink, signature
from . import d

MATTERS = ("办理许昌科技文献信息共享平台机构用户注册及会员申请相关事宜",
           "代表我单位向许昌市科学技术情报研究所提交许昌科技文献信息共享平台会员申请材料，并办理相关手续",
           "办理我单位许昌市科技文献资源共享平台机构会员的申请、材料递交及账号领取等事宜")


def defaults(rng: random.Random, as_of: date) -> dict:
    o = make_org(rng, as_of)
    agent = make_person(rng, as_of)
    return {"principal_name": o.name, "principal_address": o.address, "legal_representative": o.legal_rep,
            "agent_name": agent.name, "agent_sex": agent.sex, "agent_id_number": agent.id_number,
            "agent_mobile": agent.mobile, "signed_on": (as_of - timedelta(days=rng.randint(0, 10))).isoformat(),
            "seal_present": True, "signature_present": True, "matter": rng.choice(MATTERS),
            "date_style": rng.choice(["plain", "padded", "chinese"]), "style": rng.choice(["lines", "table"]),
            "body_font": rng.choice(["song", "ming", "kai"])}


def fields(v: dict) -> dict:
    return {"principal_name": v["principal_name"], "agent_name": v["agent_name"],
            "agent_id_number": v["agent_id_number"], "signed_on": v["signed_on"],
            "seal_present": bool(v["seal_present"])}


def _classic(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(210, 297, dpi)
    fam, size = v["body_font"], 12
    p.text(105, 42, "授权委托书", "song_bold" if rng.random() < 0.5 else "hei_bold", 22, anchor="ms", tracking=3)
    left, right = 28, 182
    y = 64
    lh = 10.5
    signed = d(v["signed_on"])
    end = signed + timedelta(days=rng.choice([30, 90, 180, 365]))
    if v["style"] == "table":
        rows = [("委托单位", v["principal_name"]), ("单位地址", v["principal_address"]),
                ("法定代表人", v["legal_representative"]), ("受托人", v["agent_name"]),
                ("性别", v["agent_sex"]), ("身份证号码", v["agent_id_number"]), ("联系电话", v["agent_mobile"])]
        for label, value in rows:
            p.rect(left, y - 7, right, y + 3.5, w=0.3)
            p.line(left + 34, y - 7, left + 34, y + 3.5, w=0.3)
            p.text(left + 3, y, label, fam, size)
            p.wrap(left + 37, y, right - left - 40, value, fam, size if len(value) < 26 else 10.5, 1.2)
            y += 10.5
        y += 6
    else:
        for label, value in (("委托单位：", v["principal_name"]), ("法定代表人：", v["legal_representative"]),
                             ("受托人：", v["agent_name"]), ("身份证号码：", v["agent_id_number"]),
                             ("联系电话：", v["agent_mobile"])):
            x = p.text(left, y, label, fam, size)
            p.text(x + 1, y, value, fam, size)
            y += lh
        y += 4
    body = (f"兹委托{v['agent_name']}（身份证号码：{v['agent_id_number']}）为我单位合法代理人，"
            f"{v['matter']}。受托人在办理上述事项过程中所签署的相关文件，我单位均予以承认，并承担相应的法律责任。")
    y = p.wrap(left, y, right - left, body, fam, size, 1.8, indent=p.width("　　", fam, size)) + lh
    y = p.wrap(left, y, right - left, f"委托事项：{v['matter']}。", fam, size, 1.8) + lh
    p.text(left, y, f"委托期限：自{ymd(signed)}至{ymd(end)}止。", fam, size)
    p.text(left + p.width("　　", fam, size), y + lh, "受托人无转委托权。", fam, size)
    y += lh * 2.2
    x = p.text(left, y, "委托单位（盖章）：", fam, size)
    xe = p.text(x, y, v["principal_name"], fam, size)
    if v["seal_present"]:
        alpha = round_seal(v["principal_name"], dpi, rng, diameter_mm=rng.uniform(39, 42))
        bbox = p.stamp(alpha, seal_color(rng), (x + xe) / 2 + rng.uniform(-8, 12), y + rng.uniform(-4, 8))
        p.seals.append({"page": 1, "bbox": bbox, "color": "red", "shape": "round", "text": v["principal_name"]})
    y += lh * 1.5
    x = p.text(left, y, "法定代表人（签字）：", fam, size)
    if v.get("signature_present", True):
        a = signature(v["legal_representative"], dpi, rng, height_mm=8.5)
        p.stamp(a, ink(rng), x + 4 + a.shape[1] * 12.7 / dpi, y - 2)
    y += lh * 1.5
    x = p.text(left, y, "受托人（签字）：", fam, size)
    a = signature(v["agent_name"], dpi, rng, height_mm=8)
    p.stamp(a, ink(rng), x + 4 + a.shape[1] * 12.7 / dpi, y - 2)
    p.text(right, y + lh * 1.5, ymd(signed, v["date_style"]), fam, size, anchor="rs")
    return [p]


# --- other families ---------------------------------------------------------------------------
RECIPIENTS = ("许昌市科学技术情报研究所", "许昌科技大市场", "许昌市科技文献资源共享平台")


def for_family(v: dict, family: str, rng: random.Random) -> dict:
    v["family"] = family
    v.setdefault("recipient", rng.choice(RECIPIENTS))
    v.setdefault("agent_word", rng.choice(["代理人", "被委托人", "受托人"]))
    v.setdefault("family_font", rng.choice(["song", "ming", "kai", "hei"]))
    v.setdefault("title_word", rng.choice(["授权委托书", "法人授权委托书", "单位授权委托书"]))
    v.setdefault("margin", rng.uniform(20, 32))
    if family == "org_agent" and "agent_org" not in v:
        o = make_org(rng, d(v["signed_on"]))
        v.update(agent_org=o.name, agent_org_uscc=o.uscc, agent_org_address=o.address)
    return v


def _seal_at(p: Page, v, dpi, rng, cx, cy):
    if v["seal_present"]:
        alpha = round_seal(v["principal_name"], dpi, rng, diameter_mm=rng.uniform(38, 42))
        bbox = p.stamp(alpha, seal_color(rng), cx, cy)
        p.seals.append({"page": 1, "bbox": bbox, "color": "red", "shape": "round", "text": v["principal_name"]})


def _signature_at(p: Page, name, dpi, rng, x, y, h=8.0):
    a = signature(name, dpi, rng, height_mm=h)
    p.stamp(a, ink(rng), x + 4 + a.shape[1] * 12.7 / dpi, y - 2)


def _sign_block_right(p: Page, v, dpi, rng, y, fam, size, right):
    """Signature block flush right, as letters end: 委托单位（公章） / 法定代表人 / date."""
    x0 = right - 78
    p.text(x0, y, "委托单位（公章）：", fam, size)
    p.text(x0, y + 9, v["principal_name"], fam, size if len(v["principal_name"]) < 16 else 10.5)
    _seal_at(p, v, dpi, rng, x0 + 40 + rng.uniform(-8, 8), y + 4 + rng.uniform(-4, 4))
    x = p.text(x0, y + 21, "法定代表人（签字）：", fam, size)
    if v.get("signature_present", True):
        _signature_at(p, v["legal_representative"], dpi, rng, x, y + 21)
    p.text(x0, y + 33, ymd(d(v["signed_on"]), v["date_style"]), fam, size)


def _running_letter(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(210, 297, dpi)
    fam, size = v["family_font"], 12
    left = v["margin"]
    right = 210 - left
    p.text(105, 45, v["title_word"], "hei_bold", 20, anchor="ms", tracking=2)
    y = 66
    p.text(left, y, f"致：{v['recipient']}", fam, size)
    y += 12
    signed = d(v["signed_on"])
    word = v["agent_word"]
    indent = p.width("　　", fam, size)
    paras = [f"兹委托我单位{v['agent_name']}同志（身份证号码：{v['agent_id_number']}，联系电话：{v['agent_mobile']}）"
             f"为我单位{word}，全权代表{v['principal_name']}（以下简称我单位），{v['matter']}。",
             f"{word}在办理上述事项过程中所签署的有关文件和处理的有关事务，我单位均予以承认，并承担相应的法律责任。"
             f"{word}无转委托权。",
             f"本委托书自{ymd(signed)}起生效，有效期至上述事项办理完毕之日止。",
             "特此委托。"]
    for para in paras:
        y = p.wrap(left, y, right - left, para, fam, size, 1.9, indent=indent) + 13
    y += 8
    _sign_block_right(p, v, dpi, rng, y, fam, size, right)
    y += 50
    x = p.text(left, y, f"{word}（签字）：", fam, size)
    _signature_at(p, v["agent_name"], dpi, rng, x, y)
    return [p]


def _inline_fields(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    """Several facts per line, separated by spaces only: the hardest case for label-to-value reading."""
    p = Page(210, 297, dpi)
    fam, size = v["family_font"], 11.5
    left = v["margin"]
    right = 210 - left
    p.text(105, 40, v["title_word"], "song_bold", 20, anchor="ms", tracking=2)
    y = 60
    lh = 11
    sep = "　　" if rng.random() < 0.5 else "  "
    p.text(left, y, f"委托人：{v['principal_name']}", fam, size)
    y += lh
    p.wrap(left, y, right - left, f"住所：{v['principal_address']}", fam, size, 1.5)
    y += lh
    p.text(left, y, f"法定代表人：{v['legal_representative']}{sep}职务：{rng.choice(['总经理', '董事长', '执行董事'])}", fam, size)
    y += lh * 1.4
    p.text(left, y, f"受托人：{v['agent_name']}{sep}性别：{v['agent_sex']}{sep}身份证号码：{v['agent_id_number']}", fam, size)
    y += lh
    p.text(left, y, f"工作单位：{v['principal_name']}{sep}职务：{rng.choice(['经理', '办公室主任', '科员', '专员'])}", fam, size)
    y += lh
    p.text(left, y, f"联系电话：{v['agent_mobile']}{sep}邮编：461000", fam, size)
    y += lh * 1.5
    signed = d(v["signed_on"])
    end = signed + timedelta(days=rng.choice([30, 90, 180, 365]))
    body = (f"现委托上述受托人为我单位代理人，{v['matter']}。代理人在办理上述事项中所签署的一切文件，我单位均予以认可。"
            f"委托期限：{ymd(signed)}至{ymd(end)}。")
    y = p.wrap(left, y, right - left, body, fam, size, 1.8, indent=p.width("　　", fam, size)) + lh * 2
    x = p.text(left, y, "委托人（盖章）：", fam, size)
    _seal_at(p, v, dpi, rng, x + 25 + rng.uniform(-6, 10), y + rng.uniform(-5, 5))
    x = p.text(left + 85, y, "受托人（签名）：", fam, size)
    _signature_at(p, v["agent_name"], dpi, rng, x, y)
    y += lh * 1.8
    x = p.text(left, y, "法定代表人（签名或盖章）：", fam, size)
    if v.get("signature_present", True):
        _signature_at(p, v["legal_representative"], dpi, rng, x, y)
    p.text(right, y + lh * 1.8, "日期：" + ymd(signed, v["date_style"]), fam, size, anchor="rs")
    return [p]


def _org_agent(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    """委托 another organization; its 经办人 (the person on the ID card) acts for it."""
    p = Page(210, 297, dpi)
    fam, size = v["family_font"], 11.5
    left = v["margin"]
    right = 210 - left
    p.text(105, 42, "授权委托书", "hei_bold", 20, anchor="ms", tracking=3)
    y = 62
    rows = [("委托单位", v["principal_name"]), ("法定代表人", v["legal_representative"]),
            ("受托单位", v["agent_org"]), ("统一社会信用代码", v["agent_org_uscc"]),
            ("经办人", v["agent_name"]), ("经办人身份证号码", v["agent_id_number"]),
            ("经办人联系电话", v["agent_mobile"])]
    col = left + 44
    for label, value in rows:
        p.line(left, y + 3.5, right, y + 3.5, 0.25)
        p.text(left + 1, y, label, fam, size if len(label) < 7 else 10.5)
        p.text(col, y, value, fam, size if len(value) < 24 else 10)
        y += 10.5
    y += 6
    indent = p.width("　　", fam, size)
    body = (f"兹委托{v['agent_org']}为我单位的受托单位，由其经办人{v['agent_name']}具体办理，{v['matter']}。"
            f"受托单位及其经办人在委托权限内办理的事项，我单位均予以认可，由此产生的法律后果由我单位承担。")
    y = p.wrap(left, y, right - left, body, fam, size, 1.8, indent=indent) + 12
    signed = d(v["signed_on"])
    end = signed + timedelta(days=rng.choice([90, 180, 365]))
    p.text(left, y, f"委托期限：{ymd(signed, 'padded')}至{ymd(end, 'padded')}", fam, size)
    y += 20
    _sign_block_right(p, v, dpi, rng, y, fam, size, right)
    x = p.text(left, y + 50, "经办人（签字）：", fam, size)
    _signature_at(p, v["agent_name"], dpi, rng, x, y + 50)
    return [p]


FAMILY_RENDER = {"classic": _classic, "running_letter": _running_letter, "inline_fields": _inline_fields,
                 "org_agent": _org_agent}


def render(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    return FAMILY_RENDER[v.get("family", "classic")](v, dpi, rng)
