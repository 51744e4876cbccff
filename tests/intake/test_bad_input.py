"""Hostile and odd input: every file is quarantined with a clear reason and the batch goes on."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from PIL import Image

from intake import errors
from intake.inbox import MAX_DEPTH
from intake.loaders import MAX_PAGES, check_file, load
from intake.pipeline import ingest


def _pdf_with_page_count(path: Path, count: int) -> Path:
    """A tiny PDF that claims a huge page tree (every kid is the same page object)."""
    kids = " ".join(["3 0 R"] * count)
    body = (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        + f"2 0 obj\n<< /Type /Pages /Kids [{kids}] /Count {count} >>\nendobj\n".encode()
        + b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n"
        + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    path.write_bytes(body)
    return path


def test_pdf_bombs_are_refused(tmp_path):
    with pytest.raises(errors.TooLargeError):
        load(_pdf_with_page_count(tmp_path / "many.pdf", 100_000))
    depth = 100_000
    nested = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /X " + b"[" * depth + b"]" * depth
              + b" >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
    (tmp_path / "nested.pdf").write_bytes(nested)
    with pytest.raises(errors.InputError):
        load(tmp_path / "nested.pdf")


def test_tiff_with_thousands_of_frames_is_refused(tmp_path):
    frame = Image.new("L", (80, 80), 255)
    frame.save(tmp_path / "frames.tif", save_all=True, append_images=[frame] * 2500)
    with pytest.raises(errors.TooLargeError) as info:
        load(tmp_path / "frames.tif")
    assert str(MAX_PAGES) in info.value.message


def test_odd_names_deep_folders_and_read_only_files(tmp_path, db, settings, text_page):
    inbox = tmp_path / "inbox"
    sub = inbox / "odd names"
    sub.mkdir(parents=True)
    good = text_page(["许昌"], size=30, width=300, margin=20)
    names = ["line\nbreak.png", 'quote"s\'.png', "up..%2F..dots.png", "a" * 200 + ".png", "空格 名字.png"]
    for n in names:
        good.save(sub / n)
    (sub / "line\nbreak.png").write_bytes(b"")  # an odd name that is also broken
    ro = sub / "readonly.png"
    text_page(["只读"], size=30, width=300, margin=20).save(ro)
    os.chmod(ro, stat.S_IRUSR | stat.S_IRGRP)
    deep = inbox / "deep"
    p = deep
    for i in range(50):
        p = p / f"d{i}"
    p.mkdir(parents=True)
    good.save(p / "bottom.png")
    (deep / "top.png").write_bytes((sub / "空格 名字.png").read_bytes())

    out = {l["submission"]: l for l in ingest(inbox, db, settings)}
    odd = out["odd names"]
    assert [e["file"] for e in odd["errors"]] == ["line\nbreak.png"]
    assert len(odd["documents"]) == len(names)  # four readable odd names + read-only; the duplicates included
    deep_line = out["deep"]
    assert len(deep_line["errors"]) == 1 and f"{MAX_DEPTH}" in deep_line["errors"][0]["error"]
    # quarantined names are made safe on disk, the original name is kept in the database and the note
    for (q,) in db.execute("SELECT quarantine_path FROM files WHERE status = 'quarantined'"):
        assert "\n" not in Path(q).name and Path(q).exists()
    assert not [x for x in inbox.rglob("*") if x.is_file()]


def test_a_file_deleted_while_being_taken_does_not_stop_the_batch(tmp_path, db, settings, text_page, monkeypatch):
    import intake.taking as taking

    inbox = tmp_path / "inbox"
    (inbox / "s").mkdir(parents=True)
    text_page(["一"], size=30, width=300, margin=20).save(inbox / "s" / "a.png")
    text_page(["二"], size=30, width=300, margin=20).save(inbox / "s" / "b.png")
    real = taking.check_file

    def vanish(path, *a):
        if path.name == "a.png":
            path.unlink()
        return real(path, *a)

    monkeypatch.setattr(taking, "check_file", vanish)
    (line,) = list(ingest(inbox, db, settings))
    assert [d["file"] for d in line["documents"]] == ["b.png"]


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=1, max_size=4096),
       magic=st.sampled_from([b"%PDF-1.4\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"II*\x00", b"BM", b""]))
def test_fuzzed_bytes_either_load_or_raise_an_input_error(tmp_path, data, magic):
    ext = {b"%PDF-1.4\n": ".pdf", b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff\xe0": ".jpg", b"II*\x00": ".tif",
           b"BM": ".bmp", b"": ".png"}[magic]
    path = tmp_path / f"fuzz{ext}"
    path.write_bytes(magic + data)
    try:
        pages = load(path, check_file(path))
    except errors.InputError as exc:
        assert exc.message and exc.reason
    else:
        assert all(p.image.mode in ("RGB", "L") for p in pages)
