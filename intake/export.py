"""Flat records of decided submissions, for other systems and for Excel.

One record per submission: its routing and decision, the organization, and every
field of every document as a `<type>.<key>` column (a second document of the same
type in one submission is `<type>_2.<key>`, and so on). The JSON shape is
`schemas/export/record.schema.json`; `push` sends the same record.

Everything is read with a few set-based queries streamed in submission order, so an
export of tens of thousands of submissions neither loads them all into memory nor
runs a query per row.
"""
from __future__ import annotations

import csv
import io
import json
import re
import sys
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

import click

from schemas.registry import load_registry, type_order

from .errors import UsageError

FORMATS = ("csv", "jsonl", "json", "xlsx")  # built in; plugins add to WRITERS (intake/plugins.py)
STATUSES = ("verified", "rejected", "needs_review", "ready", "quarantined", "processing", "all")

# The submission-level columns, in output order (see schemas/export/record.schema.json).
BASE_COLUMNS = [
    "submission_id",
    "submission",
    "packet",
    "status",
    "decision",
    "reviewer",
    "decided_at",
    "comment",
    "received_at",
    "as_of",
    "voucher_amount",
    "organization",
    "uscc",
    "year",
    "version",
    "document_types",
    "finding_count",
    "finding_rules",
]
LIST_COLUMNS = {"document_types", "finding_rules"}

_FIELD_COLUMN = re.compile(r"^(?P<type>[a-z][a-z0-9_]*?)(?:_(?P<n>[0-9]+))?\.(?P<key>[a-z][a-z0-9_]*)$")


def schema_fields() -> dict[str, list[tuple[str, str | None, str | None]]]:
    """`{type: [(key, format, label_zh), ...]}` in the schemas' `x-order` (from the registry)."""
    return {t.name: [(f.key, f.format, f.label_zh) for f in t.fields] for t in load_registry()}


def _where(status: str, since: str | None, ids: Iterable[int] | None) -> tuple[str, list[Any]]:
    where, params = [], []
    if status != "all":
        where.append("s.status = ?")
        params.append(status)
    if since:
        where.append("coalesce(s.decided_at, s.received_at) >= ?")
        params.append(since)
    if ids is not None:
        ids = [int(i) for i in ids]
        where.append(f"s.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(ids))
    return (" WHERE " + " AND ".join(where)) if where else "", params


def field_columns(db, status: str = "verified", since: str | None = None, ids: Iterable[int] | None = None
                  ) -> list[str]:
    """The `<type>[_n].<key>` columns that the selected records have, in a stable order."""
    where, params = _where(status, since, ids)
    rows = db.execute(
        "SELECT DISTINCT dd.type, dd.n, f.key FROM "
        "(SELECT d.id, d.type, ROW_NUMBER() OVER (PARTITION BY d.submission_id, d.type ORDER BY d.file_id, d.idx) AS n "
        f" FROM documents d JOIN submissions s ON s.id = d.submission_id{where}) dd "
        "JOIN fields f ON f.document_id = dd.id",
        params,
    ).fetchall()
    schemas = schema_fields()
    order = type_order()  # the schemas' x-display order

    def type_rank(t: str) -> tuple[int, str]:
        return (order.index(t), t) if t in order else (len(order), t)

    def key_rank(t: str, k: str) -> tuple[int, str]:
        keys = [key for key, _, _ in schemas.get(t, [])]
        return (keys.index(k), k) if k in keys else (len(keys), k)

    rows.sort(key=lambda r: (type_rank(r[0]), r[1], key_rank(r[0], r[2])))
    return [column_name(t, n, k) for t, n, k in rows]


def column_name(doc_type: str, n: int, key: str) -> str:
    return f"{doc_type}.{key}" if n == 1 else f"{doc_type}_{n}.{key}"


_RECORDS_SQL = """
SELECT s.id, s.name, s.packet, s.status, s.decision, s.decided_by, s.decided_at, s.decision_comment,
       s.received_at, s.as_of, s.voucher_amount, s.organization, s.uscc, s.year, s.version,
       (SELECT json_group_array(json_array(x.id, x.type, x.key, x.value_json, x.value)) FROM
            (SELECT d.id, d.type, f.key, f.value_json, f.value
             FROM documents d LEFT JOIN fields f ON f.document_id = d.id
             WHERE d.submission_id = s.id ORDER BY d.file_id, d.idx, f.id) x) AS docs,
       (SELECT COUNT(*) FROM findings fi WHERE fi.submission_id = s.id) AS finding_count,
       (SELECT json_group_array(r.rule) FROM
            (SELECT DISTINCT fi.rule FROM findings fi WHERE fi.submission_id = s.id ORDER BY fi.rule) r) AS rules
FROM submissions s{where}
ORDER BY s.id
"""


def iter_records(db, status: str = "verified", since: str | None = None, ids: Iterable[int] | None = None
                 ) -> Iterator[dict[str, Any]]:
    """The records, streamed in submission id order. Values keep their JSON types."""
    where, params = _where(status, since, ids)
    cur = db.conn.execute(_RECORDS_SQL.format(where=where), params)
    while True:
        batch = cur.fetchmany(500)
        if not batch:
            return
        for row in batch:
            yield _record(row)


def _record(row) -> dict[str, Any]:
    (sid, name, packet, status, decision, reviewer, decided_at, comment, received_at, as_of, amount,
     organization, uscc, year, version, docs_json, finding_count, rules_json) = row
    record: dict[str, Any] = {
        "submission_id": sid,
        "submission": name,
        "packet": packet,
        "status": status,
        "decision": decision,
        "reviewer": reviewer,
        "decided_at": decided_at,
        "comment": comment,
        "received_at": received_at,
        "as_of": as_of,
        "voucher_amount": amount,  # stored only for a packet whose rules compute one
        "organization": organization,
        "uscc": uscc,
        "year": year,
        "version": version,
        "document_types": [],
        "finding_count": finding_count,
        "finding_rules": json.loads(rules_json or "[]"),
    }
    ordinal: dict[int, int] = {}
    per_type: dict[str, int] = {}
    for doc_id, doc_type, key, value_json, value in json.loads(docs_json or "[]"):
        if doc_id not in ordinal:
            per_type[doc_type] = per_type.get(doc_type, 0) + 1
            ordinal[doc_id] = per_type[doc_type]
            record["document_types"].append(doc_type)
        if key is None:
            continue
        v = value
        if value_json is not None:
            try:
                v = json.loads(value_json)
            except ValueError:
                pass
        if v is None:
            continue  # contract: a field not on the document is absent
        record[column_name(doc_type, ordinal[doc_id], key)] = v
    return record


# --- writers ----------------------------------------------------------------------------------


# Spreadsheet programs run a cell that starts with one of these as a formula (`=HYPERLINK(...)`
# from a reviewer's correction or from OCR of paper an applicant controls): such text gets a
# leading apostrophe in CSV (OWASP's advice) and is written as a plain string cell in XLSX.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def neutralise(text: str) -> str:
    """`text` as a spreadsheet shows it literally (never evaluated as a formula)."""
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def flat_value(value: Any) -> str:
    """A record value as one CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, (dict,)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_csv(records: Iterable[dict], columns: list[str], out: IO[bytes]) -> int:
    """UTF-8 with BOM and CRLF line ends: Excel opens it with the Chinese text intact."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(columns)
        n = 0
        for rec in records:
            writer.writerow([_csv_cell(rec.get(c)) for c in columns])
            n += 1
        text.flush()
    finally:
        text.detach()
    return n


def _csv_cell(value: Any) -> str:
    # Numbers stay numbers (a negative amount is not a formula); text is neutralised.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return flat_value(value)
    return neutralise(flat_value(value))


def _dumps(rec: dict) -> str:
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":"))


def write_jsonl(records: Iterable[dict], out: IO[bytes]) -> int:
    n = 0
    for rec in records:
        out.write((_dumps(rec) + "\n").encode("utf-8"))
        n += 1
    return n


def write_json(records: Iterable[dict], out: IO[bytes]) -> int:
    """A JSON array, written one record at a time."""
    n = 0
    out.write(b"[")
    for rec in records:
        out.write((",\n" if n else "\n").encode() + _dumps(rec).encode("utf-8"))
        n += 1
    out.write(b"\n]\n" if n else b"]\n")
    return n


_MONEY = re.compile(r"^-?\d+\.\d{2}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _column_formats(columns: list[str]) -> dict[str, str]:
    formats = {"voucher_amount": "money"}
    schemas = schema_fields()
    for c in columns:
        m = _FIELD_COLUMN.match(c)
        if not m:
            continue
        for key, fmt, _ in schemas.get(m["type"], []):
            if key == m["key"] and fmt:
                formats[c] = fmt
    return formats


def _header_labels(columns: list[str]) -> list[str]:
    labels = {
        "submission_id": "编号", "submission": "申请名称", "packet": "材料类型", "status": "状态",
        "decision": "审核结论", "reviewer": "审核人", "decided_at": "审核时间", "comment": "审核说明",
        "received_at": "收到时间", "as_of": "申请日期", "voucher_amount": "创新券金额",
        "organization": "单位名称", "uscc": "统一社会信用代码", "year": "年度", "version": "版本",
        "document_types": "材料", "finding_count": "问题数", "finding_rules": "问题规则",
    }
    schemas = schema_fields()
    out = []
    for c in columns:
        m = _FIELD_COLUMN.match(c)
        if c in labels:
            out.append(labels[c])
        elif m:
            zh = {k: lab for k, _, lab in schemas.get(m["type"], [])}.get(m["key"])
            out.append(zh or c)
        else:
            out.append(c)
    return out


def write_xlsx(records: Iterable[dict], columns: list[str], out: IO[bytes],
               labels: list[str] | None = None, widths: list[float] | None = None) -> int:
    """An Excel workbook: money as numbers (0.00), ISO dates as dates, long digit strings as text.

    Row 1 has the column keys (as in CSV/JSON), row 2 their Chinese labels; the panes are
    frozen below them. With `labels` (the review UI's export), row 1 is those labels alone and
    `widths` sets the column widths.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("records")
    ws.freeze_panes = "C3"
    formats = _column_formats(columns)
    bold = Font(bold=True)

    def header(values):
        row = []
        for v in values:
            cell = WriteOnlyCell(ws, value=v)
            cell.font = bold
            row.append(cell)
        return row

    if labels is not None:
        from openpyxl.utils import get_column_letter

        ws.freeze_panes = "C2"
        for i, w in enumerate(widths or []):
            ws.column_dimensions[get_column_letter(i + 1)].width = w
        ws.append(header(labels))
    else:
        ws.append(header(columns))
        ws.append(header(_header_labels(columns)))
    n = 0
    for rec in records:
        row = []
        for c in columns:
            v = rec.get(c)
            fmt = formats.get(c)
            if isinstance(v, list):
                v = ";".join(str(x) for x in v)
            if fmt == "money" and isinstance(v, str) and _MONEY.match(v):
                cell = WriteOnlyCell(ws, value=float(v))
                cell.number_format = "0.00"
            elif fmt == "date" and isinstance(v, str) and _DATE.match(v):
                try:
                    cell = WriteOnlyCell(ws, value=date.fromisoformat(v))
                    cell.number_format = "yyyy-mm-dd"
                except ValueError:
                    cell = WriteOnlyCell(ws, value=v)
            elif isinstance(v, str):
                # openpyxl turns any str starting with "=" into a formula cell; force a string cell.
                cell = WriteOnlyCell(ws, value=v)
                cell.data_type = "s"
            else:
                cell = WriteOnlyCell(ws, value=v)
            row.append(cell)
        ws.append(row)
        n += 1
    wb.save(out)
    return n


def export(db, out: IO[bytes], fmt: str = "csv", status: str = "verified", since: str | None = None) -> int:
    """Write the records in `fmt` to a binary stream; returns how many."""
    if fmt not in WRITERS:
        raise UsageError(f"未知的导出格式 {fmt}。Unknown format {fmt}: use one of {', '.join(WRITERS)}.")
    if status not in STATUSES:
        raise UsageError(f"未知的状态 {status}。Unknown status {status}: use one of {', '.join(STATUSES)}.")
    records = iter_records(db, status, since)
    columns = BASE_COLUMNS + field_columns(db, status, since)
    return WRITERS[fmt](records, columns, out)


# Export formats by name: fn(records, columns, out) -> count. Plugins add theirs.
WRITERS = {
    "csv": write_csv,
    "jsonl": lambda records, columns, out: write_jsonl(records, out),
    "json": lambda records, columns, out: write_json(records, out),
    "xlsx": lambda records, columns, out: write_xlsx(records, columns, out),
}


def parse_since(value: str | None) -> str | None:
    """`YYYY-MM-DD` or an ISO date-time, compared with the stored ISO timestamps (UTC)."""
    if not value:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value).isoformat()
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        raise UsageError(f"无法识别的日期 {value}。--since takes YYYY-MM-DD or an ISO date-time.") from None


@click.command("export")
@click.option("--db", "db_path", default="data/docintake.db", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="SQLite database to read.")
@click.option("--status", default="verified", show_default=True, type=click.Choice(STATUSES),
              help="Which submissions: by status, or all.")
@click.option("--format", "fmt", default="csv", show_default=True, metavar="FORMAT",
              help="csv (UTF-8 with BOM, for Excel), jsonl, json (one array), xlsx, or a plugin's format.")
@click.option("--since", default=None, metavar="DATE",
              help="Only submissions decided (or, undecided, received) on or after DATE (YYYY-MM-DD).")
@click.option("-o", "--output", default="-", show_default=True, metavar="FILE",
              help="Where to write; - is standard output.")
def export_command(db_path: Path, status: str, fmt: str, since: str | None, output: str) -> None:
    """Export one flat record per submission (default: the verified ones).

    Columns: the submission, its decision and reviewer, the organization, the
    findings, and every document field as <type>.<key>. The JSON record is
    described by schemas/export/record.schema.json.
    """
    from .db import connect

    if not db_path.exists():
        raise UsageError(f"数据库不存在：{db_path}。The database {db_path} does not exist.")
    db = connect(db_path)
    since_s = parse_since(since)
    if output == "-":
        if fmt == "xlsx":
            buf = io.BytesIO()
            n = export(db, buf, fmt, status, since_s)
            sys.stdout.buffer.write(buf.getvalue())
        else:
            n = export(db, sys.stdout.buffer, fmt, status, since_s)
        sys.stdout.buffer.flush()
    else:
        dest = Path(output)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp")
        with open(tmp, "wb") as fh:
            n = export(db, fh, fmt, status, since_s)
        tmp.replace(dest)
    click.echo(f"exported {n} records", err=True)
