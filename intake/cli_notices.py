"""`docintake notices send|list|pdf|retry|contact`: the notices outbox from the command line."""
from __future__ import annotations

import json
from pathlib import Path

import click

from .errors import DeliveryError, UsageError

DB_OPTION = click.option("--db", "db_path", default="data/docintake.db", show_default=True,
                         type=click.Path(dir_okay=False, path_type=Path), help="SQLite database.")


def _db(db_path: Path):
    from .db import connect

    if not db_path.exists():
        raise UsageError(f"数据库不存在：{db_path}。The database {db_path} does not exist.")
    return connect(db_path)


@click.group("notices")
def notices_group() -> None:
    """Notices to applicants (approval, 退回补正, rejection): e-mail with a PDF, from an outbox.

    SMTP settings come from the environment: DOCINTAKE_SMTP_HOST, DOCINTAKE_SMTP_PORT,
    DOCINTAKE_SMTP_SECURITY (starttls|ssl|none), DOCINTAKE_SMTP_USER, DOCINTAKE_SMTP_PASSWORD,
    DOCINTAKE_NOTICE_FROM.
    """


@notices_group.command("send")
@DB_OPTION
@click.option("--max-attempts", type=int, default=8, show_default=True, help="Attempts before a notice is failed.")
@click.option("--backoff", type=float, default=60.0, show_default=True,
              help="Seconds before the first retry; doubles with each further attempt.")
@click.option("--retry-failed", "requeue", is_flag=True, help="Queue failed notices again first.")
@click.option("--every", type=float, default=None, metavar="SECONDS",
              help="Keep running: send what is due, then look again every SECONDS (until SIGTERM/Ctrl-C).")
def send_command(db_path: Path, max_attempts: int, backoff: float, requeue: bool, every: float | None) -> None:
    """Send every notice that is due now (exit code 9 if any is left unsent)."""
    import signal
    import threading

    from .notices import mail, outbox

    settings = mail.SmtpSettings.from_env()
    db = _db(db_path)
    if requeue:
        click.echo(f"{outbox.retry_failed(db)} failed notices queued again", err=True)
    if every is not None:
        from .notices import sender

        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *a: stop.set())
        signal.signal(signal.SIGINT, lambda *a: stop.set())
        click.echo(f"sending notices every {every:g} s (Ctrl-C to stop)", err=True)
        sender.run(db, settings, stop, every, max_attempts, backoff, lambda line: click.echo(line, err=True))
        return
    from .notices.sender import release_dead_leases

    release_dead_leases(db)  # a killed sender's notices go out now, not when its lease ends
    res = outbox.deliver_due(db, settings, limit=10_000, max_attempts=max_attempts, backoff=backoff)
    pending, failed, no_address = db.execute(
        "SELECT COALESCE(SUM(status = 'pending'), 0), COALESCE(SUM(status = 'failed'), 0), "
        "COALESCE(SUM(status = 'no_address'), 0) FROM notices").fetchone()
    click.echo(f"notices: {res.sent} sent; {pending} waiting to be retried, {failed} failed, "
               f"{no_address} without an address (print them: docintake notices pdf ID)", err=True)
    if pending or failed:
        raise DeliveryError(f"{pending + failed} 份通知尚未发出（{failed} 份已放弃），详见 notice_sendings 表。"
                            f"{pending + failed} notices are not sent ({failed} gave up); see notice_sendings.")


@notices_group.command("list")
@DB_OPTION
@click.option("--status", type=click.Choice(["pending", "sent", "failed", "no_address"]), default=None)
@click.option("--submission", "submission_id", type=int, default=None)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_command(db_path: Path, status: str | None, submission_id: int | None, as_json: bool) -> None:
    """List notices and their state."""
    from .notices import outbox

    for n in outbox.list_notices(_db(db_path), status, submission_id):
        if as_json:
            click.echo(json.dumps(n, ensure_ascii=False))
        else:
            click.echo(f"#{n['id']}\t{n['kind']}\t{n['status']}\t{n['recipient'] or '-'}\t{n['subject']}"
                       + (f"\t{n['last_error']}" if n["last_error"] else ""))


@notices_group.command("pdf")
@DB_OPTION
@click.argument("notice_id", type=int)
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def pdf_command(db_path: Path, notice_id: int, out: Path) -> None:
    """Write notice NOTICE_ID as a printable PDF to OUT."""
    from .notices import outbox

    out.write_bytes(outbox.notice_pdf(_db(db_path), notice_id))
    click.echo(str(out))


@notices_group.command("contact")
@DB_OPTION
@click.argument("uscc")
@click.argument("email")
def contact_command(db_path: Path, uscc: str, email: str) -> None:
    """Set the e-mail address of an organization (by USCC) that handed in no application form."""
    from .notices import outbox

    outbox.set_contact(_db(db_path), uscc, email, "cli")
    click.echo(f"{uscc.upper()} -> {email}")
