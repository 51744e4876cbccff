"""`docintake redemption YEAR` (the yearly redemption list) and `docintake redemption close YEAR`."""
from __future__ import annotations

from pathlib import Path

import click

from .errors import UsageError

DB_OPTION = click.option("--db", "db_path", default="data/docintake.db", show_default=True,
                         type=click.Path(dir_okay=False, path_type=Path), help="SQLite database.")


class _YearFirst(click.Group):
    """`redemption 2026` runs the default sub-command `list`; `redemption close 2026` closes."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands:
            args = ["list", *args]
        return super().resolve_command(ctx, args)


def _db(db_path: Path):
    from .db import connect

    if not db_path.exists():
        raise UsageError(f"数据库不存在：{db_path}。The database {db_path} does not exist.")
    return connect(db_path)


def _year(value: str) -> int:
    if not (value.isascii() and value.isdigit() and 2000 <= int(value) <= 2100):
        raise UsageError(f"年度应为四位数字：{value}。YEAR must be a year such as 2026.")
    return int(value)


@click.group("redemption", cls=_YearFirst)
def redemption_group() -> None:
    """The yearly voucher redemption list for the finance bureau (细则 第二十条).

    \b
    docintake redemption YEAR [--out DIR]   write 创新券兑付清单-YEAR.xlsx and .pdf
    docintake redemption close YEAR         lock the year's ledger
    """


@redemption_group.command("list", hidden=True)
@DB_OPTION
@click.argument("year")
@click.option("--out", "out_dir", default=".", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the XLSX and PDF into.")
def list_command(db_path: Path, year: str, out_dir: Path) -> None:
    from . import ledger, redemption

    db = _db(db_path)
    y = _year(year)
    xlsx, pdf = redemption.write_redemption(db.conn, y, out_dir)
    s = ledger.summary(db.conn, y)
    click.echo(f"{xlsx}\n{pdf}")
    click.echo(f"{y}: {s['vouchers']} vouchers, {s['granted']} yuan"
               + ("" if s["closed"] else " (ledger not closed: close it with `docintake redemption close "
                  f"{y}` once the list is final)"), err=True)


@redemption_group.command("close")
@DB_OPTION
@click.argument("year")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def close_command(db_path: Path, year: str, yes: bool) -> None:
    """Lock the ledger of YEAR: no voucher of that year can be granted or taken back after this."""
    from . import ledger

    y = _year(year)
    if not yes:
        click.confirm(f"关闭 {y} 年度创新券台账后不能再更改，确定吗？Close the {y} ledger for good?", abort=True)
    res = ledger.close_year(_db(db_path), y, "cli")
    click.echo(f"{y}: closed with {res['vouchers']} vouchers, {res['total']} yuan")
