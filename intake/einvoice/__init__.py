"""E-invoices read without OCR: OFD (GB/T 33190, a zip of XML) and the 数电票 XML.

Both give the fields the PDF path gives for an invoice (contract keys, normalized values) with
positions on a page image drawn for the review UI, and pages with text lines (like a PDF's text
layer) so the pipeline classifies and extracts them as it does a digital PDF.

- `sniff(head, path)`: ``.ofd`` / ``.xml`` from the first bytes (the loader's content check).
- `read(path)`: an `EInvoice` (fields with positions, pages, the format).
- `iter_pages(path, ext)`: the loader's pages (image + text lines).
- `to_document(einv)`: the invoice as a `Document`.
"""
from __future__ import annotations

from pathlib import Path

from .model import EInvoice, TextItem  # noqa: F401

OFD, XML = ".ofd", ".xml"


def sniff(head: bytes, path: Path | None = None) -> str | None:
    """``.ofd`` for a zip holding ``OFD.xml``, ``.xml`` for a 数电票 XML (root ``EInvoice``)."""
    if head.startswith(b"PK\x03\x04"):
        if b"OFD.xml" in head[:200] or b"Doc_0/" in head[:200]:
            return OFD
        if path is not None:
            from .ofd import is_ofd
            return OFD if is_ofd(path) else None
        return None
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<") and (b"<EInvoice" in head or b":EInvoice" in head):
        return XML
    return None


def read(path: Path, ext: str | None = None) -> EInvoice:
    path = Path(path)
    ext = ext or sniff(path.read_bytes()[:1024], path)
    if ext == OFD:
        from .ofd import read_ofd
        return read_ofd(path.read_bytes(), path.name)
    if ext == XML:
        from .xml import read_xml
        return read_xml(path.read_bytes(), path.name)
    from ..errors import WrongTypeError
    raise WrongTypeError(f"{path.name} 不是 OFD 或数电票 XML 文件。{path.name} is neither OFD nor an e-invoice XML.")


def iter_pages(path: Path, ext: str | None = None):
    from .render import loaded_pages
    return iter(loaded_pages(read(path, ext)))


def to_document(einv: EInvoice, file_name: str = ""):
    from ..model import Document
    return Document(type="invoice", pages=[1], confidence=1.0, fields=dict(einv.fields), file=file_name or einv.source)
