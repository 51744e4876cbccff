"""The 数电票 XML (全面数字化的电子发票, root ``EInvoice``): the fields by element name, and a page
drawn in the 数电票's printed layout so the review UI can show it and point at each field.

Elements read (any namespace, any depth): ``TaxSupervisionInfo/InvoiceNumber`` (else
``Header/EIid``), ``TaxSupervisionInfo/IssueTime`` (else ``BasicInformation/RequestTime``),
``BuyerInformation/BuyerName``, ``BuyerIdNum``, ``SellerInformation/SellerName``, ``SellerIdNum``,
``BasicInformation/TotalAmWithoutTax``, ``TotalTaxAm``, ``TotalTax-includedAmount``,
``TotalTax-includedAmountInChinese``; ``GeneralOrSpecialVAT/LabelName`` for the title,
``IssuItemInformation/ItemName`` and ``Drawer`` for display.
"""
from __future__ import annotations

from defusedxml import ElementTree as DET

from ..errors import CorruptFileError, TooLargeError
from . import qr
from .fields import field_value
from .model import EInvoice, EPage, TextItem
from .ofd import consistency

MAX_BYTES = 8 * 1024 * 1024
PATHS = {
    "invoice_number": (("TaxSupervisionInfo", "InvoiceNumber"), ("Header", "EIid"), ("InvoiceNumber",)),
    "issued_on": (("TaxSupervisionInfo", "IssueTime"), ("BasicInformation", "RequestTime"), ("IssueTime",)),
    "buyer_name": (("BuyerInformation", "BuyerName"),),
    "buyer_tax_id": (("BuyerInformation", "BuyerIdNum"),),
    "seller_name": (("SellerInformation", "SellerName"),),
    "seller_tax_id": (("SellerInformation", "SellerIdNum"),),
    "amount": (("BasicInformation", "TotalAmWithoutTax"),),
    "tax": (("BasicInformation", "TotalTaxAm"),),
    "total": (("BasicInformation", "TotalTax-includedAmount"),),
    "total_in_words": (("BasicInformation", "TotalTax-includedAmountInChinese"),),
}
RED = (160, 60, 40)


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _find(root, path: tuple[str, ...]) -> str | None:
    """Text of the first element named ``path[-1]`` whose parent is ``path[-2]`` (when given)."""
    parents = {c: p for p in root.iter() for c in p}
    for el in root.iter():
        if _local(el.tag) != path[-1]:
            continue
        if len(path) > 1 and _local(getattr(parents.get(el), "tag", "")) != path[-2]:
            continue
        if el.text and el.text.strip():
            return el.text.strip()
    return None


def parse(data: bytes, source: str = "<xml>"):
    if len(data) > MAX_BYTES:
        raise TooLargeError(f"发票 XML {source} 过大。The invoice XML is too large.")
    try:
        root = DET.fromstring(data)
    except Exception as exc:
        raise CorruptFileError(f"发票 XML {source} 无法解析（{type(exc).__name__}）。The invoice XML cannot be parsed.") from exc
    if _local(root.tag) != "EInvoice":
        raise CorruptFileError(f"{source} 不是数电票 XML（根元素为 {_local(root.tag)}）。Not an e-invoice XML.")
    return root


def _layout(raw: dict) -> tuple[EPage, dict[str, TextItem]]:
    """The printed 数电票 (210 x 140 mm): labels in red, values in black, at the usual places."""
    page = EPage(210, 140)
    at: dict[str, TextItem] = {}
    s9, s10 = 3.175, 3.53

    def put(text, x, y_base, size=s9, color=(0, 0, 0), key=None):
        if not text:
            return
        item = TextItem(text, x, y_base - size * 0.86, size, (), color)
        page.texts.append(item)
        if key:
            at[key] = item

    put(raw.get("title") or "电子发票（普通发票）", 72, 16, 6.35, RED)
    put("发票号码：", 150, 12, color=RED)
    put(raw.get("invoice_number"), 166, 12, key="invoice_number")
    put("开票日期：", 150, 18, color=RED)
    put(raw.get("issued_on"), 166, 18, key="issued_on")
    for x, role, who in ((16, "购买方", "buyer"), (113, "销售方", "seller")):
        put("名称：", x, 36, color=RED)
        put(raw.get(f"{who}_name"), x + 10, 36, s10, key=f"{who}_name")
        put("统一社会信用代码/纳税人识别号：", x, 44, color=RED)
        put(raw.get(f"{who}_tax_id"), x + 49, 44, key=f"{who}_tax_id")
    for x, ch in ((9.5, "购买方信息"), (106.5, "销售方信息")):
        for i, c in enumerate(ch):
            put(c, x, 32 + i * 4.2, color=RED)
    for name, x in (("项目名称", 10), ("金额", 138), ("税率/征收率", 160), ("税额", 186)):
        put(name, x, 55, color=RED)
    put(raw.get("item"), 10, 61)
    put("合　　计", 20, 92, color=RED)
    put(f"¥{raw['amount']}" if raw.get("amount") else None, 138, 92, key="amount")
    put(f"¥{raw['tax']}" if raw.get("tax") else None, 186, 92, key="tax")
    put("价税合计（大写）", 10, 101, color=RED)
    put(("ⓧ" + raw["total_in_words"]) if raw.get("total_in_words") else None, 40, 101, s10, key="total_in_words")
    put("（小写）", 130, 101, color=RED)
    put(f"¥{raw['total']}" if raw.get("total") else None, 144, 101, s10, key="total")
    put("开票人：", 12, 131, color=RED)
    put(raw.get("drawer"), 26, 131)
    page.lines += [(8, 28, 202, 28), (8, 124, 202, 124), (8, 28, 8, 124), (202, 28, 202, 124), (8, 50, 202, 50),
                   (105, 28, 105, 50), (8, 95, 202, 95), (8, 104, 202, 104)]
    return page, at


def read_xml(data: bytes, source: str = "<xml>") -> EInvoice:
    root = parse(data, source)
    raw = {}
    for key, paths in PATHS.items():
        for path in paths:
            v = _find(root, path)
            if v:
                raw[key] = v
                break
    raw["title"] = (lambda n: f"电子发票（{n}）" if n else None)(_find(root, ("GeneralOrSpecialVAT", "LabelName")))
    raw["item"] = _find(root, ("IssuItemInformation", "ItemName"))
    raw["drawer"] = _find(root, ("BasicInformation", "Drawer"))
    page, at = _layout(raw)
    fields = {}
    for key in PATHS:
        if key in raw:
            fv = field_value(key, raw[key], at.get(key), "xml")
            if fv is not None:
                fields[key] = fv
    problems = consistency(fields)
    # the XML rarely carries the QR payload; when an element holds one, it is checked like the OFD's
    payload = qr.first_payload(el.text for el in root.iter() if el.text and "," in el.text)
    if payload is not None:
        raw["qr"] = payload["payload"]
        problems += qr.cross_check(fields, payload)
    return EInvoice("xml", fields, [page], source, {k: v for k, v in raw.items() if v}, problems)
