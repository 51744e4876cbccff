"""OFD (GB/T 33190-2016) e-invoices read from their XML parts, no renderer needed.

An OFD file is a zip: ``OFD.xml`` names the document root (``Doc_0/Document.xml``), which gives
the page size (``PhysicalBox``, millimetres), the pages (``Pages/Page_N/Content.xml``), their
templates (the 数电票 prints its static labels on a template page) and the custom tags
(``Tags/CustomTag.xml``): the invoice's semantic fields (``InvoiceNo``, ``IssueDate``,
``BuyerName``, ``BuyerTaxID``, ``SellerName``, ``SellerTaxID``, ``TaxExclusiveTotalAmount``,
``TaxTotalAmount``, ``TaxInclusiveTotalAmount`` …), each an ``ObjectRef`` to the text object
printing it — so every field has its value and its position.  A text object's ``Boundary`` is
``x y w h`` in mm; a ``TextCode``'s ``X``/``Y`` are the first character's origin (baseline)
inside it and ``DeltaX`` the advances between characters (``g N d`` repeats ``d`` N times).

Reading is bounded (members, sizes) and XML is parsed without DTDs or entities (defusedxml).
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
from pathlib import Path

from defusedxml import ElementTree as DET

from ..errors import CorruptFileError, TooLargeError
from . import qr
from .fields import field_value, normalize
from .model import EInvoice, EPage, TextItem

MAX_MEMBERS = 5000
MAX_PART_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
BASELINE = 0.86  # of the font size: from the em box top to the baseline
TAG_KEYS = {"InvoiceNo": "invoice_number", "InvoiceNumber": "invoice_number", "IssueDate": "issued_on",
            "InvoiceCode": "invoice_code", "BuyerName": "buyer_name", "BuyerTaxID": "buyer_tax_id",
            "SellerName": "seller_name", "SellerTaxID": "seller_tax_id", "TaxExclusiveTotalAmount": "amount",
            "TaxTotalAmount": "tax", "TaxInclusiveTotalAmount": "total"}
# DocInfo CustomData names some issuers also fill (a fallback when a tag is missing)
CUSTOM_DATA_KEYS = {"发票号码": "invoice_number", "开票日期": "issued_on", "发票代码": "invoice_code",
                    "购买方名称": "buyer_name", "购买方纳税人识别号": "buyer_tax_id", "销售方名称": "seller_name",
                    "销售方纳税人识别号": "seller_tax_id", "合计金额": "amount", "合计税额": "tax", "价税合计": "total"}


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def is_ofd(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return any(n.lstrip("/").lower() == "ofd.xml" for n in zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


class _Package:
    def __init__(self, data: bytes, source: str):
        self.source = source
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise CorruptFileError(f"OFD 文件 {source} 不是有效的压缩包。The OFD file is not a valid zip.") from exc
        infos = self.zf.infolist()
        if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
            raise TooLargeError(f"OFD 文件 {source} 解压后过大。The OFD file unpacks too large.")
        self.names = {i.filename.lstrip("/").lower(): i.filename for i in infos}

    def has(self, name: str) -> bool:
        return name.lstrip("/").lower() in self.names

    def xml(self, name: str):
        real = self.names.get(name.lstrip("/").lower())
        if real is None:
            raise CorruptFileError(f"OFD 文件 {self.source} 缺少 {name}。The OFD file lacks {name}.")
        info = self.zf.getinfo(real)
        if info.file_size > MAX_PART_BYTES:
            raise TooLargeError(f"OFD 文件 {self.source} 的 {name} 过大。{name} is too large.")
        try:
            return DET.fromstring(self.zf.read(real))
        except Exception as exc:  # defusedxml refuses DTDs/entities; expat raises on broken XML
            raise CorruptFileError(f"OFD 文件 {self.source} 的 {name} 无法解析（{type(exc).__name__}）。"
                                   f"{name} in the OFD file cannot be parsed.") from exc


def _resolve(base: str, loc: str) -> str:
    loc = (loc or "").strip()
    return posixpath.normpath(loc.lstrip("/") if loc.startswith("/") else posixpath.join(base, loc))


def _child(el, name):
    return next((c for c in el.iter() if _local(c.tag) == name), None)


def _nums(text: str | None) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", text or "")]


def _deltas(text: str | None) -> list[float]:
    out, toks, i = [], (text or "").split(), 0
    while i < len(toks):
        if toks[i] == "g" and i + 2 < len(toks):
            out += [float(toks[i + 2])] * int(float(toks[i + 1]))
            i += 3
        else:
            out.append(float(toks[i]))
            i += 1
    return out


def _color(el) -> tuple[int, int, int]:
    fill = next((c for c in el if _local(c.tag) == "FillColor"), None)
    v = _nums(fill.get("Value")) if fill is not None else []
    return tuple(int(x) for x in v[:3]) if len(v) >= 3 else (0, 0, 0)


def _media(pkg: _Package, doc, base: str) -> dict[str, str]:
    """MultiMedia resource ID -> its file in the package (``PublicRes``/``DocumentRes``, each
    resource file's ``BaseLoc`` is the folder its ``MediaFile`` names are relative to)."""
    out = {}
    for loc in (e for e in doc.iter() if _local(e.tag) in ("PublicRes", "DocumentRes") and (e.text or "").strip()):
        res_name = _resolve(base, loc.text)
        if not pkg.has(res_name):
            continue
        res = pkg.xml(res_name)
        folder = _resolve(posixpath.dirname(res_name), res.get("BaseLoc", "") or ".")
        for mm in (e for e in res.iter() if _local(e.tag) == "MultiMedia"):
            f = _child(mm, "MediaFile")
            if mm.get("ID") and f is not None and (f.text or "").strip():
                out[mm.get("ID")] = _resolve(folder, f.text)
    return out


def _image(pkg: _Package | None, media: dict, el, page: EPage) -> None:
    """An ImageObject (the printed QR code, a logo): kept with its box so the page image shows it."""
    name = media.get(el.get("ResourceID", ""))
    box = _nums(el.get("Boundary"))
    if pkg is None or name is None or len(box) < 4 or not pkg.has(name):
        return
    info = pkg.zf.getinfo(pkg.names[name.lower()])
    if info.file_size <= qr.MAX_IMAGE_BYTES:
        page.images.append((box[0], box[1], box[2], box[3], pkg.zf.read(info)))


def _content(root, page: EPage, ids: dict[str, list[TextItem]], pkg: _Package | None = None,
             media: dict | None = None) -> None:
    for el in root.iter():
        name = _local(el.tag)
        if name == "ImageObject":
            _image(pkg, media or {}, el, page)
        elif name == "TextObject":
            bx, by = (_nums(el.get("Boundary")) + [0, 0])[:2]
            # CTM "a b c d e f" maps the object's own space into its box: the 数电票 template
            # narrows its labels with a = 0.89; unscaled they run into the values beside them.
            # Scale and offset are applied; a rotated or skewed object (b, c not 0: the 下载次数
            # stamp up the right margin) is placed unrotated, as before.
            ctm = _nums(el.get("CTM"))
            a, b, c2, d, e, f = ctm[:6] if len(ctm) >= 6 else (1, 0, 0, 1, 0, 0)
            if b or c2 or a <= 0 or d <= 0:
                a, d, e, f = 1, 1, 0, 0
            size = float(el.get("Size") or 3.5)
            for code in (c for c in el if _local(c.tag) == "TextCode"):
                text = code.text or ""
                if "\n" in text:
                    # a part re-indented by an editor (public samples are): the line break and the
                    # indentation around the text are layout, and would take the first advances
                    text = text.strip()
                adv = [a * v for v in _deltas(code.get("DeltaX"))]
                x = bx + e + a * float(code.get("X") or 0)
                y = by + f + d * (float(code.get("Y") or size * BASELINE) - size * BASELINE)
                item = TextItem(text, x, y, size * d, tuple(adv), _color(el), el.get("ID", ""))
                page.texts.append(item)
                ids.setdefault(item.id, []).append(item)
        elif name == "PathObject":
            bx, by = (_nums(el.get("Boundary")) + [0, 0])[:2]
            data = next((c for c in el if _local(c.tag) == "AbbreviatedData"), None)
            toks = (data.text or "").split() if data is not None else []
            at = start = None
            i = 0
            while i < len(toks):
                op = toks[i]
                if op in ("M", "L") and i + 2 < len(toks):
                    pt = (bx + float(toks[i + 1]), by + float(toks[i + 2]))
                    if op == "L" and at is not None:
                        page.lines.append((*at, *pt))
                    at = pt
                    start = pt if op == "M" else start
                    i += 3
                elif op in ("C", "B", "Q", "A"):
                    i += {"C": 7, "B": 7, "Q": 5, "A": 8}[op]  # curves: not drawn
                elif op in ("Z", "z", "S"):
                    if op != "S" and at and start:
                        page.lines.append((*at, *start))
                    i += 1
                else:
                    i += 1


def _tags(pkg: _Package, doc, base: str) -> dict[str, list[str]]:
    """Semantic tag (local name) -> the text object ids it points at."""
    loc = _child(doc, "CustomTags")
    if loc is None or not (loc.text or "").strip():
        return {}
    index_name = _resolve(base, loc.text)
    if not pkg.has(index_name):
        return {}
    out: dict[str, list[str]] = {}
    for file_loc in (e for e in pkg.xml(index_name).iter() if _local(e.tag) == "FileLoc"):
        name = _resolve(posixpath.dirname(index_name), file_loc.text or "")
        if not pkg.has(name):
            continue
        try:
            root = pkg.xml(name)
        except CorruptFileError:
            # issued files exist whose tag file is not well-formed XML (``<:eInvoice xmlns:="">``,
            # an unbound ``ofd:`` prefix): its element → ObjectRef pairs are still plain to read
            for tag, refs in _loose_tags(pkg.zf.read(pkg.names[name.lower()])).items():
                out.setdefault(tag, []).extend(refs)
            continue
        for el in root.iter():
            refs = [c.text.strip() for c in el if _local(c.tag) == "ObjectRef" and c.text]
            if refs:
                out.setdefault(_local(el.tag), []).extend(refs)
    return out


_LOOSE_TAG = re.compile(r"<([A-Za-z_][\w.-]*)>((?:\s*<(?:\w+:)?ObjectRef\b[^>]*>[^<]*</(?:\w+:)?ObjectRef>)+)")
_LOOSE_REF = re.compile(r"<(?:\w+:)?ObjectRef\b[^>]*>\s*([^<\s]+)\s*</")


def _loose_tags(data: bytes) -> dict[str, list[str]]:
    text = data.decode("utf-8", "replace")
    return {m[1]: _LOOSE_REF.findall(m[2]) for m in _LOOSE_TAG.finditer(text)}


def read_pages(data: bytes, source: str = "<ofd>") -> tuple[list[EPage], dict[str, list[TextItem]], dict, dict]:
    pkg = _Package(data, source)
    ofd = pkg.xml("OFD.xml")
    root_el = _child(ofd, "DocRoot")
    if root_el is None or not (root_el.text or "").strip():
        raise CorruptFileError(f"OFD 文件 {source} 的 OFD.xml 没有 DocRoot。The OFD has no DocRoot.")
    doc_name = _resolve("", root_el.text)
    doc = pkg.xml(doc_name)
    base = posixpath.dirname(doc_name)
    common = _child(doc, "CommonData")
    box = _nums(getattr(_child(common if common is not None else doc, "PhysicalBox"), "text", None)) or [0, 0, 210, 297]
    templates = {t.get("ID"): _resolve(base, t.get("BaseLoc", "")) for t in doc.iter() if _local(t.tag) == "TemplatePage"}
    custom = {c.get("Name"): (c.text or "").strip() for c in ofd.iter() if _local(c.tag) == "CustomData"}
    pages, ids = [], {}
    media = _media(pkg, doc, base)
    pages_el = _child(doc, "Pages")
    for p in (e for e in (pages_el if pages_el is not None else []) if _local(e.tag) == "Page"):
        name = _resolve(base, p.get("BaseLoc", ""))
        content = pkg.xml(name)
        pbox = _nums(getattr(_child(content, "PhysicalBox"), "text", None)) or box
        page = EPage(pbox[2], pbox[3])
        for t in (e for e in content if _local(e.tag) == "Template"):
            if templates.get(t.get("TemplateID")) and pkg.has(templates[t.get("TemplateID")]):
                _content(pkg.xml(templates[t.get("TemplateID")]), page, ids, pkg, media)
        _content(content, page, ids, pkg, media)
        pages.append(page)
    if not pages:
        raise CorruptFileError(f"OFD 文件 {source} 中没有页面。The OFD file has no pages.")
    return pages, ids, _tags(pkg, doc, base), custom


def read_ofd(data: bytes, source: str = "<ofd>") -> EInvoice:
    pages, ids, tags, custom = read_pages(data, source)
    fields, raw = {}, {}
    for tag, refs in tags.items():
        key = TAG_KEYS.get(tag)
        items = [i for r in refs for i in ids.get(r, [])]
        if key is None or not items:
            continue
        text = "".join(i.text for i in items)
        raw[tag] = text
        fv = field_value(key, text, items, "ofd_tag")
        if fv is not None and key not in fields:
            fields[key] = fv
    for name, text in custom.items():
        key = CUSTOM_DATA_KEYS.get(name)
        if key and key not in fields:
            fv = field_value(key, text, None, "ofd_custom_data")
            if fv is not None:
                fields[key] = fv
    # the amount in words has no tag: the page's text that reads as one (after 价税合计（大写）)
    for item in pages[0].texts:
        if re.search(r"[圆元].*[整正角分]|[圆元]$", item.text) and normalize("total_in_words", item.text):
            fields["total_in_words"] = field_value("total_in_words", item.text, item, "ofd_text")
            break
    problems = consistency(fields)
    payload = _qr_payload(data, source, pages, custom)
    if payload is not None:
        raw["QRCode"] = payload["payload"]
        problems += qr.cross_check(fields, payload)
    return EInvoice("ofd", fields, pages, source, raw, problems)


def _qr_payload(data: bytes, source: str, pages: list[EPage], custom: dict) -> dict | None:
    """The invoice QR payload: from a custom datum or page text when an issuer keeps it as text,
    else decoded from the package's image resources (the printed QR is an ImageObject whose
    MultiMedia file is a PNG/JPEG in the package)."""
    got = qr.first_payload(list(custom.values()) + [t.text for p in pages for t in p.texts])
    if got is not None:
        return got
    for blob in (im[4] for p in pages for im in p.images):
        got = qr.first_payload(qr.decode_image(blob))
        if got is not None:
            return got
    pkg = _Package(data, source)
    # the issuer's original invoice XML attached to the OFD (``Attachs/original_invoice.xml``)
    # carries the QR text as ``GraphCode``
    for info in pkg.zf.infolist():
        if "attach" in info.filename.lower() and info.filename.lower().endswith(".xml"):
            try:
                got = qr.first_payload(el.text for el in pkg.xml(info.filename).iter() if el.text and "," in el.text)
            except CorruptFileError:
                got = None
            if got is not None:
                return got
    for info in pkg.zf.infolist():
        if info.filename.lower().endswith(qr.IMAGE_EXT) and info.file_size <= qr.MAX_IMAGE_BYTES:
            got = qr.first_payload(qr.decode_image(pkg.zf.read(info)))
            if got is not None:
                return got
    return None


def consistency(fields: dict) -> list[str]:
    """What the invoice's own parts say against each other (shown to the reviewer)."""
    from decimal import Decimal
    v = {k: f.value for k, f in fields.items()}
    out = []
    if v.get("total") and v.get("total_in_words") and v["total"] != v["total_in_words"]:
        out.append(f"价税合计大写 {v['total_in_words']} 与小写 {v['total']} 不一致")
    if v.get("total") and v.get("amount") and v.get("tax") and \
            Decimal(v["amount"]) + Decimal(v["tax"]) != Decimal(v["total"]):
        out.append(f"金额 {v['amount']} 加税额 {v['tax']} 不等于价税合计 {v['total']}")
    return out
