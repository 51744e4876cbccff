"""generate_document: values -> rendered pages -> quality degradation -> file bytes + truth."""
from __future__ import annotations

import io
import json
import logging
import random
from dataclasses import dataclass, field
import time
from datetime import date
from pathlib import Path

from PIL import Image

from . import money
from .degrade import DPI, QUALITIES, degrade
from .families import families, split_of
from .layouts import (application_form, authorization_letter, bank_receipt, business_license, commitment_letter,
                      id_card, invoice, service_contract, service_result)

logging.getLogger("fontTools").setLevel(logging.ERROR)

DOC_TYPES = ("business_license", "commitment_letter", "id_card", "authorization_letter", "service_contract",
             "invoice", "bank_receipt", "application_form")
LAYOUTS = {"business_license": business_license, "commitment_letter": commitment_letter, "id_card": id_card,
           "authorization_letter": authorization_letter, "service_contract": service_contract,
           "invoice": invoice, "bank_receipt": bank_receipt, "application_form": application_form,
           # not in DOC_TYPES: drawn only into voucher packets that carry a service result (one layout)
           "service_result": service_result}
DEFAULT_AS_OF = date(2026, 3, 18)
# Convenience aliases accepted as overrides, mapped per type to the value they set.
_ALIASES = {
    "seal": {"commitment_letter": "seal_present", "authorization_letter": "seal_present",
             "service_contract": ("client_seal_present", "provider_seal_present")},
    "signature": {"commitment_letter": "signature_present", "authorization_letter": "signature_present"},
    "name": {"commitment_letter": "organization_name", "authorization_letter": "principal_name",
             "application_form": "unit_name"},
}
_JPEG_QUALITY = {"scan": 80, "lowres": 85, "photo": 85, "clean": 92}


@dataclass
class GeneratedDocument:
    type: str
    pages: list
    pdf_bytes: bytes | None
    suffix: str
    truth: dict
    jpeg_quality: int = 80
    _data: bytes | None = field(default=None, repr=False)

    def encode(self) -> bytes:
        if self._data is None:
            self._data = encode_pages(self.pages, self.suffix, self.truth["dpi"], self.jpeg_quality, self.pdf_bytes)
        return self._data

    def save(self, path_without_suffix) -> Path:
        path = Path(str(path_without_suffix) + self.suffix)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.encode())
        return path


def encode_pages(pages, suffix: str, dpi: int, jpeg_quality: int, pdf_bytes: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    if suffix == ".pdf":
        if pdf_bytes is not None:
            return pdf_bytes
        first, rest = pages[0], pages[1:]
        fixed = time.gmtime(1767225600)  # 2026-01-01; Pillow stamps the current time otherwise
        first.save(buf, "PDF", save_all=True, append_images=rest, resolution=float(dpi), quality=jpeg_quality,
                   creationDate=fixed, modDate=fixed, producer="docintake corpus")
    elif suffix == ".png":
        pages[0].save(buf, "PNG", dpi=(dpi, dpi), compress_level=3)
    elif suffix == ".jpg":
        pages[0].save(buf, "JPEG", quality=jpeg_quality, subsampling=2, optimize=False, dpi=(dpi, dpi))
    elif suffix == ".tif":
        pages[0].save(buf, "TIFF", save_all=True, append_images=pages[1:], compression="tiff_deflate",
                      dpi=(dpi, dpi))
    else:
        raise ValueError(suffix)
    return buf.getvalue()


def build_values(doc_type: str, seed: int, as_of: date = DEFAULT_AS_OF, **overrides) -> dict:
    layout = LAYOUTS[doc_type]
    rng = random.Random(f"values:{doc_type}:{seed}")
    v = layout.defaults(rng, as_of)
    for alias, per_type in _ALIASES.items():
        if alias in overrides and doc_type in per_type:
            targets = per_type[doc_type]
            value = overrides.pop(alias)
            for t in (targets if isinstance(targets, tuple) else (targets,)):
                overrides.setdefault(t, value)
    if doc_type == "invoice" and overrides.get("invoice_variant", v["invoice_variant"]) != v["invoice_variant"]:
        regen = invoice.values(random.Random(f"variant:{seed}"), _Party(v, "buyer"), _Party(v, "seller"),
                               v["total"], date.fromisoformat(v["issued_on"]), overrides["invoice_variant"])
        for k in ("invoice_code", "invoice_number", "check_code"):
            v.pop(k, None)
            if k in regen:
                v[k] = regen[k]
    unknown = sorted(k for k in overrides if k not in v and k not in _OPTIONAL.get(doc_type, ()))
    if unknown:
        raise TypeError(f"unknown override(s) for {doc_type}: {unknown}")
    v.update(overrides)
    if doc_type == "invoice" and "total" in overrides and "amount" not in overrides:
        v["amount"], v["tax"] = invoice.split_total(v["total"], v["rate"])
    if doc_type == "service_contract" and "testing_fee" in overrides and "total_amount" not in overrides:
        v["total_amount"] = v["testing_fee"]
    return v


_OPTIONAL = {"invoice": ("invoice_code", "check_code", "digital_special"), "commitment_letter": ("signed_on", "sign_label", "sign_place", "seal_over_signature"),
             "authorization_letter": ("signature_present",),
             # render options of the member-type mark (checkbox calibration draws each kind on purpose)
             "application_form": ("mark", "hand", "faint")}


class _Party:
    """Just enough of an Org for invoice.values() when only the invoice variant changes."""

    def __init__(self, v, role):
        self.name, self.uscc = v[f"{role}_name"], v[f"{role}_tax_id"]
        self.address, self.phone = v[f"{role}_addr_tel"], ""
        self.bank, self.account = v[f"{role}_bank"], ""


def signature_truth(doc_type: str, v: dict):
    if doc_type == "commitment_letter":
        return bool(v["signature_present"])
    if doc_type == "authorization_letter":
        return bool(v.get("signature_present", True))
    if doc_type == "service_contract":
        return True
    return None


def default_suffix(quality: str, n_pages: int, rng: random.Random) -> str:
    if n_pages > 1:
        return ".tif" if quality == "lowres" and rng.random() < 0.5 else ".pdf"
    if quality == "clean":
        return ".png"
    if quality == "lowres":
        return rng.choice([".png", ".jpg"])
    return ".jpg"


def pick_family(doc_type: str, seed: int, family: str | None = None, split: str | None = None) -> str:
    """The layout family to draw: ``family`` if given, else one of ``split`` drawn with the
    document's own rng (so a seed always gives the same family), else "classic"."""
    if family is not None:
        split_of(doc_type, family)  # raises on an unknown family
        return family
    if split is None:
        return "classic"
    return random.Random(f"family:{doc_type}:{seed}").choice(families(doc_type, split))


def for_family(doc_type: str, v: dict, seed: int, family: str) -> dict:
    """Values as ``family`` prints them: the family name plus that family's render options (drawn
    with their own rng, so the values of the classic layout never change). Fields already in ``v``
    (a packet's coherent values) win over the family's choices."""
    layout = LAYOUTS[doc_type]
    if family == "classic":  # the classic layout reads no family options
        return v if "family" not in v else {k: x for k, x in v.items() if k != "family"}
    if family not in getattr(layout, "FAMILY_RENDER", {"classic": None}):
        raise NotImplementedError(f"layout family {family!r} of {doc_type} is not drawn yet")
    frng = random.Random(f"family-values:{doc_type}:{seed}:{family}")
    if hasattr(layout, "for_family"):
        return layout.for_family(dict(v), family, frng)
    return dict(v, family=family)


def render_values(doc_type: str, v: dict, seed: int, quality: str = "clean", container: str | None = None,
                  family: str | None = None, split: str | None = None):
    """Render already-built values; returns GeneratedDocument. ``family``/``split`` choose the layout
    family (tests/corpus/families.py); both None draws the classic layout, byte for byte as before."""
    if quality not in QUALITIES:
        raise ValueError(f"quality must be one of {QUALITIES}")
    layout = LAYOUTS[doc_type]
    fam = pick_family(doc_type, seed, family, split)
    v = for_family(doc_type, v, seed, fam)
    dpi = DPI[quality]
    rrng = random.Random(f"render:{doc_type}:{seed}")
    pages = layout.render(v, dpi, rrng)
    drng = random.Random(f"degrade:{doc_type}:{seed}:{quality}")
    images, seals = [], []
    for i, page in enumerate(pages):
        img, fbox = degrade(page.img, quality, drng)
        images.append(img)
        for s in page.seals:
            seals.append(dict(s, bbox=fbox(s["bbox"]), color="gray" if quality == "lowres" else s["color"]))
    seals.sort(key=lambda s: (s["page"], s["bbox"][1], s["bbox"][0]))
    pdf_bytes = None
    crng = random.Random(f"container:{doc_type}:{seed}:{quality}")
    if (doc_type == "invoice" and v["invoice_variant"] == "digital" and fam == "classic" and quality == "clean"
            and container in (None, ".pdf", "pdf")):
        pdf_bytes = invoice.render_pdf(v)
        suffix = ".pdf"
    else:
        suffix = ("." + container.lstrip(".")) if container else default_suffix(quality, len(images), crng)
        if suffix in (".png", ".jpg") and len(images) > 1:
            suffix = ".pdf"
        if suffix == ".jpg":
            images = [im if im.mode in ("RGB", "L") else im.convert("RGB") for im in images]
    truth = {"type": doc_type, "pages": list(range(1, len(images) + 1)), "fields": layout.fields(v),
             "seals": seals, "signature_present": signature_truth(doc_type, v), "quality": quality, "dpi": dpi,
             "family": fam, "split": split_of(doc_type, fam) if doc_type in DOC_TYPES else None}
    if hasattr(layout, "extra"):
        truth["extra"] = layout.extra(v)
    doc = GeneratedDocument(type=doc_type, pages=images, pdf_bytes=pdf_bytes, suffix=suffix, truth=truth,
                            jpeg_quality=_JPEG_QUALITY[quality])
    if suffix == ".pdf" and pdf_bytes is None:
        doc.pdf_bytes = doc.encode()
    return doc


def generate_document(doc_type: str, seed: int = 0, quality: str = "clean", *, as_of: date | str = DEFAULT_AS_OF,
                      container: str | None = None, family: str | None = None, split: str | None = None,
                      **overrides) -> GeneratedDocument:
    """One document of ``doc_type``. Overrides take contract-normalized values (ISO dates, '12345.00',
    True/False) for that type's field keys, plus render options (e.g. ``seal``, ``signature``,
    ``invoice_variant``, ``date_style``); unknown keys raise TypeError. ``container`` forces the file
    format ('png', 'jpg', 'tif', 'pdf'). ``family`` draws that layout family; ``split``
    ('developed', 'held_out', 'all') draws one family of that split with the document's rng;
    neither draws the classic layout exactly as it always was."""
    if doc_type not in LAYOUTS:
        raise ValueError(f"doc_type must be one of {DOC_TYPES}")
    as_of = as_of if isinstance(as_of, date) else date.fromisoformat(as_of)
    v = build_values(doc_type, seed, as_of, **overrides)
    return render_values(doc_type, v, seed, quality, container, family, split)


def truth_json(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
