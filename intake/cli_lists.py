"""`docintake lists …` and `docintake budget …`: the reference lists and the yearly voucher
budget the voucher rules consult (细则 第四、六、十五、十六、十八条), each change recorded."""
from __future__ import annotations

import getpass
import os
from pathlib import Path

import click

from .validation.lists import LIST_LABELS

DEFAULT_DB = "data/docintake.db"
KIND_HELP = "；".join(f"{k}={v}" for k, v in LIST_LABELS.items())


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return os.environ.get("DOCINTAKE_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _db_option(f):
    return click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(path_type=Path))(f)


def _by_option(f):
    return click.option("--by", default=None, help="Who made the change (default: $DOCINTAKE_USER or the login name).")(f)


@click.group("lists")
def lists_group() -> None:
    """Reference lists the voucher rules consult (细则 第四、六、十六、十八条)."""


@lists_group.command("import")
@click.argument("kind", metavar="KIND")
@click.argument("list_file", metavar="FILE.xlsx|FILE.csv",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_db_option
@_by_option
def lists_import(kind: str, list_file: Path, db_path: Path, by: str | None) -> None:
    """Import FILE as the new version of the KIND list.

    KIND: """ + KIND_HELP + """.

    FILE is an Excel workbook (.xlsx) or a CSV (UTF-8 or GBK) with a header row naming the
    columns: 企业名称/单位名称 (name), 统一社会信用代码 (uscc), optionally 年度 (year, empty: any
    year) and 类别 (category); title rows above the header are skipped. A file with a bad row is
    refused whole; the current version stays. Decisions made from now on record this version.
    """
    from .db import connect
    from .validation.lists import check_kind, read_list_file, store_list

    kind = check_kind(kind)
    entries, digest = read_list_file(list_file)
    db = connect(db_path)
    try:
        version = store_list(db.conn, kind, entries, list_file.name, _who(by), digest)
    finally:
        db.conn.close()
    click.echo(f"已导入{LIST_LABELS[kind]}（版本 {version}）：{len(entries)} 条。"
               f"Imported {len(entries)} entries into {kind} as version {version}.")


@lists_group.command("show")
@click.argument("kind", required=False)
@_db_option
def lists_show(kind: str | None, db_path: Path) -> None:
    """Every imported version (newest first); * marks the one rules read."""
    from .db import connect
    from .validation.lists import check_kind, list_versions

    db = connect(db_path)
    try:
        rows = list_versions(db.conn, check_kind(kind) if kind else None)
    finally:
        db.conn.close()
    if not rows:
        click.echo("尚未导入名单。No list imported.")
    for r in rows:
        click.echo(f"{'*' if r['current'] else ' '} {r['id']}\t{r['kind']}\t{r['imported_at']}\t{r['rows']} 条\t"
                   f"{r['source'] or ''}\t{r['imported_by'] or ''}")


@click.group("budget")
def budget_group() -> None:
    """The year's total voucher budget (细则 第十五条), with its audit trail."""


@budget_group.command("set")
@click.argument("year")
@click.argument("amount")
@_db_option
@_by_option
def budget_set(year: str, amount: str, db_path: Path, by: str | None) -> None:
    """Set YEAR's total voucher budget to AMOUNT yuan (the change and the earlier amount are kept)."""
    from .db import connect
    from .validation.lists import parse_budget, set_budget

    y, value = parse_budget(year, amount)
    db = connect(db_path)
    try:
        set_budget(db.conn, y, value, _who(by))
    finally:
        db.conn.close()
    click.echo(f"已设置 {y} 年科技创新券总额度：{value:.2f} 元。Budget for {y} set to {value:.2f}.")


@budget_group.command("history")
@click.argument("year", required=False, type=int)
@_db_option
def budget_history(year: int | None, db_path: Path) -> None:
    """Every budget change (newest first): year, amount, previous amount, when, who."""
    from .db import connect
    from .validation.lists import budget_changes

    db = connect(db_path)
    try:
        rows = budget_changes(db.conn, year)
    finally:
        db.conn.close()
    if not rows:
        click.echo("尚未设置总额度。No budget set.")
    for r in rows:
        click.echo(f"{r['year']}\t{r['amount']}\t(原 {r['previous'] or '—'})\t{r['set_at']}\t{r['set_by'] or ''}")
