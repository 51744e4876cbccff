"""Export from the browser: the queue's filters (status tab, packet, received dates) as an
Excel-friendly CSV (UTF-8 BOM, CRLF) or XLSX.

The records, their columns, the CSV writer and the XLSX writer are intake/export.py's; this
module chooses the submissions, titles the columns `文档·字段` (营业执照·名称: one column group
per document type), turns UTC timestamps into local time and masks for viewers.
"""
from __future__ import annotations

import io
import re
import unicodedata
from datetime import datetime

from intake import export
from intake.localtime import LOCAL_TZ

from .masking import mask_field, mask_text, personal_values
from .queue import where_clause
from .schema_info import doc_type
from .service import STAFF_ZH, local_time, packet_title_of

TIME_COLUMNS = ("received_at", "decided_at")
MAX_ROWS = 100_000
_FIELD = re.compile(r"^(?P<type>[a-z][a-z0-9_]*?)(?:_(?P<n>[0-9]+))?\.(?P<key>[a-z][a-z0-9_]*)$")
STATUS_ZH = {"ready": "建议通过", "needs_review": "需复核", "rejected": "建议驳回", "quarantined": "已隔离",
             "processing": "处理中", "verified": "已核验", "approved": "已核验"}
DECISION_ZH = {"approved": "已核验", "rejected": "已驳回", "returned": "已退回补正"}


def selected_ids(db, status: str, packet: str, date_from: str, date_to: str) -> list[int]:
    where, params = where_clause(status, packet, "", date_from, date_to, False)
    return [r[0] for r in db.execute(f"SELECT s.id FROM submissions s{where} ORDER BY s.id LIMIT {MAX_ROWS}", params)]


def headers(columns: list[str]) -> list[str]:
    """Chinese column titles: the submission's columns by export's own labels, each field as
    `文档·字段` (a second document of a type: 营业执照（2）·名称)."""
    plain = export._header_labels(columns)
    out = []
    for c, label in zip(columns, plain):
        m = _FIELD.match(c)
        if m:
            title = doc_type(m["type"]).title + (f"（{m['n']}）" if m["n"] else "")
            out.append(f"{title}·{label}")
        else:
            out.append(label)
    return out


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def widths(columns: list[str], labels: list[str]) -> list[float]:
    formats = export._column_formats(columns)
    out = []
    for c, label in zip(columns, labels):
        w = _display_width(label) + 2
        fmt = formats.get(c)
        if fmt == "date":
            w = max(w, 12)
        elif fmt == "money":
            w = max(w, 14)
        elif c in TIME_COLUMNS:
            w = max(w, 17)
        elif c in ("uscc",) or c.endswith((".uscc", ".id_number", ".invoice_number", ".account")):
            w = max(w, 22)
        elif c in ("submission", "organization", "comment") or c.endswith((".name", ".address", ".unit_name")):
            w = max(w, 30)
        out.append(float(min(max(w, 8), 50)))
    return out


def _localize(rec: dict, names: dict[str, str], masked: bool, db) -> dict:
    for c in TIME_COLUMNS:
        rec[c] = local_time(rec.get(c)) or None
    rec["packet"] = packet_title_of(rec.get("packet"), rec.get("packet"))
    rec["status"] = STATUS_ZH.get(rec.get("status"), rec.get("status"))
    rec["decision"] = DECISION_ZH.get(rec.get("decision") or "", rec.get("decision"))
    if rec.get("reviewer"):
        rec["reviewer"] = STAFF_ZH if masked else names.get(rec["reviewer"], rec["reviewer"])
    rec["document_types"] = "、".join(doc_type(t).title for t in rec.get("document_types") or [])
    if masked:
        values = personal_values(db, rec["submission_id"])
        for c in list(rec):
            m = _FIELD.match(c)
            if m and rec[c] is not None:
                rec[c] = mask_field(m["type"], m["key"], rec[c])
        for c in ("submission", "comment"):
            rec[c] = mask_text(rec.get(c), values)
    return rec


def build(db, fmt: str, status: str, packet: str, date_from: str, date_to: str, masked: bool) -> tuple[bytes, int]:
    """The file's bytes and how many submissions it holds."""
    from .labels import display_names

    ids = selected_ids(db, status, packet, date_from, date_to)
    columns = export.BASE_COLUMNS + export.field_columns(db, "all", None, ids)
    labels = headers(columns)
    names = display_names(db)
    records = (_localize(r, names, masked, db) for r in export.iter_records(db, "all", None, ids))
    out = io.BytesIO()
    if fmt == "csv":
        by_label = ({lab: r.get(c) for c, lab in zip(columns, labels)} for r in records)
        n = export.write_csv(by_label, labels, out)
    else:
        n = export.write_xlsx(records, columns, out, labels=labels, widths=widths(columns, labels))
    return out.getvalue(), n


def file_name(fmt: str) -> str:
    return f"docintake-export-{datetime.now(LOCAL_TZ).strftime('%Y%m%d-%H%M')}.{fmt}"
