"""检验检测技术服务合同: parties with USCC, test-item table, fee in words and figures, two seals.

Families: classic (party blocks, ruled fee table, 合同总金额 line); party_table (both parties side by
side in one table with bank lines, the total stated in a clause under another label: 合同总价 /
总价款 / 合同金额 / 价款合计); entrust_form (a landscape 检验检测委托合同 form, full grid, no USCC,
合计（大写…）（小写…）); cover_page (a 技术服务合同 booklet: cover page, party blocks with the
provider's bank account, the amount only inside the payment clause, signatures on the last page); clause_amount (one page,
甲方（委托方）/乙方（受托方） blocks with the bank line, 本合同总金额为人民币…元 in a clause, 签订时间);
payment_schedule (委托方（甲方）/受托方（乙方） with 联系方式 lines, the fee stated in the payment article of the
MOST 技术服务合同 model (技术服务费总额为… / 报酬总额 / 检测费用共计…) beside its instalments (首期款…, 余款…),
the figures and the words in either order).
"""
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
    if v.get("pay_style") != "fee_sentence":  # that clause states the fee only: no contract total is printed
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


def _classic(v: dict, dpi: int, rng: random.Random) -> list[Page]:
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


# --- other families ---------------------------------------------------------------------------
TOTAL_LABELS = ("合同总价", "总价款", "合同金额", "价款合计", "合同总额")
FEE_LABELS = ("检测费", "检验检测费", "技术服务费（检验检测费）", "检测费用")


def for_family(v: dict, family: str, rng: random.Random) -> dict:
    v["family"] = family
    v.setdefault("total_label", rng.choice(TOTAL_LABELS))
    v.setdefault("fee_label", rng.choice(FEE_LABELS))
    v.setdefault("number_label", rng.choice(["合同编号", "编号", "合同编号"]))
    v.setdefault("family_font", rng.choice(["song", "ming", "kai", "song"]))
    v.setdefault("place", rng.choice(["许昌市魏都区", "许昌市", "许昌市城乡一体化示范区", "许昌市建安区"]))
    if family == "entrust_form":
        v["print_uscc"] = False  # the form has no USCC row: absent from the truth
    if family == "cover_page":
        v["pages"] = 3
    if family == "payment_schedule":
        v["print_uscc"] = False  # the model text's party block has no USCC line: absent from the truth
        v.setdefault("pay_style", rng.choice(["total_words", "words_first", "fee_sentence", "percent_lines"]))
    return v


def _seal(p: Page, pages_n, name, dpi, rng, cx, cy, sealed, purpose=None):
    if sealed:
        alpha = round_seal(name, dpi, rng, purpose=purpose, diameter_mm=rng.uniform(40, 44))
        bbox = p.stamp(alpha, seal_color(rng), cx, cy)
        p.seals.append({"page": pages_n, "bbox": bbox, "color": "red", "shape": "round", "text": name})


def _sign(p: Page, name, dpi, rng, x, y, h=7.0):
    a = signature(name, dpi, rng, height_mm=h)
    p.stamp(a, ink(rng), x + 4 + a.shape[1] * 12.7 / dpi, y - 2)


def _sign_side_by_side(p: Page, v: dict, dpi: int, rng: random.Random, x: float, y: float, fam: str, roles,
                       signer: str, date_label: str, purposes=None) -> None:
    """Both parties' sign-offs side by side: the party's line, the signer's label and hand, the date
    and the party's seal over the block (its purpose drawn from `purposes`, when given)."""
    signed = d(v["signed_on"])
    for dx, role, name, rep, sealed in ((0, roles[0], v["client_name"], v["client_rep"], v["client_seal_present"]),
                                        (86, roles[1], v["provider_name"], v["provider_rep"],
                                         v["provider_seal_present"])):
        p.text(x + dx, y, role, fam, 10.5)
        xs = p.text(x + dx, y + 12, signer, fam, 10.5)
        _sign(p, rep, dpi, rng, xs, y + 12)
        p.text(x + dx, y + 24, f"{date_label}：{ymd(signed, 'padded')}", fam, 10.5)
        cx, cy = x + dx + 40 + rng.uniform(-6, 6), y + 8 + rng.uniform(-3, 3)
        _seal(p, 1, name, dpi, rng, cx, cy, sealed, rng.choice(purposes) if purposes else None)


def _items_with_shares(v):
    fee = money.to_decimal(v["testing_fee"])
    n = len(v["items"])
    shares = [money.to_decimal(fee / n)] * n
    shares[-1] = fee - sum(shares[:-1])
    return fee, shares


def _party_table(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    fam = v["family_font"]
    p = Page(210, 297, dpi)
    left, right = 20, 190
    p.text(left, 22, f"{v['number_label']}：{v['contract_number']}", fam, 10.5)
    p.text(105, 40, rng.choice(["技术服务合同", "检验检测服务合同", "技术服务合同书"]), "song_bold", 20, anchor="ms", tracking=2)
    y = 50
    mid, lab = 105, 30
    heads = (("甲方（委托方）", v["client_name"]), ("乙方（受托方）", v["provider_name"]))
    rows = [("单位名称", v["client_name"], v["provider_name"])]
    if v["print_uscc"]:
        rows.append(("统一社会信用代码", v["client_uscc"], v["provider_uscc"]))
    rows += [("地址", v["client_address"], v["provider_address"]),
             ("法定代表人", v["client_rep"], v["provider_rep"]),
             ("联系电话", v["client_phone"], v["provider_phone"]),
             ("开户银行", "", v["provider_bank"]), ("账号", "", v["provider_account"])]
    rh = 9.5
    p.rect(left, y, right, y + rh * (len(rows) + 1), 0.3)
    p.line(mid, y, mid, y + rh * (len(rows) + 1), 0.3)
    for c, (h, _) in enumerate(heads):
        p.text((left + mid) / 2 if c == 0 else (mid + right) / 2, y + 6.5, h, "hei", 10.5, anchor="ms")
    yy = y + rh
    for label, a, b in rows:
        p.line(left, yy, right, yy, 0.3)
        for x0, val in ((left, a), (mid, b)):
            p.line(x0 + lab, yy, x0 + lab, yy + rh, 0.2)
            p.text(x0 + 1.5, yy + 6.3, label, fam, 8.5 if len(label) > 5 else 9.5)
            if val:
                size = 9.5 if len(val) < 20 else (8 if len(val) < 26 else 7)
                p.wrap(x0 + lab + 1.5, yy + 6.3, mid - left - lab - 3, val, fam, size, 1.1, max_lines=1)
        yy += rh
    y = yy + 10
    fee, shares = _items_with_shares(v)
    body = [f"第一条 服务内容：乙方按照约定的检测方法和标准，为甲方提供下列检验检测服务：" +
            "；".join(f"{it[0]}（{it[1]}）" for it in v["items"]) + "。",
            f"第二条 {v['fee_label']}：" + "，".join(f"{it[0]}{money.with_commas(s)}元" for it, s in zip(v["items"], shares))
            + f"，共计人民币{money.daxie(fee)}（¥{money.with_commas(fee)}）。",
            f"第三条 本合同{v['total_label']}为人民币{money.daxie(v['total_amount'])}（小写：{money.norm(v['total_amount'])}元），"
            "含税，甲方于合同签订后七个工作日内一次性支付至乙方上述账户。",
            "第四条 乙方在收到样品及款项后十五个工作日内出具检测报告；甲方对检测结果有异议的，应在收到报告后十日内书面提出。",
            "第五条 双方对在履行本合同中知悉的对方商业秘密负有保密义务。",
            "第六条 本合同未尽事宜由双方协商解决；协商不成的，提交合同签订地人民法院诉讼解决。本合同一式贰份，双方各执壹份。"]
    for para in body:
        y = p.wrap(left, y, right - left, para, fam, 10.5, 1.7, indent=p.width("　　", fam, 10.5)) + 8
    y += 8
    signed = d(v["signed_on"])
    for x, role, name, rep, sealed, purpose in ((left, "甲方（盖章）", v["client_name"], v["client_rep"], v["client_seal_present"], None),
                                                (mid + 5, "乙方（盖章）", v["provider_name"], v["provider_rep"], v["provider_seal_present"], "合同专用章")):
        p.text(x, y, role, fam, 10.5)
        xs = p.text(x, y + 14, "授权代表：", fam, 10.5)
        _sign(p, rep, dpi, rng, xs, y + 14)
        p.text(x, y + 26, f"日期：{ymd(signed, 'padded')}", fam, 10.5)
        _seal(p, 1, name, dpi, rng, x + 40 + rng.uniform(-6, 6), y + 8 + rng.uniform(-4, 4), sealed, purpose)
    return [p]


def _entrust_form(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    """Landscape, everything in a full grid; the total only as 合计（大写）…（小写）…."""
    fam = v["family_font"]
    p = Page(297, 210, dpi)
    L, R = 18, 279
    p.text(148.5, 22, "检验检测委托合同", "hei_bold", 18, anchor="ms", tracking=2)
    p.text(R, 31, f"{v['number_label']}：{v['contract_number']}", fam, 10, anchor="rs")
    y = 34
    rh = 9
    c1, c2, c3 = L + 26, 148, 148 + 26
    grid = [("委托单位", v["client_name"], "检测单位", v["provider_name"]),
            ("地　　址", v["client_address"], "地　　址", v["provider_address"]),
            ("法定代表人", v["client_rep"], "法定代表人", v["provider_rep"]),
            ("电　　话", v["client_phone"], "电　　话", v["provider_phone"])]
    for a, av, b, bv in grid:
        p.rect(L, y, R, y + rh, 0.3)
        for x in (c1, c2, c3):
            p.line(x, y, x, y + rh, 0.3)
        p.text(L + 2, y + 6.2, a, fam, 10)
        p.text(c2 + 2, y + 6.2, b, fam, 10)
        for x0, val in ((c1, av), (c3, bv)):
            size = 10 if len(val) < 22 else 8.5
            p.wrap(x0 + 2, y + 6.2, c2 - c1 - 4, val, fam, size, 1.1, max_lines=1)
        y += rh
    y += 4
    cols = [L, L + 14, L + 84, L + 150, L + 175, L + 210, R]
    heads = ["序号", "检测项目", "检测依据", "样品数量", "单价（元）", "金额（元）"]
    fee, shares = _items_with_shares(v)
    rows = [heads] + [[str(i + 1), it[0], it[1], "1", money.with_commas(s), money.with_commas(s)]
                      for i, (it, s) in enumerate(zip(v["items"], shares))]
    for r, row in enumerate(rows):
        p.rect(L, y, R, y + rh, 0.3)
        for x in cols[1:-1]:
            p.line(x, y, x, y + rh, 0.3)
        for c, cell in enumerate(row):
            p.text((cols[c] + cols[c + 1]) / 2, y + 6.2, cell, "hei" if r == 0 else fam, 9.5 if len(cell) < 16 else 8.5,
                   anchor="ms")
        y += rh
    p.rect(L, y, R, y + rh, 0.3)
    # the value cell starts after the label: a long label (技术服务费（检验检测费）) widens its cell
    # instead of being overprinted by the value
    xv = max(c1, p.width(v["fee_label"], fam, 10) + L + 4)
    p.line(xv, y, xv, y + rh, 0.3)
    p.text(L + 2, y + 6.2, v["fee_label"], fam, 10)
    p.text(xv + 2, y + 6.2, f"¥{money.norm(fee)}", fam, 10)
    y += rh
    p.rect(L, y, R, y + rh, 0.3)
    p.text(L + 2, y + 6.2, f"合计（大写）：人民币{money.daxie(v['total_amount'])}", fam, 10.5)
    p.text(L + 160, y + 6.2, f"（小写）：¥{money.with_commas(v['total_amount'])}", fam, 10.5)
    y += rh + 7
    for clause in ("约定事项：1. 委托方对所提供样品和资料的真实性负责；2. 检测方在收到样品和费用后十个工作日内出具检测报告；",
                   "3. 费用以银行转账方式支付，检测方收款后开具增值税发票；4. 本合同经双方签字盖章后生效，一式贰份，双方各执壹份。"):
        y = p.wrap(L, y, R - L, clause, fam, 10, 1.5) + 6.5
    y += 6
    signed = d(v["signed_on"])
    for x, role, name, rep, sealed in ((L + 10, "委托方（盖章）：", v["client_name"], v["client_rep"], v["client_seal_present"]),
                                       (c2 + 10, "检测方（盖章）：", v["provider_name"], v["provider_rep"], v["provider_seal_present"])):
        p.text(x, y, role, fam, 10.5)
        xs = p.text(x, y + 12, "经办人：", fam, 10.5)
        _sign(p, rep, dpi, rng, xs, y + 12)
        p.text(x, y + 24, f"签约日期：{ymd(signed, rng.choice(['plain', 'padded', 'dash']))}", fam, 10.5)
        _seal(p, 1, name, dpi, rng, x + 60 + rng.uniform(-8, 8), y + 8 + rng.uniform(-4, 4), sealed, "合同专用章")
    return [p]


def _cover_page(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    fam = v["family_font"]
    signed = d(v["signed_on"])
    cover = Page(210, 297, dpi)
    cover.text(30, 40, f"{v['number_label']}：{v['contract_number']}", fam, 11)
    cover.text(105, 95, "技术服务合同", "song_bold", 30, anchor="ms", tracking=5)
    y = 140
    for label, value in (("项目名称", f"{v['items'][0][0]}等检验检测技术服务"), ("委托方（甲方）", v["client_name"]),
                         ("受托方（乙方）", v["provider_name"]), ("签订时间", ymd(signed, "padded")),
                         ("签订地点", v["place"]), ("有效期限", f"{ymd(signed, 'padded')}至{signed.year}年12月31日")):
        cover.text(40, y, f"{label}：", fam, 13)
        cover.line(78, y + 1.5, 180, y + 1.5, 0.3)
        cover.text(80, y, value, fam, 12 if len(value) < 22 else 10)
        y += 15
    cover.text(105, 270, "中华人民共和国科学技术部印制", fam, 12, anchor="ms")
    body = Page(210, 297, dpi)
    left, right = 25, 185
    y = 30
    for role, name, uscc, addr, rep, phone, bank in (
            ("委托方（甲方）", v["client_name"], v["client_uscc"], v["client_address"], v["client_rep"], v["client_phone"], None),
            ("受托方（乙方）", v["provider_name"], v["provider_uscc"], v["provider_address"], v["provider_rep"], v["provider_phone"],
             (v["provider_bank"], v["provider_account"]))):
        body.text(left, y, f"{role}：{name}", fam, 11)
        y += 7.5
        if v["print_uscc"]:
            body.text(left + 8, y, f"统一社会信用代码：{uscc}", fam, 10.5)
            y += 7
        body.wrap(left + 8, y, right - left - 8, f"住 所 地：{addr}", fam, 10.5, 1.3)
        y += 7
        body.text(left + 8, y, f"法定代表人：{rep}", fam, 10.5)
        body.text(left + 80, y, f"电　　话：{phone}", fam, 10.5)
        y += 7
        if bank:
            body.text(left + 8, y, f"开户银行：{bank[0]}", fam, 10.5)
            body.text(left + 80, y, f"账　　号：{bank[1]}", fam, 10.5)
            y += 7
        y += 5
    fee = money.to_decimal(v["testing_fee"])
    clauses = ["本合同甲方委托乙方就下列项目进行技术服务，并支付技术服务报酬。双方经过平等协商，在真实、充分地表达各自意愿的基础上，"
               "根据《中华人民共和国民法典》的规定，达成如下协议，并由双方共同恪守。",
               "第一条 技术服务的内容：" + "；".join(f"{it[0]}，依据{it[1]}" for it in v["items"]) + "。",
               "第二条 乙方应当按照下列要求完成技术服务工作：服务地点为乙方实验室；服务期限为本合同生效后二十个工作日内。",
               "第三条 甲方应当按照下列要求为乙方提供工作条件和协作事项：提供样品及相关技术资料。",
               f"第四条 技术服务报酬及支付方式：{v['fee_label']}为人民币{money.daxie(fee)}（¥{money.with_commas(fee)}）。"
               f"本合同{v['total_label']}人民币{money.daxie(v['total_amount'])}，由甲方在合同生效后十日内一次支付给乙方。",
               "第五条 双方确定因履行本合同应遵守的保密义务：保密内容包括技术信息和经营信息，保密期限为三年。",
               "第六条 违约责任：任何一方违反本合同约定，应当按照《中华人民共和国民法典》的有关规定承担违约责任。",
               "第七条 双方因履行本合同而发生的争议，应协商、调解解决；协商、调解不成的，依法向人民法院起诉。"]
    for c in clauses:
        y = body.wrap(left, y, right - left, c, fam, 10.5, 1.75, indent=body.width("　　", fam, 10.5)) + 8
    body.text(105, 285, "第 2 页", fam, 9, anchor="ms")
    last = Page(210, 297, dpi)
    last.text(left, 30, "第八条 本合同自双方签字盖章之日起生效。（以下无正文）", fam, 10.5)
    y = 50
    for role, name, rep, sealed in (("委托方（甲方）", v["client_name"], v["client_rep"], v["client_seal_present"]),
                                    ("受托方（乙方）", v["provider_name"], v["provider_rep"], v["provider_seal_present"])):
        last.text(left, y, f"{role}：（盖章）", fam, 11)
        last.text(left + 8, y + 9, f"名称：{name}", fam, 11)
        xs = last.text(left + 8, y + 19, "法定代表人/委托代理人：（签名）", fam, 11)
        _sign(last, rep, dpi, rng, xs, y + 19)
        last.text(left + 8, y + 29, ymd(signed, rng.choice(["plain", "padded"])), fam, 11)
        _seal(last, 3, name, dpi, rng, left + 110 + rng.uniform(-8, 8), y + 14 + rng.uniform(-4, 4), sealed,
              rng.choice(["合同专用章", None]))
        y += 55
    last.text(105, 285, "第 3 页", fam, 9, anchor="ms")
    pages = [cover, body, last]
    if v["provider_seal_present"]:
        _seam_seal(pages, v["provider_name"], dpi, rng)
    return pages


def _clause_amount(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    """A one-page 技术服务合同书 whose party blocks are headed 甲方（委托方）/乙方（受托方） with the
    provider's bank line inside the block, and whose amount is stated only in a clause
    (本合同总金额为人民币…元（大写：…）). Modelled on public 技术服务合同 templates: the clause
    "技术服务费用：总额人民币______元整（大写：人民币______整）" (zhejianglong.com/c/2096734_3.html) and the
    MOST 技术咨询合同 示范文本 party block 委托方（甲方）/住所地/法定代表人/项目联系人/联系方式
    (m.beiweimall.com/hetongfanben/1128842.html), signatures side by side with 签订时间 under each."""
    fam = v["family_font"]
    p = Page(210, 297, dpi)
    left, right = 22, 188
    p.text(105, 30, "技术服务合同书", "hei_bold", 18, anchor="ms", tracking=2)
    p.text(right, 40, f"{v['number_label']}：{v['contract_number']}", fam, 10, anchor="rs")
    y = 52
    for role, name, uscc, addr, rep, phone, bank in (
            ("甲方（委托方）", v["client_name"], v["client_uscc"], v["client_address"], v["client_rep"], v["client_phone"], None),
            ("乙方（受托方）", v["provider_name"], v["provider_uscc"], v["provider_address"], v["provider_rep"],
             v["provider_phone"], (v["provider_bank"], v["provider_account"]))):
        p.text(left, y, f"{role}：{name}", fam, 11)
        y += 7
        if v["print_uscc"]:
            p.text(left + 6, y, f"统一社会信用代码：{uscc}", fam, 10)
            y += 6.5
        p.text(left + 6, y, f"地址：{addr}", fam, 10 if len(addr) < 30 else 9)
        y += 6.5
        p.text(left + 6, y, f"法定代表人：{rep}", fam, 10)
        p.text(left + 70, y, f"联系电话：{phone}", fam, 10)
        y += 6.5
        if bank:
            p.text(left + 6, y, f"开户行：{bank[0]}", fam, 10)
            p.text(left + 92, y, f"账号：{bank[1]}", fam, 10)
            y += 6.5
        y += 4
    fee = money.to_decimal(v["testing_fee"])
    total = money.to_decimal(v["total_amount"])
    ind = p.width("　　", fam, 10.5)
    clauses = ["甲方委托乙方利用其纳入许昌市科研设施与仪器共享服务平台的仪器设备提供检验检测技术服务，"
               "经双方协商一致，签订本合同，共同遵守。",
               "第一条 服务内容：" + "、".join(it[0] for it in v["items"]) + "；检测依据："
               + "、".join(it[1] for it in v["items"]) + "。",
               f"第二条 合同价款：本合同总金额为人民币{money.with_commas(total)}元（大写：{money.daxie(total)}），"
               f"其中{v['fee_label']}{money.with_commas(fee)}元，含增值税。",
               "第三条 付款方式：甲方于本合同签订后十个工作日内将上述款项一次性汇入乙方账户，乙方收款后开具发票。",
               "第四条 乙方应在收到样品后十五个工作日内完成检测并出具检测报告，对检测数据的真实性负责。",
               "第五条 未尽事宜由双方协商解决；协商不成的，任何一方可向甲方所在地人民法院起诉。",
               "第六条 本合同一式两份，甲乙双方各执一份，自双方盖章之日起生效。"]
    for c in clauses:
        y = p.wrap(left, y, right - left, c, fam, 10.5, 1.7, indent=ind) + 7
    y += 8
    _sign_side_by_side(p, v, dpi, rng, left, y, fam, ("甲方（盖章）：", "乙方（盖章）："), "授权代表：", "签订时间",
                       ["合同专用章", None])
    return [p]


def _payment_schedule(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    """A one-page 技术服务合同 after the MOST model text's article on payment ("甲方向乙方支付技术服务
    报酬及支付方式为：1. 技术服务费总额为：____；2. 技术服务费由甲方____（一次、分期或提成）支付乙方。具体
    支付方式和时间如下：…", 技术服务合同 示范文本, m.beiweimall.com/hetongfanben/1128842.html): the parties
    as 委托方（甲方）/受托方（乙方） with 法定代表人 and 联系方式 (a telephone number beside the provider's
    name, whose 检验检测研究院 reads like a fee label), the fee in the payment article with the
    instalments that make it up (首期款 / 余款, in figures), and the 签订日期 under each party."""
    fam = v["family_font"]
    p = Page(210, 297, dpi)
    left, right = 22, 188
    p.text(105, 30, "技术服务合同", "hei_bold", 18, anchor="ms", tracking=2)
    p.text(right, 40, f"{v['number_label']}：{v['contract_number']}", fam, 10, anchor="rs")
    y = 52
    for role, name, rep, phone in (("委托方（甲方）", v["client_name"], v["client_rep"], v["client_phone"]),
                                   ("受托方（乙方）", v["provider_name"], v["provider_rep"], v["provider_phone"])):
        p.text(left, y, f"{role}：{name}", fam, 11)
        y += 7
        p.text(left + 6, y, f"法定代表人：{rep}", fam, 10)
        p.text(left + 70, y, f"联系方式：{phone}", fam, 10)
        y += 10
    fee = money.to_decimal(v["testing_fee"])
    first = money.to_decimal(fee * 3 / 10)
    rest = fee - first
    f, w = money.with_commas(fee), money.daxie(fee)
    pay = {
        "total_words": ["第四条 甲方向乙方支付技术服务报酬及支付方式为：",
                        f"1. 技术服务费总额为：人民币{f}元（大写：{w}）；",
                        "2. 技术服务费由甲方分期支付乙方。具体支付方式和时间如下：",
                        f"（1）合同签订后五个工作日内支付人民币{money.with_commas(first)}元；",
                        f"（2）乙方出具检测报告后五个工作日内支付余款人民币{money.with_commas(rest)}元。"],
        "words_first": ["第四条 技术服务报酬及其支付方式",
                        f"（一）本项目技术服务费总额为：{w}（¥{f}）。",
                        "（二）技术服务费由甲方一次支付乙方，支付时间：合同签订后十个工作日内。"],
        "fee_sentence": ["第四条 报酬及支付：",
                         f"甲方应向乙方支付检测费用共计人民币{f}元整，其中预付款{money.with_commas(first)}元于合同签订"
                         f"之日支付，余款{money.with_commas(rest)}元于报告交付后支付。"],
        "percent_lines": ["第四条 技术服务费及支付方式",
                          f"1. 本合同技术服务报酬总额：¥{f}元，大写：{w}。",
                          f"2. 首期款：合同生效后支付30%，即¥{money.with_commas(first)}元；",
                          f"3. 尾款：提交检测报告后支付70%，即¥{money.with_commas(rest)}元。"],
    }[v["pay_style"]]
    body = ["第一条 服务内容：" + "、".join(it[0] for it in v["items"]) + "；检测依据："
            + "、".join(it[1] for it in v["items"]) + "。",
            "第二条 服务期限：乙方应在收到样品后十五个工作日内完成检测并出具检测报告。",
            "第三条 甲方应按乙方要求提供样品及必要的技术资料，并对其真实性负责。"] + pay + [
            "第五条 本合同一式两份，甲乙双方各执一份，自双方盖章之日起生效。"]
    ind = p.width("　　", fam, 10.5)
    for c in body:
        y = p.wrap(left, y, right - left, c, fam, 10.5, 1.7, indent=ind) + 6
    y += 8
    _sign_side_by_side(p, v, dpi, rng, left, y, fam, ("委托方（盖章）", "受托方（盖章）"), "法定代表人：", "签订日期")
    return [p]


FAMILY_RENDER = {"classic": _classic, "party_table": _party_table, "entrust_form": _entrust_form,
                 "cover_page": _cover_page, "clause_amount": _clause_amount,
                 "payment_schedule": _payment_schedule}


def render(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    return FAMILY_RENDER[v.get("family", "classic")](v, dpi, rng)
