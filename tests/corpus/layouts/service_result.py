"""检验检测报告 (the service result of 细则 第二十条): the provider's test report for the client.

A cover-style first page as testing labs print them: the CMA mark with its certificate number in
the top left (CNAS beside it for some labs), 报告编号 top right, the title, then one ruled table
(委托单位, 检测单位, 样品名称, 检测项目, 检测依据, 检测结论), the signature block (编制/审核/批准)
and 签发日期 under the provider's 检验检测专用章.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from ..canvas import Page
from ..dates import ymd
from ..entities import make_org
from ..seals import round_seal, seal_color
from . import d
from .service_contract import ITEMS

SAMPLES = ("金属试样", "复合材料板材", "电路板组件", "高分子粒料", "涂层试片", "精密零件", "电池模组", "陶瓷坯体")
CONCLUSIONS = ("所检项目符合委托方要求。", "检测结果见报告附页，数据仅对来样负责。", "所检项目结果详见附页。")


def defaults(rng: random.Random, as_of: date) -> dict:
    client = make_org(rng, as_of)
    provider = make_org(rng, as_of, provider=True)
    return values(rng, client, provider, [list(i) for i in rng.sample(ITEMS, 2)],
                  as_of - timedelta(days=rng.randint(2, 20)))


def values(rng: random.Random, client, provider, items: list, issued: date) -> dict:
    """``items``: the contract's ``[name, standard]`` pairs the report covers."""
    return {"report_number": f"{rng.choice(['BG', 'JC', 'XCJC'])}{issued.year}{issued.month:02d}-{rng.randint(1, 9999):04d}",
            "client_name": client.name, "provider_name": provider.name, "provider_address": provider.address,
            "items": [list(i) for i in items], "issued_on": issued.isoformat(), "seal_present": True,
            "sample": rng.choice(SAMPLES), "conclusion": rng.choice(CONCLUSIONS),
            "cma_number": f"{rng.randint(16, 24)}{rng.randint(1600, 1700)}{rng.randint(100000, 999999)}",
            "cnas": rng.random() < 0.4, "date_style": rng.choice(["padded", "dash"])}


def fields(v: dict) -> dict:
    return {"report_number": v["report_number"], "client_name": v["client_name"], "provider_name": v["provider_name"],
            "items": "、".join(i[0] for i in v["items"]), "issued_on": v["issued_on"],
            "seal_present": bool(v["seal_present"])}


def extra(v: dict) -> dict:
    return {"cma_number": v["cma_number"], "cnas": v["cnas"], "testing_items": [i[0] for i in v["items"]]}


def _mark(p: Page, x: float, y: float, text: str, sub: str) -> None:
    p.rect(x, y, x + 24, y + 13, 0.5)
    p.text(x + 12, y + 8.2, text, "hei_bold", 14, anchor="ms")
    p.text(x + 12, y + 17.5, sub, "mono", 6.5, anchor="ms")


def render(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(210, 297, dpi)
    fam = rng.choice(["song", "hei"])
    _mark(p, 18, 14, "CMA", v["cma_number"])
    if v["cnas"]:
        _mark(p, 46, 14, "CNAS", "L" + v["cma_number"][-5:])
    p.text(192, 22, f"报告编号：{v['report_number']}", fam, 10, anchor="rs")
    p.text(105, 50, "检 验 检 测 报 告", "hei_bold", 22, anchor="ms")
    rows = [("委托单位", v["client_name"]), ("检测单位", v["provider_name"]), ("单位地址", v["provider_address"]),
            ("样品名称", v["sample"]), ("检测项目", "、".join(i[0] for i in v["items"])),
            ("检测依据", "；".join(i[1] for i in v["items"])), ("检测结论", v["conclusion"])]
    x0, x1, xl, y, rowh = 18, 192, 48, 64, 13
    p.rect(x0, y, x1, y + rowh * len(rows), 0.35)
    p.line(xl, y, xl, y + rowh * len(rows), 0.3)
    for i, (label, value) in enumerate(rows):
        if i:
            p.line(x0, y + rowh * i, x1, y + rowh * i, 0.3)
        p.text(x0 + 3, y + rowh * i + 8.3, label, fam, 10.5)
        size = 10.5 if p.width(value, fam, 10.5) < x1 - xl - 6 else 9
        p.text(xl + 3, y + rowh * i + 8.3, value, fam, size)
    y += rowh * len(rows) + 22
    p.text(x0 + 2, y, "编制：", fam, 10.5)
    p.text(x0 + 60, y, "审核：", fam, 10.5)
    p.text(x0 + 120, y, "批准：", fam, 10.5)
    issued = d(v["issued_on"])
    date_s = ymd(issued, v["date_style"])
    p.text(192, y + 30, f"签发日期：{date_s}", fam, 10.5, anchor="rs")
    p.text(192, y + 40, "（检验检测专用章）", fam, 9.5, anchor="rs")
    p.text(x0, 280, "本报告仅对来样负责；未经本机构书面批准，不得部分复制本报告。", fam, 8.5)
    if v["seal_present"]:
        alpha = round_seal(v["provider_name"], dpi, rng, purpose="检验检测专用章", diameter_mm=rng.uniform(38, 42))
        bbox = p.stamp(alpha, seal_color(rng), 138 + rng.uniform(-6, 6), y + 26 + rng.uniform(-4, 4))
        p.seals.append({"page": 1, "bbox": bbox, "color": "red", "shape": "round", "text": v["provider_name"]})
    return [p]
