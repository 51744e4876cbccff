"""Doubt is a warning for review, never a rejection; confident defects still reject.

Each doubt class of contract section 4 (last paragraph) on an otherwise valid packet: a field
below its review threshold, a value that failed type validation, a cross-document mismatch
that could be an OCR difference (confusable pair, traditional form, truncation, a label read
into the value, one or two scattered characters, a dropped decimal point).  Their confident
twins stay errors.
"""
from __future__ import annotations

import pytest

from intake.model import Document, FieldValue
from intake.validation import decide, validate_document
from intake.validation.confusions import code_difference, money_difference, ocr_difference, text_difference

from .helpers import (AGENT_ID, AS_OF, CLIENT, ORG, ORG_USCC, PROVIDER, application_, authorization_, commitment_,
                      contract_, id_card_, idno, invoice_, license_, membership, receipt_, voucher)


def _only(decision, rule):
    found = [f for f in decision.findings if f.rule == rule]
    assert found, [(f.rule, f.severity, f.message) for f in decision.findings]
    return found[0]


def _low(document: Document, key: str, conf: float = 0.6) -> Document:
    fv = document.fields[key]
    document.fields[key] = FieldValue(fv.value, conf, fv.page, fv.bbox, fv.strategy, fv.raw)
    return document


# --- names that differ only as OCR readings could --------------------------------------------

@pytest.mark.parametrize("misread, why", [
    ("許昌瑞達精密機械有限公司", "繁体"),                # traditional forms
    ("许昌瑞达精密机械有限公", "截断"),                  # last character truncated
    ("许昌瑞达精密机械有限公可", "形近字"),              # 司/可
    ("许昌瑞达精密机楲有限公司", "相差 1 个字"),         # one unexplained character (under a seal)
])
def test_name_that_could_be_an_ocr_reading_is_a_warning(misread, why):
    d = decide(membership(commitment_letter=commitment_(organization_name=misread)), AS_OF)
    f = _only(d, "consistency.name")
    assert f.severity == "warning" and d.status == "needs_review"
    assert "请人工核对" in f.message and ORG in f.message and misread.replace(" ", "") in f.message
    assert f.evidence["severity_without_doubt"] == "error"


def test_other_company_name_still_rejects():
    other = ORG.replace("瑞达", "恒通")  # two neighbouring characters: another word, another company
    d = decide(membership(commitment_letter=commitment_(organization_name=other)), AS_OF)
    f = _only(d, "consistency.name")
    assert f.severity == "error" and d.status == "rejected" and "请人工核对" not in f.message


def test_agent_name_run_into_the_next_label_is_a_warning():
    """受托人：欧阳佳  性别：女 read as 欧阳佳性别: same ID number, so the same person."""
    card = id_card_(name="欧阳佳")
    letter = authorization_(agent_name="欧阳佳性别")
    d = decide(membership(id_card=card, authorization_letter=letter), AS_OF)
    f = _only(d, "consistency.agent")
    assert f.severity == "warning" and d.status == "needs_review"
    assert "欧阳佳性别" in f.message and "欧阳佳" in f.message and "性别" in f.message


def test_other_agent_with_other_id_still_rejects():
    other_id = idno("411081", "19850512", "456")
    d = decide(membership(authorization_letter=authorization_(agent_name="李娜", agent_id_number=other_id)), AS_OF)
    assert _only(d, "consistency.agent").severity == "error" and d.status == "rejected"


def test_agent_id_that_fails_its_check_and_differs_by_one_digit_is_a_warning():
    bad = AGENT_ID[:5] + ("0" if AGENT_ID[5] != "0" else "1") + AGENT_ID[6:]
    d = decide(membership(authorization_letter=authorization_(agent_id_number=bad)), AS_OF)
    assert {f.rule: f.severity for f in d.findings}.get("consistency.agent") == "warning"
    assert d.status != "ready"


# --- below the review threshold ----------------------------------------------------------------

def test_mismatch_resting_on_a_low_confidence_reading_is_a_warning():
    other = ORG.replace("瑞达", "恒通")
    letter = _low(commitment_(organization_name=other), "organization_name", 0.55)
    d = decide(membership(commitment_letter=letter), AS_OF)
    f = _only(d, "consistency.name")
    assert f.severity == "warning" and "置信度 0.55" in f.message and "请人工核对" in f.message
    assert d.status == "needs_review"


def test_missing_seal_read_with_low_confidence_is_a_warning():
    letter = _low(commitment_(seal_present=False), "seal_present", 0.5)
    d = decide(membership(commitment_letter=letter), AS_OF)
    assert {f.severity for f in d.findings if f.rule == "seal.missing"} == {"warning"}
    assert d.status == "needs_review"
    sure = decide(membership(commitment_letter=commitment_(seal_present=False)), AS_OF)
    assert {f.severity for f in sure.findings if f.rule == "seal.missing"} == {"error"}


def test_expired_license_read_with_low_confidence_is_a_warning():
    lic = _low(license_(term_end="2026-01-31"), "term_end", 0.7)
    d = decide(membership(business_license=lic), AS_OF)
    assert _only(d, "license.expired").severity == "warning" and d.status == "needs_review"
    assert _only(decide(membership(business_license=license_(term_end="2026-01-31")), AS_OF),
                 "license.expired").severity == "error"


def test_reviewer_correction_counts_as_confident():
    other = ORG.replace("瑞达", "恒通")
    letter = commitment_(organization_name=other)
    letter.fields["organization_name"] = FieldValue(other, 0.3, source="reviewer")
    assert _only(decide(membership(commitment_letter=letter), AS_OF), "consistency.name").severity == "error"


# --- values that failed type validation --------------------------------------------------------

def test_mismatch_with_a_code_that_fails_its_check_is_a_warning():
    good = contract_().fields["client_uscc"].value
    broken = good[:-1] + ("3" if good[-1] != "3" else "4")
    d = decide(voucher(invoice=invoice_(buyer_tax_id=broken)), AS_OF)
    f = _only(d, "consistency.uscc")
    assert f.severity == "warning" and "未通过校验" in f.message and d.status == "needs_review"


def test_two_valid_codes_that_differ_still_reject():
    from .helpers import uscc
    other = uscc("411081", "MA9TQ2W1")
    d = decide(voucher(invoice=invoice_(buyer_tax_id=other)), AS_OF)
    assert _only(d, "consistency.uscc").severity == "error" and d.status == "rejected"


def test_failed_check_one_lookalike_away_from_valid_is_a_warning():
    """The check character read as Q where 0 passes (or B for 8): both readings are named."""
    from .helpers import uscc
    good = next(u for u in (uscc("411002", f"MA{n:04d}K5") for n in range(200)) if u[-1] in "08")
    misread = good[:-1] + {"0": "Q", "8": "B"}[good[-1]]
    d = decide(membership(business_license=license_(uscc=misread)), AS_OF)
    f = _only(d, "uscc.checksum")
    assert f.severity == "warning" and misread in f.message and good in f.message and "请人工核对" in f.message


def test_failed_check_with_no_ocr_explanation_still_rejects():
    wrong = ORG_USCC[:-1] + ("3" if ORG_USCC[-1] != "3" else "4")
    d = decide(membership(business_license=license_(uscc=wrong)), AS_OF)
    assert _only(d, "uscc.checksum").severity == "error" and d.status == "rejected"


def test_id_number_failing_on_one_document_but_valid_on_the_other_is_a_warning():
    bad = AGENT_ID[:-1] + ("0" if AGENT_ID[-1] != "0" else "1")
    d = decide(membership(authorization_letter=authorization_(agent_id_number=bad)), AS_OF)
    f = _only(d, "id.checksum")
    assert f.severity == "warning" and AGENT_ID in f.message and d.status == "needs_review"
    both = decide(membership(authorization_letter=authorization_(agent_id_number=bad), id_card=id_card_(id_number=bad)),
                  AS_OF)
    assert {f.severity for f in both.findings if f.rule == "id.checksum"} == {"error"}


# --- money -------------------------------------------------------------------------------------

def test_amount_with_a_dropped_decimal_point_is_a_warning():
    d = decide(voucher(bank_receipt=receipt_(amount="1272000.00")), AS_OF)
    f = _only(d, "amount.mismatch")
    assert f.severity == "warning" and "小数点" in f.message and d.status == "needs_review"


def test_amount_paid_before_tax_still_rejects():
    d = decide(voucher(bank_receipt=receipt_(amount="12000.00")), AS_OF)
    assert _only(d, "amount.mismatch").severity == "error" and d.status == "rejected"


# --- documents of unknown type -----------------------------------------------------------------

def test_missing_document_while_one_is_unreadable_is_a_warning():
    docs = membership(authorization_letter=None) + [Document("unknown", [1], 0.2)]
    d = decide(docs, AS_OF)
    assert _only(d, "packet.missing_document").severity == "warning" and d.status == "needs_review"
    assert _only(decide(membership(authorization_letter=None), AS_OF), "packet.missing_document").severity == "error"


# --- one place: the extract command's document findings settle the same way ---------------------

def test_document_findings_alone_settle_too():
    lic = _low(license_(term_end="2026-01-31"), "term_end", 0.7)
    assert {f.severity for f in validate_document(lic, AS_OF) if f.rule == "license.expired"} == {"warning"}
    raw = validate_document(lic, AS_OF, settle=False)
    assert {f.severity for f in raw if f.rule == "license.expired"} == {"error"}


# --- the comparison itself ---------------------------------------------------------------------

@pytest.mark.parametrize("a, b, doubtful", [
    ("已", "己", True), ("未来", "末来", True), ("贵州", "贲州", True), ("許昌", "许昌", True),
    ("许昌示範区", "许昌示范区", True), ("许昌某某科技有限公司", "许昌某某科技有限公", True),
    ("欧阳佳性别", "欧阳佳", True), ("许昌瑞达精密机械有限公司", "许昌瑞达精密机楲有限公司", True),
    ("许昌瑞达精密机械有限公司", "许昌恒通精密机械有限公司", False),
    ("许昌瑞达精密机械有限公司", "郑州华创电子科技有限公司", False), ("张伟", "李娜", False),
])
def test_text_difference(a, b, doubtful):
    assert (text_difference(a, b) is not None) is doubtful


def test_code_and_money_difference():
    from .helpers import uscc
    good = uscc("411002", "MA3X4K5L")
    assert code_difference(good, good.replace("0", "O", 1)) is not None  # look-alike only
    assert code_difference(good, uscc("411081", "MA9TQ2W1"), lambda v: True) is None
    assert money_difference("113230.00", "11323000.00") is not None
    assert money_difference("12720.00", "12000.00") is None
    assert money_difference("5380.00", "5880.00") is not None  # 3/8
    assert ocr_difference("5300.00", "5000.00", "money") is None


def test_code_one_character_short_is_a_warning():
    """A USCC whose last character was cut off reads 17 characters: doubt, not a format error."""
    d = decide(membership(business_license=license_(uscc=ORG_USCC[:-1])), AS_OF)
    f = _only(d, "schema.format")
    assert f.severity == "warning" and ORG_USCC in f.message and d.status == "needs_review"


def test_label_read_before_the_name_is_no_mismatch_or_only_a_warning():
    """单位名称（盖章）：X read as （盖章）X: the stamp note is not part of the name."""
    d = decide(membership(application_form=application_(unit_name="（盖章）" + ORG)), AS_OF)
    assert "consistency.name" not in {f.rule for f in d.findings} and d.status == "ready"
    assert text_difference("法定代表人阎德鑫", "阎德鑫") is not None


def test_required_name_not_read_but_printed_on_the_page_is_a_warning():
    """An unfamiliar layout: the letter prints the company's name, the extractor did not find it."""
    docs = membership(commitment_letter=commitment_(organization_name=None))
    texts = ["" for _ in docs]
    texts[[d.type for d in docs].index("commitment_letter")] = f"机构用户使用承诺书\n本单位 {ORG} 郑重承诺……\n法定代表人签字："
    d = decide(docs, AS_OF, page_texts=texts)
    f = _only(d, "schema.required")
    assert f.severity == "warning" and ORG in f.message and d.status == "needs_review"
    assert _only(decide(docs, AS_OF, page_texts=["" for _ in docs]), "schema.required").severity == "error"


def test_required_date_not_read_while_an_unclaimed_date_is_printed_is_a_warning():
    """The letter is dated, the extractor missed it (the date stands where no label said): doubt."""
    docs = membership(commitment_letter=commitment_(signed_on=None))
    i = [d.type for d in docs].index("commitment_letter")
    texts = ["" for _ in docs]
    texts[i] = "机构用户使用承诺书\n本单位郑重承诺……\n法定代表人签字：\n2026 年 3 月 5 日"
    d = decide(docs, AS_OF, page_texts=texts)
    f = _only(d, "schema.required")
    assert f.severity == "warning" and "2026年3月5" in f.message and d.status == "needs_review"
    # no date anywhere on the page: the paper really is undated, a confident defect
    texts[i] = "机构用户使用承诺书\n本单位郑重承诺……\n法定代表人签字："
    assert _only(decide(docs, AS_OF, page_texts=texts), "schema.required").severity == "error"


# --- a reading that does not look like a name is doubt (issue 11: errors need type-valid readings) ---

@pytest.mark.parametrize("buyer, why", [
    ("6222021707001234567", "不像完整的单位名称"),      # the account number read for the buyer's name
    ("许昌瑞达精密", "不像完整的单位名称"),              # cut short under a seal: no organization ending
])
def test_invoice_party_that_is_not_an_organization_name_is_a_warning(buyer, why):
    d = decide(voucher(invoice=invoice_(buyer_name=buyer)), AS_OF)
    f = _only(d, "invoice.parties")
    assert f.severity == "warning" and d.status == "needs_review", f.message
    assert why in f.message and "请人工核对" in f.message


def test_invoice_party_that_is_another_organization_still_rejects():
    d = decide(voucher(invoice=invoice_(seller_name="河南恒通建设工程有限公司")), AS_OF)
    f = _only(d, "invoice.parties")
    assert f.severity == "error" and d.status == "rejected"


# --- a low reading that another document confirms is no reason for review ------------------

def test_low_field_confirmed_by_another_documents_confident_reading_is_ready():
    d = decide(membership(application_form=_low(application_(), "unit_name", 0.6)), AS_OF)
    assert d.status == "ready" and d.low_confidence == [], d.review_reasons
    # the fee below threshold, the invoice and the receipt read it confidently: ready
    assert decide(voucher(service_contract=_low(contract_(), "testing_fee", 0.7)), AS_OF).status == "ready"


def test_low_field_not_confirmed_still_goes_to_review():
    # below threshold and no other document gives the same value: review (a mismatch is never confirmed)
    d = decide(membership(application_form=_low(application_(unit_name="许昌瑞达精密机械有限公可"), "unit_name", 0.6)),
               AS_OF)
    assert d.status == "needs_review" and [x["field"] for x in d.low_confidence] == ["unit_name"]
    # two low readings agreeing do not confirm each other
    d = decide(membership(application_form=_low(application_(), "unit_name", 0.6),
                          business_license=_low(license_(), "name", 0.6),
                          commitment_letter=_low(commitment_(), "organization_name", 0.6),
                          authorization_letter=_low(authorization_(), "principal_name", 0.6)), AS_OF)
    assert d.status == "needs_review" and len(d.low_confidence) == 4


def test_invoice_parties_read_from_each_others_block_are_a_warning():
    """购买方 and 销售方 taken for each other (a layout with the seller's block first): each reading is
    the other party's name, which the packet gives elsewhere: doubt, review."""
    d = decide(voucher(invoice=invoice_(buyer_name=PROVIDER, seller_name=CLIENT)), AS_OF)
    found = [f for f in d.findings if f.rule == "invoice.parties"]
    assert found and all(f.severity == "warning" and "另一方" in f.message for f in found), \
        [(f.severity, f.message) for f in found]
    assert d.status == "needs_review"
