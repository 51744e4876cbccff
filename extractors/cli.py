"""`docintake schemas ...`: a thin click layer over extractors.registry."""
from __future__ import annotations

import sys

import click

from intake.errors import ExitCode
from intake.ocr import base as _ocr_base  # noqa: F401 - adds the x-ocr-engine check to the registry

from .registry import check_schemas, load_registry, schema_files


@click.group("schemas")
def schemas() -> None:
    """文档类型模式 / document-type schemas."""


@schemas.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
def check(paths: tuple[str, ...]) -> None:
    """Validate schema files against the meta-schema (default: every registered schema)."""
    targets = list(paths) if paths else schema_files()
    problems = check_schemas(targets)
    if problems:
        for p in problems:
            click.echo(str(p))
        click.echo(f"{len(problems)} 个问题 / {len(problems)} problem(s)", err=True)
        sys.exit(int(ExitCode.SCHEMA))
    n = len(targets) if paths else len(schema_files())
    click.echo(f"全部 {n} 个模式有效 / all {n} schemas valid")


@schemas.command("list")
@click.option("--fields", "show_fields", is_flag=True, help="Also list each type's fields.")
def list_(show_fields: bool) -> None:
    """List the document types and where their schema files are."""
    reg = load_registry()
    for t in reg:
        click.echo(f"{t.name}\t{t.title_zh}\t{len(t.fields)} fields\t{t.source}")
        if show_fields:
            for f in t.fields:
                flags = ",".join(x for x in (f.format or "", "required" if f.required else "",
                                             "personal" if f.personal else "") if x)
                click.echo(f"  {f.order:>2} {f.key}\t{f.label_zh}\t{f.type}\t{flags}")


def main() -> None:  # pragma: no cover - `python -m extractors.cli`
    schemas()


if __name__ == "__main__":  # pragma: no cover
    main()
