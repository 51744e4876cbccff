"""`docintake review` and `docintake users ...`: thin click commands over review.auth.

The lead wires them into the `docintake` group:  `cli.add_command(review_command)` and
`cli.add_command(users_group)`.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import click

from intake.db import connect
from intake.errors import DocintakeError

from . import auth

DEFAULT_DB = "data/docintake.db"


class CommandError(click.ClickException):
    """A library error at the CLI edge, keeping the product's exit code."""

    def __init__(self, exc: DocintakeError):
        super().__init__(exc.message)
        self.exit_code = int(exc.exit_code)


db_option = click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_DB,
                         show_default=True, help="The docintake database.")


def secret_for(db_path: Path) -> str:
    """DATASETTE_SECRET if set, else a random secret kept beside the database (mode 0600),
    so sessions survive a restart of the review server."""
    if os.environ.get("DATASETTE_SECRET"):
        return os.environ["DATASETTE_SECRET"]
    path = db_path.with_name(db_path.name + ".review-secret")
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


@click.command("review")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Keep 127.0.0.1 unless a reverse proxy with HTTPS sits in front.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port (0 picks a free one).")
@click.option("--metadata", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Extra Datasette metadata (JSON/YAML), e.g. plugin settings.")
def review_command(db_path: Path, host: str, port: int, metadata: str | None) -> None:
    """Start the review UI (Datasette with the docintake review plugin)."""
    from datasette.cli import cli as datasette_cli

    try:
        db = connect(db_path)  # creates the file and applies migrations (users, audit ...)
        db.conn.close()
    except DocintakeError as exc:
        raise CommandError(exc) from exc
    os.environ["DATASETTE_SECRET"] = secret_for(db_path)
    db = connect(db_path, migrate=False)
    try:
        no_users = db.execute("SELECT COUNT(*) FROM users WHERE active = 1").fetchone()[0] == 0
    finally:
        db.conn.close()
    if no_users:
        click.echo("提示：还没有任何用户。先运行 `docintake users add NAME --role admin --db "
                   f"{db_path}` 创建管理员。No users yet: add one first.", err=True)
    args = ["serve", str(db_path), "--host", host, "--port", str(port),
            "--setting", "default_allow_sql", "off"]
    if metadata:
        args += ["--metadata", metadata]
    datasette_cli.main(args=args, prog_name="docintake review", standalone_mode=True)


@click.group("users")
def users_group() -> None:
    """Manage the users of the review UI."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(auth.ROLES), required=True,
              help="viewer: read, personal data masked; reviewer: correct, approve, reject; admin: + users.")
@db_option
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (for set-up scripts); "
                   "otherwise it is prompted for (hidden, twice). Never on the command line.")
@click.option("--display-name", default="", help="Name shown in the UI, e.g. 张伟.")
@click.option("--if-missing", is_flag=True, help="Do nothing when NAME already exists (for set-up scripts).")
def users_add(name: str, role: str, db_path: Path, password_stdin: bool, display_name: str,
              if_missing: bool) -> None:
    """Add a user NAME with a role."""
    if if_missing:
        db = connect(db_path)
        try:
            exists = db.execute("SELECT 1 FROM users WHERE username = ?", [name]).fetchone()
        finally:
            db.conn.close()
        if exists:
            click.echo(f"{name} exists")
            return
    if password_stdin:
        password = click.get_text_stream("stdin").readline(auth.MAX_PASSWORD + 2).rstrip("\r\n")
    else:
        password = click.prompt("密码 Password", hide_input=True, confirmation_prompt=True)
    try:
        db = connect(db_path)
        try:
            auth.add_user(db, name, role, password, display_name=display_name, created_by="cli")
        finally:
            db.conn.close()
    except DocintakeError as exc:
        raise CommandError(exc) from exc
    click.echo(f"added {name} ({role})")


@users_group.command("list")
@db_option
def users_list(db_path: Path) -> None:
    """List users: name, role, active, last sign-in."""
    try:
        db = connect(db_path)
        try:
            rows = auth.list_users(db)
        finally:
            db.conn.close()
    except DocintakeError as exc:
        raise CommandError(exc) from exc
    for u in rows:
        click.echo("\t".join([u["username"], u["role"], "active" if u["active"] else "disabled",
                              u["last_login_at"] or "-", u["display_name"] or ""]))
