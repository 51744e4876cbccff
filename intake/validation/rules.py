"""Rule ids (contract section 4), their default severity and the article they enforce."""
from __future__ import annotations

from dataclasses import dataclass

from ..model import Finding

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class RuleInfo:
    id: str
    severity: str
    source: str
    title: str


RULES: dict[str, RuleInfo] = {r.id: r for r in (
    RuleInfo("schema.required", ERROR, "schemas", "必填字段缺失"),
    RuleInfo("schema.format", ERROR, "schemas", "字段格式不正确"),
    RuleInfo("uscc.checksum", ERROR, "GB 32100-2015", "统一社会信用代码校验未通过"),
    RuleInfo("id.checksum", ERROR, "GB 11643-1999", "公民身份号码校验位或出生日期有误"),
    RuleInfo("id.expired", ERROR, "guide 三(二) ③", "身份证已过有效期"),
    RuleInfo("jurisdiction.xuchang", ERROR, "guide 二; 细则 第四条", "单位不在许昌市注册"),
    RuleInfo("license.expired", ERROR, "guide 三(二) ①", "营业执照已过营业期限"),
    RuleInfo("seal.missing", ERROR, "guide 三(二) ②", "缺少公章"),
    RuleInfo("seal.name_mismatch", WARNING, "guide 三(二) ②", "印章文字与单位名称不符"),
    RuleInfo("signature.missing", ERROR, "guide 三(二) ②", "缺少法定代表人签字"),
    RuleInfo("packet.missing_document", ERROR, "guide 三(二); 细则 第二十条", "缺少必需材料"),
    RuleInfo("consistency.name", ERROR, "guide 三(二)", "单位名称前后不一致"),
    RuleInfo("consistency.uscc", ERROR, "guide 三(二)", "统一社会信用代码前后不一致"),
    RuleInfo("consistency.agent", ERROR, "guide 三(二) ③", "受托人与身份证持有人不符"),
    RuleInfo("invoice.parties", ERROR, "细则 第二十条", "发票购销双方与合同不符"),
    RuleInfo("amount.mismatch", ERROR, "细则 第二十条, 第二十二条", "合同、发票与到款金额不一致"),
    RuleInfo("voucher.affiliated", ERROR, "细则 第二十六条", "用户与管理单位为同一或关联单位"),
    RuleInfo("voucher.duplicate_contract", ERROR, "细则 第二十二条", "合同已申请过创新券"),
    RuleInfo("voucher.cap_exceeded", WARNING, "细则 第十六条", "超出年度创新券限额"),
    RuleInfo("voucher.year", ERROR, "细则 第十六条, 第二十一条", "合同、发票、付款不在创新券所属自然年度"),
    RuleInfo("voucher.statutory_testing", WARNING, "细则 第五条", "疑似强制性检测或法定检测"),
    # Severity is the default when nothing is left; the rule itself downgrades the partial case.
    RuleInfo("voucher.budget_exhausted", ERROR, "细则 第十五条", "科技创新券年度总额度已用完"),
    RuleInfo("voucher.provincial_subsidy", ERROR, "细则 第六条", "用户已享受省级奖补"),
    RuleInfo("voucher.provider_not_member", ERROR, "细则 第十八条", "管理单位不是共享服务平台注册会员"),
    RuleInfo("voucher.user_category", WARNING, "细则 第四条", "用户不在创新券支持对象名单内"),
    RuleInfo("service_result.mismatch", ERROR, "细则 第二十条", "服务结果与合同不符"),
)}

def finding(rule: str, message: str, *, severity: str | None = None, fields: list[str] | None = None,
            documents: list[str] | None = None, source: str | None = None,
            evidence: dict | None = None) -> Finding:
    info = RULES.get(rule)
    if info is None:
        raise KeyError(f"unknown rule id {rule!r}; add it to intake/validation/rules.py RULES")
    return Finding(rule=rule, severity=severity or info.severity, message=message,
                   fields=list(fields or []), documents=list(documents or []),
                   source=source or info.source, evidence=dict(evidence or {}))
