"""Fixtures for the service and export tests: verified submissions without OCR, tiny real PDFs."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def insert_verified(db, n: int = 3, start: int = 0, status: str = "verified", decided_at: str | None = None,
                    with_findings: bool = True) -> list[int]:
    """`n` decided submissions with a business licence, an ID card (two for even ones) and a contract."""
    from intake.db import now, transaction
    from intake.model import Document, FieldValue
    from intake.store import save_documents

    ids = []
    for i in range(start, start + n):
        with transaction(db):
            cur = db.conn.execute(
                "INSERT INTO submissions (name, source_path, received_at, as_of, packet, status, voucher_amount, "
                "organization, uscc, year, finding_count, version, decision, decided_by, decided_at, "
                "decision_comment, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (f"2026-11-{1 + i % 28:02d} 许昌某某科技{i}", f"/inbox/s{i}", f"2026-11-01T08:{i % 60:02d}:00.000+00:00",
                 "2026-11-20", "voucher_redemption", status, f"{3000 + i}.00", f"许昌某某科技有限公司{i}",
                 "91411002MA3X4K5L2B", 2026, 1 if with_findings else 0, 2,
                 "approved" if status == "verified" else None, "审核员甲" if status == "verified" else None,
                 decided_at or f"2026-11-21T09:{i % 60:02d}:00.000+00:00", "材料齐全，同意" if status == "verified" else None,
                 now()),
            )
            sid = cur.lastrowid
            fcur = db.conn.execute(
                "INSERT INTO files (submission_id, name, sha256, ext, status, received_at) "
                "VALUES (?, 'scan.pdf', ?, '.pdf', 'processed', ?)",
                (sid, f"{sid:064x}", now()),
            )
            docs = [
                Document("business_license", [1], 0.97, {
                    "name": FieldValue(f"许昌某某科技有限公司{i}", 0.95),
                    "uscc": FieldValue("91411002MA3X4K5L2B", 0.93),
                    "registered_capital": FieldValue("1000000.00", 0.9),
                    "established_on": FieldValue("2019-05-20", 0.9),
                    "term_end": FieldValue("长期", 0.9),
                }),
                Document("id_card", [2], 0.9, {
                    "name": FieldValue("张三", 0.9),
                    "id_number": FieldValue("410102199001011234", 0.9),
                }),
                Document("service_contract", [3, 4], 0.9, {
                    "contract_number": FieldValue(f"XC-2026-{i:05d}", 0.9),
                    "testing_fee": FieldValue(f"{10000 + i}.00", 0.9),
                    "client_seal_present": FieldValue(True, 0.9),
                    "provider_seal_present": FieldValue(False, 0.9),
                }),
            ]
            if i % 2 == 0:
                docs.append(Document("id_card", [5], 0.9, {"name": FieldValue("李四，\"引号\"", 0.9)}))
            save_documents(db, sid, fcur.lastrowid, docs)
            if with_findings:
                db.conn.execute(
                    "INSERT INTO findings (submission_id, rule, severity, message, fields, documents, created_at) "
                    "VALUES (?, 'voucher.cap_exceeded', 'warning', '创新券额度不足', '[]', '[]', ?)",
                    (sid, now()),
                )
        ids.append(sid)
    return ids


@pytest.fixture
def make_verified():
    return insert_verified


def make_pdf(path, text: str) -> None:
    """A one-page PDF with a text layer (no OCR needed: ingest takes ~0.1 s)."""
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format=(120, 40))
    pdf.set_auto_page_break(False)
    pdf.set_margins(5, 5)
    pdf.add_page()
    pdf.set_font("helvetica", size=9)
    pdf.cell(110, 5, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))


def pdf_bytes(text: str) -> bytes:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "x.pdf"
        make_pdf(p, text)
        return p.read_bytes()


@pytest.fixture
def settings(tmp_path):
    """As the shared fixture, but without ingest's settle wait: the files here are written before the run."""
    from intake.pipeline import Settings

    return Settings(data_dir=tmp_path / "data", workers=1, progress=False, settle=0)


class Receiver:
    """A receiving system: answers `fail_first` requests with 503, then 200; dedupes by Idempotency-Key."""

    def __init__(self, fail_first: int = 0, status_after: int = 200):
        self.fail_first = fail_first
        self.status_after = status_after
        self.requests: list[dict] = []
        self.effects: dict[str, dict] = {}  # idempotency key -> body (the "exactly once" effect)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests.append({"headers": dict(self.headers), "body": body})
                    n = len(receiver.requests)
                    code = 503 if n <= receiver.fail_first else receiver.status_after
                    if code == 200:
                        key = self.headers["Idempotency-Key"]
                        receiver.effects.setdefault(key, json.loads(body))
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if code == 200 else b'{"error": "busy"}')

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/docintake"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
