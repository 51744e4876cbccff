"""授权委托书: the organization authorizes its handler (the ID card's holder)."""
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


def render(v: dict, dpi: int, rng: random.Random) -> list[Page]:
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
