"""数电票 triples: the same invoice as PDF (the generator's digital invoice), OFD and XML.

The OFD is written as issuers write it (GB/T 33190): ``OFD.xml`` → ``Doc_0/Document.xml`` (page
210 x 140 mm), the static labels on a template page (``Doc_0/Tpls/Tpl_0/Content.xml``), the
values on ``Doc_0/Pages/Page_0/Content.xml`` at the places the PDF prints them, and
``Doc_0/Tags/CustomTag.xml`` pointing each invoice field at its text object.  The XML is the
数电票 XML (``EInvoice`` / ``EInvoiceData`` / ``TaxSupervisionInfo``).  Truth: the PDF's fields.
"""
from __future__ import annotations

import io
import random
import zipfile
from datetime import date, timedelta
from xml.sax.saxutils import escape

from . import money
from .dates import ymd
from .entities import make_org
from .layouts import d, invoice
from .qr import qr_image

NS = "http://www.ofdspec.org/2016"
PT = 25.4 / 72  # one point in mm
RED, BLACK = "160 60 40", "0 0 0"
FIXED = "2026-01-01T00:00:00"


def invoice_values(seed: int, as_of: date | None = None) -> dict:
    rng = random.Random(f"einvoice:{seed}")
    as_of = as_of or date(2026, rng.randint(3, 12), rng.randint(1, 28))
    buyer, seller = make_org(rng, as_of), make_org(rng, as_of, provider=True)
    fee = money.norm(rng.choice([3180, 5300, 8480, 10600, 12720, 15900, 21200, 31800, 42400]))
    v = invoice.values(rng, buyer, seller, fee, as_of - timedelta(days=rng.randint(1, 20)), "digital")
    v["digital_special"] = rng.random() < 0.4
    return v


def _advance(ch: str, size: float) -> float:
    return size if ord(ch) > 0x2E80 else size * 0.55


class _Writer:
    def __init__(self):
        self.next_id = 10
        self.objects: list[str] = []

    def text(self, x: float, y_base: float, s: str, size_pt: float = 9, color: str = BLACK) -> str:
        """A TextObject whose first character's baseline is at (x, y_base) mm, like fpdf's text()."""
        size = size_pt * PT
        oid = str(self.next_id)
        self.next_id += 1
        adv = [_advance(c, size) for c in s]
        w = sum(adv)
        deltas = " ".join(f"{a:.3f}" for a in adv[:-1])
        self.objects.append(
            f'<ofd:TextObject ID="{oid}" Boundary="{x:.3f} {y_base - size:.3f} {w:.3f} {size * 1.3:.3f}" Font="2" '
            f'Size="{size:.3f}"><ofd:FillColor Value="{color}"/><ofd:TextCode X="0" Y="{size:.3f}"'
            + (f' DeltaX="{deltas}"' if deltas else "") + f">{escape(s)}</ofd:TextCode></ofd:TextObject>")
        return oid

    def line(self, x0, y0, x1, y1):
        oid = str(self.next_id)
        self.next_id += 1
        self.objects.append(f'<ofd:PathObject ID="{oid}" Boundary="0 0 210 140" LineWidth="0.3" Stroke="true">'
                            f'<ofd:StrokeColor Value="{RED}"/><ofd:AbbreviatedData>M {x0} {y0} L {x1} {y1}'
                            f'</ofd:AbbreviatedData></ofd:PathObject>')

    def content(self) -> str:
        return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}"><ofd:Content>'
                f'<ofd:Layer ID="{self.next_id}" Type="Body">' + "".join(self.objects) + "</ofd:Layer></ofd:Content></ofd:Page>")


def _title(v) -> str:
    return "电子发票（增值税专用发票）" if v.get("digital_special") else "电子发票（普通发票）"


def qr_payload(v: dict, tamper: dict | None = None) -> str:
    """The QR text the PDF of the same invoice prints (``01,kind,code,number,amount,YYYYMMDD,
    check,CRC``; a 数电票 has no code and no check code).  ``tamper`` overrides parts (number,
    amount, date) and keeps the CRC, as an edited QR would."""
    parts = invoice.qr_payload(v).split(",")
    at = {"number": 3, "amount": 4, "date": 5}
    for k, val in (tamper or {}).items():
        parts[at[k]] = val
    return ",".join(parts)


def _qr_png(text: str) -> bytes:
    buf = io.BytesIO()
    qr_image(text, 264).save(buf, "PNG")
    return buf.getvalue()


def write_ofd(v: dict, qr: str | dict | None = "ok") -> bytes:
    """``qr``: ``"ok"`` embeds the invoice's QR image (top left, as issuers print it),
    ``"tampered"`` one whose invoice number differs, a dict one with those parts overridden,
    None no QR."""
    tpl, page = _Writer(), _Writer()
    tpl.next_id = 1000
    tpl.text(72, 16, _title(v), 18, RED)
    tpl.text(150, 12, "发票号码：", 9, RED)
    tpl.text(150, 18, "开票日期：", 9, RED)
    for x, role in ((9.5, "购买方信息"), (106.5, "销售方信息")):
        for i, ch in enumerate(role):
            tpl.text(x, 32 + i * 4.2, ch, 9, RED)
    for x in (16, 113):
        tpl.text(x, 36, "名称：", 9, RED)
        tpl.text(x, 44, "统一社会信用代码/纳税人识别号：", 9, RED)
    for name, x in (("项目名称", 10), ("规格型号", 62), ("单位", 84), ("数量", 98), ("单价", 114), ("金额", 138),
                    ("税率/征收率", 160), ("税额", 186)):
        tpl.text(x, 55, name, 9, RED)
    tpl.text(20, 92, "合　　计", 9, RED)
    tpl.text(10, 101, "价税合计（大写）", 9, RED)
    tpl.text(130, 101, "（小写）", 9, RED)
    tpl.text(10, 112, "备", 9, RED)
    tpl.text(10, 118, "注", 9, RED)
    tpl.text(12, 131, "开票人：", 9, RED)
    for seg in ((8, 28, 202, 28), (8, 124, 202, 124), (8, 28, 8, 124), (202, 28, 202, 124), (8, 50, 202, 50),
                (105, 28, 105, 50), (14, 28, 14, 50), (111, 28, 111, 50), (8, 95, 202, 95), (8, 104, 202, 104),
                (14, 104, 14, 124)):
        tpl.line(*seg)
    amount, tax, total = (money.to_decimal(v[k]) for k in ("amount", "tax", "total"))
    tags = {"InvoiceNo": page.text(166, 12, v["invoice_number"]),
            "IssueDate": page.text(166, 18, ymd(d(v["issued_on"]), "padded")),
            "BuyerName": page.text(26, 36, v["buyer_name"], 10),
            "BuyerTaxID": page.text(65, 44, v["buyer_tax_id"]),
            "SellerName": page.text(123, 36, v["seller_name"], 10),
            "SellerTaxID": page.text(162, 44, v["seller_tax_id"])}
    for x, cell in ((10, v["item"]), (84, "次"), (98, "1"), (114, f"{amount:.2f}"), (138, f"{amount:.2f}"),
                    (160, v["rate"]), (186, f"{tax:.2f}")):
        page.text(x, 61, cell)
    tags["TaxExclusiveTotalAmount"] = page.text(138, 92, f"¥{amount:.2f}")
    tags["TaxTotalAmount"] = page.text(186, 92, f"¥{tax:.2f}")
    page.text(40, 101, "ⓧ" + money.daxie(v["total"]), 10)
    tags["TaxInclusiveTotalAmount"] = page.text(144, 101, f"¥{total:.2f}", 10)
    page.text(26, 131, v["drawer"])
    qr_text = None
    if qr is not None:
        tamper = {} if qr == "ok" else qr if isinstance(qr, dict) else \
            {"number": v["invoice_number"][:-1] + str((int(v["invoice_number"][-1]) + 1) % 10)}
        qr_text = qr_payload(v, tamper)
        oid = str(page.next_id)
        page.next_id += 1
        page.objects.append(f'<ofd:ImageObject ID="{oid}" ResourceID="900" Boundary="10 6 20 20" CTM="20 0 0 20 0 0"/>')
    custom = "".join(f"<{k}><ofd:ObjectRef PageRef=\"1\">{oid}</ofd:ObjectRef></{k}>" for k, oid in tags.items()
                     if not k.startswith(("Buyer", "Seller")))
    party = lambda who: "".join(f"<{k}><ofd:ObjectRef PageRef=\"1\">{oid}</ofd:ObjectRef></{k}>"  # noqa: E731
                                for k, oid in tags.items() if k.startswith(who))
    tag_xml = (f'<?xml version="1.0" encoding="UTF-8"?><eInvoice xmlns:ofd="{NS}">{custom}'
               f"<Buyer>{party('Buyer')}</Buyer><Seller>{party('Seller')}</Seller></eInvoice>")
    files = {
        "OFD.xml": (f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}" Version="1.1" DocType="OFD">'
                    f"<ofd:DocBody><ofd:DocInfo><ofd:DocID>{v['invoice_number']}</ofd:DocID>"
                    f"<ofd:CreationDate>{FIXED[:10]}</ofd:CreationDate><ofd:CustomDatas>"
                    f"<ofd:CustomData Name=\"发票号码\">{v['invoice_number']}</ofd:CustomData>"
                    f"<ofd:CustomData Name=\"开票日期\">{ymd(d(v['issued_on']), 'padded')}</ofd:CustomData>"
                    f"</ofd:CustomDatas></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"),
        "Doc_0/Document.xml": (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}"><ofd:CommonData>'
                               f"<ofd:MaxUnitID>{page.next_id + 1000}</ofd:MaxUnitID><ofd:PageArea>"
                               f"<ofd:PhysicalBox>0 0 210 140</ofd:PhysicalBox></ofd:PageArea>"
                               f"<ofd:PublicRes>PublicRes.xml</ofd:PublicRes>"
                               + ("<ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes>" if qr_text else "") +
                               '<ofd:TemplatePage ID="1" BaseLoc="Tpls/Tpl_0/Content.xml"/></ofd:CommonData>'
                               '<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages>'
                               "<ofd:CustomTags>Tags/CustomTags.xml</ofd:CustomTags></ofd:Document>"),
        "Doc_0/PublicRes.xml": (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res">'
                                f'<ofd:Fonts><ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>'),
        "Doc_0/Tpls/Tpl_0/Content.xml": tpl.content(),
        "Doc_0/Pages/Page_0/Content.xml": page.content().replace(
            "<ofd:Content>", '<ofd:Template TemplateID="1" ZOrder="Background"/><ofd:Content>', 1),
        "Doc_0/Tags/CustomTags.xml": (f'<?xml version="1.0" encoding="UTF-8"?><ofd:CustomTags xmlns:ofd="{NS}">'
                                      f'<ofd:CustomTag TypeID="invoice"><ofd:FileLoc>CustomTag.xml</ofd:FileLoc>'
                                      f"</ofd:CustomTag></ofd:CustomTags>"),
        "Doc_0/Tags/CustomTag.xml": tag_xml,
    }
    if qr_text:
        files["Doc_0/DocumentRes.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res">'
                                          f'<ofd:MultiMedias><ofd:MultiMedia ID="900" Type="Image" Format="PNG">'
                                          f"<ofd:MediaFile>qrcode.png</ofd:MediaFile></ofd:MultiMedia></ofd:MultiMedias>"
                                          f"</ofd:Res>")
        files["Doc_0/Res/qrcode.png"] = _qr_png(qr_text)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text if isinstance(text, bytes) else text.encode("utf-8"))
    return buf.getvalue()


def write_xml(v: dict) -> bytes:
    e = lambda s: escape(str(s))  # noqa: E731
    special = v.get("digital_special")
    amount, tax, total = (money.to_decimal(v[k]) for k in ("amount", "tax", "total"))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<EInvoice><Header><EIid>' + e(v["invoice_number"]) + "</EIid>"
        "<EInvoiceTag>SWEI3200</EInvoiceTag><Version>0.1</Version><InherentLabel><GeneralOrSpecialVAT>"
        f"<LabelCode>{'01' if special else '02'}</LabelCode><LabelName>{'增值税专用发票' if special else '普通发票'}</LabelName>"
        "</GeneralOrSpecialVAT></InherentLabel></Header><EInvoiceData>"
        f"<SellerInformation><SellerIdNum>{e(v['seller_tax_id'])}</SellerIdNum><SellerName>{e(v['seller_name'])}</SellerName>"
        f"<SellerAddr>{e(v['seller_addr_tel'])}</SellerAddr><SellerBankName>{e(v['seller_bank'])}</SellerBankName></SellerInformation>"
        f"<BuyerInformation><BuyerIdNum>{e(v['buyer_tax_id'])}</BuyerIdNum><BuyerName>{e(v['buyer_name'])}</BuyerName>"
        f"<BuyerAddr>{e(v['buyer_addr_tel'])}</BuyerAddr><BuyerBankName>{e(v['buyer_bank'])}</BuyerBankName></BuyerInformation>"
        f"<BasicInformation><TotalAmWithoutTax>{amount:.2f}</TotalAmWithoutTax><TotalTaxAm>{tax:.2f}</TotalTaxAm>"
        f"<TotalTax-includedAmount>{total:.2f}</TotalTax-includedAmount>"
        f"<TotalTax-includedAmountInChinese>{e(money.daxie(v['total']))}</TotalTax-includedAmountInChinese>"
        f"<Drawer>{e(v['drawer'])}</Drawer><RequestTime>{v['issued_on']} 10:{random.Random(v['invoice_number']).randint(10, 59)}:00</RequestTime>"
        f"</BasicInformation><IssuItemInformation><ItemName>{e(v['item'])}</ItemName><Quantity>1</Quantity>"
        f"<UnPrice>{amount:.2f}</UnPrice><Amount>{amount:.2f}</Amount><TaxRate>{e(v['rate'])}</TaxRate>"
        f"<ComTaxAm>{tax:.2f}</ComTaxAm></IssuItemInformation></EInvoiceData><TaxSupervisionInfo>"
        f"<InvoiceNumber>{e(v['invoice_number'])}</InvoiceNumber><IssueTime>{v['issued_on']}</IssueTime>"
        "<TaxBureauCode>14100000000</TaxBureauCode><TaxBureauName>国家税务总局河南省税务局</TaxBureauName>"
        "</TaxSupervisionInfo></EInvoice>\n").encode("utf-8")


def triple(seed: int, as_of: date | None = None, qr: str | dict | None = "ok") -> dict:
    """``{"pdf", "ofd", "xml": bytes, "truth": fields, "values": v}`` of one invoice (``qr``: see
    `write_ofd`)."""
    v = invoice_values(seed, as_of)
    return {"pdf": invoice.render_pdf(v), "ofd": write_ofd(v, qr), "xml": write_xml(v), "truth": invoice.fields(v),
            "values": v}


def qr_check(n: int) -> dict:
    """For the benchmark: ``n`` generated OFDs read with an agreeing QR, a tampered one and none;
    how many the reader leaves certain / sends to review, and seconds per read."""
    import tempfile
    import time
    from pathlib import Path

    from intake.einvoice import read

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("ok", "tampered", None):
            doubted = spent = 0
            for seed in range(n):
                p = Path(tmp) / f"{seed}.ofd"
                p.write_bytes(write_ofd(invoice_values(seed), mode))
                t0 = time.perf_counter()
                einv = read(p)
                spent += time.perf_counter() - t0
                doubted += any(f.confidence < 0.85 for f in einv.fields.values()) and \
                    any("二维码" in x for x in einv.problems)
            out[str(mode)] = {"invoices": n, "sent_to_review": doubted, "seconds_per_read": spent / n}
    return out


if __name__ == "__main__":  # python -m tests.corpus.einvoice [N]: the QR cross-check benchmark
    import json
    import sys

    print(json.dumps(qr_check(int(sys.argv[1]) if len(sys.argv) > 1 else 20), indent=1))
