"""The invoice's own verification data: the QR payload printed on 增值税电子发票 and 数电票.

The payload is comma-separated: ``01`` (version), the invoice kind code (``31`` 数电专票,
``32`` 数电普票, ``10`` 电子普通发票 …), the invoice code (empty for a 数电票), the invoice
number, the amount excluding tax (``112`` or ``112.00``), the issue date ``YYYYMMDD``, the check
code (empty for a 数电票) and a CRC, e.g. ``01,32,,23442000000014209621,112,20230215,,74AE``.

In an OFD the QR is an image resource (decoded here with zxing-cpp); some issuers also keep the
payload as text or a custom datum.  When the payload disagrees with the invoice number, date or
amount read from the file, those fields drop below the review threshold with a note: a reviewer
decides, nothing is rejected.  When it agrees, they stay certain.
"""
from __future__ import annotations

import io
import re
from dataclasses import replace
from decimal import Decimal, InvalidOperation

# below the invoice schema's review threshold (x-review 0.85): a reviewer looks
DOUBT = 0.5
IMAGE_EXT = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")
MAX_IMAGE_BYTES = 4 * 1024 * 1024
_PAYLOAD = re.compile(r"01,\d{2},[0-9A-Za-z]*,\d{8,20},-?\d+(?:\.\d{1,2})?,\d{8},[0-9A-Za-z]*,[0-9A-Za-z]*")


def parse(text: str) -> dict | None:
    """The payload's parts, or None when ``text`` is not an invoice QR payload."""
    m = _PAYLOAD.search((text or "").replace(" ", ""))
    if not m:
        return None
    p = m.group(0).split(",")
    return {"version": p[0], "kind": p[1], "code": p[2], "number": p[3], "amount": p[4], "date": p[5],
            "check": p[6], "crc": p[7], "payload": m.group(0)}


def decode_image(data: bytes) -> list[str]:
    """The barcode texts in an image file's bytes (none when it is not an image zxing reads)."""
    if len(data) > MAX_IMAGE_BYTES:
        return []
    try:
        import zxingcpp
        from PIL import Image

        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > 25_000_000:  # not a QR code: do not decode a huge bitmap
                return []
            img = img.convert("RGB")
            # a QR stored at its module size is too small for the finder patterns: scale it up
            if max(img.size) < 200:
                k = 200 // max(1, max(img.size)) + 1
                img = img.resize((img.width * k, img.height * k), Image.NEAREST)
            return [r.text for r in zxingcpp.read_barcodes(img)]
    except Exception:  # a broken or unsupported image is not the invoice's fault: no QR then
        return []


def _iso(ymd: str) -> str:
    return f"{ymd[:4]}-{ymd[4:6]}-{ymd[6:8]}"


def _money_eq(a: str, b: str) -> bool:
    try:
        return Decimal(a) == Decimal(b)
    except (InvalidOperation, TypeError):
        return False


def cross_check(fields: dict, qr: dict) -> list[str]:
    """Compare the read fields with the QR payload; doubt the ones it contradicts (in place).
    Returns the notes for the reviewer (Chinese, like the other consistency notes)."""
    notes = []
    checks = (("invoice_number", qr["number"], "发票号码", lambda a, b: a == b.upper()),
              ("issued_on", _iso(qr["date"]), "开票日期", lambda a, b: a == b),
              ("amount", qr["amount"], "金额（不含税）", _money_eq))
    for key, want, label, same in checks:
        fv = fields.get(key)
        if fv is None:
            continue
        if same(str(fv.value), want):
            continue
        # some issuers print the tax-inclusive total in the amount slot: that agrees too
        if key == "amount" and fields.get("total") is not None and _money_eq(fields["total"].value, want):
            continue
        note = f"发票二维码中的{label} {want} 与发票内容 {fv.value} 不一致，请人工核对"
        notes.append(note)
        fields[key] = replace(fv, confidence=min(DOUBT, float(fv.confidence or 0)), strategy=f"{fv.strategy}+qr_mismatch")
    if qr.get("code") and fields.get("invoice_code") is not None and fields["invoice_code"].value != qr["code"].upper():
        fv = fields["invoice_code"]
        notes.append(f"发票二维码中的发票代码 {qr['code']} 与发票内容 {fv.value} 不一致，请人工核对")
        fields["invoice_code"] = replace(fv, confidence=min(DOUBT, float(fv.confidence or 0)),
                                         strategy=f"{fv.strategy}+qr_mismatch")
    return notes


def first_payload(texts) -> dict | None:
    for t in texts:
        got = parse(t)
        if got:
            return got
    return None
