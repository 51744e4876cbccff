"""Preset reasons for 退回补正 (returning a submission for a supplement) and what each asks for.

The review UI offers these as tick boxes; a notice explains each in plain language.
"""
from __future__ import annotations

# code -> (label shown to the reviewer, what the applicant is asked to do)
RETURN_REASONS: dict[str, tuple[str, str]] = {
    "missing": ("缺少材料", "请补充提交缺少的材料。"),
    "unclear": ("材料不清晰", "请重新扫描或拍摄不清晰的材料，确保文字完整、清楚可辨。"),
    "seal": ("印章不清", "请提交加盖清晰公章的材料。"),
    "inconsistent": ("信息不一致", "请核对各份材料中的单位名称、统一社会信用代码、金额等信息，提交一致的材料。"),
    "other": ("其他", "请按审核意见补正材料。"),
}


def label(code: str) -> str:
    return RETURN_REASONS.get(code, (code, ""))[0]


def advice(code: str) -> str:
    return RETURN_REASONS.get(code, ("", "请按审核意见补正材料。"))[1]
