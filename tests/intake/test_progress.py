"""`ingest` on a terminal: the count of what the inbox holds first, then one bar that ends full."""
from __future__ import annotations

import re

from click.testing import CliRunner

from intake.cli import cli


def _pdf(path, pages: int) -> None:
    """A PDF with a text layer on each page (no page OCR: ingest reads the layer)."""
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format=(120, 40))
    pdf.set_auto_page_break(False)
    for i in range(pages):
        pdf.add_page()
        pdf.set_font("helvetica", size=9)
        pdf.cell(110, 5, f"page {i} of a submission with a text layer")
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))


def test_ingest_counts_then_shows_a_bar_that_ends_full(tmp_path):
    inbox = tmp_path / "inbox"
    _pdf(inbox / "甲公司" / "材料.pdf", 2)
    _pdf(inbox / "甲公司" / "补充.pdf", 1)
    _pdf(inbox / "乙公司.pdf", 3)
    (inbox / "丙公司").mkdir()
    (inbox / "丙公司" / "坏文件.pdf").write_bytes(b"%PDF-1.4 truncated")  # quarantined, counted as 1 page
    result = CliRunner().invoke(cli, ["ingest", str(inbox), "--db", str(tmp_path / "data" / "intake.db"),
                                      "--settle", "0", "--workers", "1", "--progress"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    err = result.stderr
    # the count comes before the bar starts, and the bar's last state is every page of every submission
    assert err.index("找到 3 份申请，共 7 页") < err.index("处理")
    last = re.split(r"[\r\n]+", err.split("done:")[0].strip())[-1]
    assert "7/7" in last and "申请 3/3" in last, last
    # the result lines still reach stdout, one per submission, not mixed into the bar
    assert len([l for l in result.stdout.splitlines() if l.strip()]) == 3, result.stdout


def test_ingest_without_a_terminal_shows_no_bar(tmp_path):
    inbox = tmp_path / "inbox"
    _pdf(inbox / "乙公司.pdf", 1)
    result = CliRunner().invoke(cli, ["ingest", str(inbox), "--db", str(tmp_path / "data" / "intake.db"),
                                      "--settle", "0", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "找到" not in result.stderr and "处理" not in result.stderr
