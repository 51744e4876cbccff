"""Valid documents built directly (no OCR), and twins with one thing changed."""
from __future__ import annotations

from datetime import date

from intake.model import Document, FieldValue, Seal
from intake.validation.formats import id_check_char, org_code_check_char, uscc_check_char

AS_OF = date(2026, 6, 15)


def uscc(region: str = "411002", body: str = "MA3X4K5L", kind: str = "91") -> str:
    first17 = kind + region + body + org_code_check_char(body)
    return first17 + uscc_check_char(first17)


def idno(region: str = "411002", birth: str = "19900307", seq: str = "123") -> str:
    first17 = region + birth + seq
    return first17 + id_check_char(first17)


ORG = "许昌瑞达精密机械有限公司"
ORG_USCC = uscc("411002", "MA3X4K5L")
AGENT = "张伟"
AGENT_ID = idno()
PROVIDER = "许昌恒通检测技术有限公司"
PROVIDER_USCC = uscc("411002", "MA47M7QP")
CLIENT_USCC = uscc("411081", "MA40H2R3")
CLIENT = "禹州钧瓷新材料科技有限公司"


def doc(doc_type: str, seals: list[Seal] | None = None, raw: dict | None = None, **values) -> Document:
    fields = {}
    for k, v in values.items():
        if v is None:
            continue
        fields[k] = FieldValue(v, 0.99, page=1, raw=(raw or {}).get(k, ""))
    return Document(type=doc_type, pages=[1], confidence=0.99, fields=fields, seals=list(seals or []))


def license_(**kw) -> Document:
    v = dict(name=ORG, uscc=ORG_USCC, company_type="有限责任公司（自然人投资或控股）", legal_representative="王建国",
             registered_capital="5000000.00", established_on="2018-04-02", term_start="2018-04-02", term_end="长期",
             address="河南省许昌市魏都区七一路188号", business_scope="机械零部件加工、销售",
             registration_authority="许昌市魏都区市场监督管理局", issued_on="2023-03-31")
    v.update(kw)
    return doc("business_license", **v)


def institution_(**kw) -> Document:
    v = dict(name="许昌市农业科学研究所", uscc=uscc("411000", "41600123", "12"), legal_representative="李华",
             address="河南省许昌市建安区许由路66号", term_start="2022-01-01", term_end="2027-01-01",
             registration_authority="许昌市事业单位登记管理局")
    v.update(kw)
    return doc("public_institution_certificate", **v)


def application_(**kw) -> Document:
    v = dict(unit_name=ORG, legal_representative="王建国", address="河南省许昌市魏都区七一路188号",
             contact_person=AGENT, phone="0374-2965381", mobile="13903741234", email="xc2024@163.com",
             member_type="企业", literature_needs="期刊、专利、标准", expected_users="12")
    v.update(kw)
    return doc("application_form", **v)


def commitment_(seals=None, raw=None, **kw) -> Document:
    v = dict(organization_name=ORG, signed_on="2026-06-10", signature_present=True, seal_present=True)
    v.update(kw)
    return doc("commitment_letter", seals=seals, raw=raw, **v)


def id_card_(**kw) -> Document:
    v = dict(name=AGENT, sex="男", ethnicity="汉", birth_date="1990-03-07", address="河南省许昌市魏都区文峰路12号",
             id_number=AGENT_ID, issuing_authority="许昌市公安局魏都分局", valid_from="2015-06-01", valid_to="2035-06-01")
    v.update(kw)
    return doc("id_card", **v)


def authorization_(raw=None, **kw) -> Document:
    v = dict(principal_name=ORG, agent_name=AGENT, agent_id_number=AGENT_ID, signed_on="2026-06-10", seal_present=True)
    v.update(kw)
    return doc("authorization_letter", raw=raw, **v)


def membership(**replace) -> list[Document]:
    """A valid membership packet; ``replace={type: Document or None}`` swaps or drops one."""
    docs = {"application_form": application_(), "business_license": license_(), "commitment_letter": commitment_(),
            "id_card": id_card_(), "authorization_letter": authorization_()}
    docs.update(replace)
    return [d for d in docs.values() if d is not None]


def contract_(**kw) -> Document:
    v = dict(contract_number="XCJC-2026-017", client_name=CLIENT, client_uscc=CLIENT_USCC, provider_name=PROVIDER,
             provider_uscc=PROVIDER_USCC, testing_fee="12720.00", total_amount="12720.00", signed_on="2026-04-20",
             client_seal_present=True, provider_seal_present=True)
    v.update(kw)
    return doc("service_contract", **v)


def invoice_(**kw) -> Document:
    v = dict(invoice_number="26412000000012345678", issued_on="2026-05-06", buyer_name=CLIENT, buyer_tax_id=CLIENT_USCC,
             seller_name=PROVIDER, seller_tax_id=PROVIDER_USCC, amount="12000.00", tax="720.00", total="12720.00",
             total_in_words="12720.00")
    v.update(kw)
    return doc("invoice", **v)


def receipt_(**kw) -> Document:
    v = dict(payer_name=CLIENT, payer_account="4105012345678901", payee_name=PROVIDER, payee_account="1700123456789",
             amount="12720.00", transaction_date="2026-05-08", serial_number="20260508001234", bank="中原银行")
    v.update(kw)
    return doc("bank_receipt", **v)


def voucher(**replace) -> list[Document]:
    docs = {"service_contract": contract_(), "invoice": invoice_(), "bank_receipt": receipt_()}
    docs.update(replace)
    return [d for d in docs.values() if d is not None]


def rules_of(findings) -> list[str]:
    return sorted({f.rule for f in findings})


def result_(**kw) -> Document:
    v = dict(report_number="HTJC-2026-0311", client_name=CLIENT, provider_name=PROVIDER, items="拉伸强度、布氏硬度",
             issued_on="2026-05-04", seal_present=True)
    v.update(kw)
    return doc("service_result", **v)
