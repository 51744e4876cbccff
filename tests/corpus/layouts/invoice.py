"""增值税发票: paper 专票/普票 images (240 x 140 mm) and the 数电票 as a text-layer PDF.

The QR code carries version,type,code,number,amount,date,checkcode,crc like the real ones,
which gives readers an OCR-independent second source.
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


def render(v: dict, dpi: int, rng: random.Random) -> list[Page]:
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
