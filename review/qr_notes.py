"""The e-invoice's own QR payload set beside the invoice's fields on the submission page.

An OFD or 数电票 XML carries the verification data (number, date, amount excluding tax, code)
in its QR code (intake/einvoice/qr.py). Ingest uses it to doubt a contradicted field; the
reviewer is shown the comparison itself, per field: 二维码核对：金额一致（112.00）, or
不一致 with both values. It is compared with the field's value as stored now, so a reviewer's
correction is checked too. The payload is read from the archived original (0.02-0.2 s a file)
and kept per file content in this process: the page is re-rendered after every save.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from decimal import Decimal, InvalidOperation
from pathlib import Path
from threading import Lock

log = logging.getLogger(__name__)

EINVOICE_EXT = (".ofd", ".xml")
# field key -> (payload part, label)
CHECKS = {
    "invoice_number": ("number", "发票号码"),
    "issued_on": ("date", "开票日期"),
    "amount": ("amount", "金额"),
    "invoice_code": ("code", "发票代码"),
}

_cache: OrderedDict[str, dict | None] = OrderedDict()
_cache_lock = Lock()
_CACHE_MAX = 256


def _payload(path: Path, ext: str, sha: str | None) -> dict | None:
    key = sha or f"{path}:{path.stat().st_mtime_ns}"
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    from intake.einvoice import qr, read

    try:
        einv = read(path, ext)
        text = einv.raw.get("QRCode") or einv.raw.get("qr")
        got = qr.parse(text) if text else None
    except Exception:  # noqa: BLE001 - the file was read at ingest; a note is not worth an error page
        log.warning("reading the QR of %s failed", path, exc_info=True)
        got = None
    with _cache_lock:
        _cache[key] = got
        while len(_cache) > _CACHE_MAX:
            _cache.popitem(last=False)
    return got


def _money(v) -> Decimal | None:
    try:
        return Decimal(str(v).replace(",", "").lstrip("¥￥"))
    except (InvalidOperation, TypeError):
        return None


def _want(part: str, payload: dict) -> str:
    value = payload.get(part) or ""
    if part == "date" and len(value) == 8:
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    if part == "amount" and _money(value) is not None:
        return f"{_money(value):.2f}"
    return value.upper()


def note(key: str, value, payload: dict, total=None) -> dict | None:
    """{ok, text} for one field against the payload; None when the QR says nothing of it."""
    if key not in CHECKS:
        return None
    part, label = CHECKS[key]
    want = _want(part, payload)
    if not want:
        return None  # a 数电票 has no invoice code in its QR
    shown = "" if value is None else str(value)
    if part == "amount":
        got = _money(value)
        # some issuers print the tax-inclusive total in the amount slot: that agrees too
        ok = got is not None and (got == _money(want) or (total is not None and _money(total) == _money(want)))
    else:
        ok = shown.upper() == want
    if ok:
        return {"ok": True, "text": f"二维码核对：{label}一致（{want}）"}
    return {"ok": False, "text": f"二维码核对：{label}不一致（二维码 {want}，发票 {shown or '未识别'}）"}


def annotate(data: dict, db_path: str) -> None:
    """Set `qr_note` on the fields of each invoice read from an OFD / XML file (in place)."""
    from .images import resolve

    files = {f["id"]: f for f in data.get("files", [])}
    for d in data.get("documents", []):
        if d.get("type") != "invoice":
            continue
        f = files.get(d.get("file_id"))
        ext = ((f or {}).get("ext") or "").lower()
        if not f or ext not in EINVOICE_EXT:
            continue
        path = resolve(f.get("archive_path"), db_path)
        if path is None:
            continue
        payload = _payload(path, ext, f.get("sha256"))
        if payload is None:
            d["qr_missing"] = True
            continue
        values = {item["key"]: item.get("value") for item in d.get("field_list", [])}
        for item in d.get("field_list", []):
            item["qr_note"] = note(item["key"], item.get("value") or None, payload, values.get("total"))
