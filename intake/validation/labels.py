"""Chinese names of document types and fields, for messages a reviewer reads.

Field labels follow contract section 1. A schema may override a field's label with
its property's ``title``; these are the fallback.
"""
from __future__ import annotations

DOC_LABELS: dict[str, str] = {
    "business_license": "营业执照",
    "public_institution_certificate": "事业单位法人证书",
    "commitment_letter": "机构用户使用承诺书",
    "id_card": "经办人身份证",
    "authorization_letter": "授权委托书",
    "application_form": "会员申请表",
    "service_contract": "服务合同",
    "invoice": "发票",
    "bank_receipt": "银行到款凭证",
    "service_result": "服务结果",
    "unknown": "无法识别的材料",
}

FIELD_LABELS: dict[str, dict[str, str]] = {
    "business_license": {
        "name": "名称", "uscc": "统一社会信用代码", "company_type": "类型",
        "legal_representative": "法定代表人", "registered_capital": "注册资本",
        "established_on": "成立日期", "term_start": "营业期限起始日", "term_end": "营业期限截止日",
        "address": "住所", "business_scope": "经营范围", "registration_authority": "登记机关",
        "issued_on": "发证日期",
    },
    "public_institution_certificate": {
        "name": "名称", "uscc": "统一社会信用代码", "legal_representative": "法定代表人",
        "address": "住所", "term_start": "有效期起始日", "term_end": "有效期截止日",
        "registration_authority": "登记管理机关", "funding_source": "经费来源",
        "opening_funds": "开办资金", "purpose_and_scope": "宗旨和业务范围", "sponsor": "举办单位",
    },
    "commitment_letter": {
        "organization_name": "单位名称", "signed_on": "日期",
        "signature_present": "法定代表人签字", "seal_present": "单位公章",
    },
    "id_card": {
        "name": "姓名", "sex": "性别", "ethnicity": "民族", "birth_date": "出生日期",
        "address": "住址", "id_number": "公民身份号码", "issuing_authority": "签发机关",
        "valid_from": "有效期起始日", "valid_to": "有效期截止日",
    },
    "authorization_letter": {
        "principal_name": "委托单位", "agent_name": "受托人", "agent_id_number": "受托人身份证号码",
        "signed_on": "日期", "seal_present": "单位公章",
    },
    "service_contract": {
        "contract_number": "合同编号", "client_name": "甲方（委托方）名称",
        "client_uscc": "甲方统一社会信用代码", "provider_name": "乙方（服务方）名称",
        "provider_uscc": "乙方统一社会信用代码", "testing_fee": "检验检测费用",
        "total_amount": "合同总金额", "signed_on": "签订日期",
        "client_seal_present": "甲方盖章", "provider_seal_present": "乙方盖章",
    },
    "invoice": {
        "invoice_code": "发票代码", "invoice_number": "发票号码", "issued_on": "开票日期",
        "buyer_name": "购买方名称", "buyer_tax_id": "购买方纳税人识别号",
        "seller_name": "销售方名称", "seller_tax_id": "销售方纳税人识别号",
        "amount": "金额", "tax": "税额", "total": "价税合计", "total_in_words": "价税合计（大写）",
    },
    "bank_receipt": {
        "payer_name": "付款人户名", "payer_account": "付款人账号", "payee_name": "收款人户名",
        "payee_account": "收款人账号", "amount": "金额", "transaction_date": "交易日期",
        "serial_number": "流水号", "bank": "银行",
    },
    "application_form": {
        "unit_name": "单位名称", "legal_representative": "法人代表", "address": "通信地址",
        "contact_person": "联系人", "phone": "电话", "mobile": "手机", "email": "电子信箱",
        "member_type": "会员类型", "literature_needs": "文献信息需求类型",
        "expected_users": "科技人员及预计使用人员",
    },
}


def doc_label(doc_type: str) -> str:
    return DOC_LABELS.get(doc_type, doc_type)


def field_label(doc_type: str, key: str, schema: dict | None = None) -> str:
    """The schema's ``x-label-zh`` (or ``title``) of the field, else contract section 1's label."""
    if schema is None:
        from .document import type_schema  # late: document imports this module
        try:
            ts = type_schema(doc_type)
        except Exception:  # a broken schema is reported where it is loaded, not in a message
            ts = None
        schema = ts.schema if ts else None
    if schema:
        prop = (schema.get("properties") or {}).get(key)
        if isinstance(prop, dict):
            for k in ("x-label-zh", "title"):
                if isinstance(prop.get(k), str) and prop[k]:
                    return prop[k]
    return FIELD_LABELS.get(doc_type, {}).get(key, key)
