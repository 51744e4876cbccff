"""The invoice fields of an e-invoice, normalized as the contract wants them (what the PDF path's
extractor gives: ISO dates, ``"12345.00"``, upper-case codes, names without spaces)."""
from __future__ import annotations

import re
import unicodedata
from datetime import date

from extractors.money import parse_money_number, parse_money_words

from ..model import FieldValue
from ..validation.formats import compact
from .model import TextItem, mm_to_px

KEYS = ("invoice_code", "invoice_number", "issued_on", "buyer_name", "buyer_tax_id", "seller_name", "seller_tax_id",
        "amount", "tax", "total", "total_in_words")
MONEY = {"amount", "tax", "total"}
LABELS = {"invoice_number": "发票号码", "issued_on": "开票日期", "buyer_name": "购买方名称",
          "buyer_tax_id": "购买方统一社会信用代码/纳税人识别号", "seller_name": "销售方名称",
          "seller_tax_id": "销售方统一社会信用代码/纳税人识别号", "amount": "合计金额", "tax": "合计税额",
          "total": "价税合计（小写）", "total_in_words": "价税合计（大写）", "invoice_code": "发票代码"}


def _date(raw: str) -> str | None:
    s = unicodedata.normalize("NFKC", raw or "")
    m = re.search(r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})", s) or re.fullmatch(r"\s*(\d{4})(\d{2})(\d{2}).*", s)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return None


def normalize(key: str, raw: str | None):
    """The contract value of ``raw`` for ``key``, or None when it does not read as one."""
    if raw is None or not str(raw).strip():
        return None
    raw = str(raw)
    if key == "issued_on":
        return _date(raw)
    if key in MONEY:
        v = parse_money_number(raw.replace("¥", "").replace("￥", ""))
        return f"{v:.2f}" if v is not None else None
    if key == "total_in_words":
        v = parse_money_words(raw)
        return f"{v:.2f}" if v is not None else None
    if key in ("buyer_tax_id", "seller_tax_id", "invoice_number", "invoice_code"):
        return compact(raw).upper()
    return compact(raw).replace("(", "（").replace(")", "）")


def field_value(key: str, raw: str, item: TextItem | list[TextItem] | None, strategy: str) -> FieldValue | None:
    """``item``: the text object(s) printing the value (a tag may point at ``¥`` and the figure
    separately): the field's box covers them all."""
    value = normalize(key, raw)
    if value is None:
        return None
    bbox = None
    items = [i for i in (item if isinstance(item, list) else [item]) if i is not None]
    if items:
        boxes = [i.box_mm() for i in items]
        x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
        x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
        bbox = (mm_to_px(x0), mm_to_px(y0), mm_to_px(x1), mm_to_px(y1))
    # read from the file's own data, not from pixels: certain
    return FieldValue(value, 1.0, 1, bbox, strategy, raw, LABELS.get(key, ""))
