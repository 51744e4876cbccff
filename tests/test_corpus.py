"""The scan generator's ground truth: contract vocabulary, valid/invalid codes, determinism,
defect twins and the written inbox. Checks are implemented here independently of the generator."""
from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest

from tests.corpus import (DOC_TYPES, PACKET_DEFECTS, QUALITIES, generate_document, generate_packet,
                          generate_packet_series, write_corpus)

USCC_ALPHA = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc_ok(code: str) -> bool:
    if not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{18}", code):
        return False
    w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    if USCC_ALPHA[(31 - sum(USCC_ALPHA.index(c) * k for c, k in zip(code, w)) % 31) % 31] != code[17]:
        return False
    body = code[8:16]
    chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    v = 11 - sum(chars.index(c) * k for c, k in zip(body, [3, 7, 9, 10, 5, 8, 4, 2])) % 11
    return code[16] == {10: "X", 11: "0"}.get(v, str(v))


def id_ok(number: str) -> bool:
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * k for c, k in zip(number, w)) % 11] == number[17]


def test_checkers_on_published_examples():
    assert uscc_ok("91110000600037341L") and uscc_ok("91411000MA47M7QPXU") and uscc_ok("914110237241033719")
    assert id_ok("11010519491231002X") and id_ok("440524188001010014")
    assert not uscc_ok("91411000MA47M7QPXA") and not id_ok("110105194912310021")


# --- contract vocabulary --------------------------------------------------------------------------
ISO = r"\d{4}-\d{2}-\d{2}"
MONEY = r"\d+\.\d{2}"
TEXT = r".+"
FIELDS = {
    "business_license": {"name": TEXT, "uscc": "uscc", "company_type": TEXT, "legal_representative": TEXT,
                         "registered_capital": MONEY, "established_on": ISO, "term_start": ISO,
                         "term_end": ISO + "|长期", "address": TEXT, "business_scope": TEXT,
                         "registration_authority": TEXT, "issued_on": ISO},
    "commitment_letter": {"organization_name": TEXT, "signed_on": ISO, "signature_present": bool, "seal_present": bool},
    "id_card": {"name": TEXT, "sex": "男|女", "ethnicity": TEXT, "birth_date": ISO, "address": TEXT,
                "id_number": "idno", "issuing_authority": TEXT, "valid_from": ISO, "valid_to": ISO + "|长期"},
    "authorization_letter": {"principal_name": TEXT, "agent_name": TEXT, "agent_id_number": "idno",
                             "signed_on": ISO, "seal_present": bool},
    "service_contract": {"contract_number": TEXT, "client_name": TEXT, "client_uscc": "uscc", "provider_name": TEXT,
                         "provider_uscc": "uscc", "testing_fee": MONEY, "total_amount": MONEY, "signed_on": ISO,
                         "client_seal_present": bool, "provider_seal_present": bool},
    "invoice": {"invoice_code": r"\d{10}|\d{12}", "invoice_number": r"\d{8}|\d{20}", "issued_on": ISO,
                "buyer_name": TEXT, "buyer_tax_id": TEXT, "seller_name": TEXT, "seller_tax_id": TEXT,
                "amount": MONEY, "tax": MONEY, "total": MONEY, "total_in_words": MONEY},
    "bank_receipt": {"payer_name": TEXT, "payer_account": r"\d+", "payee_name": TEXT, "payee_account": r"\d+",
                     "amount": MONEY, "transaction_date": ISO, "serial_number": TEXT, "bank": TEXT},
    "application_form": {"unit_name": TEXT, "legal_representative": TEXT, "address": TEXT, "contact_person": TEXT,
                         "phone": TEXT, "mobile": TEXT, "email": TEXT,
                         "member_type": "政府机关|事业单位|科研单位|学校|企业|其他", "literature_needs": TEXT,
                         "expected_users": TEXT},
}
TRUTH_KEYS = {"type", "pages", "fields", "seals", "signature_present", "quality", "dpi", "family", "split"}


def check_doc_truth(t: dict, valid_codes: bool = True):
    assert TRUTH_KEYS <= set(t) and set(t) <= TRUTH_KEYS | {"extra"}
    assert t["type"] in DOC_TYPES and t["quality"] in QUALITIES and t["dpi"] in (200, 300)
    assert t["pages"] and all(isinstance(p, int) and p >= 1 for p in t["pages"])
    assert t["signature_present"] in (True, False, None)
    assert t["split"] in ("developed", "held_out")
    spec = FIELDS[t["type"]]
    for key, value in t["fields"].items():
        rule = spec[key]  # KeyError = a key outside the contract
        if rule is bool:
            assert isinstance(value, bool), key
            continue
        assert isinstance(value, str) and value.strip() == value and value, key
        if rule == "uscc":
            assert re.fullmatch(r"[0-9A-Z]{18}", value), key
        elif rule == "idno":
            assert re.fullmatch(r"\d{17}[\dX]", value), key
        else:
            assert re.fullmatch(rule, value), (key, value)
        if rule in (ISO, ISO + "|长期") and value != "长期":
            date.fromisoformat(value)
        if valid_codes and rule == "uscc":
            assert uscc_ok(value), (key, value)
        if valid_codes and rule == "idno":
            assert id_ok(value), (key, value)
    for s in t["seals"]:
        assert set(s) == {"page", "bbox", "color", "shape", "text"}
        assert s["color"] in ("red", "gray") and s["shape"] in ("round", "oval") and s["page"] in t["pages"]
        x0, y0, x1, y1 = s["bbox"]
        assert 0 <= x0 < x1 and 0 <= y0 < y1


@pytest.mark.parametrize("doc_type", DOC_TYPES)
def test_each_type_truth_is_contract_shaped(doc_type):
    doc = generate_document(doc_type, seed=3, quality="lowres")
    check_doc_truth(doc.truth)
    assert set(doc.truth["fields"]) >= set(FIELDS[doc_type]) - {"term_start", "invoice_code", "client_uscc",
                                                                "provider_uscc", "registration_authority"}
    assert doc.pages and doc.suffix in (".png", ".jpg", ".tif", ".pdf")
    if doc.truth["quality"] == "lowres":
        assert all(im.mode == "L" for im in doc.pages)
        assert all(s["color"] == "gray" for s in doc.truth["seals"])


def test_amount_fields_agree():
    inv = generate_document("invoice", seed=5, quality="lowres")
    f = inv.truth["fields"]
    assert f"{float(f['amount']) + float(f['tax']):.2f}" == f["total"] == f["total_in_words"]


def test_digital_invoice_has_text_layer_and_no_seal():
    import pypdfium2 as pdfium

    doc = generate_document("invoice", seed=2, quality="clean", invoice_variant="digital", total="12720.00")
    assert doc.suffix == ".pdf" and doc.pdf_bytes.startswith(b"%PDF")
    f = doc.truth["fields"]
    assert "invoice_code" not in f and len(f["invoice_number"]) == 20 and doc.truth["seals"] == []
    text = pdfium.PdfDocument(doc.pdf_bytes)[0].get_textpage().get_text_range()
    for needle in ("电子发票", f["invoice_number"], f["buyer_name"], f["seller_tax_id"], "壹万贰仟柒佰贰拾元整", "12720.00"):
        assert needle in text


def test_invoice_qr_decodes_to_fields():
    zxingcpp = pytest.importorskip("zxingcpp")
    doc = generate_document("invoice", seed=4, quality="clean", invoice_variant="normal")
    codes = zxingcpp.read_barcodes(doc.pages[0])
    f = doc.truth["fields"]
    parts = codes[0].text.split(",")
    assert parts[:4] == ["01", "04", f["invoice_code"], f["invoice_number"]]
    assert parts[4] == f["amount"] and parts[5] == f["issued_on"].replace("-", "")


def test_overrides_and_missing_marks():
    doc = generate_document("commitment_letter", seed=1, quality="clean", name="许昌市某某科技有限公司",
                            seal=False, signature=False)
    f = doc.truth["fields"]
    assert f["organization_name"] == "许昌市某某科技有限公司" and f["seal_present"] is False
    assert f["signature_present"] is False and doc.truth["seals"] == [] and doc.truth["signature_present"] is False
    lic = generate_document("business_license", seed=1, term_end="2020-01-01", term_style="range")
    assert lic.truth["fields"]["term_end"] == "2020-01-01"
    with pytest.raises(TypeError):
        generate_document("id_card", seed=1, no_such_field="x")


def test_deterministic_bytes_and_truth():
    a = generate_document("bank_receipt", seed=11, quality="scan")
    b = generate_document("bank_receipt", seed=11, quality="scan")
    assert a.encode() == b.encode() and a.truth == b.truth
    c = generate_document("bank_receipt", seed=12, quality="scan")
    assert c.encode() != a.encode()
    p1 = generate_document("commitment_letter", seed=2, quality="lowres", container="pdf")
    p2 = generate_document("commitment_letter", seed=2, quality="lowres", container="pdf")
    assert p1.encode() == p2.encode()  # image-only PDFs carry no wall-clock timestamps
    d1 = generate_document("invoice", seed=3, invoice_variant="digital")
    d2 = generate_document("invoice", seed=3, invoice_variant="digital")
    assert d1.encode() == d2.encode()


# --- packets ----------------------------------------------------------------------------------------
def _fields_by_type(packet):
    out = {}
    for d in packet.documents:
        out[d.type] = dict(d.truth["fields"], **{f"extra.{k}": v for k, v in d.truth.get("extra", {}).items()})
    return out


@pytest.fixture(scope="module")
def twins():
    cache = {}

    def get(kind, seed):
        if (kind, seed) not in cache:
            cache[(kind, seed)] = generate_packet(kind, seed, None, "lowres")
        return cache[(kind, seed)]
    return get


def test_valid_packets_are_coherent(twins):
    m = twins("membership_application", 7)
    assert m.truth["status"] == "ready" and m.truth["rules"] == [] and m.truth["voucher_amount"] is None
    f = _fields_by_type(m)
    assert [d.type for d in m.documents] == ["application_form", "business_license", "commitment_letter", "id_card",
                                             "authorization_letter"]
    name = f["business_license"]["name"]
    assert f["commitment_letter"]["organization_name"] == name == f["authorization_letter"]["principal_name"] == f["application_form"]["unit_name"]
    assert f["authorization_letter"]["agent_id_number"] == f["id_card"]["id_number"]
    assert f["business_license"]["uscc"][2:6] == "4110"
    as_of = m.truth["as_of"]
    assert f["id_card"]["valid_to"] == "长期" or f["id_card"]["valid_to"] > as_of
    assert f["business_license"]["term_end"] == "长期" or f["business_license"]["term_end"] > as_of
    for d in m.documents:
        check_doc_truth(d.truth)
    v = twins("voucher_redemption", 7)
    f = _fields_by_type(v)
    fee = f["service_contract"]["testing_fee"]
    assert fee == f["invoice"]["total"] == f["bank_receipt"]["amount"]
    assert f["invoice"]["buyer_name"] == f["service_contract"]["client_name"] == f["bank_receipt"]["payer_name"]
    assert f["invoice"]["seller_name"] == f["service_contract"]["provider_name"] == f["bank_receipt"]["payee_name"]
    year = v.truth["as_of"][:4]
    assert f["service_contract"]["signed_on"][:4] == f["invoice"]["issued_on"][:4] == f["bank_receipt"]["transaction_date"][:4] == year
    assert v.truth["voucher_amount"] == f"{round(float(fee) * 0.3, 2):.2f}"


INVALID_CODE = {"uscc.checksum": ("business_license", "uscc", uscc_ok),
                "id.checksum": ("id_card", "id_number", id_ok)}


@pytest.mark.parametrize("defect", [d for d in PACKET_DEFECTS if d not in ("voucher.duplicate_contract", "voucher.cap_exceeded")])
def test_defect_differs_from_twin_only_where_intended(defect, twins):
    kind = PACKET_DEFECTS[defect]
    twin = twins(kind, 7)
    bad = generate_packet(kind, 7, defect, "lowres")
    assert bad.truth["rules"] == [defect] and bad.truth["defect"] == defect
    assert bad.truth["status"] == ("needs_review" if defect == "voucher.statutory_testing" else "rejected")
    assert bad.truth["as_of"] == twin.truth["as_of"]
    a, b = _fields_by_type(twin), _fields_by_type(bad)
    intended = bad.truth["defect_fields"]
    changed = {}
    for t in a:
        if t not in b:
            changed[t] = ["*"]
            continue
        keys = sorted(k for k in set(a[t]) | set(b[t]) if a[t].get(k) != b[t].get(k))
        if keys:
            changed[t] = keys
    assert changed, "defect left no trace"
    # every change was intended, and every document the defect targets shows a change
    # (an intended key may keep its value by chance, e.g. the same company type)
    assert set(changed) == set(intended)
    for t, keys in changed.items():
        assert set(keys) <= set(intended[t]), (t, keys, intended[t])
    for d in bad.documents:
        check_doc_truth(d.truth, valid_codes=defect not in INVALID_CODE)
    if defect in INVALID_CODE:
        t, key, ok = INVALID_CODE[defect]
        assert ok(a[t][key]) and not ok(b[t][key])
    if defect == "jurisdiction.xuchang":
        assert not b["business_license"]["uscc"][2:6] == "4110" and "许昌市" not in b["business_license"]["address"][:6]


def test_history_defects_come_as_series():
    dup = generate_packet_series("voucher_redemption", 5, "voucher.duplicate_contract", "lowres")
    assert len(dup) == 2 and dup[0].truth["status"] == "ready" and dup[-1].truth["rules"] == ["voucher.duplicate_contract"]
    nums = [p.documents[0].truth["fields"]["contract_number"] for p in dup]
    assert nums[0] == nums[1] and dup[0].name != dup[1].name
    cap = generate_packet_series("voucher_redemption", 5, "voucher.cap_exceeded", "lowres")
    assert all(p.truth["status"] == "ready" for p in cap[:-1])
    granted = sum(float(p.truth["voucher_amount"]) for p in cap[:-1])
    last = cap[-1].truth
    assert len({p.truth["client_uscc"] for p in cap}) == 1
    assert last["rules"] == ["voucher.cap_exceeded"]
    assert float(last["voucher_amount"]) == pytest.approx(max(0.0, 50000 - granted))
    assert last["status"] == ("rejected" if float(last["voucher_amount"]) == 0 else "needs_review")


def test_write_corpus(tmp_path):
    paths = write_corpus(tmp_path, seed=1, count=4, quality="lowres")
    assert len(paths) == 4
    truth_root = tmp_path / ".truth"
    stacks = 0
    for p in paths:
        sub = p.name
        packet = json.loads((truth_root / sub / "packet.json").read_text("utf-8"))
        assert packet["status"] in ("ready", "needs_review", "rejected")
        assert set(packet) >= {"packet", "status", "rules", "voucher_amount", "as_of", "defect", "client_uscc", "year"}
        for entry in packet["documents"]:
            t = json.loads((truth_root / sub / f"{entry['file']}.json").read_text("utf-8"))
            if "documents" in t:
                stacks += 1
                for d in t["documents"]:
                    check_doc_truth(dict(d, quality=t["quality"], dpi=t["dpi"]))
            else:
                check_doc_truth(t)
    assert stacks >= 2  # one stack in a folder, one loose stacked file
    assert any(p.is_file() and p.parent == tmp_path for p in paths)
