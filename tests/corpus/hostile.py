"""Hostile and broken files for intake tests and `bench/reliability.py`.

Each kind is a function writing one file (or folder) into a directory and returning
its path; every one must end quarantined with a reason, none may stop a run. Built
from bytes and Pillow only (no scanner, no network), deterministic for a seed.
"""
from __future__ import annotations

import io
import os
import random
import struct
import zlib
from pathlib import Path
from typing import Callable

from PIL import Image


def _pdf(objects: list[bytes], root: int = 1, xref: bool = True) -> bytes:
    """A PDF from numbered object bodies (1-based), with a correct xref table when `xref`."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    start = len(out)
    if xref:
        out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
        out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R >>\nstartxref\n{start}\n%%EOF\n".encode()
    return bytes(out)


def _pages_pdf(kids: str, count: int, page_box: str = "[0 0 595 842]", n_page_objs: int = 1) -> bytes:
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode()]
    for _ in range(n_page_objs):
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox {page_box} >>".encode())
    return _pdf(objs)


def _image_bytes(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _page_image() -> Image.Image:
    img = Image.new("L", (600, 800), 255)
    for y in range(100, 700, 40):
        img.paste(0, (60, y, 540, y + 6))
    return img


def _tiff_with_resolution(value: float) -> bytes:
    """A small TIFF whose XResolution/YResolution rational is rewritten to `value` (inf, nan)."""
    raw = bytearray(_image_bytes(_page_image(), "TIFF", dpi=(300, 300)))
    # Pillow writes RATIONAL resolutions; replace them by DOUBLE type (12) pointing at a double.
    n = struct.unpack_from("<H", raw, 8)[0] if raw[:2] == b"II" else None
    if n is None:
        return bytes(raw)
    extra = len(raw)
    raw += struct.pack("<d", value)
    for i in range(n):
        off = 10 + 12 * i
        tag, typ, cnt, val = struct.unpack_from("<HHII", raw, off)
        if tag in (282, 283):
            struct.pack_into("<HHII", raw, off, tag, 12, 1, extra)
    return bytes(raw)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_header_only(w: int, h: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def page_bomb_pdf(pages: int = 200, side_pt: int = 2000) -> bytes:
    """~20 KB: `pages` blank pages of side_pt x side_pt points (one page object per page)."""
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    return _pages_pdf(kids, pages, f"[0 0 {side_pt} {side_pt}]", pages)


def _w(name: str, data: bytes | str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        (p.write_bytes(data) if isinstance(data, bytes) else p.write_text(data, "utf-8"))
        return p
    return write


def _lazy(name: str, make: Callable[[], bytes]) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(make())
        return p
    return write


def _fifo(folder: Path) -> Path:
    p = folder / "pipe.pdf"
    os.mkfifo(p)
    return p


def _symlink(folder: Path) -> Path:
    p = folder / "link.pdf"
    p.symlink_to("/etc/hostname")
    return p


def _dangling(folder: Path) -> Path:
    p = folder / "dangling.png"
    p.symlink_to(folder / "nowhere.png")
    return p


def _deep(folder: Path) -> Path:
    from intake.inbox import MAX_DEPTH

    p = folder / "deep"
    leaf = p.joinpath(*[f"d{i}" for i in range(MAX_DEPTH + 2)])
    leaf.mkdir(parents=True)
    (leaf / "scan.png").write_bytes(_image_bytes(_page_image(), "PNG"))
    return p


def _nested_arrays() -> bytes:
    depth = 100_000
    return (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /X " + b"[" * depth + b"]" * depth
            + b" >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


def _frames_tiff() -> bytes:
    f = Image.new("L", (80, 80), 255)
    return _image_bytes(f, "TIFF", save_all=True, append_images=[f] * 2500)


def _truncated(fmt: str) -> Callable[[], bytes]:
    def make() -> bytes:
        data = _image_bytes(_page_image().convert("RGB"), fmt)
        return data[: len(data) // 3]
    return make


def _random(seed: int, n: int, head: bytes = b"") -> Callable[[], bytes]:
    def make() -> bytes:
        return head + random.Random(seed).randbytes(n)
    return make


# kind -> writer; the name in the inbox says what it is
KINDS: dict[str, Callable[[Path], Path]] = {
    "empty pdf": _w("empty.pdf", b""),
    "empty png": _w("empty.png", b""),
    "header-only pdf": _w("header.pdf", b"%PDF-1.4\n"),
    "truncated pdf": _lazy("truncated.pdf", lambda: _pages_pdf("3 0 R", 1)[:60]),
    "random bytes as pdf": _lazy("noise.pdf", _random(1, 4000, b"%PDF-1.7\n")),
    "random bytes as jpg": _lazy("noise.jpg", _random(2, 4000, b"\xff\xd8\xff\xe0")),
    "random bytes as png": _lazy("noise.png", _random(3, 4000, b"\x89PNG\r\n\x1a\n")),
    "random bytes as tif": _lazy("noise.tif", _random(4, 4000, b"II*\x00")),
    "random bytes as webp": _lazy("noise.webp", _random(5, 4000, b"RIFF\x00\x10\x00\x00WEBPVP8 ")),
    "bmp header only": _w("header.bmp", b"BM" + b"\x00" * 52),
    "truncated jpeg": _lazy("cut.jpg", _truncated("JPEG")),
    "truncated png": _lazy("cut.png", _truncated("PNG")),
    "text named pdf": _w("notes.pdf", "这不是PDF，只是一段文字。"),
    "text named png": _w("notes.png", "not an image"),
    "html named pdf": _w("page.pdf", "<!doctype html><html><body>登录已过期</body></html>"),
    "zip named pdf": _w("archive.pdf", b"PK\x03\x04" + b"\x00" * 200),
    "gif (not a scan format)": _lazy("anim.gif", lambda: _image_bytes(_page_image(), "GIF")),
    "word document": _w("申请书.docx", b"PK\x03\x04" + b"\x00" * 300),
    "1x1 image": _lazy("dot.png", lambda: _image_bytes(Image.new("RGB", (1, 1)), "PNG")),
    "decompression bomb png": _lazy("bomb.png", lambda: _image_bytes(Image.new("1", (12000, 12000), 1), "PNG")),
    "png claiming 100000x100000": _lazy("huge.png", lambda: _png_header_only(100_000, 100_000)),
    "200x30000 image": _lazy("strip.png", lambda: _image_bytes(Image.new("L", (200, 30000), 255), "PNG")),
    "30000x200 image": _lazy("banner.png", lambda: _image_bytes(Image.new("L", (30000, 200), 255), "PNG")),
    "tiff with +inf resolution": _lazy("inf-dpi.tif", lambda: _tiff_with_resolution(float("inf"))),
    "tiff with 2500 frames": _lazy("frames.tif", _frames_tiff),
    "encrypted pdf": _lazy("locked.pdf", lambda: _encrypted_pdf()),
    "pdf /Count 5 with one kid": _lazy("count5.pdf", lambda: _pages_pdf("3 0 R", 5)),
    "pdf claiming 100000 pages": _lazy("many.pdf", lambda: _pages_pdf(" ".join(["3 0 R"] * 100_000), 100_000)),
    "pdf page bomb (200 x 2000pt)": _lazy("page-bomb.pdf", page_bomb_pdf),
    "pdf with zero-size page": _lazy("zero.pdf", lambda: _pages_pdf("3 0 R", 1, "[0 0 0 0]")),
    "pdf with a 14400pt page": _lazy("poster.pdf", lambda: _pages_pdf("3 0 R", 1, "[0 0 14400 14400]")),
    "pdf with 1:100 page": _lazy("ribbon.pdf", lambda: _pages_pdf("3 0 R", 1, "[0 0 100 10000]")),
    "pdf with no pages": _lazy("nopages.pdf", lambda: _pages_pdf("", 0)),
    "pdf with nested arrays": _lazy("nested.pdf", _nested_arrays),
    "pdf whose root is missing": _lazy("noroot.pdf", lambda: _pdf([b"<< /Type /Pages /Kids [] /Count 0 >>"], root=7)),
    "fifo named pdf": _fifo,
    "symlink to a system file": _symlink,
    "dangling symlink": _dangling,
    "folder nested too deep": _deep,
}


def _encrypted_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(100, 10, "secret")
    pdf.set_encryption(owner_password="owner", user_password="pw")
    return bytes(pdf.output())


# Odd but readable: these must be read (not quarantined), and must not stop the run either.
READABLE = {"tiff with +inf resolution", "pdf with zero-size page"}


def write_all(folder: Path, kinds: list[str] | None = None) -> dict[str, Path]:
    """Write every kind (or the ones named) into `folder`; returns kind -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    return {k: KINDS[k](folder) for k in (kinds or list(KINDS))}


def broken_tounicode_pdf(path: Path, lines: list[str], font: str) -> Path:
    """A text-layer PDF whose ToUnicode CMap is corrupted: each glyph maps to another glyph's character.

    The page shows `lines`; a text extractor reads real characters, but the wrong ones
    (the map's destinations are shuffled). Entries keep their length, so the xref
    offsets stay valid and every reader opens the file.
    """
    import re

    from fpdf import FPDF

    pdf = FPDF()
    pdf.compress = False
    pdf.add_page()
    pdf.add_font("cjk", fname=font)
    pdf.set_font("cjk", size=18)
    for text in lines:
        pdf.cell(0, 12, text)
        pdf.ln()
    data = bytes(pdf.output())
    start = data.index(b"beginbfchar")
    end = data.index(b"endbfchar", start)
    block = data[start:end]
    pairs = re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]{4})>", block)
    real = [(s, d) for s, d in pairs if s not in (b"0000", b"0020")]
    dests = [d for _, d in real]
    shuffled = dests[:]
    random.Random(13).shuffle(shuffled)  # an arbitrary wrong map, as a broken producer writes
    mapping = {s: r for (s, _), r in zip(real, shuffled)}
    new_block = re.sub(rb"<([0-9A-F]{4})> <([0-9A-F]{4})>",
                       lambda m: b"<%s> <%s>" % (m.group(1), mapping.get(m.group(1), m.group(2))), block)
    path.write_bytes(data[:start] + new_block + data[end:])
    return path
