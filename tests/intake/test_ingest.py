"""Ingest end to end: real files, real OCR, a real SQLite file."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from intake.pipeline import Settings, ingest

from .test_loaders import image_pdf, write_pdf

LINES = ["营业执照", "统一社会信用代码 91411000MA47M7QPXU", "名称 许昌瑞达精密机械有限公司"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def inbox(tmp_path, text_page):
    box = tmp_path / "inbox"
    sub = box / "2026-03-18 许昌瑞达"
    sub.mkdir(parents=True)
    text_page(LINES).save(sub / "license.png")
    text_page(LINES[1:]).convert("L").save(sub / "copy.jpg", quality=90)
    (sub / "empty.pdf").write_bytes(b"")
    (sub / "notes.pdf").write_text("not a pdf", "utf-8")
    (sub / "~$draft.docx").write_bytes(b"office lock file")
    text_page(LINES[:2]).save(box / "loose.png")
    return box


def run(inbox, db, settings, **kw):
    return list(ingest(inbox, db, settings, **kw))


def test_batch_goes_on_past_bad_files_and_archives_originals(inbox, db, settings):
    originals = {p.name: sha(p) for p in inbox.rglob("*") if p.is_file() and not p.name.startswith("~$")}
    out = {line["submission"]: line for line in run(inbox, db, settings)}
    assert set(out) == {"2026-03-18 许昌瑞达", "loose.png"}
    folder = out["2026-03-18 许昌瑞达"]
    assert sorted(d["file"] for d in folder["documents"]) == ["copy.jpg", "license.png"]
    assert sorted(e["file"] for e in folder["errors"]) == ["empty.pdf", "notes.pdf"]
    assert all(e["error"] for e in folder["errors"])
    assert set(folder) >= {"submission", "packet", "status", "documents", "voucher_amount", "findings", "errors"}

    # originals archived untouched, by content address, and gone from the inbox
    for name, h in originals.items():
        row = db.execute("SELECT status, archive_path, quarantine_path FROM files WHERE name LIKE ?",
                         [f"%{name}"]).fetchone()
        if row[0] == "quarantined":
            q = Path(row[2])
            assert q.exists() and sha(q) == h
            assert Path(f"{q}.error.txt").read_text("utf-8").strip()
        else:
            a = Path(row[1])
            assert a.parent.name == h[:2] and a.name.startswith(h) and sha(a) == h
    assert [p.name for p in inbox.rglob("*")] == ["2026-03-18 许昌瑞达", "~$draft.docx"]  # lock file left alone

    # pages, OCR lines with boxes, events
    n_pages, n_lines = db.execute("SELECT COUNT(*), (SELECT COUNT(*) FROM ocr_lines) FROM pages").fetchone()
    assert n_pages == 3 and n_lines >= 6
    text = db.execute("SELECT text FROM pages p JOIN files f ON f.id = p.file_id WHERE f.name = 'license.png'"
                      ).fetchone()[0]
    assert "许昌瑞达精密机械有限公司" in text
    kinds = {k for (k,) in db.execute("SELECT DISTINCT kind FROM events")}
    assert {"received", "archived", "ocr", "quarantined", "decided"} <= kinds


def test_reingest_is_a_no_op_and_same_bytes_are_duplicates(inbox, db, settings, tmp_path):
    backup = tmp_path / "backup"
    shutil.copytree(inbox, backup)
    run(inbox, db, settings)
    pages_before = db.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
    cache_before = db.execute("SELECT COUNT(*) FROM ocr_cache").fetchone()[0]
    assert run(inbox, db, settings) == []  # nothing new: nothing done

    shutil.rmtree(inbox)
    shutil.copytree(backup, inbox)  # the same scans dropped again
    lines = run(inbox, db, settings)
    assert len(lines) == 2
    dups = db.execute("SELECT COUNT(*) FROM files WHERE status = 'duplicate'").fetchone()[0]
    assert dups == 3  # license.png, copy.jpg, loose.png
    assert db.execute("SELECT COUNT(*) FROM pages").fetchone()[0] == pages_before  # no second OCR
    assert db.execute("SELECT COUNT(*) FROM ocr_cache").fetchone()[0] == cache_before
    folder = next(l for l in lines if l["submission"].startswith("2026"))
    assert sorted(d["file"] for d in folder["documents"]) == ["copy.jpg", "license.png"]


def test_a_crash_after_archiving_is_resumed_without_loss_or_double_processing(inbox, db, settings, monkeypatch):
    import intake.pipeline as pipeline

    real = pipeline._process_archived
    calls = {"n": 0}

    def crash_once(*a, **kw):
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt("simulated kill after archiving")
        return real(*a, **kw)

    monkeypatch.setattr(pipeline, "_process_archived", crash_once)
    with pytest.raises(KeyboardInterrupt):
        run(inbox, db, settings)
    lines = run(inbox, db, settings)
    names = sorted(n for (n,) in db.execute("SELECT name FROM files"))
    assert names == sorted(["license.png", "copy.jpg", "empty.pdf", "notes.pdf", "loose.png"])
    assert db.execute("SELECT COUNT(*) FROM files WHERE status = 'archived'").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM submissions WHERE status = 'processing'").fetchone()[0] == 0
    assert len({l["submission"] for l in lines}) == 2


def test_text_layer_pdf_is_not_ocrd(tmp_path, db, settings):
    font = subprocess.run(["fc-match", "-f", "%{file}", "WenQuanYi Zen Hei"], capture_output=True, text=True).stdout
    box = tmp_path / "inbox"
    box.mkdir()
    write_pdf(box / "e-invoice.pdf", "电子发票（普通发票）\n发票号码：26412000000012345678\n开票日期：2026年03月18日", font=font)
    run(box, db, settings)
    source, engine, text = db.execute("SELECT source, engine, text FROM pages").fetchone()
    assert (source, engine) == ("text", "pdf-text")
    assert "26412000000012345678" in text
    # the page itself is not OCR'd: only a spot check of a few of its lines (intake/pages.py)
    from intake.pages import SPOT_LINES

    assert db.execute("SELECT COUNT(*) FROM ocr_cache").fetchone()[0] <= SPOT_LINES


def _docintake(*args, cwd=None):
    exe = Path(sys.executable).parent / "docintake"
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "DOCINTAKE_WORKERS": "1"})


def test_ingest_cli_prints_one_json_line_per_submission(inbox, tmp_path):
    res = _docintake("ingest", inbox, "--db", tmp_path / "cli" / "d.db", "--json")
    assert res.returncode == 0, res.stderr
    lines = [json.loads(l) for l in res.stdout.splitlines()]
    assert sorted(l["submission"] for l in lines) == ["2026-03-18 许昌瑞达", "loose.png"]
    assert (tmp_path / "cli" / "archive").is_dir() and (tmp_path / "cli" / "quarantine").is_dir()


def test_extract_cli_reports_unreadable_files_in_the_contract_shape(tmp_path, text_page):
    good = tmp_path / "scan.pdf"
    image_pdf(good, text_page(LINES))
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 broken")
    res = _docintake("extract", good, bad, "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    ok, broken = out["files"]
    assert ok["sha256"] == sha(good) and ok["error"] is None and ok["documents"]
    assert ok["documents"][0]["pages"] == [1]
    assert broken["error"] and broken["documents"] == []
    res = _docintake("ingest", tmp_path / "missing", "--db", tmp_path / "x.db")
    assert res.returncode == 2 and "收件箱不存在" in res.stderr


def test_read_ahead_gives_the_same_pages_as_reading_one_by_one(tmp_path, text_page):
    """With a pool, the next submissions' pages are OCR'd while one is extracted; nothing changes."""
    from intake.db import connect

    def make_inbox(root):
        for i in range(4):
            sub = root / f"sub{i}"
            sub.mkdir(parents=True)
            text_page([LINES[0], f"第{i}号", LINES[2]]).save(sub / "page.png")
        return root

    texts = {}
    for workers in (1, 2):
        root = tmp_path / f"w{workers}"
        db = connect(root / "data" / "d.db")
        out = list(ingest(make_inbox(root / "inbox"), db, Settings(data_dir=root / "data", workers=workers,
                                                                 progress=False)))
        assert [line["submission"] for line in out] == [f"sub{i}" for i in range(4)]
        texts[workers] = db.execute(
            "SELECT s.name, group_concat(l.text, '|') FROM submissions s JOIN files f ON f.submission_id = s.id "
            "JOIN pages p ON p.file_id = f.id JOIN ocr_lines l ON l.page_id = p.id GROUP BY s.name ORDER BY s.name"
        ).fetchall()
        assert db.execute("SELECT count(*) FROM files WHERE status = 'processed'").fetchone()[0] == 4
    assert texts[1] == texts[2]
    assert all(f"第{i}号" in t for i, (_, t) in enumerate(texts[2]))
