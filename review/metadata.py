"""Datasette metadata for the docintake database: Chinese titles, column descriptions, facets,
hidden internal tables. Returned by the plugin's `get_metadata` hook for every database
that holds docintake's tables (so it needs no file and no database name).
"""
from __future__ import annotations

from copy import deepcopy

TABLES: dict[str, dict] = {
    "submissions": {
        "title": "申请",
        "description": "每个申请（收件箱中的一个文件夹或单个文件）及其校验、审批状态。",
        "facets": ["status", "packet", "decision"],
        "sort": "received_at",
        "label_column": "name",
        "columns": {
            "name": "申请名称（收件文件夹名）",
            "received_at": "收到时间（UTC）",
            "as_of": "校验基准日期",
            "packet": "材料类型（数据包名称，标题见 packet_titles 表）",
            "status": "状态：rejected 已驳回；needs_review 待复核；ready 待审批；verified 已核验；quarantined 已隔离",
            "voucher_amount": "创新券金额（元）",
            "organization": "单位名称",
            "uscc": "统一社会信用代码",
            "year": "年度",
            "finding_count": "问题数",
            "version": "版本号（每次人工修改加一）",
            "decision": "审批结论：approved 批准；rejected 驳回",
            "decided_by": "审批人",
            "decided_at": "审批时间（UTC）",
            "decision_comment": "审批意见",
        },
    },
    "files": {
        "title": "文件",
        "description": "收到的每个文件；无法读取的文件被隔离（quarantined）并注明原因。",
        "facets": ["status", "ext", "reason"],
        "label_column": "name",
        "columns": {"name": "文件名", "status": "状态", "reason": "隔离原因代码", "error": "错误说明",
                    "page_count": "页数", "sha256": "SHA-256 校验和"},
    },
    "pages": {
        "title": "页面（含识别文字）",
        "description": "每个文件的每一页：渲染图像与识别出的文字。可全文检索（输入至少三个字）。",
        "facets": ["source", "engine"],
        "columns": {"number": "页码", "text": "识别文字", "source": "text 为 PDF 文字层；ocr 为图像识别",
                    "image_path": "页面图像路径"},
    },
    "documents": {
        "title": "文档",
        "description": "从文件中识别出的文档（营业执照、身份证、发票……）。",
        "facets": ["type"],
        "columns": {"type": "文档类型", "pages": "所在页码", "confidence": "分类置信度", "seals": "印章",
                    "signatures": "签名"},
    },
    "fields": {
        "title": "字段（原始值）",
        "description": "提取出的字段值；source=reviewer 为审核员的更正，流水线重跑不会覆盖。",
        "facets": ["key", "source"],
        "columns": {"key": "字段键", "value": "值", "confidence": "置信度", "page": "页码",
                    "source": "来源：extractor 自动识别；reviewer 人工更正", "updated_by": "更正人",
                    "updated_at": "更新时间（UTC）"},
    },
    "findings": {
        "title": "问题",
        "description": "校验发现的问题及其规则、依据条款。",
        "facets": ["rule", "severity"],
        "columns": {"rule": "规则编号", "severity": "级别：error 错误；warning 警告", "message": "说明",
                    "source": "依据条款"},
    },
    "events": {"title": "处理日志", "description": "流水线处理事件。", "facets": ["kind"], "sort_desc": "id"},
    "audit": {
        "title": "审计日志",
        "description": "所有人工操作（更正、批准、驳回、重新排队、用户管理）。只能追加，不能修改或删除。",
        "facets": ["action", "actor"],
        "sort_desc": "id",
        "columns": {"at": "时间（UTC）", "actor": "操作人", "action": "操作", "field": "字段",
                    "old_value": "原值", "new_value": "新值", "comment": "说明", "version": "操作后的版本号"},
    },
    "review_queue": {"title": "审核队列", "description": "按状态和收到时间排列的申请。",
                     "facets": ["状态", "材料类型"]},
    "fields_masked": {"title": "字段（脱敏）", "description": "字段值；身份证号、电话、银行账号等个人信息已脱敏。",
                      "facets": ["文档类型", "来源"]},
    "audit_masked": {"title": "审计日志（脱敏）", "description": "审计日志；个人信息已脱敏。",
                     "facets": ["操作", "操作人"], "sort_desc": "id"},
    "users_public": {"title": "用户", "description": "审核系统的用户（不含密码）。", "facets": ["角色", "状态"]},
    "personal_keys": {"title": "个人信息字段", "description": "对查看者脱敏的字段。"},
    "ocr_lines": {"title": "识别文字行", "description": "OCR 识别出的文字行及其位置。"},
    "ocr_words": {"title": "识别文字", "hidden": True},
    "ocr_cache": {"hidden": True},
    "schema_version": {"hidden": True},
    "users": {"hidden": True},
}
for _name in ("pages_fts", "pages_fts_data", "pages_fts_idx", "pages_fts_docsize", "pages_fts_config"):
    TABLES[_name] = {"hidden": True}


def database_metadata() -> dict:
    return {
        "title": "docintake 材料审核数据库",
        "description": "许昌市科技局申请材料的识别、校验与人工审核记录。",
        "tables": deepcopy(TABLES),
    }


def metadata_for(database_names: list[str]) -> dict:
    return {
        "title": "docintake 材料审核",
        "description": "登录后可浏览申请、文件、识别结果与审计日志。",
        "databases": {name: database_metadata() for name in database_names},
    }
