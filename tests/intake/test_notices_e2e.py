"""End to end (issue 15, done-when): a generated voucher packet ingested for real (OCR) is
returned for a missing document in the review UI; the applicant gets one e-mail with the
reasons (read back from aiosmtpd); the supplement is linked, approved, and the approval notice
follows; the ledger and the yearly redemption list show its voucher; a second identical
decision sends nothing."""
from __future__ import annotations

import gzip
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from datasette.app import Datasette
from openpyxl import load_workbook

from intake.db import connect
from intake.notices import mail, outbox
from intake.pipeline import Settings, ingest
from review import auth
from tests.corpus.packets import generate_packet
from tests.review.conftest import PLUGIN_CONFIG, Session

from . import notices_smtp

pytestmark = pytest.mark.anyio
SEED = 3
PASSWORD = "correct-horse-9"
# The pipeline's own OCR cache rows for this packet, committed beside the test (keyed by page
# pixels + engine settings, like tests/extractors/fixtures/ocr): a changed rendering or engine
# simply misses, is read for real, and the file is rewritten.
OCR_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "notices_e2e_ocr.json.gz"


def _image_key(image, engine_name: str) -> str:
    import hashlib

    from intake.ocr.base import get_engine

    h = hashlib.sha256(f"{image.mode}{image.size}|{get_engine(engine_name).settings_key()}".encode())
    h.update(image.tobytes())
    return h.hexdigest()[:32]


class OcrFixture:
    """The pipeline's `ocr_cache` rows and the extractor's second (red-kept) readings of this
    packet's pages; anything missing is read for real and the file rewritten."""

    def __init__(self):
        data = json.loads(gzip.decompress(OCR_FIXTURE.read_bytes())) if OCR_FIXTURE.exists() else {}
        self.rows = data.get("ocr_cache", [])
        self.reocr = data.get("reocr", {})
        self.changed = False

    def load(self, db) -> None:
        with db.conn:
            db.conn.executemany("INSERT OR IGNORE INTO ocr_cache (key, engine, rotation, lines, created_at) "
                                "VALUES (?,?,?,?,?)", [tuple(r) for r in self.rows])

    def hook(self, image, engine_name):
        from intake.model import Line
        from intake.ocr.base import get_engine

        key = _image_key(image, engine_name)
        if key not in self.reocr:
            self.reocr[key] = [line.to_dict() for line in get_engine(engine_name).recognize(image)]
            self.changed = True
        return [Line.from_dict(x) for x in self.reocr[key]]

    def save(self, db) -> None:
        rows = [list(r) for r in db.execute(
            "SELECT key, engine, rotation, lines, created_at FROM ocr_cache ORDER BY key").fetchall()]
        if self.changed or {r[0] for r in rows} != {r[0] for r in self.rows}:
            OCR_FIXTURE.parent.mkdir(parents=True, exist_ok=True)
            payload = {"ocr_cache": rows, "reocr": self.reocr}
            OCR_FIXTURE.write_bytes(gzip.compress(json.dumps(payload, ensure_ascii=False).encode(), 9, mtime=0))


def _ingest(inbox, db_path, as_of):
    db = connect(db_path)
    try:
        return list(ingest(inbox, db, Settings(data_dir=db_path.parent, workers=1, progress=False, settle=0,
                                               as_of=as_of)))
    finally:
        db.conn.close()


def _version(db, sid):
    return db.execute("SELECT version FROM submissions WHERE id = ?", [sid]).fetchone()[0]


async def test_return_supplement_approve_notices_ledger_and_redemption(tmp_path, monkeypatch):
    packet = generate_packet("voucher_redemption", SEED, None, "clean")
    truth = packet.truth
    as_of = date.fromisoformat(truth["as_of"])
    db_path = tmp_path / "data" / "docintake.db"
    db = connect(db_path)
    auth.add_user(db, "shen", "reviewer", PASSWORD, display_name="沈审核")
    ocr = OcrFixture()
    ocr.load(db)
    from tests.conftest import serve_region_reads

    serve_region_reads(monkeypatch, ocr.hook)
    box = notices_smtp.Mailbox()
    controller, port, _ = notices_smtp.start(box)
    try:
        settings = mail.SmtpSettings.from_env(notices_smtp.env(port))
        # 1. the applicant hands in the contract and the invoice, but no bank receipt
        first = tmp_path / "first"
        folder = packet.write(first)
        receipt = next(folder.glob("*bank_receipt*"))
        kept = tmp_path / receipt.name
        shutil.move(receipt, kept)
        shutil.rmtree(first / ".truth")
        [line] = _ingest(first, db_path, as_of)
        assert "packet.missing_document" in {f["rule"] for f in line["findings"]}
        sid = db.execute("SELECT id FROM submissions").fetchone()[0]
        uscc = db.execute("SELECT uscc FROM submissions WHERE id = ?", [sid]).fetchone()[0]
        assert uscc == truth["client_uscc"]
        # voucher packets carry no application form: the bureau keeps the client's address
        r = CliRunner().invoke(__import__("intake.cli", fromlist=["cli"]).cli,
                               ["notices", "contact", "--db", str(db_path), uscc, "finance@client.example.cn"])
        assert r.exit_code == 0, r.output

        ds = Datasette([str(db_path)], metadata=PLUGIN_CONFIG)
        await ds.invoke_startup()
        s = Session(ds)
        assert (await s.login("shen", PASSWORD)).status_code == 302

        # 2. the reviewer returns it: 缺少材料 (the bank receipt)
        r = await s.post(f"/-/review/submission/{sid}/return", {
            "version": _version(db, sid), "reason_missing": "1", "detail_missing": "缺少银行到款凭证"})
        assert r.status_code == 302, r.text
        assert outbox.deliver_due(db, settings).sent == 1
        assert len(box.messages) == 1
        body = box.bodies()[0]
        assert box.messages[0]["To"] == "finance@client.example.cn"
        assert "退回补正" in box.messages[0]["Subject"]
        assert "缺少材料：缺少银行到款凭证" in body and "缺少必需材料" in body
        assert "《许昌市科研设施和仪器开放共享双向奖补实施细则》第二十条" in body

        # 3. the supplement: the whole packet again, a few days later (same files are not re-read)
        second = tmp_path / "second"
        later = min(as_of + timedelta(days=5), date(as_of.year, 12, 31))
        packet.write(second)
        shutil.rmtree(second / ".truth")
        #    through `docintake ingest` (in-process, so the committed OCR readings serve it)
        r = CliRunner().invoke(__import__("intake.cli", fromlist=["cli"]).cli, [
            "ingest", str(second), "--db", str(db_path), "--workers", "1", "--settle", "0", "--json",
            "--as-of", later.isoformat()])
        assert r.exit_code == 0, r.output
        [line2] = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
        ocr.save(db)
        sid2 = db.execute("SELECT MAX(id) FROM submissions").fetchone()[0]
        assert line2["voucher_amount"] == truth["voucher_amount"]
        # linked as it was decided at ingest, before anyone opened a page
        assert db.execute("SELECT returned_id, supplement_id FROM supplement_links").fetchall() == [(sid, sid2)]
        page = await s.get(f"/-/review/submission/{sid2}")
        assert 'id="rv-returned-for"' in page.text and "缺少银行到款凭证" in page.text
        page = await s.get(f"/-/review/submission/{sid}")
        assert 'id="rv-supplemented-by"' in page.text and f"/-/review/submission/{sid2}" in page.text

        # 4. approve the supplement (override any error the reading left, as a reviewer would)
        form = {"version": _version(db, sid2), "decision": "approve", "comment": "补正后材料齐全"}
        for fid, _, _ in db.execute("SELECT id, rule, message FROM findings WHERE submission_id = ? AND "
                                    "severity = 'error'", [sid2]).fetchall():
            form[f"override_{fid}"] = "已人工核对原件"
        r = await s.post(f"/-/review/submission/{sid2}/decide", form)
        assert r.status_code == 302, r.text
        assert outbox.deliver_due(db, settings).sent == 1
        assert len(box.messages) == 2
        approval = box.bodies()[1]
        assert "审核通过" in box.messages[1]["Subject"]
        assert f"核定科技创新券金额：{truth['voucher_amount']} 元" in approval
        assert packet.name in approval  # it says which returned submission it answers

        # 5. the ledger and the yearly redemption list show the voucher
        row = db.execute("SELECT submission_id, client_uscc, amount, reviewer, year FROM voucher_ledger").fetchall()
        assert row == [(sid2, uscc, truth["voucher_amount"], "shen", truth["year"])]
        dash = await s.get(f"/-/review/ledger?year={truth['year']}")
        assert f"合计 <strong>{truth['voucher_amount']}</strong> 元" in dash.text
        out = tmp_path / "out"
        r = CliRunner().invoke(__import__("intake.cli", fromlist=["cli"]).cli,
                               ["redemption", str(truth["year"]), "--db", str(db_path), "--out", str(out)])
        assert r.exit_code == 0, r.output
        ws = load_workbook(out / f"创新券兑付清单-{truth['year']}.xlsx").active
        values = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
        assert [v[6] for v in values if isinstance(v[0], int)] == [float(truth["voucher_amount"])]
        assert values[0][8] == "沈审核"

        # 6. a second identical decision sends nothing: a repeated POST is refused, and
        #    reopening and approving again with the same words repeats no notice
        r = await s.post(f"/-/review/submission/{sid2}/decide", form)
        assert r.status_code in (400, 409)
        r = await s.post(f"/-/review/submission/{sid2}/reopen", {"version": _version(db, sid2), "reason": "核对金额"})
        assert r.status_code == 302
        form["version"] = _version(db, sid2)
        for key in [k for k in form if k.startswith("override_")]:
            form.pop(key)
        for fid, _, _ in db.execute("SELECT id, rule, message FROM findings WHERE submission_id = ? AND "
                                    "severity = 'error'", [sid2]).fetchall():
            form[f"override_{fid}"] = "已人工核对原件"
        r = await s.post(f"/-/review/submission/{sid2}/decide", form)
        assert r.status_code == 302, r.text
        assert outbox.deliver_due(db, settings).sent == 0
        assert len(box.messages) == 2
        assert db.execute("SELECT COUNT(*) FROM voucher_ledger").fetchone()[0] == 1
        sent = db.execute("SELECT COUNT(*) FROM audit WHERE action = 'notice_sent'").fetchone()[0]
        assert sent == 2
    finally:
        controller.stop()
        db.conn.close()
