"""增值税发票: paper 专票/普票 images (240 x 140 mm) and the 数电票 as a text-layer PDF.

The QR code carries version,type,code,number,amount,date,checkcode,crc like the real ones,
which gives readers an OCR-independent second source.

Families: classic (the paper 专票/普票 image, or the 数电票 text-layer PDF); paper_multiline (an
older paper 普票 with the big "No" number and a 机器编号 beside the real one, several item lines
summed in a 合计 row); etax_print (a 数电票 printed and scanned: side-by-side party boxes, several
lines, inner rules horizontal only); etax_stacked (a 数电票 专票 with each party's name and id on
labelled lines above and below the items, no table rules, the QR code at the bottom); etax_mono (a
数电票 printed black-and-white, every column ruled, parties in stacked rows, QR code on half of them).
"""
from __future__ import annotations

import hashlib
import io
import random
from datetime import date, datetime, timedelta, timezone

import numpy as np
from PIL import Image

from .. import ids, money
from ..canvas import Page
from ..dates import ymd
from ..entities import make_org
from ..names import person_name
from ..qr import qr_image
from ..seals import oval_seal, seal_color
from . import d

BROWN = (150, 75, 40)
ITEM_NAMES = ("*检验检测服务*检测费", "*研发和技术服务*技术服务费", "*检验检测服务*材料分析测试费",
              "*现代服务*检验检测服务费")


def split_total(total, rate: str):
    """Amount before tax and tax from a tax-inclusive total, so that amount + tax == total."""
    t = money.to_decimal(total)
    r = money.to_decimal(int(rate.rstrip("%")) / 100)
    amount = money.to_decimal(t / (1 + r))
    return money.norm(amount), money.norm(t - amount)


def defaults(rng: random.Random, as_of: date) -> dict:
    buyer = make_org(rng, as_of)
    seller = make_org(rng, as_of, provider=True)
    total = money.norm(rng.choice([3180, 5300, 8480, 10600, 12720, 15900, 21200, 31800]))
    return values(rng, buyer, seller, total, as_of - timedelta(days=rng.randint(3, 20)))


def values(rng, buyer, seller, total: str, issued: date, variant: str | None = None) -> dict:
    variant = variant or rng.choice(["special", "normal", "digital", "digital"])
    rate = rng.choice(["6%", "6%", "3%", "1%"])
    amount, tax = split_total(total, rate)
    v = {"invoice_variant": variant, "issued_on": issued.isoformat(),
         "buyer_name": buyer.name, "buyer_tax_id": buyer.uscc,
         "buyer_addr_tel": f"{buyer.address} {buyer.phone}", "buyer_bank": f"{buyer.bank}许昌{rng.choice(['分行', '支行', '营业部'])} {buyer.account}",
         "seller_name": seller.name, "seller_tax_id": seller.uscc,
         "seller_addr_tel": f"{seller.address} {seller.phone}", "seller_bank": f"{seller.bank}许昌{rng.choice(['分行', '支行'])} {seller.account}",
         "amount": amount, "tax": tax, "total": total, "rate": rate, "item": rng.choice(ITEM_NAMES),
         "seal": True, "payee": person_name(rng)[0], "reviewer": person_name(rng)[0], "drawer": person_name(rng)[0]}
    if variant == "digital":
        v["invoice_number"] = f"{issued:%y}" + "41" + ids.digits(rng, 16, first_nonzero=False)
    else:
        year = issued.strftime("%y")
        v["invoice_code"] = ("41" + ids.digits(rng, 2) + year + "0" + ids.digits(rng, 3)) if variant == "special" \
            else ("0" + "41" + ids.digits(rng, 2) + year + "0" + ids.digits(rng, 4))
        v["invoice_number"] = ids.digits(rng, 8, first_nonzero=False)
        if variant == "normal":
            v["check_code"] = ids.digits(rng, 20, first_nonzero=False)
    return v


def fields(v: dict) -> dict:
    f = {k: v[k] for k in ("invoice_number", "issued_on", "buyer_name", "buyer_tax_id", "seller_name", "seller_tax_id")}
    if v.get("invoice_code"):
        f["invoice_code"] = v["invoice_code"]
    for k in ("amount", "tax", "total"):
        f[k] = money.norm(v[k])
    f["total_in_words"] = money.norm(v["total"])
    return f


def qr_payload(v: dict) -> str:
    kind = {"special": "01", "normal": "04", "digital": "32"}[v["invoice_variant"]]
    code = v.get("invoice_code", "")
    issued = d(v["issued_on"]).strftime("%Y%m%d")
    check = v.get("check_code", "")
    body = f"01,{kind},{code},{v['invoice_number']},{money.norm(v['amount'])},{issued},{check}"
    crc = hashlib.md5(body.encode()).hexdigest()[:4].upper()
    return f"{body},{crc}"


def _classic(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    if v["invoice_variant"] == "digital":
        pdf = render_pdf(v)
        return [_raster_page(pdf, dpi)]
    return [_paper(v, dpi, rng)]


def _paper(v: dict, dpi: int, rng: random.Random) -> Page:
    p = Page(240, 140, dpi)
    fam = "song"
    special = v["invoice_variant"] == "special"
    p.img.paste(qr_image(qr_payload(v), p.px(20)), (p.px(10), p.px(6)))
    title = "河南增值税专用发票" if special else "河南增值税普通发票"
    p.text(120, 15, title, "kai", 20, BROWN, anchor="ms", tracking=1.5)
    p.line(82, 18, 158, 18, 0.35, BROWN)
    p.line(82, 19.2, 158, 19.2, 0.35, BROWN)
    p.text(120, 25, "发 票 联", "song", 10, BROWN, anchor="ms")
    p.text(36, 12, f"{v['invoice_code']}", "mono", 11)
    p.text(170, 10, "发票代码：", fam, 9, BROWN)
    p.text(188, 10, v["invoice_code"], "mono", 10)
    p.text(170, 16, "发票号码：", fam, 9, BROWN)
    p.text(188, 16, v["invoice_number"], "mono", 10)
    p.text(170, 22, "开票日期：", fam, 9, BROWN)
    p.text(188, 22, ymd(d(v["issued_on"]), "padded"), fam, 10)
    if v.get("check_code"):
        p.text(170, 28, "校 验 码：", fam, 9, BROWN)
        cc = v["check_code"]
        p.text(188, 28, " ".join(cc[i:i + 5] for i in range(0, 20, 5)), "mono", 8)
    x0, x1 = 8, 232
    y0 = 31

    def party(y, role, name, tax, addr, bank):
        p.line(x0, y + 22, x1, y + 22, 0.35, BROWN)
        p.line(x0 + 8, y, x0 + 8, y + 22, 0.35, BROWN)
        for i, ch in enumerate(role):
            p.text(x0 + 4, y + 5 + i * 5, ch, fam, 9, BROWN, anchor="ms")
        p.line(140, y, 140, y + 22, 0.35, BROWN)
        labels = ("名　　　　称：", "纳税人识别号：", "地 址、电 话：", "开户行及账号：")
        for i, (lab, val) in enumerate(zip(labels, (name, tax, addr, bank))):
            yy = y + 5 + i * 5
            p.text(x0 + 10, yy, lab, fam, 8, BROWN)
            p.text(x0 + 33, yy, val, "mono" if i == 1 else fam, 9 if i < 2 else 7.5)

    party(y0, "购买方", v["buyer_name"], v["buyer_tax_id"], v["buyer_addr_tel"], v["buyer_bank"])
    p.text(143, y0 + 4, "密", fam, 8, BROWN)
    p.text(143, y0 + 12, "码", fam, 8, BROWN)
    p.text(143, y0 + 20, "区", fam, 8, BROWN)
    crypt = "0123456789+-*/<>"
    for i in range(4):
        p.text(149, y0 + 5 + i * 5, "".join(rng.choice(crypt) for _ in range(27)), "mono", 8.5)
    # item lines
    y = y0 + 22
    heads = [("货物或应税劳务、服务名称", 8, 62), ("规格型号", 62, 84), ("单 位", 84, 96), ("数 量", 96, 110),
             ("单 价", 110, 140), ("金 额", 140, 172), ("税率", 172, 186), ("税 额", 186, 232)]
    for name, a, b in heads:
        p.text((a + b) / 2, y + 4.5, name, fam, 8, BROWN, anchor="ms")
    amount, tax = money.to_decimal(v["amount"]), money.to_decimal(v["tax"])
    row = [v["item"], "", "次", "1", f"{amount:.2f}", f"{amount:.2f}", v["rate"], f"{tax:.2f}"]
    for (name, a, b), cell in zip(heads, row):
        if name.startswith("货物"):
            p.text(a + 2, y + 11, cell, fam, 8.5)
        else:
            p.text(b - 2, y + 11, cell, "mono" if cell and cell[0].isdigit() else fam, 8.5, anchor="rs")
    p.text(35, y + 35, "合　　计", fam, 9, BROWN, anchor="ms")
    p.text(170, y + 35, f"¥{amount:.2f}", "mono", 9, anchor="rs")
    p.text(230, y + 35, f"¥{tax:.2f}", "mono", 9, anchor="rs")
    y += 38
    p.line(x0, y, x1, y, 0.35, BROWN)
    p.text(x0 + 3, y + 5.5, "价税合计（大写）", fam, 9, BROWN)
    p.text(x0 + 34, y + 5.5, "⊗" + money.daxie(v["total"]), fam, 10)
    p.text(160, y + 5.5, "（小写）", fam, 9, BROWN)
    p.text(175, y + 5.5, f"¥{money.to_decimal(v['total']):.2f}", "mono", 10)
    y += 8
    p.line(x0, y, x1, y, 0.35, BROWN)
    party(y, "销售方", v["seller_name"], v["seller_tax_id"], v["seller_addr_tel"], v["seller_bank"])
    p.text(143, y + 11, "备", fam, 8, BROWN)
    p.text(143, y + 17, "注", fam, 8, BROWN)
    p.line(148, y, 148, y + 22, 0.35, BROWN)
    p.rect(x0, y0, x1, y + 22, 0.4, BROWN)
    p.text(12, 130, f"收款人：{v['payee']}", fam, 9, BROWN)
    p.text(62, 130, f"复核：{v['reviewer']}", fam, 9, BROWN)
    p.text(112, 130, f"开票人：{v['drawer']}", fam, 9, BROWN)
    p.text(162, 130, "销售方：（章）", fam, 9, BROWN)
    if v.get("seal", True):
        alpha = oval_seal(v["seller_name"], v["seller_tax_id"], dpi, rng)
        bbox = p.stamp(alpha, seal_color(rng), 200 + rng.uniform(-6, 6), 120 + rng.uniform(-4, 4))
        p.seals.append({"page": 1, "bbox": bbox, "color": "red", "shape": "oval", "text": v["seller_name"]})
    return p


# --- 数电票 --------------------------------------------------------------------------------------
FIXED_DATE = datetime(2026, 1, 1, tzinfo=timezone.utc)


def render_pdf(v: dict) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format=(210, 140))
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_producer("docintake corpus")
    pdf.set_auto_page_break(False)
    pdf.add_font("ming", fname="/usr/share/fonts/truetype/arphic/uming.ttc", collection_font_number=0)
    pdf.add_font("kai", fname="/usr/share/fonts/truetype/arphic/ukai.ttc", collection_font_number=0)
    pdf.add_page()
    red = (160, 60, 40)
    special = "增值税专用发票" in v.get("title", "") or v.get("digital_special", False)
    title = "电子发票（增值税专用发票）" if special else "电子发票（普通发票）"
    pdf.set_text_color(*red)
    pdf.set_font("kai", size=18)
    pdf.set_xy(0, 8)
    pdf.cell(210, 10, title, align="C")
    pdf.set_draw_color(*red)
    pdf.set_line_width(0.3)
    pdf.line(62, 19.5, 148, 19.5)
    pdf.line(62, 20.5, 148, 20.5)
    qr = qr_image(qr_payload(v), 300)
    buf = io.BytesIO()
    qr.convert("L").save(buf, "PNG")
    pdf.image(buf, x=10, y=6, w=20, h=20)
    pdf.set_font("ming", size=9)
    pdf.text(150, 12, "发票号码：")
    pdf.text(150, 18, "开票日期：")
    pdf.set_text_color(0, 0, 0)
    pdf.text(166, 12, v["invoice_number"])
    pdf.text(166, 18, ymd(d(v["issued_on"]), "padded"))
    # parties side by side
    pdf.rect(8, 28, 194, 96)
    pdf.line(8, 50, 202, 50)
    pdf.line(105, 28, 105, 50)
    pdf.line(14, 28, 14, 50)
    pdf.line(111, 28, 111, 50)
    pdf.set_text_color(*red)
    for x, role in ((9.5, "购买方信息"), (106.5, "销售方信息")):
        for i, ch in enumerate(role):
            pdf.text(x, 32 + i * 4.2, ch)
    for x, name, tax in ((16, v["buyer_name"], v["buyer_tax_id"]), (113, v["seller_name"], v["seller_tax_id"])):
        pdf.set_text_color(*red)
        pdf.text(x, 36, "名称：")
        pdf.text(x, 44, "统一社会信用代码/纳税人识别号：")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("ming", size=10)
        pdf.text(x + 10, 36, name)
        pdf.text(x + 49, 44, tax)
        pdf.set_font("ming", size=9)
    cols = [("项目名称", 10), ("规格型号", 62), ("单位", 84), ("数量", 98), ("单价", 114), ("金额", 138), ("税率/征收率", 160), ("税额", 186)]
    pdf.set_text_color(*red)
    for name, x in cols:
        pdf.text(x, 55, name)
    pdf.set_text_color(0, 0, 0)
    amount, tax = money.to_decimal(v["amount"]), money.to_decimal(v["tax"])
    for (name, x), cell in zip(cols, [v["item"], "", "次", "1", f"{amount:.2f}", f"{amount:.2f}", v["rate"], f"{tax:.2f}"]):
        pdf.text(x, 61, cell)
    pdf.set_text_color(*red)
    pdf.text(20, 92, "合　　计")
    pdf.set_text_color(0, 0, 0)
    pdf.text(138, 92, f"¥{amount:.2f}")
    pdf.text(186, 92, f"¥{tax:.2f}")
    pdf.line(8, 95, 202, 95)
    pdf.set_text_color(*red)
    pdf.text(10, 101, "价税合计（大写）")
    pdf.text(130, 101, "（小写）")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("ming", size=10)
    pdf.text(40, 101, "ⓧ" + money.daxie(v["total"]))
    pdf.text(144, 101, f"¥{money.to_decimal(v['total']):.2f}")
    pdf.line(8, 104, 202, 104)
    pdf.set_font("ming", size=9)
    pdf.set_text_color(*red)
    pdf.text(10, 112, "备")
    pdf.text(10, 118, "注")
    pdf.line(14, 104, 14, 124)
    pdf.text(12, 131, "开票人：")
    pdf.set_text_color(0, 0, 0)
    pdf.text(26, 131, v["drawer"])
    return bytes(pdf.output())


def _raster_page(pdf_bytes: bytes, dpi: int) -> Page:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf_bytes)
    img = doc[0].render(scale=dpi / 72).to_pil().convert("RGB")
    doc.close()
    p = Page(210, 140, dpi)
    p.img = img.resize(p.img.size) if img.size != p.img.size else img
    from PIL import ImageDraw
    p.draw = ImageDraw.Draw(p.img)
    return p


# --- other families ---------------------------------------------------------------------------
RED = (160, 60, 40)
_FAMILY_VARIANTS = {"paper_multiline": ("normal",), "etax_print": ("digital",), "etax_stacked": ("digital",),
                    "etax_mono": ("digital",)}


def for_family(v: dict, family: str, rng: random.Random) -> dict:
    """A family prints one kind of invoice: a paper family gets a code and an 8-digit number, a 数电票
    family a 20-digit number and no code (drawn afresh with the family's rng when the values were
    built for the other kind)."""
    v["family"] = family
    wanted = _FAMILY_VARIANTS[family]
    if v["invoice_variant"] not in wanted:
        issued = d(v["issued_on"])
        for k in ("invoice_code", "invoice_number", "check_code"):
            v.pop(k, None)
        v["invoice_variant"] = wanted[0]
        if wanted[0] == "digital":
            v["invoice_number"] = f"{issued:%y}" + "41" + ids.digits(rng, 16, first_nonzero=False)
        else:
            v["invoice_code"] = "0" + "41" + ids.digits(rng, 2) + issued.strftime("%y") + "0" + ids.digits(rng, 4)
            v["invoice_number"] = ids.digits(rng, 8, first_nonzero=False)
            v["check_code"] = ids.digits(rng, 20, first_nonzero=False)
    v.setdefault("machine_number", ids.digits(rng, 12, first_nonzero=False))
    v.setdefault("lines", rng.choice([1, 2, 2, 3]))
    v.setdefault("line_items", list(rng.sample(ITEM_NAMES, v["lines"])))
    if family == "etax_mono":  # drawn last, so the other families' draws stay as they were
        v.setdefault("mono_qr", rng.random() < 0.5)
    return v


def _lines(v: dict):
    """Item lines whose amounts and taxes add up exactly to the invoice's 金额 and 税额."""
    amount, tax = money.to_decimal(v["amount"]), money.to_decimal(v["tax"])
    n = v.get("lines", 1)
    weights = [5, 3, 2][:n]
    amts = [money.to_decimal(amount * w / sum(weights)) for w in weights]
    amts[-1] = amount - sum(amts[:-1])
    taxes = [money.to_decimal(tax * w / sum(weights)) for w in weights]
    taxes[-1] = tax - sum(taxes[:-1])
    return list(zip(v.get("line_items", [v["item"]] * n), amts, taxes))


def _paper_multiline(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(240, 140, dpi)
    fam = "song"
    p.img.paste(qr_image(qr_payload(v), p.px(19)), (p.px(12), p.px(8)))
    p.text(36, 13, v["invoice_code"], "mono", 11)
    p.text(36, 20, f"机器编号：{v['machine_number']}", fam, 8.5, BROWN)
    p.text(120, 14, "河南增值税普通发票", "song_bold", 18, BROWN, anchor="ms", tracking=1)
    p.line(84, 17, 156, 17, 0.35, BROWN)
    p.text(120, 23, "发　票　联", fam, 9.5, BROWN, anchor="ms")
    p.text(160, 13, "No", "hei", 11, BROWN)
    p.text(168, 13.5, v["invoice_number"], "mono", 15, (40, 40, 120))
    p.text(172, 19, "发票代码", fam, 8, BROWN)
    p.text(186, 19, v["invoice_code"], "mono", 8.5)
    p.text(172, 23.5, "发票号码", fam, 8, BROWN)
    p.text(186, 23.5, v["invoice_number"], "mono", 8.5)
    p.text(172, 28, "开票日期", fam, 8, BROWN)
    p.text(186, 28, ymd(d(v["issued_on"]), "padded"), fam, 8.5)
    cc = v["check_code"]
    p.text(12, 28, "校验码", fam, 8, BROWN)
    p.text(24, 28, " ".join(cc[i:i + 5] for i in range(0, 20, 5)), "mono", 8)
    x0, x1, y0 = 8, 232, 31
    p.rect(x0, y0, x1, 120, 0.4, BROWN)
    def party(y, role, name, tax, addr, bank):
        p.line(x0 + 7, y, x0 + 7, y + 21, 0.3, BROWN)
        for i, ch in enumerate(role):
            p.text(x0 + 3.5, y + 6 + i * 5, ch, fam, 8.5, BROWN, anchor="ms")
        for i, (lab, val) in enumerate(zip(("名　　称：", "纳税人识别号：", "地址、电话：", "开户行及账号："),
                                           (name, tax, addr, bank))):
            p.text(x0 + 9, y + 5 + i * 5, lab, fam, 7.5, BROWN)
            p.text(x0 + 32, y + 5 + i * 5, val, "mono" if i == 1 else fam, 9 if i < 2 else 7)
        p.line(x0, y + 21, x1, y + 21, 0.35, BROWN)
    party(y0, "购买方", v["buyer_name"], v["buyer_tax_id"], v["buyer_addr_tel"], v["buyer_bank"])
    p.line(142, y0, 142, y0 + 21, 0.3, BROWN)
    p.text(144, y0 + 11, "密码区", fam, 7.5, BROWN)
    for i in range(4):
        p.text(156, y0 + 5 + i * 5, "".join(rng.choice("0123456789+-*/<>") for _ in range(26)), "mono", 8)
    y = y0 + 21
    cols = [("项目名称", 8, 70), ("规格型号", 70, 88), ("单位", 88, 98), ("数量", 98, 110), ("单价", 110, 138),
            ("金额", 138, 170), ("税率", 170, 184), ("税额", 184, 232)]
    for name, a, b in cols:
        p.text((a + b) / 2, y + 4.5, name, fam, 8, BROWN, anchor="ms")
    for i, (item, a, t) in enumerate(_lines(v)):
        yy = y + 10 + i * 5
        row = [item, "", "项", "1", f"{a:.2f}", f"{a:.2f}", v["rate"], f"{t:.2f}"]
        for (name, ca, cb), cell in zip(cols, row):
            if name == "项目名称":
                p.text(ca + 2, yy, cell, fam, 8)
            elif cell:
                p.text(cb - 2, yy, cell, "mono" if cell[0].isdigit() else fam, 8, anchor="rs")
    amount, tax = money.to_decimal(v["amount"]), money.to_decimal(v["tax"])
    p.text(30, y + 32, "合　　　计", fam, 8.5, BROWN, anchor="ms")
    p.text(168, y + 32, f"¥{amount:.2f}", "mono", 9, anchor="rs")
    p.text(230, y + 32, f"¥{tax:.2f}", "mono", 9, anchor="rs")
    y += 35
    p.line(x0, y, x1, y, 0.35, BROWN)
    p.text(x0 + 3, y + 5, "价税合计(大写)", fam, 8.5, BROWN)
    p.text(x0 + 32, y + 5, "⊗" + money.daxie(v["total"]), fam, 9.5)
    p.text(158, y + 5, "(小写)", fam, 8.5, BROWN)
    p.text(170, y + 5, f"¥{money.to_decimal(v['total']):.2f}", "mono", 9.5)
    y += 7.5
    p.line(x0, y, x1, y, 0.35, BROWN)
    party(y, "销售方", v["seller_name"], v["seller_tax_id"], v["seller_addr_tel"], v["seller_bank"])
    p.line(142, y, 142, y + 21, 0.3, BROWN)
    p.text(144, y + 11, "备注", fam, 7.5, BROWN)
    p.text(12, 127, f"收款人：{v['payee']}", fam, 8.5, BROWN)
    p.text(62, 127, f"复核：{v['reviewer']}", fam, 8.5, BROWN)
    p.text(112, 127, f"开票人：{v['drawer']}", fam, 8.5, BROWN)
    p.text(165, 127, "销售方：（章）", fam, 8.5, BROWN)
    if v.get("seal", True):
        alpha = oval_seal(v["seller_name"], v["seller_tax_id"], dpi, rng)
        bbox = p.stamp(alpha, seal_color(rng), 196 + rng.uniform(-6, 6), 112 + rng.uniform(-4, 4))
        p.seals.append({"page": 1, "bbox": bbox, "color": "red", "shape": "oval", "text": v["seller_name"]})
    return [p]


def _etax_head(p: Page, v: dict, title: str, x_num: float, y_num: float):
    p.text(p.w_mm / 2, 15, title, "kai", 17, RED, anchor="ms", tracking=1)
    p.line(p.w_mm / 2 - 42, 18.5, p.w_mm / 2 + 42, 18.5, 0.3, RED)
    p.line(p.w_mm / 2 - 42, 19.6, p.w_mm / 2 + 42, 19.6, 0.3, RED)
    p.text(x_num, y_num, "发票号码：", "song", 9, RED)
    p.text(x_num + 16, y_num, v["invoice_number"], "ming", 9.5)
    p.text(x_num, y_num + 6, "开票日期：", "song", 9, RED)
    p.text(x_num + 16, y_num + 6, ymd(d(v["issued_on"]), "padded"), "ming", 9.5)


def _etax_print(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(210, 140, dpi)
    p.img.paste(qr_image(qr_payload(v), p.px(19)), (p.px(10), p.px(5)))
    _etax_head(p, v, "电子发票（普通发票）", 146, 11)
    fam = "ming"
    x0, x1, y0 = 8, 202, 27
    p.rect(x0, y0, x1, 124, 0.3, RED)
    p.line(x0, y0 + 22, x1, y0 + 22, 0.3, RED)
    for xa in (x0, 105):
        p.line(xa + 6, y0, xa + 6, y0 + 22, 0.3, RED)
    p.line(105, y0, 105, y0 + 22, 0.3, RED)
    for xa, role, name, tax in ((x0, "购买方信息", v["buyer_name"], v["buyer_tax_id"]),
                                (105, "销售方信息", v["seller_name"], v["seller_tax_id"])):
        for i, ch in enumerate(role):
            p.text(xa + 3, y0 + 4 + i * 4, ch, "song", 7.5, RED, anchor="ms")
        p.text(xa + 8, y0 + 8, "名称：", "song", 8.5, RED)
        p.text(xa + 18, y0 + 8, name, fam, 9 if len(name) < 18 else 8)
        p.text(xa + 8, y0 + 17, "统一社会信用代码/纳税人识别号：", "song", 7.5, RED)
        p.text(xa + 53, y0 + 17, tax, fam, 8.5)
    y = y0 + 22
    cols = [("项目名称", 10), ("规格型号", 62), ("单位", 84), ("数量", 96), ("单价", 110), ("金额", 134),
            ("税率/征收率", 156), ("税额", 182)]
    for name, x in cols:
        p.text(x, y + 5, name, "song", 8, RED)
    for i, (item, a, t) in enumerate(_lines(v)):
        yy = y + 11 + i * 5.5
        for (name, x), cell in zip(cols, [item, "", "次", "1", f"{a:.2f}", f"{a:.2f}", v["rate"], f"{t:.2f}"]):
            p.text(x, yy, cell, fam, 8)
    amount, tax = money.to_decimal(v["amount"]), money.to_decimal(v["tax"])
    p.line(x0, y + 62, x1, y + 62, 0.2, RED)
    p.text(18, y + 60, "合　　计", "song", 8.5, RED)
    p.text(134, y + 60, f"¥{amount:.2f}", fam, 8.5)
    p.text(182, y + 60, f"¥{tax:.2f}", fam, 8.5)
    y += 62
    p.text(10, y + 6, "价税合计（大写）", "song", 8.5, RED)
    p.text(38, y + 6, "ⓧ" + money.daxie(v["total"]), fam, 9.5)
    p.text(128, y + 6, "（小写）", "song", 8.5, RED)
    p.text(142, y + 6, f"¥{money.to_decimal(v['total']):.2f}", fam, 9.5)
    p.line(x0, y + 9, x1, y + 9, 0.3, RED)
    p.text(10, y + 20, "备注", "song", 8, RED)
    p.text(12, 131, "开票人：", "song", 8.5, RED)
    p.text(26, 131, v["drawer"], fam, 8.5)
    return [p]


def _etax_stacked(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(210, 148, dpi)
    _etax_head(p, v, "电子发票（增值税专用发票）", 14, 28)
    fam = rng.choice(["ming", "song"])
    y = 44
    for role, name, tax in (("购买方", v["buyer_name"], v["buyer_tax_id"]),):
        p.text(14, y, f"{role}名称：", "song", 9, RED)
        p.text(34, y, name, fam, 9.5)
        p.text(14, y + 6, f"{role}统一社会信用代码/纳税人识别号：", "song", 9, RED)
        p.text(74, y + 6, tax, fam, 9.5)
    y += 14
    p.line(10, y, 200, y, 0.3, RED)
    cols = [("项目名称", 12), ("单位", 72), ("数量", 86), ("单价", 100), ("金额", 124), ("税率", 150), ("税额", 168)]
    for name, x in cols:
        p.text(x, y + 5, name, "song", 8.5, RED)
    p.line(10, y + 7.5, 200, y + 7.5, 0.2, RED)
    for i, (item, a, t) in enumerate(_lines(v)):
        yy = y + 13 + i * 5.5
        for (name, x), cell in zip(cols, [item, "次", "1", f"{a:.2f}", f"{a:.2f}", v["rate"], f"{t:.2f}"]):
            p.text(x, yy, cell, fam, 8.5)
    y += 32
    amount, tax = money.to_decimal(v["amount"]), money.to_decimal(v["tax"])
    p.text(12, y, "合计", "song", 9, RED)
    p.text(124, y, f"{amount:.2f}", fam, 9)
    p.text(168, y, f"{tax:.2f}", fam, 9)
    p.line(10, y + 3, 200, y + 3, 0.2, RED)
    p.text(12, y + 9, "价税合计(大写)", "song", 9, RED)
    p.text(38, y + 9, money.daxie(v["total"]), fam, 10)
    p.text(120, y + 9, "(小写)", "song", 9, RED)
    p.text(132, y + 9, f"¥{money.to_decimal(v['total']):.2f}", fam, 10)
    p.line(10, y + 12, 200, y + 12, 0.3, RED)
    y += 20
    p.text(14, y, "销售方名称：", "song", 9, RED)
    p.text(34, y, v["seller_name"], fam, 9.5)
    p.text(14, y + 6, "销售方统一社会信用代码/纳税人识别号：", "song", 9, RED)
    p.text(74, y + 6, v["seller_tax_id"], fam, 9.5)
    p.text(14, y + 14, "备注：", "song", 9, RED)
    p.text(14, 140, "开票人：", "song", 9, RED)
    p.text(28, 140, v["drawer"], fam, 9)
    p.img.paste(qr_image(qr_payload(v), p.px(18)), (p.px(178), p.px(118)))
    return [p]


def _etax_mono(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    """A 数电票 printed on a black-and-white office printer and scanned: every column ruled, the parties
    in two stacked rows with 购买方/销售方 printed down the row head and the older 纳税人识别号 label,
    the 合计 row with ¥ amounts under 金额 and 税额 and 价税合计(大写)/(小写) on the last row. Field set
    as invoice readers list it (购方名称, 购方纳税人识别号, 合计金额, 合计税额, 价税合计(大写)/(小写),
    销售方名称: github.com/Tiane-ira/wocr model/excel.go)."""
    p = Page(210, 140, dpi)
    ink_c = (35, 35, 35)
    fam = rng.choice(["song", "ming"])
    p.text(105, 14, "电子发票（普通发票）", "song_bold", 15, ink_c, anchor="ms", tracking=1)
    p.text(150, 24, "发票号码：", "song", 9, ink_c)
    p.text(166, 24, v["invoice_number"], fam, 9.5)
    p.text(150, 30, "开票日期：", "song", 9, ink_c)
    p.text(166, 30, ymd(d(v["issued_on"]), "padded"), fam, 9.5)
    if v.get("mono_qr", True):
        p.img.paste(qr_image(qr_payload(v), p.px(17)), (p.px(10), p.px(8)))
    x0, x1, y0 = 8, 202, 34
    p.rect(x0, y0, x1, 128, 0.35, ink_c)
    y = y0
    for role, name, tax in (("购买方", v["buyer_name"], v["buyer_tax_id"]), ("销售方", v["seller_name"], v["seller_tax_id"])):
        p.line(x0 + 7, y, x0 + 7, y + 14, 0.3, ink_c)
        for i, ch in enumerate(role):
            p.text(x0 + 3.5, y + 4.2 + i * 4, ch, "song", 7.5, ink_c, anchor="ms")
        p.text(x0 + 9, y + 5.8, "名　　称：", "song", 8.5, ink_c)
        p.text(x0 + 27, y + 5.8, name, fam, 9 if len(name) < 20 else 8)
        p.text(x0 + 9, y + 11.8, "纳税人识别号：", "song", 8.5, ink_c)
        p.text(x0 + 32, y + 11.8, tax, fam, 9)
        y += 14
        p.line(x0, y, x1, y, 0.3, ink_c)
    cols = [("项目名称", x0), ("规格型号", 60), ("单位", 80), ("数量", 92), ("单价", 106), ("金额", 128),
            ("税率", 152), ("税额", 170)]
    for name, x in cols[1:]:
        p.line(x - 1.5, y, x - 1.5, y + 50, 0.25, ink_c)
    for name, x in cols:
        p.text(x + 2 if x == x0 else x, y + 5, name, "song", 8, ink_c)
    p.line(x0, y + 7.5, x1, y + 7.5, 0.25, ink_c)
    for i, (item, a, t) in enumerate(_lines(v)):
        yy = y + 13 + i * 5.5
        for (name, x), cell in zip(cols, [item, "", "项", "1", f"{a:.2f}", f"{a:.2f}", v["rate"], f"{t:.2f}"]):
            p.text(x + 2 if x == x0 else x, yy, cell, fam, 8)
    amount, tax = money.to_decimal(v["amount"]), money.to_decimal(v["tax"])
    p.line(x0, y + 42, x1, y + 42, 0.25, ink_c)
    p.text(x0 + 2, y + 47.5, "合　　计", "song", 8.5, ink_c)
    p.text(128, y + 47.5, f"¥{amount:.2f}", fam, 8.5)
    p.text(170, y + 47.5, f"¥{tax:.2f}", fam, 8.5)
    y += 50
    p.line(x0, y, x1, y, 0.3, ink_c)
    p.text(x0 + 2, y + 6.5, "价税合计(大写)", "song", 8.5, ink_c)
    p.text(38, y + 6.5, money.daxie(v["total"]), fam, 9.5)
    p.text(130, y + 6.5, "(小写)", "song", 8.5, ink_c)
    p.text(142, y + 6.5, f"¥{money.to_decimal(v['total']):.2f}", fam, 9.5)
    p.line(x0, y + 10, x1, y + 10, 0.3, ink_c)
    p.text(x0 + 2, y + 16, "备注", "song", 8, ink_c)
    p.text(12, 135, "开票人：", "song", 8.5, ink_c)
    p.text(26, 135, v["drawer"], fam, 8.5)
    return [p]


FAMILY_RENDER = {"classic": _classic, "paper_multiline": _paper_multiline, "etax_print": _etax_print,
                 "etax_stacked": _etax_stacked, "etax_mono": _etax_mono}


def render(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    return FAMILY_RENDER[v.get("family", "classic")](v, dpi, rng)
