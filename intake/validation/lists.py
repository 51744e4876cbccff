"""Reference lists and the voucher budget: reading the files the bureau has (XLSX or CSV, with
Chinese or English headers), storing each import as a version, and reading the current version
through a connection the caller opened (tables of migrations m0009 and m0011).

A list file has a header row naming at least the name or the USCC column (企业名称 / 单位名称 /
统一社会信用代码 … or ``name`` / ``uscc``), in any order, optionally a year (年度) and a category
(类别) column; title rows above the header (``2026年许昌市高新技术企业名单``) and columns such as
序号 are ignored.  A file with one bad row is refused whole, naming the row, so an import never
half-replaces a list.  Entries are matched by USCC first, by exact name (`org_name`) second.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from ..errors import InputError, UsageError
from .formats import compact, uscc_problem
from .normalize import money, org_name

# kind -> what the bureau calls the list (shown in the CLI and the review UI)
LIST_LABELS = {
    "high_tech": "高新技术企业名单",
    "tech_sme": "科技型中小企业名单",
    "above_scale": "规上工业企业名单",
    "user_category": "创新创业团队及其他用户名单",
    "leading_enterprise": "创新龙头企业、瞪羚企业名单",
    "platform_members": "共享服务平台会员（管理单位）名单",
    "provincial_subsidy": "已享受省级奖补用户名单",
}
LIST_KINDS = tuple(LIST_LABELS)
# Other names staff type for a kind
ALIASES = {"高新技术企业": "high_tech", "高企": "high_tech", "科技型中小企业": "tech_sme", "科小": "tech_sme",
           "规上工业企业": "above_scale", "规上企业": "above_scale", "创新创业团队": "user_category",
           "创新龙头企业": "leading_enterprise", "瞪羚企业": "leading_enterprise", "龙头企业": "leading_enterprise",
           "平台会员": "platform_members", "会员": "platform_members", "管理单位": "platform_members",
           "省级奖补": "provincial_subsidy"}
# The lists a voucher user may be on (细则 第四条): on none of the imported ones → a reviewer confirms.
USER_LISTS = ("above_scale", "high_tech", "tech_sme", "user_category")
COLUMNS = ("uscc", "name", "year", "category")
# Header cell (compacted, lower case) -> column.  Longest first, so 统一社会信用代码 wins over 代码.
HEADERS = {
    "uscc": ("统一社会信用代码", "社会信用代码", "信用代码", "纳税人识别号", "组织机构代码", "uscc", "code"),
    "name": ("企业名称", "单位名称", "公司名称", "机构名称", "用户名称", "会员名称", "管理单位名称", "服务机构名称",
             "团队名称", "申报单位", "名称", "name"),
    "year": ("认定年度", "入库年度", "年度", "年份", "year"),
    "category": ("企业类别", "企业类型", "认定类型", "类别", "类型", "category"),
}
HEADER_SCAN_ROWS = 15


@dataclass(frozen=True)
class ListEntry:
    uscc: str | None
    name: str | None
    year: int | None
    category: str | None = None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def check_kind(kind: str) -> str:
    """A list kind by its key or its Chinese label (高新技术企业名单 or 高新技术企业)."""
    k = compact(kind or "")
    if k in LIST_LABELS:
        return k
    if k.removesuffix("名单") in ALIASES:
        return ALIASES[k.removesuffix("名单")]
    for key, label in LIST_LABELS.items():
        if k and (k == label or k == label.removesuffix("名单")):
            return key
    shown = "、".join(f"{k}（{v}）" for k, v in LIST_LABELS.items())
    raise UsageError(f"未知的名单类型 {kind}（可选：{shown}）。Unknown list kind {kind}.")


def _column(cell) -> str | None:
    text = compact(str(cell or "")).lower().strip("*：:")
    if not text:
        return None
    for col, names in HEADERS.items():
        if text in names:
            return col
    for col, names in HEADERS.items():  # 企业名称（全称）, 统一社会信用代码(18位)
        if any(text.startswith(n) for n in names if len(n) >= 4):
            return col
    return None


def _header(rows: list[list], source: str) -> tuple[int, dict[str, int]]:
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cols: dict[str, int] = {}
        for j, cell in enumerate(row):
            col = _column(cell)
            if col and col not in cols:
                cols[col] = j
        if "uscc" in cols or "name" in cols:
            return i, cols
    raise InputError(f"名单文件 {source} 的前 {HEADER_SCAN_ROWS} 行中没有表头（应有“企业名称/单位名称”或"
                     f"“统一社会信用代码”列）。List file {source} has no header row naming a name or USCC column.",
                     reason="bad_list")


def _cell(row: list, j: int | None) -> str:
    if j is None or j >= len(row) or row[j] is None:
        return ""
    v = row[j]
    if isinstance(v, float) and v.is_integer():
        v = int(v)  # a year typed as a number
    return compact(str(v))


def parse_list_rows(rows: list[list], source: str = "<list>") -> list[ListEntry]:
    """Entries from a table's rows (header found within the first rows; see the module doc)."""
    at, cols = _header(rows, source)
    out: list[ListEntry] = []
    for line, row in enumerate(rows[at + 1:], start=at + 2):
        uscc = _cell(row, cols.get("uscc")).upper() or None
        name = _cell(row, cols.get("name")) or None
        year_text = _cell(row, cols.get("year")).removesuffix("年").removesuffix("年度")
        category = _cell(row, cols.get("category")) or None
        if uscc is None and name is None:
            if year_text or category:
                raise InputError(f"名单文件 {source} 第 {line} 行既无统一社会信用代码也无名称。"
                                 f"Row {line} of {source} has neither uscc nor name.", reason="bad_list")
            continue  # a blank line
        if uscc is not None and uscc_problem(uscc):
            raise InputError(f"名单文件 {source} 第 {line} 行的统一社会信用代码 {uscc} 无效：{uscc_problem(uscc)[1]}。"
                             f"Row {line} of {source}: invalid USCC {uscc}.", reason="bad_list")
        if year_text and not re.fullmatch(r"(19|20)\d\d", year_text):
            raise InputError(f"名单文件 {source} 第 {line} 行的年份“{year_text}”应为四位年份或留空。"
                             f"Row {line} of {source}: year must be YYYY or empty.", reason="bad_list")
        out.append(ListEntry(uscc, name, int(year_text) if year_text else None, category))
    return out


def parse_list_csv(text: str, source: str = "<csv>") -> list[ListEntry]:
    return parse_list_rows([list(r) for r in csv.reader(io.StringIO(text.lstrip("\ufeff")))], source)


def parse_list_xlsx(data: bytes, source: str = "<xlsx>") -> list[ListEntry]:
    """The first sheet that has a header row (a workbook often opens with a notes sheet)."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(f"名单文件 {source} 不是可读取的 Excel 工作簿（.xlsx）：{exc}。"
                         f"List file {source} is not a readable .xlsx workbook.", reason="bad_list") from exc
    try:
        first_error = None
        for ws in wb.worksheets:
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
            try:
                return parse_list_rows(rows, f"{source}（工作表“{ws.title}”）")
            except InputError as exc:
                if "没有表头" not in exc.message:
                    raise
                first_error = first_error or exc
        raise first_error or InputError(f"名单文件 {source} 没有工作表。{source} has no sheet.", reason="bad_list")
    finally:
        wb.close()


def read_list_file(path: str | Path) -> tuple[list[ListEntry], str]:
    """Entries of an XLSX or CSV file, recognised by content (an .xlsx is a zip), and its sha256.
    A CSV may be UTF-8 (with or without BOM) or GB18030, as Excel on Chinese Windows saves it."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"无法读取名单文件 {path}：{exc}。Cannot read {path}.", reason="bad_list") from exc
    digest = hashlib.sha256(data).hexdigest()
    if data[:4] == b"PK\x03\x04":
        return parse_list_xlsx(data, path.name), digest
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError(f"名单文件 {path.name} 是旧版 Excel（.xls），请在 Excel 中另存为 .xlsx 或 CSV UTF-8。"
                         f"{path.name} is a legacy .xls workbook: save it as .xlsx or CSV.", reason="bad_list")
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(f"名单文件 {path.name} 既不是 Excel 工作簿，也不是 UTF-8/GBK 编码的 CSV。"
                         f"{path.name} is neither .xlsx nor a UTF-8/GBK CSV.", reason="bad_list")
    return parse_list_csv(text, path.name), digest


def store_list(conn, kind: str, entries: list[ListEntry], source: str = "", by: str | None = None,
               sha256: str | None = None) -> int:
    """Record ``entries`` as the kind's new current version in one transaction; returns the
    version id.  Earlier versions and their entries stay (a decision names the one it read)."""
    kind = check_kind(kind)
    conn.execute("BEGIN IMMEDIATE")
    try:
        at = _now()
        cur = conn.execute("INSERT INTO reference_list_versions (kind, imported_at, source, rows, imported_by, sha256) "
                           "VALUES (?, ?, ?, ?, ?, ?)", (kind, at, source, len(entries), by, sha256))
        version = cur.lastrowid
        conn.executemany("INSERT INTO reference_lists (kind, uscc, name, year, category, version_id) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                         [(kind, e.uscc, e.name, e.year, e.category, version) for e in entries])
        conn.execute("INSERT OR REPLACE INTO reference_list_imports (kind, imported_at, source, rows, version_id) "
                     "VALUES (?, ?, ?, ?, ?)", (kind, at, source, len(entries), version))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return version


def parse_budget(year: str | int, amount: str) -> tuple[int, Decimal]:
    if not re.fullmatch(r"(19|20)\d\d", str(year).strip()):
        raise UsageError(f"年份“{year}”应为四位年份。YEAR must be YYYY.")
    text = compact(amount).removesuffix("元")
    value = money(text) if re.fullmatch(r"[¥￥]?\d[\d,]*(\.\d{1,2})?", text) else None
    if value is None:
        raise UsageError(f"预算金额“{amount}”无法识别（应为以元计的金额，例：5000000 或 5,000,000.00）。"
                         f"AMOUNT must be yuan, e.g. 5000000.")
    return int(str(year).strip()), value


def set_budget(conn, year: int, amount: Decimal, by: str | None = None) -> int:
    """Set the year's budget and append the change to its audit trail; returns the change id."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT amount FROM voucher_budgets WHERE year = ?", (int(year),)).fetchone()
        at = _now()
        conn.execute("INSERT OR REPLACE INTO voucher_budgets (year, amount, set_at) VALUES (?, ?, ?)",
                     (int(year), f"{amount:.2f}", at))
        cur = conn.execute("INSERT INTO voucher_budget_changes (year, amount, previous, set_at, set_by) "
                           "VALUES (?, ?, ?, ?, ?)", (int(year), f"{amount:.2f}", row[0] if row else None, at, by))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return cur.lastrowid


def budget_changes(conn, year: int | None = None) -> list[dict]:
    sql = "SELECT id, year, amount, previous, set_at, set_by FROM voucher_budget_changes"
    rows = conn.execute(sql + (" WHERE year = ?" if year else "") + " ORDER BY id DESC",
                        (int(year),) if year else ()).fetchall()
    return [dict(zip(("id", "year", "amount", "previous", "set_at", "set_by"), r)) for r in rows]


def list_versions(conn, kind: str | None = None) -> list[dict]:
    """Every import, newest first, with ``current`` marking the version rules read."""
    sql = ("SELECT v.id, v.kind, v.imported_at, v.source, v.rows, v.imported_by, v.sha256, "
           "i.version_id IS NOT NULL FROM reference_list_versions v "
           "LEFT JOIN reference_list_imports i ON i.version_id = v.id")
    rows = conn.execute(sql + (" WHERE v.kind = ?" if kind else "") + " ORDER BY v.id DESC",
                        (kind,) if kind else ()).fetchall()
    keys = ("id", "kind", "imported_at", "source", "rows", "imported_by", "sha256", "current")
    return [dict(zip(keys, r), current=bool(r[7]), label=LIST_LABELS.get(r[1], r[1])) for r in rows]


# --- reading (History) ------------------------------------------------------------------

def _current(conn, kind: str):
    return conn.execute("SELECT version_id FROM reference_list_imports WHERE kind = ?", (kind,)).fetchone()


def read_list(conn, kind: str, version: int | None = None) -> list[ListEntry] | None:
    """The kind's current entries (or those of ``version``), None when the list was never imported."""
    if version is None:
        row = _current(conn, kind)
        if not row:
            return None
        version = row[0]
    return [ListEntry(u, n, y, c) for u, n, y, c in
            conn.execute("SELECT uscc, name, year, category FROM reference_lists WHERE version_id = ? ORDER BY id",
                         (version,))]


def read_list_version(conn, kind: str) -> dict | None:
    row = conn.execute("SELECT v.id, v.imported_at, v.source, v.rows, v.imported_by FROM reference_list_imports i "
                       "JOIN reference_list_versions v ON v.id = i.version_id WHERE i.kind = ?", (kind,)).fetchone()
    return dict(zip(("version", "imported_at", "source", "rows", "imported_by"), row)) if row else None


def read_budget(conn, year: int) -> Decimal | None:
    row = conn.execute("SELECT amount FROM voucher_budgets WHERE year = ?", (int(year),)).fetchone()
    return money(row[0]) if row else None


def read_budget_version(conn, year: int) -> dict | None:
    row = conn.execute("SELECT id, amount, set_at, set_by FROM voucher_budget_changes WHERE year = ? "
                       "ORDER BY id DESC LIMIT 1", (int(year),)).fetchone()
    return dict(zip(("change", "amount", "set_at", "set_by"), row), year=int(year)) if row else None


def listed(entries: list[ListEntry], uscc: str | None, name: str | None, year: int, years: str = "same") -> ListEntry | None:
    """The entry naming this organization (USCC when both have one, else the name) for ``year``:
    ``years="same"`` — the entry's year is that year or empty; ``"until"`` — that year or earlier
    (a platform membership registered before still holds)."""
    u = compact(uscc).upper() if uscc else None
    n = org_name(name) if name else None
    for e in entries:
        if e.year is not None and (e.year > year if years == "until" else e.year != year):
            continue
        if u and e.uscc:
            if e.uscc == u:
                return e
        elif n and e.name and org_name(e.name) == n:
            return e
    return None


# --- what a decision consulted -------------------------------------------------------------

def rule_lists(entry: dict) -> list[str]:
    """The list kinds a packet rule reads (``listed``: its ``list``; ``voucher_cap``: the leading list)."""
    if "listed" in entry:
        v = entry["listed"]["list"]
        return list(v) if isinstance(v, list) else [v]
    if "voucher_cap" in entry:
        return ["leading_enterprise"]
    return []


def used_versions(spec, history, year: int) -> dict | None:
    """``{"lists": {kind: version-or-None}, "budget": change-or-None}`` for the packet's list and
    budget rules (None: that list was never imported / no budget set, so the check was not made);
    None when the packet has no such rule."""
    kinds = [k for entry in spec.rules for k in rule_lists(entry)]
    budget_rule = any("voucher_budget" in entry for entry in spec.rules)
    if not kinds and not budget_rule:
        return None
    list_version = getattr(history, "list_version", None)
    out: dict = {"lists": {}}
    for k in dict.fromkeys(kinds):
        out["lists"][k] = list_version(k) if list_version else None
    if budget_rule:
        budget_version = getattr(history, "budget_version", None)
        out["budget"] = budget_version(year) if budget_version else None
    return out


def not_checked(lists_used: str | dict | None) -> list[str]:
    """What the review page says was not checked, from a submission's ``lists_used``."""
    if isinstance(lists_used, str):
        try:
            lists_used = json.loads(lists_used)
        except ValueError:
            return []
    if not lists_used:
        return []
    out = []
    for k, v in (lists_used.get("lists") or {}).items():
        if v is None:
            out.append(f"{LIST_LABELS.get(k, k)}未导入" + ("，按默认额度计算" if k == "leading_enterprise" else "，未核查"))
    if "budget" in lists_used and lists_used["budget"] is None:
        out.append("本年度科技创新券总额度未设置，未核查总额度")
    return out


def with_leading_list(config, entries: list[ListEntry] | None, year: int):
    """The voucher configuration with its enterprises replaced by the imported leading list
    (entries of ``year`` or without a year), each at the configuration's leading cap."""
    if entries is None:
        return config
    from dataclasses import replace
    from .config import Enterprise

    leaders = [Enterprise(e.uscc, e.name, e.category or "创新龙头企业/瞪羚企业", config.leading_cap)
               for e in entries if e.year is None or e.year == year]
    return replace(config, enterprises=leaders, source=f"{config.source}+名单")
