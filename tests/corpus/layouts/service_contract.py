"""检验检测技术服务合同: parties with USCC, test-item table, fee in words and figures, two seals."""
from __future__ import annotations

import random
from datetime import date, timedelta

from .. import money
from ..canvas import Page
from ..dates import ymd
from ..entities import make_org
from ..seals import round_seal, seal_color
from ..signatures import ink, signature
from . import d

ITEMS = (("金属材料力学性能测试", "GB/T 228.1-2021"), ("扫描电镜（SEM）形貌分析", "GB/T 16594-2008"),
         ("X射线衍射（XRD）物相分析", "JY/T 0587-2020"), ("高效液相色谱成分分析", "GB/T 16631-2008"),
         ("盐雾腐蚀试验", "GB/T 10125-2021"), ("电磁兼容（EMC）预测试", "GB/T 17626.2-2018"),
         ("三坐标尺寸精密测量", "GB/T 16857.2-2017"), ("热重-差热（TG-DSC）分析", "GB/T 27761-2011"),
         ("红外光谱（FTIR）分析", "GB/T 6040-2019"), ("高低温交变湿热试验", "GB/T 2423.4-2008"))
# Mandatory/statutory testing is outside the voucher's scope (细则 第五条).
STATUTORY_ITEMS = (("强制性产品认证（CCC）型式试验", "GB 4943.1-2022"), ("特种设备定期检验", "TSG 21-2016"),
                   ("计量器具强制检定", "JJG 539-2016"), ("建设工程质量法定检测", "GB 50204-2015"))


def defaults(rng: random.Random, as_of: date) -> dict:
    client = make_org(rng, as_of)
    provider = make_org(rng, as_of, provider=True)
    signed = as_of - timedelta(days=rng.randint(20, 60))
    if signed.year != as_of.year:
        signed = date(as_of.year, 1, rng.randint(2, 10))
    fee = money.norm(rng.choice([3180, 5300, 8480, 10600, 12720, 15900, 21200, 31800, 42400, 53000]))
    return values(rng, client, provider, signed, fee)


def values(rng, client, provider, signed: date, fee: str, statutory: bool = False, items=None) -> dict:
    pool = STATUTORY_ITEMS if statutory else ITEMS
    chosen = items or rng.sample(pool, rng.randint(1, 3) if not statutory else 1)
    return {"contract_number": f"{rng.choice(['XCJC', 'FWHT', 'JSFW', 'YQGX'])}-{signed.year}-{rng.randint(1, 999):03d}",
            "client_name": client.name, "client_uscc": client.uscc, "client_address": client.address,
            "client_rep": client.legal_rep, "client_phone": client.phone,
            "provider_name": provider.name, "provider_uscc": provider.uscc, "provider_address": provider.address,
            "provider_rep": provider.legal_rep, "provider_phone": provider.phone,
            "provider_bank": provider.bank, "provider_account": provider.account,
            "testing_fee": fee, "total_amount": fee, "signed_on": signed.isoformat(),
            "client_seal_present": True, "provider_seal_present": True, "print_uscc": rng.random() < 0.8,
            "items": [list(i) for i in chosen], "pages": rng.choice([1, 2, 2]),
            "body_font": rng.choice(["song", "ming", "song"])}


def fields(v: dict) -> dict:
    f = {k: v[k] for k in ("contract_number", "client_name", "provider_name", "signed_on")}
    f["testing_fee"] = money.norm(v["testing_fee"])
    f["total_amount"] = money.norm(v["total_amount"])
    if v["print_uscc"]:
        f["client_uscc"], f["provider_uscc"] = v["client_uscc"], v["provider_uscc"]
    f["client_seal_present"] = bool(v["client_seal_present"])
    f["provider_seal_present"] = bool(v["provider_seal_present"])
    return f


def extra(v: dict) -> dict:
    return {"testing_items": [i[0] for i in v["items"]]}


CLAUSES = ("二、服务方式：乙方利用其纳入许昌市科研设施与仪器共享服务平台的科研设施和仪器，按照约定的方法标准为甲方提供检验检测服务，并出具检测报告。",
           "三、服务期限：乙方应在收到甲方样品及全部费用后十五个工作日内完成检测并出具报告。",
           "五、付款方式：甲方应在合同签订后十个工作日内通过银行转账一次性支付全部费用，乙方收款后开具增值税发票。",
           "六、保密与知识产权：乙方对甲方提供的样品、技术资料及检测数据负有保密义务，未经甲方书面同意不得向第三方披露；检测数据及报告的知识产权归甲方所有。",
           "七、违约责任：任何一方违反本合同约定，应承担相应的违约责任，并赔偿因此给对方造成的损失。",
           "八、争议解决：因本合同引起的争议，双方应协商解决；协商不成的，任何一方可向合同签订地人民法院提起诉讼。",
           "九、本合同一式肆份，甲乙双方各执贰份，具有同等法律效力，自双方签字盖章之日起生效。")


def _party_block(p, x, y, fam, role, name, uscc, address, rep, phone, print_uscc) -> float:
    lh = 7.2
    p.text(x, y, f"{role}：{name}", fam, 11)
    y += lh
    if print_uscc:
        p.text(x, y, f"统一社会信用代码：{uscc}", fam, 11)
        y += lh
    p.wrap(x, y, 155, f"住所：{address}", fam, 11, 1.3)
    y += lh
    p.text(x, y, f"法定代表人：{rep}", fam, 11)
    p.text(x + 80, y, f"联系电话：{phone}", fam, 11)
    return y + lh * 1.4


def render(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    fam = v["body_font"]
    p1 = Page(210, 297, dpi)
    pages = [p1]
    p = p1
    p.text(185, 24, f"合同编号：{v['contract_number']}", fam, 10.5, anchor="rs")
    p.text(105, 42, "检验检测技术服务合同", "hei_bold", 20, anchor="ms", tracking=1.5)
    left, right = 25, 185
    y = 58
    y = _party_block(p, left, y, fam, "甲方（委托方）", v["client_name"], v["client_uscc"], v["client_address"],
                     v["client_rep"], v["client_phone"], v["print_uscc"])
    y = _party_block(p, left, y, fam, "乙方（服务方）", v["provider_name"], v["provider_uscc"], v["provider_address"],
                     v["provider_rep"], v["provider_phone"], v["print_uscc"])
    y = p.wrap(left, y, right - left, "根据《中华人民共和国民法典》及许昌市科研设施和仪器开放共享的有关规定，甲乙双方经友好协商，"
               "就甲方委托乙方提供检验检测技术服务事宜，达成如下协议：", fam, 11, 1.7, indent=p.width("　　", fam, 11)) + 9
    p.text(left, y, "一、检测项目及费用", "hei", 11)
    y += 4
    cols = [left, left + 12, left + 78, left + 118, left + 135, right]
    heads = ["序号", "检测项目", "检测依据/方法", "数量", "金额（元）"]
    fee = money.to_decimal(v["testing_fee"])
    n = len(v["items"])
    shares = [money.to_decimal(fee / n)] * n
    shares[-1] = fee - sum(shares[:-1])
    rows = [heads] + [[str(i + 1), it[0], it[1], f"{rng.randint(1, 6)}", money.with_commas(s)]
                      for i, (it, s) in enumerate(zip(v["items"], shares))]
    rows.append(["", "合计", "", "", money.with_commas(fee)])
    for r, row in enumerate(rows):
        p.rect(left, y, right, y + 9, w=0.3)
        for c in range(1, 5):
            p.line(cols[c], y, cols[c], y + 9, w=0.3)
        for c, cell in enumerate(row):
            fsize = 10 if len(cell) < 14 else 9
            p.text((cols[c] + cols[c + 1]) / 2, y + 6.3, cell, "hei" if r == 0 else fam, fsize, anchor="ms")
        y += 9
    y += 9
    words = money.daxie(fee)
    y = p.wrap(left, y, right - left, f"检验检测费用：人民币{words}（¥{money.with_commas(fee)}），以上费用含税。", fam, 11, 1.7) + 7.5
    p.text(left, y, f"合同总金额：人民币{money.daxie(v['total_amount'])}（¥{money.with_commas(v['total_amount'])}）。", fam, 11)
    y += 9
    split = 3 if v["pages"] == 2 else len(CLAUSES)
    scratch = Page(210, 297, 72) if v["pages"] == 1 else None
    for clause in CLAUSES[:split]:
        if scratch is not None:
            # A one-page contract keeps room for the signature block (~52 mm):
            # real one-page contracts have fewer clauses, not a block off the page.
            needed = scratch.wrap(left, 0, right - left, clause, fam, 11, 1.7) + 8
            if y + needed + 52 > 282:
                break
        y = p.wrap(left, y, right - left, clause, fam, 11, 1.7) + 8
    if v["pages"] == 2:
        p.text(105, 285, "第 1 页 共 2 页", fam, 9, anchor="ms")
        p = Page(210, 297, dpi)
        pages.append(p)
        y = 30
        for clause in CLAUSES[split:]:
            y = p.wrap(left, y, right - left, clause, fam, 11, 1.7) + 8
        p.text(105, 285, "第 2 页 共 2 页", fam, 9, anchor="ms")
    y += 10
    blocks = [(left, "甲方（盖章）：", v["client_name"], v["client_rep"], v["client_seal_present"], "合同专用章"),
              (left + 85, "乙方（盖章）：", v["provider_name"], v["provider_rep"], v["provider_seal_present"],
               rng.choice(["合同专用章", None]))]
    signed = d(v["signed_on"])
    for x, label, name, rep, sealed, purpose in blocks:
        p.text(x, y, label, fam, 11)
        p.wrap(x, y + 8, 70, name, fam, 11, 1.3)
        xs = p.text(x, y + 24, "法定代表人或授权代表（签字）：", fam, 10)
        a = signature(rep, dpi, rng, height_mm=7)
        p.stamp(a, ink(rng), x + 10 + a.shape[1] * 12.7 / dpi, y + 31)
        p.text(x, y + 42, f"签订日期：{ymd(signed)}", fam, 11)
        if sealed:
            alpha = round_seal(name, dpi, rng, purpose=purpose, diameter_mm=rng.uniform(40, 44))
            bbox = p.stamp(alpha, seal_color(rng), x + 35 + rng.uniform(-6, 6), y + 16 + rng.uniform(-4, 4))
            p.seals.append({"page": len(pages), "bbox": bbox, "color": "red", "shape": "round", "text": name})
    if v["pages"] == 2 and v["provider_seal_present"]:
        _seam_seal(pages, v["provider_name"], dpi, rng)
    return pages


def _seam_seal(pages, name, dpi, rng):
    """骑缝章: one stamp across the right edge of the stacked sheets, half on each page."""
    alpha = round_seal(name, dpi, rng, diameter_mm=40)
    color = seal_color(rng)
    h, w = alpha.shape
    cy = 150 + rng.uniform(-20, 20)
    for i, p in enumerate(pages):
        part = alpha[:, : w // 2] if i == 0 else alpha[:, w // 2:]
        piece = part.copy()
        # each sheet carries its own slice; here half the disc sits on each page's right margin
        bbox = p.stamp(piece, color, p.w_mm - piece.shape[1] * 25.4 / dpi / 2, cy)
        p.seals.append({"page": i + 1, "bbox": bbox, "color": "red", "shape": "round", "text": name})
