"""An OFD invoice's own QR, compared with its fields on the submission page (HTTP and Chromium).

The OFD comes from the project's generator (tests/corpus/einvoice.py) with its QR amount edited
as a forged QR would be; the invoice's fields are what the real OFD reader gives."""
from __future__ import annotations

from datetime import date

import pytest

from . import builder
from .test_browser import ARTIFACTS, CHROMIUM, page, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.anyio


@pytest.fixture
def built(built):
    """The template database plus an OFD 数电票 in the second submission, its QR amount edited."""
    from intake import einvoice
    from intake.db import connect, transaction
    from intake.store import save_documents
    from tests.corpus.einvoice import triple

    t = triple(7, date(2026, 11, 1), qr={"amount": "1.00"})
    folder = built["db"].parent
    path = folder / "archive" / "数电票.ofd"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(t["ofd"])
    einv = einvoice.read(path)
    [lp] = einvoice.iter_pages(path)
    lp.image.save(folder / "einvoice.png")
    db = connect(built["db"])
    with transaction(db):
        fid = db.conn.execute(
            "INSERT INTO files (submission_id, name, sha256, ext, size, status, page_count, received_at, "
            "archive_path) VALUES (?,?,?,?,?,?,?,?,?)",
            (built["sid2"], "数电票.ofd", "cd" * 32, ".ofd", len(t["ofd"]), "processed", 1,
             "2026-11-21T02:00:00+00:00", str(path))).lastrowid
        db.conn.execute(
            "INSERT INTO pages (file_id, number, width, height, dpi, source, engine, rotation, image_path, text) "
            "VALUES (?,1,?,?,200,'text','pdf-text',0,?,'')", (fid, lp.image.width, lp.image.height,
                                                               str(folder / "einvoice.png")))
        save_documents(db, built["sid2"], fid, [einvoice.to_document(einv, "数电票.ofd")])
    db.conn.close()
    built.update(einvoice_truth=t["truth"], einvoice_file=fid)
    return built


def _notes(html: str) -> dict[str, str]:
    out = {}
    for part in html.split('<form class="rv-field')[1:]:
        key = part.split('name="key" value="', 1)[1].split('"', 1)[0]
        if 'class="rv-qr' in part:
            out[key] = part.split('class="rv-qr', 1)[1].split(">", 1)[1].split("<", 1)[0]
    return out


async def test_qr_agreement_and_disagreement_are_shown_on_the_fields(login, built):
    truth = built["einvoice_truth"]
    s = await login("shen")
    r = await s.get(f"/-/review/submission/{built['sid2']}")
    notes = _notes(r.text)
    assert notes["invoice_number"] == f"二维码核对：发票号码一致（{truth['invoice_number']}）"
    assert notes["issued_on"] == f"二维码核对：开票日期一致（{truth['issued_on']}）"
    assert notes["amount"] == f"二维码核对：金额不一致（二维码 1.00，发票 {truth['amount']}）"
    assert "invoice_code" not in notes  # a 数电票's QR has no invoice code: nothing to compare
    band = r.text.split('id="rv-reasons"', 1)[1].split("</section>", 1)[0]
    assert f"二维码核对：金额不一致（二维码 1.00，发票 {truth['amount']}）" in band
    # a reviewer's correction is checked against the QR as well
    doc_id = builder.query(built, "SELECT id FROM documents WHERE file_id = ?", (built["einvoice_file"],))[0][0]
    version = builder.query(built, "SELECT version FROM submissions WHERE id = ?", (built["sid2"],))[0][0]
    r = await s.post(f"/-/review/submission/{built['sid2']}/field",
                     {"document_id": doc_id, "key": "amount", "value": "1.00", "version": version})
    assert r.status_code == 302
    notes = _notes((await s.get(f"/-/review/submission/{built['sid2']}")).text)
    assert notes["amount"] == "二维码核对：金额一致（1.00）"


@pytest.mark.browser
@pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="Chromium not installed")
def test_qr_notes_in_chromium(page, server, built):
    from playwright.sync_api import expect

    truth = built["einvoice_truth"]
    builder.sign_in(page, server, then=f"/-/review/submission/{built['sid2']}")
    amount = page.locator("form.rv-field:has(input[name='key'][value='amount']) .rv-qr")
    expect(amount).to_have_text(f"二维码核对：金额不一致（二维码 1.00，发票 {truth['amount']}）")
    expect(amount).to_have_class("rv-qr bad")
    number = page.locator("form.rv-field:has(input[name='key'][value='invoice_number']) .rv-qr")
    expect(number).to_have_text(f"二维码核对：发票号码一致（{truth['invoice_number']}）")
    amount.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "qr_notes.png"), full_page=False)
