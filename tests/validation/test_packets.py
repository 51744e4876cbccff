"""Packet rules: each rule id failing, and its valid twin; packet recognition; status routing."""
from __future__ import annotations


import pytest

from intake.model import FieldValue
from intake.validation import decide
from intake.validation.kinds import affiliation

from .helpers import (AGENT_ID, AS_OF, CLIENT, CLIENT_USCC, ORG, PROVIDER, PROVIDER_USCC, application_,
                      authorization_, commitment_, contract_, id_card_, idno, institution_, invoice_, license_,
                      membership, receipt_, rules_of, uscc, voucher)


def only(decision, rule, severity="error"):
    assert rules_of(decision.findings) == [rule], [(f.rule, f.message) for f in decision.findings]
    f = decision.findings[0]
    assert f.severity == severity and f.source and f.documents
    assert decision.status == ("rejected" if severity == "error" else "needs_review")
    return f


# --- membership ------------------------------------------------------------------------

def test_valid_membership_is_ready():
    d = decide(membership(), AS_OF)
    assert (d.packet, d.status, d.findings) == ("membership_application", "ready", [])
    assert d.organization == ORG and d.uscc == license_().fields["uscc"].value and d.year == 2026
    assert d.voucher_amount is None


def test_public_institution_certificate_replaces_the_license():
    inst = institution_()
    name = inst.fields["name"].value
    docs = membership(business_license=None, commitment_letter=commitment_(organization_name=name),
                      application_form=application_(unit_name=name),
                      authorization_letter=authorization_(principal_name=name))
    d = decide(docs + [inst], AS_OF)
    assert (d.packet, d.status) == ("membership_application", "ready"), d.findings
    assert d.organization == name


@pytest.mark.parametrize("missing, label", [("business_license", "营业执照或事业单位法人证书"),
                                            ("commitment_letter", "承诺书"), ("id_card", "身份证"),
                                            ("authorization_letter", "授权委托书"), ("application_form", "申请表")])
def test_packet_missing_document(missing, label):
    f = only(decide(membership(**{missing: None}), AS_OF), "packet.missing_document")
    assert label in f.message


def test_jurisdiction_across_documents():
    outside = uscc("310110")
    docs = membership(business_license=license_(uscc=outside, address="上海市杨浦区许昌路88号"),
                      application_form=application_(address="上海市杨浦区许昌路88号"))
    d = decide(docs, AS_OF)
    assert rules_of(d.findings) == ["jurisdiction.xuchang"] and d.status == "rejected"
    assert any("310110" in f.message for f in d.findings)


def test_license_expired_in_packet():
    only(decide(membership(business_license=license_(term_end="2026-01-31")), AS_OF), "license.expired")


def test_commitment_letter_seal_and_signature():
    only(decide(membership(commitment_letter=commitment_(seal_present=False)), AS_OF), "seal.missing")
    only(decide(membership(commitment_letter=commitment_(signature_present=False)), AS_OF), "signature.missing")
    d = decide(membership(commitment_letter=commitment_(seal_present=False, raw={"seal_present": "not_verifiable"})),
               AS_OF)
    only(d, "seal.missing", "warning")


def test_consistency_name():
    f = only(decide(membership(commitment_letter=commitment_(organization_name="许昌恒通精密机械有限公司")), AS_OF),
             "consistency.name")
    assert "许昌恒通精密机械有限公司" in f.message and ORG in f.message
    assert set(f.documents) >= {"business_license", "commitment_letter"}
    # Brackets, spaces and a (盖章) note do not make a difference.
    twin = membership(application_form=application_(unit_name=f" {ORG}（盖章）"))
    assert decide(twin, AS_OF).status == "ready"


def test_consistency_uscc():
    docs = membership(application_form=application_(uscc=uscc("411002", "MA40H2R3")))
    only(decide(docs, AS_OF), "consistency.uscc")
    twin = membership(application_form=application_(uscc=license_().fields["uscc"].value))
    assert decide(twin, AS_OF).status == "ready"


def test_consistency_agent_by_name_and_number():
    other = idno("411081", "19850101", "456")
    f = only(decide(membership(authorization_letter=authorization_(agent_name="李娜", agent_id_number=other)), AS_OF),
             "consistency.agent")
    assert "李娜" in f.message and other in f.message
    only(decide(membership(authorization_letter=authorization_(agent_name="李娜")), AS_OF), "consistency.agent")
    only(decide(membership(authorization_letter=authorization_(agent_id_number=other)), AS_OF), "consistency.agent")
    assert decide(membership(authorization_letter=authorization_(agent_id_number=AGENT_ID.lower())), AS_OF).findings == []


def test_id_expired_in_packet():
    only(decide(membership(id_card=id_card_(valid_to="2025-12-31")), AS_OF), "id.expired")


def test_id_card_split_in_front_and_back_is_not_missing_fields():
    front = id_card_(valid_from=None, valid_to=None, issuing_authority=None)
    back = id_card_(name=None, sex=None, ethnicity=None, birth_date=None, address=None, id_number=None)
    d = decide(membership(id_card=front) + [back], AS_OF)
    assert d.status == "ready", d.findings


# --- voucher ---------------------------------------------------------------------------

def test_valid_voucher_is_ready_with_30_percent():
    d = decide(voucher(), AS_OF)
    assert (d.packet, d.status, d.findings) == ("voucher_redemption", "ready", [])
    assert d.voucher_amount == "3816.00" and d.organization == CLIENT and d.uscc == CLIENT_USCC and d.year == 2026


def test_voucher_rounds_half_up_to_the_fen():
    fee = "10000.05"  # 3000.015 → 3000.02
    docs = voucher(service_contract=contract_(testing_fee=fee, total_amount=fee), invoice=invoice_(total=fee),
                   bank_receipt=receipt_(amount=fee))
    assert decide(docs, AS_OF).voucher_amount == "3000.02"


def test_voucher_missing_document():
    f = only(decide(voucher(invoice=None), AS_OF), "packet.missing_document")
    assert "发票" in f.message


def test_voucher_client_outside_xuchang():
    out = uscc("410105")
    docs = voucher(service_contract=contract_(client_uscc=out), invoice=invoice_(buyer_tax_id=out))
    f = only(decide(docs, AS_OF), "jurisdiction.xuchang")
    assert "410105" in f.message
    # Without a USCC on the contract, the invoice's buyer tax id is the client's code.
    docs = voucher(service_contract=contract_(client_uscc=None), invoice=invoice_(buyer_tax_id=out))
    only(decide(docs, AS_OF), "jurisdiction.xuchang")


def test_invoice_parties():
    f = only(decide(voucher(invoice=invoice_(seller_name="许昌另一检测有限公司")), AS_OF), "invoice.parties")
    assert "许昌另一检测有限公司" in f.message
    only(decide(voucher(invoice=invoice_(buyer_name="许昌别家科技有限公司")), AS_OF), "invoice.parties")
    only(decide(voucher(invoice=invoice_(seller_tax_id=uscc("411002", "MA9K8J7H"))), AS_OF), "invoice.parties")
    # Older tax ids or a missing contract USCC: nothing to compare, no finding.
    assert decide(voucher(service_contract=contract_(provider_uscc=None),
                          invoice=invoice_(seller_tax_id="410102123456789")), AS_OF).findings == []


def test_client_uscc_differs_between_contract_and_invoice():
    only(decide(voucher(invoice=invoice_(buyer_tax_id=uscc("411081", "MA9K8J7H"))), AS_OF), "consistency.uscc")


def test_amount_mismatch():
    f = only(decide(voucher(bank_receipt=receipt_(amount="12000.00")), AS_OF), "amount.mismatch")
    assert "12000.00" in f.message and "12720.00" in f.message
    # Two invoices adding up to the fee agree.
    two = [contract_(), invoice_(total="10000.00", amount="9433.96", tax="566.04"),
           invoice_(invoice_number="26412000000012345679", total="2720.00", amount="2566.04", tax="153.96"),
           receipt_()]
    assert decide(two, AS_OF).findings == []


@pytest.mark.parametrize("provider, provider_uscc, reason", [
    (CLIENT, CLIENT_USCC, "统一社会信用代码相同"),
    (CLIENT, PROVIDER_USCC, "名称相同"),
    (CLIENT + "检测分公司", PROVIDER_USCC, "同属"),
    ("禹州钧瓷新材料科技有限公司长葛分公司", PROVIDER_USCC, "同属"),
    ("禹州钧瓷新材料科技检测中心有限公司", PROVIDER_USCC, "字号"),
])
def test_voucher_affiliated(provider, provider_uscc, reason):
    docs = voucher(service_contract=contract_(provider_name=provider, provider_uscc=provider_uscc),
                   invoice=invoice_(seller_name=provider, seller_tax_id=provider_uscc))
    f = only(decide(docs, AS_OF), "voucher.affiliated")
    assert reason in f.message


def test_affiliation_heuristic_twins():
    assert affiliation("许昌瑞达精密机械有限公司", None, "许昌瑞达检测技术有限公司", None) is None  # same trade name only
    assert affiliation(CLIENT, CLIENT_USCC, PROVIDER, PROVIDER_USCC) is None
    assert affiliation("许昌瑞达精密机械有限公司", None, "河南瑞达精密机械有限公司", None)  # same core name


def test_voucher_year():
    f = only(decide(voucher(service_contract=contract_(signed_on="2025-12-20")), AS_OF), "voucher.year")
    assert "2025-12-20" in f.message and "2026" in f.message
    only(decide(voucher(bank_receipt=receipt_(transaction_date="2027-01-03")), AS_OF), "voucher.year")
    assert decide(voucher(service_contract=contract_(signed_on="2026-01-01")), AS_OF).findings == []


def test_statutory_testing_warning_from_page_text():
    texts = ["检验检测技术服务合同 一、检测项目及费用 1 计量器具强制检定 JJG 539-2016", "", ""]
    f = only(decide(voucher(), AS_OF, page_texts=texts), "voucher.statutory_testing", "warning")
    assert "强制检定" in f.message and f.source == "细则 第五条"
    twin = ["检验检测技术服务合同 一、检测项目及费用 1 盐雾腐蚀试验 GB/T 10125-2021", "", ""]
    assert decide(voucher(), AS_OF, page_texts=twin).status == "ready"
    negated = ["本合同检测项目不属于强制性检测或法定检测。", "", ""]
    assert decide(voucher(), AS_OF, page_texts=negated).status == "ready"


def test_statutory_testing_from_field_raw_without_page_text():
    c = contract_()
    c.fields["contract_number"] = FieldValue("XCJC-2026-017", 0.99, raw="合同编号：XCJC-2026-017 特种设备定期检验")
    only(decide(voucher(service_contract=c), AS_OF), "voucher.statutory_testing", "warning")


def test_cap_exceeded_without_history_for_a_large_fee():
    fee = "200000.00"  # 60,000 > 50,000
    docs = voucher(service_contract=contract_(testing_fee=fee, total_amount=fee), invoice=invoice_(total=fee),
                   bank_receipt=receipt_(amount=fee))
    d = decide(docs, AS_OF)
    only(d, "voucher.cap_exceeded", "warning")
    assert d.voucher_amount == "50000.00"


def test_leading_enterprise_cap_from_configuration(tmp_path, monkeypatch):
    fee = "200000.00"
    docs = voucher(service_contract=contract_(testing_fee=fee, total_amount=fee), invoice=invoice_(total=fee),
                   bank_receipt=receipt_(amount=fee))
    config = {"default_cap": "50000.00", "enterprises": [{"uscc": CLIENT_USCC, "category": "瞪羚企业"}]}
    d = decide(docs, AS_OF, voucher_config=config)
    assert d.voucher_amount == "60000.00" and d.status == "ready"
    path = tmp_path / "vouchers.json"
    import json
    path.write_text(json.dumps({"enterprises": [{"name": CLIENT, "category": "创新龙头企业"}]}), "utf-8")
    monkeypatch.setenv("DOCINTAKE_VOUCHER_CONFIG", str(path))
    assert decide(docs, AS_OF).voucher_amount == "60000.00"


# --- routing and recognition -----------------------------------------------------------

def test_low_confidence_routes_to_review():
    docs = membership()
    docs[1].fields["uscc"] = FieldValue(docs[1].fields["uscc"].value, 0.5)
    d = decide(docs, AS_OF)
    assert d.status == "needs_review" and d.findings == [] and d.low_confidence[0]["field"] == "uscc"
    docs[1].fields["uscc"].source = "reviewer"  # a reviewer's correction is trusted
    assert decide(docs, AS_OF).status == "ready"


def test_unknown_document_routes_to_review():
    from .helpers import doc
    d = decide(membership() + [doc("unknown")], AS_OF)
    assert d.status == "needs_review" and d.findings == [] and d.review_reasons


def test_unknown_packet():
    from .helpers import doc
    d = decide([doc("unknown")], AS_OF)
    assert d.packet == "unknown" and d.status == "needs_review"
    assert decide([], AS_OF).status == "needs_review"


def test_error_beats_warning():
    docs = membership(commitment_letter=commitment_(seal_present=False, raw={"seal_present": "not_verifiable"}),
                      business_license=license_(term_end="2026-01-01"))
    assert decide(docs, AS_OF).status == "rejected"


def test_document_and_packet_findings_are_merged():
    d = decide(membership(business_license=license_(term_end="2026-01-01")), AS_OF)
    assert len(d.findings) == 1 and d.findings[0].documents == ["business_license"]


def test_recognition_by_best_match():
    assert decide([license_(), id_card_()], AS_OF).packet == "membership_application"
    assert decide([invoice_()], AS_OF).packet == "voucher_redemption"
