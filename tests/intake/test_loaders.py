"""Every kind of unreadable file gets its own clear reason; readable ones load in a normal mode."""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from intake import errors
from intake.inbox import discover, is_ignored
from intake.loaders import check_file, load


def write_pdf(path: Path, text: str | None = None, password: str | None = None, pages: int = 1,
              font: str | None = None) -> Path:
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format="A4")
    if font:
        pdf.add_font("cjk", "", font)
    for i in range(pages):
        pdf.add_page()
        if text:
            pdf.set_font("cjk" if font else "helvetica", size=14)
            for j, line in enumerate(text.splitlines()):
                pdf.text(20, 30 + 10 * j, line)
    if password:
        pdf.set_encryption(owner_password="owner", user_password=password)
    pdf.output(str(path))
    return path


def image_pdf(path: Path, page: Image.Image, pages: int = 1) -> Path:
    page.save(path, "PDF", resolution=200, save_all=True, append_images=[page] * (pages - 1))
    return path


@pytest.fixture
def noto_ttf():
    # fpdf2 needs a TrueType/OpenType file it can subset; the .ttc collection works by index 0.
    import subprocess

    return subprocess.run(["fc-match", "-f", "%{file}", "WenQuanYi Zen Hei"], capture_output=True, text=True).stdout


def test_text_layer_pdf_uses_its_own_characters(tmp_path, noto_ttf):
    path = write_pdf(tmp_path / "e.pdf", "电子发票（普通发票）\n发票号码：26412000000012345678\n购买方名称：许昌瑞达精密机械有限公司",
                     font=noto_ttf)
    pages = load(path)
    assert len(pages) == 1
    lines = pages[0].text_lines
    assert lines is not None, "a real text layer must be used, not OCR"
    text = "".join(l.text for l in lines)
    assert "26412000000012345678" in text and "许昌瑞达精密机械有限公司" in text
    assert pages[0].dpi == 300 and pages[0].image.width == pytest.approx(2480, abs=2)
    # boxes are in pixels of the 300 dpi rendering: the number sits ~40 mm from the top
    number = next(l for l in lines if "2641200" in l.text)
    assert 30 / 25.4 * 300 < number.bbox[1] < 50 / 25.4 * 300


def test_scanned_pdf_has_no_text_layer(tmp_path, text_page):
    path = image_pdf(tmp_path / "scan.pdf", text_page(["名称 许昌市某某有限公司"]), pages=2)
    pages = load(path)
    assert [p.number for p in pages] == [1, 2]
    assert all(p.text_lines is None for p in pages)


@pytest.mark.parametrize("mode", ["CMYK", "I;16", "P", "RGBA", "LA", "1"])
def test_unusual_image_modes_load_as_rgb_or_gray(tmp_path, text_page, mode):
    base = text_page(["许昌市科学技术局"])
    if mode == "I;16":
        img = base.convert("L").point(lambda v: v).convert("I").point(lambda v: v * 256).convert("I;16")
        path = tmp_path / "x.png"
    else:
        img = base.convert(mode)
        path = tmp_path / ("x.jpg" if mode == "CMYK" else "x.png")
    img.save(path)
    (page,) = load(path)
    assert page.image.mode in ("RGB", "L")
    assert page.image.getextrema() != ((0, 0),) and page.image.size == base.size


def test_exif_orientation_is_applied(tmp_path, text_page):
    base = text_page(["许昌"], width=800)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned: the viewer must rotate 90° clockwise
    turned = base.rotate(90, expand=True)
    turned.save(tmp_path / "o.jpg", exif=exif)
    (page,) = load(tmp_path / "o.jpg")
    assert page.image.size == base.size


def test_multi_frame_tiff_becomes_pages(tmp_path, text_page):
    frames = [text_page([f"第{i}页"]) for i in range(3)]
    frames[0].save(tmp_path / "stack.tif", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    pages = load(tmp_path / "stack.tif")
    assert [p.number for p in pages] == [1, 2, 3]


# --- bad input: each kind with its own reason ---------------------------------------------------


def _bad_files(tmp: Path, text_page, noto_ttf) -> dict[str, tuple[Path, type]]:
    good = text_page(["许昌"])
    out = {}
    (tmp / "empty.pdf").write_bytes(b"")
    out["empty"] = (tmp / "empty.pdf", errors.EmptyFileError)
    full = image_pdf(tmp / "full.pdf", good).read_bytes()
    (tmp / "truncated.pdf").write_bytes(full[: len(full) // 3])
    out["truncated pdf"] = (tmp / "truncated.pdf", errors.CorruptFileError)
    buf = io.BytesIO()
    good.save(buf, "JPEG")
    (tmp / "truncated.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    out["truncated image"] = (tmp / "truncated.jpg", errors.CorruptFileError)
    (tmp / "garbage.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(2000))
    out["corrupt image"] = (tmp / "garbage.png", errors.CorruptFileError)
    out["encrypted pdf"] = (write_pdf(tmp / "locked.pdf", "secret", password="pw"), errors.EncryptedFileError)
    Image.new("1", (12000, 12000), 1).save(tmp / "bomb.png")
    out["decompression bomb"] = (tmp / "bomb.png", errors.TooLargeError)
    (tmp / "notes.pdf").write_text("这不是PDF", "utf-8")
    out["text named pdf"] = (tmp / "notes.pdf", errors.WrongTypeError)
    Image.new("RGB", (1, 1)).save(tmp / "dot.png")
    out["1x1 image"] = (tmp / "dot.png", errors.WrongTypeError)
    os.symlink(tmp / "full.pdf", tmp / "link.pdf")
    out["symlink"] = (tmp / "link.pdf", errors.NotRegularFileError)
    os.mkfifo(tmp / "pipe.png")
    out["fifo"] = (tmp / "pipe.png", errors.NotRegularFileError)
    return out


def test_each_bad_input_raises_its_own_clear_error(tmp_path, text_page, noto_ttf):
    for kind, (path, exc) in _bad_files(tmp_path, text_page, noto_ttf).items():
        with pytest.raises(exc) as info:
            load(path, check_file(path))
        msg = info.value.message
        assert any("\u4e00" <= ch <= "\u9fff" for ch in msg), f"{kind}: staff read Chinese: {msg}"
        assert info.value.reason, kind


def test_system_and_partial_files_are_never_taken(tmp_path):
    names = [".DS_Store", "~$合同.docx", "scan.pdf.part", "a.tmp", "b.crdownload", "Thumbs.db", "desktop.ini",
             ".hidden.pdf"]
    for n in names:
        assert is_ignored(n), n
        (tmp_path / n).write_bytes(b"x")
    (tmp_path / "营业执照.jpg").write_bytes(b"x")
    subs = discover(tmp_path)
    assert [s.name for s in subs] == ["营业执照.jpg"]


def test_folder_is_one_submission_and_loose_file_is_its_own(tmp_path):
    (tmp_path / "2026-03-18 许昌瑞达").mkdir()
    (tmp_path / "2026-03-18 许昌瑞达" / "a.jpg").write_bytes(b"x")
    (tmp_path / "2026-03-18 许昌瑞达" / "nested").mkdir()
    (tmp_path / "2026-03-18 许昌瑞达" / "nested" / "b.pdf").write_bytes(b"x")
    (tmp_path / "loose.png").write_bytes(b"x")
    subs = {s.name: sorted(p.name for p in s.files) for s in discover(tmp_path)}
    assert subs == {"2026-03-18 许昌瑞达": ["a.jpg", "b.pdf"], "loose.png": ["loose.png"]}
