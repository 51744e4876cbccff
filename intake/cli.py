"""`docintake`: a thin click layer over the library.

Library errors are `DocintakeError`s; this module is the one place that turns
them into a message on stderr and the exit code the class carries.
"""
from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

import click

from . import __version__
from .runners import broker_option
from .errors import DocintakeError, ExitCode

DEFAULT_DB = "data/docintake.db"

# Sub-commands that live beside the packages they drive, loaded on first use
# so that `docintake --help` stays fast and one broken extra cannot break all.
LAZY_COMMANDS = {
    "schemas": "extractors.cli:schemas",
    "review": "review.cli:review_command",
    "users": "review.cli:users_group",
    "watch": "intake.watch:watch_command",
    "requeue": "intake.requeue:requeue_command",
    "export": "intake.export:export_command",
    "push": "intake.push:push_command",
    "notices": "intake.cli_notices:notices_group",
    "redemption": "intake.cli_redemption:redemption_group",
    "lists": "intake.cli_lists:lists_group",
    "budget": "intake.cli_lists:budget_group",
    "worker": "intake.cli_workers:worker_command",
    "workers": "intake.cli_workers:workers_command",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx, name):
        cmd = super().get_command(ctx, name)
        if cmd is not None or name not in LAZY_COMMANDS:
            return cmd
        module, _, attr = LAZY_COMMANDS[name].partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            return None


def as_of_option(f):
    return click.option(
        "--as-of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Submission date that validity rules compare against (default: today).",
    )(f)


def engine_option(f):
    return click.option(
        "--ocr-engine",
        default="rapidocr",
        show_default=True,
        help="OCR engine for scanned pages: rapidocr (default, best for Chinese) or tesseract.",
    )(f)


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="docintake")
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
def cli(verbose: bool) -> None:
    """docintake: intake, extraction, validation and review of scanned submissions."""
    _setup_logging(verbose)
    importlib.import_module("intake.plugins").install()  # a site's engines, strategies, rules, formats


@cli.command()
@click.argument("inbox", type=click.Path(file_okay=False, path_type=Path))
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(path_type=Path),
              help="SQLite database to record into.")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Where the archive, quarantine and page images go (default: the database's folder).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per submission (contract section 3).")
@click.option("--workers", type=int, default=None, help="OCR worker processes (default: one per core).")
@click.option("--settle", type=float, default=2.0, show_default=True,
              help="Leave files modified less than this many seconds ago (still being written) for a later run.")
@click.option("--progress/--no-progress", "show_progress", default=None,
              help="Count what the inbox holds, then show a bar over its pages (default: on a terminal).")
@engine_option
@as_of_option
@broker_option
def ingest(inbox: Path, db_path: Path, data_dir: Path | None, as_json: bool, workers: int | None,
           settle: float, ocr_engine: str, as_of, broker: str | None, show_progress: bool | None) -> None:
    """Process everything now in INBOX once, then exit.

    Each sub-folder of INBOX is one submission; a file directly in INBOX is a
    submission of its own. Originals are archived, unreadable files
    quarantined with a reason, and the rest OCR'd, extracted and validated.
    """
    from .db import connect
    from .locks import check_separate
    from .pipeline import Settings, dump_line, ingest as run

    if not inbox.is_dir():
        raise click.UsageError(f"收件箱不存在：{inbox}. The inbox folder {inbox} does not exist.")
    if settle < 0:
        raise click.UsageError("--settle 不能为负。--settle must be >= 0.")
    settings = Settings(
        data_dir=data_dir or db_path.parent,
        engine=ocr_engine,
        as_of=as_of.date() if as_of else None,
        workers=workers,
        settle=settle,
    )
    check_separate(inbox, settings.data_dir, db_path)  # before the database is created in the wrong place
    db = connect(db_path)
    counts: dict[str, int] = {}
    from .runners import make_runner

    runner = make_runner(broker, ocr_engine, workers) if broker else None  # None: ingest's own pool
    bar = None
    if sys.stderr.isatty() if show_progress is None else show_progress:
        from .progress import Progress, TrackedRunner, survey

        found = survey(inbox)
        click.echo(found.line(), err=True)
        bar = Progress(found, sys.stderr)
        runner = TrackedRunner(runner or make_runner(None, ocr_engine, workers), bar)
    try:
        for line in run(inbox, db, settings, runner):
            counts[line["status"]] = counts.get(line["status"], 0) + 1
            if as_json:
                text = dump_line(line)
            else:
                n_err = len(line["errors"])
                text = (
                    f"{line['submission']}: {line['status']} ({line['packet']}, "
                    f"{len(line['documents'])} documents, {len(line['findings'])} findings"
                    + (f", {n_err} quarantined" if n_err else "")
                    + ")"
                )
            if bar is not None:
                bar.submission_done(line["submission"])
                bar.write(text, sys.stdout)
            else:
                click.echo(text)
    finally:
        if bar is not None:
            bar.close()
        if runner is not None:
            runner.close()
    if not as_json:
        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing to do"
        click.echo(f"done: {summary}", err=True)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the contract's JSON (section 2).")
@click.option("--explain", is_flag=True, help="Show, per field, the label found, the strategy and the raw text.")
@click.option("--workers", type=int, default=None, help="OCR worker processes (default: one per core).")
@engine_option
@as_of_option
def extract(files: tuple[Path, ...], as_json: bool, explain: bool, workers: int | None, ocr_engine: str,
            as_of) -> None:
    """Classify, extract and validate single FILES, without a database."""
    from .errors import InputError
    from .ocr.runner import OcrRunner
    from .pipeline import extract as run_extract, read_file
    from .reader import OcrReader
    from .validation import validate_document

    as_of_date = as_of.date() if as_of else date.today()
    runner = OcrRunner(ocr_engine, workers)
    out = []
    try:
        with tempfile.TemporaryDirectory(prefix="docintake-") as tmp:
            for path in files:
                entry: dict = {"file": str(path), "sha256": None, "error": None, "documents": []}
                try:
                    sha, pages, images = read_file(path, runner, Path(tmp))
                    entry["sha256"] = sha
                    documents = run_extract(pages, images, path.name, ocr_engine, OcrReader(runner))
                    for doc in documents:
                        doc.findings = validate_document(doc, as_of_date)
                    entry["documents"] = [d.contract() for d in documents]
                    if explain:
                        from extractors import explain as explain_docs

                        click.echo(f"== {path}", err=as_json)
                        click.echo(explain_docs(documents), err=as_json)
                except InputError as err:
                    entry["error"] = err.message
                except OSError as err:
                    entry["error"] = f"文件无法读取：{err.strerror or err}"
                out.append(entry)
    finally:
        runner.close()
    if as_json:
        click.echo(json.dumps({"files": out}, ensure_ascii=False, indent=None))
    elif not explain:
        for entry in out:
            if entry["error"]:
                click.echo(f"{entry['file']}: 无法读取 — {entry['error']}")
                continue
            for doc in entry["documents"]:
                click.echo(f"{entry['file']} p{doc['pages']}: {doc['type']} ({doc['confidence']:.2f})")
                for key, fv in doc["fields"].items():
                    click.echo(f"  {key} = {fv['value']}  [{fv['confidence']:.2f}]")
                for f in doc["findings"]:
                    click.echo(f"  ! {f['rule']} ({f['severity']}): {f['message']}")


@cli.command()
@click.argument("inbox", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same scans.")
@click.option("--count", type=int, default=6, show_default=True, help="Number of submissions to write.")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date the submissions are handed in (default: today, so they are judged as intended "
                   "when ingested today).")
def demo(inbox: Path, seed: int, count: int, as_of) -> None:
    """Write realistic generated scans (with ground truth under INBOX/.truth/) into INBOX."""
    try:
        from tests.corpus.cli import demo as write_demo
    except ImportError as exc:
        raise DocintakeError(
            "演示数据生成器不可用。The scan generator (tests/corpus) is not installed; run `make run` from a checkout."
        ) from exc
    written = write_demo(inbox, seed, count, as_of.date() if as_of else None)
    click.echo(f"wrote {len(written)} submissions into {inbox}")


@cli.command("engines")
def engines_cmd() -> None:
    """List the OCR engines this installation can use."""
    from .ocr.base import available_engines, get_engine

    for name in available_engines():
        try:
            eng = get_engine(name)
            click.echo(f"{name}\t{eng.settings_key()}")
        except DocintakeError as err:
            click.echo(f"{name}\tunavailable: {err.message}")


def main() -> None:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("已取消。Aborted.", err=True)
        sys.exit(ExitCode.USAGE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.USAGE)
    except DocintakeError as exc:
        click.echo(f"错误：{exc.message}", err=True)
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - a bug: one line for the user, the traceback in the log
        if _verbose():
            logging.getLogger("docintake").error("internal error", exc_info=True)
        click.echo(f"内部错误：{type(exc).__name__}: {exc}（请用 docintake -v 重试以查看详细信息）。"
                   f"Internal error; run with -v for the traceback.", err=True)
        sys.exit(int(ExitCode.INTERNAL))


def _verbose() -> bool:
    return logging.getLogger().isEnabledFor(logging.INFO)


if __name__ == "__main__":
    main()
