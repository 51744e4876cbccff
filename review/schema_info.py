"""What the review UI needs to know about each document type: Chinese labels, field order,
which fields hold personal data, the confidence threshold.

Read from the schema registry (`extractors.registry.load_registry`) when it is available;
the built-in table below (from the output contract) is the fallback, so the UI works
before, and independently of, the schema files.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.85

# (key, Chinese label, kind) in contract order; kind is "bool" or "text".
_FALLBACK: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "business_license": ("营业执照", [
        ("name", "名称", "text"), ("uscc", "统一社会信用代码", "text"), ("company_type", "类型", "text"),
        ("legal_representative", "法定代表人", "text"), ("registered_capital", "注册资本", "text"),
        ("established_on", "成立日期", "text"), ("term_start", "营业期限自", "text"),
        ("term_end", "营业期限至", "text"), ("address", "住所", "text"), ("business_scope", "经营范围", "text"),
        ("registration_authority", "登记机关", "text"), ("issued_on", "发证日期", "text"),
    ]),
    "commitment_letter": ("机构用户使用承诺书", [
        ("organization_name", "单位名称", "text"), ("signed_on", "日期", "text"),
        ("signature_present", "法定代表人签字", "bool"), ("seal_present", "单位公章", "bool"),
    ]),
    "id_card": ("居民身份证", [
        ("name", "姓名", "text"), ("sex", "性别", "text"), ("ethnicity", "民族", "text"),
        ("birth_date", "出生", "text"), ("address", "住址", "text"), ("id_number", "公民身份号码", "text"),
        ("issuing_authority", "签发机关", "text"), ("valid_from", "有效期限自", "text"),
        ("valid_to", "有效期限至", "text"),
    ]),
    "authorization_letter": ("授权委托书", [
        ("principal_name", "委托单位", "text"), ("agent_name", "受托人", "text"),
        ("agent_id_number", "受托人身份证号码", "text"), ("signed_on", "日期", "text"),
        ("seal_present", "单位公章", "bool"),
    ]),
    "service_contract": ("技术服务合同", [
        ("contract_number", "合同编号", "text"), ("client_name", "甲方（委托方）", "text"),
        ("client_uscc", "甲方统一社会信用代码", "text"), ("provider_name", "乙方（服务方）", "text"),
        ("provider_uscc", "乙方统一社会信用代码", "text"), ("testing_fee", "检验检测费用", "text"),
        ("total_amount", "合同总金额", "text"), ("signed_on", "签订日期", "text"),
        ("client_seal_present", "甲方盖章", "bool"), ("provider_seal_present", "乙方盖章", "bool"),
    ]),
    "invoice": ("增值税发票", [
        ("invoice_code", "发票代码", "text"), ("invoice_number", "发票号码", "text"),
        ("issued_on", "开票日期", "text"), ("buyer_name", "购买方名称", "text"),
        ("buyer_tax_id", "购买方纳税人识别号", "text"), ("seller_name", "销售方名称", "text"),
        ("seller_tax_id", "销售方纳税人识别号", "text"), ("amount", "金额", "text"), ("tax", "税额", "text"),
        ("total", "价税合计（小写）", "text"), ("total_in_words", "价税合计（大写）", "text"),
    ]),
    "bank_receipt": ("银行回单", [
        ("payer_name", "付款人户名", "text"), ("payer_account", "付款人账号", "text"),
        ("payee_name", "收款人户名", "text"), ("payee_account", "收款人账号", "text"),
        ("amount", "金额", "text"), ("transaction_date", "交易日期", "text"),
        ("serial_number", "流水号", "text"), ("bank", "银行", "text"),
    ]),
    "application_form": ("会员申请表", [
        ("unit_name", "单位名称", "text"), ("legal_representative", "法人代表", "text"),
        ("address", "通信地址", "text"), ("contact_person", "联系人", "text"), ("phone", "电话", "text"),
        ("mobile", "手机", "text"), ("email", "电子信箱", "text"), ("member_type", "会员类型", "text"),
        ("literature_needs", "文献信息需求类型", "text"), ("expected_users", "科技人员及预计使用人员", "text"),
    ]),
}

FALLBACK_PERSONAL: dict[str, set[str]] = {
    "*": {"id_number", "agent_id_number", "phone", "mobile", "payer_account", "payee_account"},
    "id_card": {"address"},
}

# Characters kept at the start and end of a masked value, per key (default 3 and 4).
KEEP = {"address": (6, 0)}


@dataclass
class FieldInfo:
    key: str
    label: str
    order: float
    kind: str = "text"  # "text" | "bool"
    personal: bool = False
    format: str | None = None  # the schema's `format` (date, date-or-long, money, uscc, idno, email)
    normalizer: str | None = None  # the first x-extract spec's normalizer (what OCR output went through)


@dataclass
class DocTypeInfo:
    type: str
    title: str
    threshold: float = DEFAULT_THRESHOLD
    fields: dict[str, FieldInfo] = field(default_factory=dict)

    def ordered(self) -> list[FieldInfo]:
        return sorted(self.fields.values(), key=lambda f: (f.order, f.key))

    def info(self, key: str) -> FieldInfo:
        if key in self.fields:
            return self.fields[key]
        personal = key in FALLBACK_PERSONAL["*"] or key in FALLBACK_PERSONAL.get(self.type, set())
        return FieldInfo(key, key, 10_000, "bool" if key.endswith("_present") else "text", personal)


def _fallback() -> dict[str, DocTypeInfo]:
    out = {}
    for dtype, (title, fields) in _FALLBACK.items():
        info = DocTypeInfo(dtype, title)
        for i, (key, label, kind) in enumerate(fields):
            personal = key in FALLBACK_PERSONAL["*"] or key in FALLBACK_PERSONAL.get(dtype, set())
            info.fields[key] = FieldInfo(key, label, i, kind, personal)
        out[dtype] = info
    return out


def _schemas_from_registry() -> dict[str, dict]:
    """{doc_type: JSON schema dict} from the registry, whatever its exact shape; {} if unavailable."""
    try:
        from extractors.registry import load_registry  # written in parallel; optional
    except Exception:  # noqa: BLE001 - any import problem means "not available yet"
        return {}
    try:
        reg = load_registry()
    except Exception as exc:  # noqa: BLE001
        log.warning("schema registry could not be loaded, using built-in labels: %s", exc)
        return {}
    items: Any = None
    for attr in ("schemas", "document_types", "types", "documents", "by_type"):
        if hasattr(reg, attr):
            items = getattr(reg, attr)
            items = items() if callable(items) else items
            break
    if items is None:
        items = reg
    if isinstance(items, dict):
        pairs = list(items.items())
    else:
        try:
            pairs = [(None, x) for x in items]
        except TypeError:
            return {}
    out: dict[str, dict] = {}
    for name, obj in pairs:
        schema = obj if isinstance(obj, dict) else None
        if schema is None:
            for attr in ("schema", "raw", "json", "data"):
                cand = getattr(obj, attr, None)
                if isinstance(cand, dict):
                    schema = cand
                    break
        if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
            continue
        dtype = (
            name
            or getattr(obj, "type", None)
            or getattr(obj, "name", None)
            or schema.get("x-type")
            or schema.get("x-doc-type")
            or schema.get("$id")
        )
        if isinstance(dtype, str):
            out[dtype] = schema
    return out


def _merge(base: dict[str, DocTypeInfo], schemas: dict[str, dict]) -> dict[str, DocTypeInfo]:
    for dtype, schema in schemas.items():
        old = base.get(dtype)
        info = DocTypeInfo(dtype, schema.get("x-title-zh") or (old.title if old else dtype))
        review = schema.get("x-review") or {}
        try:
            info.threshold = float(review.get("confidence_threshold", DEFAULT_THRESHOLD))
        except (TypeError, ValueError):
            info.threshold = DEFAULT_THRESHOLD
        for i, (key, prop) in enumerate(schema["properties"].items()):
            prop = prop if isinstance(prop, dict) else {}
            fallback = old.fields.get(key) if old else None
            types = prop.get("type")
            is_bool = types == "boolean" or (isinstance(types, list) and "boolean" in types)
            try:
                order = float(prop.get("x-order", 1000 + i))
            except (TypeError, ValueError):
                order = 1000 + i
            specs = prop.get("x-extract") or []
            specs = specs if isinstance(specs, list) else [specs]
            names = [s.get("normalizer") for s in specs if isinstance(s, dict) and s.get("normalizer")]
            info.fields[key] = FieldInfo(
                key,
                prop.get("x-label-zh") or (fallback.label if fallback else key),
                order,
                "bool" if is_bool else "text",
                bool(prop.get("x-personal", fallback.personal if fallback else False)),
                prop.get("format") if isinstance(prop.get("format"), str) else None,
                names[0] if names else None,
            )
        base[dtype] = info
    return base


@lru_cache(maxsize=1)
def doc_types() -> dict[str, DocTypeInfo]:
    return _merge(_fallback(), _schemas_from_registry())


def doc_type(dtype: str) -> DocTypeInfo:
    types = doc_types()
    if dtype in types:
        return types[dtype]
    return DocTypeInfo(dtype, "未识别文档" if dtype == "unknown" else dtype)


def personal_keys() -> list[tuple[str, str, int, int]]:
    """(doc_type, key, keep_head, keep_tail) for every personal field, for the `personal_keys` table."""
    rows = set()
    for dtype, keys in FALLBACK_PERSONAL.items():
        for key in keys:
            rows.add((dtype, key, *KEEP.get(key, (3, 4))))
    for info in doc_types().values():
        for f in info.fields.values():
            if f.personal:
                rows.add((info.type, f.key, *KEEP.get(f.key, (3, 4))))
    return sorted(rows)


def is_personal(dtype: str, key: str) -> bool:
    if key in FALLBACK_PERSONAL["*"] or key in FALLBACK_PERSONAL.get(dtype, set()):
        return True
    return doc_type(dtype).info(key).personal
