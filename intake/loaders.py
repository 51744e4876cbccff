"""Turning a file into page images (and text-layer lines where a PDF has them).

Every way a file can be unreadable ends here as an `InputError` subclass with a
sentence staff understand; the pipeline quarantines the file and goes on.
"""
from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from .errors import (
    CorruptFileError,
    EmptyFileError,
    EncryptedFileError,
    InputError,
    NotRegularFileError,
    TooLargeError,
    WrongTypeError,
)
from .model import Line, Word
from .ocr.base import clean_text

RENDER_DPI = 300
MAX_FILE_BYTES = 300 * 1024 * 1024
MAX_PIXELS = 60_000_000  # one page image; a 300 dpi A3 page is 17.4 MP
# All pages of one file together (the per-file pixel budget): 46 A4 pages at 300 dpi. Longer
# files are rendered coarser, down to MIN_RENDER_DPI; past that the file is refused. Pages
# are rendered one at a time, so this bounds what extraction can hold, not what rendering does.
MAX_FILE_PIXELS = 400_000_000
MIN_RENDER_DPI = 120
MAX_ASPECT = 20  # a long receipt strip is ~8:1; 150:1 is not a page (and breaks OCR's resizing)
MAX_PAGES = 200  # per file; more is a bomb or not a submission
MIN_SIDE = 64  # a 1x1 "image" is not a document
MIN_TEXT_CHARS = 20  # fewer characters than this: the page is a scan with a stray text object

Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow raises DecompressionBombError past 2x this

_log = logging.getLogger(__name__)

_MAGIC = [
    (b"%PDF-", ".pdf"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"II*\x00", ".tif"),
    (b"MM\x00*", ".tif"),
    (b"II+\x00", ".tif"),
    (b"MM\x00+", ".tif"),
    (b"BM", ".bmp"),
]
_SAME = {".jpeg": ".jpg", ".tiff": ".tif"}


@dataclass
class LoadedPage:
    number: int
    image: Image.Image
    dpi: int
    text_lines: list[Line] | None  # from the PDF's text layer; None for scanned pages
    key: str | None = None  # image_key of the pixels, once computed (the image may be a lazy file handle)
    # A one-page JPEG/PNG whose decoded pixels are the page as they are (no EXIF turn, no mode change): the
    # file, and the suffix its byte copy gets in pages/ (pages.render_pages keeps it instead of a PNG).
    original: Path | None = None
    suffix: str = ".png"
    path: Path | None = None  # the page image on disk, once written (pages.render_pages)


def sniff(head: bytes) -> str | None:
    """The real type of a file from its first bytes."""
    for magic, ext in _MAGIC:
        if head.startswith(magic):
            return ext
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp"
    if b"%PDF-" in head[:1024]:  # some producers put junk before the header
        return ".pdf"
    return None


def check_file(path: Path, declared_ext: str | None = None) -> str:
    """Cheap checks before anything is archived; returns the real extension."""
    try:
        st = path.lstat()
    except FileNotFoundError as exc:
        raise InputError("文件在读取前已被删除。The file disappeared before it could be read.", "vanished") from exc
    import stat as _stat

    if _stat.S_ISLNK(st.st_mode):
        raise NotRegularFileError("这是一个符号链接，不是扫描文件；为安全起见不予处理。A symbolic link is not accepted.")
    if not _stat.S_ISREG(st.st_mode):
        raise NotRegularFileError("这不是普通文件（设备、管道或套接字）。Not a regular file.")
    if st.st_size == 0:
        raise EmptyFileError("文件为空（0 字节），可能扫描或复制未完成。The file is empty (0 bytes).")
    if st.st_size > MAX_FILE_BYTES:
        raise TooLargeError(
            f"文件过大（{st.st_size / 1e6:.0f} MB，上限 {MAX_FILE_BYTES / 1e6:.0f} MB）。The file is too large."
        )
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except PermissionError as exc:
        raise InputError("没有读取该文件的权限。The file cannot be read (permission denied).", "permission") from exc
    real = sniff(head)
    if real is None:  # OFD / 数电票 XML e-invoices, read without OCR (intake/einvoice)
        from .einvoice import sniff as sniff_einvoice
        real = sniff_einvoice(head, path)
    declared = (declared_ext or path.suffix).lower()
    declared = _SAME.get(declared, declared)
    if real is None:
        raise WrongTypeError(
            f"文件内容不是 PDF、图片或电子发票（OFD/XML）（扩展名为 {declared or '无'}）。"
            f"The content is not a PDF, an image or an e-invoice (OFD/XML)."
        )
    # A JPEG saved as .png (chat apps do it) is read by its content; `type_note` says so on the record.
    return real


def type_note(path: Path, real: str) -> str | None:
    """The note recorded when a file's extension differs from its content (read by content)."""
    declared = _SAME.get(path.suffix.lower(), path.suffix.lower())
    if declared == real:
        return None
    return (f"扩展名 {declared or '（无）'} 与文件内容（{real}）不符，已按实际内容读取。"
            f"The extension {declared or '(none)'} does not match the content ({real}); read as {real}.")


def load(path: Path, ext: str | None = None) -> list[LoadedPage]:
    """All pages of a PDF or image file, upright as far as metadata tells (EXIF, /Rotate).

    Holds every page in memory: for tests and small files. The pipeline uses `iter_pages`.
    """
    return list(iter_pages(path, ext))


def iter_pages(path: Path, ext: str | None = None) -> Iterator[LoadedPage]:
    """The pages of a file one at a time: only the page in hand is rendered in memory."""
    ext = ext or check_file(path)
    if ext == ".pdf":
        return _iter_pdf(path)
    if ext in (".ofd", ".xml"):
        from . import einvoice
        return einvoice.iter_pages(path, ext)
    return _iter_image(path)


def _check_aspect(w: float, h: float, what: str) -> None:
    if min(w, h) > 0 and max(w, h) / min(w, h) > MAX_ASPECT:
        raise WrongTypeError(f"{what}长宽比异常（{w:.0f}×{h:.0f}），不像一页文件。"
                             f"{'The image' if what == '图片' else 'A page'} has an absurd aspect ratio ({w:.0f}x{h:.0f}).")


# --- images -----------------------------------------------------------------------------------


def _image_dpi(img: Image.Image) -> int:
    dpi = img.info.get("dpi")
    try:
        value = int(round(float(dpi[0]))) if dpi else 0
    except (TypeError, ValueError, OverflowError, IndexError):  # +inf, NaN, odd tuples
        value = 0
    if 100 <= value <= 1200:
        return value
    # No usable metadata: assume the long side is an A4 page's (11.69 in).
    return max(72, min(600, int(round(max(img.size) / 11.69))))


def normalize_mode(img: Image.Image) -> Image.Image:
    """RGB for colour, L for grayscale: the two modes every later step understands."""
    if img.mode in ("RGB", "L"):
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        import numpy as np

        arr = np.asarray(img, dtype=np.float64)
        hi = arr.max() or 1.0
        return Image.fromarray((arr * (255.0 / hi)).clip(0, 255).astype("uint8"), "L")
    if img.mode == "1":
        return img.convert("L")
    if img.mode in ("LA", "La"):
        bg = Image.new("L", img.size, 255)
        bg.paste(img.convert("L"), mask=img.getchannel("A"))
        return bg
    if img.mode in ("RGBA", "RGBa", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        bg = Image.new("RGB", img.size, (255, 255, 255))
        bg.paste(rgba, mask=rgba.getchannel("A"))
        return bg
    if img.mode == "CMYK":
        return img.convert("RGB")
    return img.convert("RGB")


# Formats a page image may be kept in as the scanner wrote it (every reader of pages/ decodes both).
COPYABLE = {"JPEG": ".jpg", "PNG": ".png"}


def _exif_turns(frame: Image.Image) -> bool:
    """Whether `ImageOps.exif_transpose` would turn or flip the frame (orientation 2-8)."""
    return frame.getexif().get(ExifTags.Base.Orientation, 1) in range(2, 9)


def _iter_image(path: Path) -> Iterator[LoadedPage]:
    count = 0
    try:
        # The warnings filter covers the open only: this generator yields, and a filter is global
        # state the consumer would run under. The explicit pixel checks below refuse bombs.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
        if True:  # (kept indented: the checks below belong to the open image)
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise TooLargeError(
                    f"图片像素过多（{w}×{h}），可能是“解压炸弹”。The image has too many pixels ({w}x{h})."
                )
            if min(w, h) < MIN_SIDE:
                raise WrongTypeError(f"图片太小（{w}×{h} 像素），不是扫描件。The image is too small to be a scan.")
            _check_aspect(w, h, "图片")
            n_frames = getattr(img, "n_frames", 1)
            if n_frames > MAX_PAGES:
                raise TooLargeError(f"多页图片页数过多（{n_frames} 页，上限 {MAX_PAGES}）。Too many frames.")
            total = 0
            for i in range(n_frames):
                img.seek(i)
                frame = img.copy()
                if frame.size[0] * frame.size[1] > MAX_PIXELS:
                    raise TooLargeError(f"第 {i + 1} 页像素过多。Frame {i + 1} has too many pixels.")
                total += frame.size[0] * frame.size[1]
                if total > MAX_FILE_PIXELS:
                    raise TooLargeError(f"多页图片像素总数过多（超过 {MAX_FILE_PIXELS / 1e6:.0f} MP）。"
                                        "The frames together have too many pixels.")
                frame.load()
                dpi = _image_dpi(img)
                turned = i == 0 and _exif_turns(frame)
                frame = ImageOps.exif_transpose(frame) if turned else frame
                as_read = normalize_mode(frame)
                # the decoded file is the page itself: kept byte for byte rather than re-encoded (issue 16)
                same = n_frames == 1 and not turned and as_read is frame and img.format in COPYABLE
                frame = as_read
                if min(frame.size) < MIN_SIDE:
                    raise WrongTypeError(f"第 {i + 1} 页太小，不是扫描件。Frame {i + 1} is too small.")
                _check_aspect(*frame.size, "图片")
                count += 1
                yield LoadedPage(i + 1, frame, dpi, None, original=path if same else None,
                                 suffix=COPYABLE[img.format] if same else ".png")
                del frame
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooLargeError(f"图片像素过多，可能是“解压炸弹”。The image is a decompression bomb: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise CorruptFileError("图片文件已损坏，无法识别其格式。The image is corrupt or of an unknown format.") from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError) as exc:
        raise CorruptFileError(f"图片文件不完整或已损坏（{exc}）。The image is truncated or corrupt.") from exc
    except MemoryError as exc:
        raise TooLargeError("图片太大，无法载入内存。The image does not fit in memory.") from exc
    if not count:
        raise CorruptFileError("图片中没有任何页面。The image holds no page.")


# --- PDFs -------------------------------------------------------------------------------------


def _open_pdf(path: Path):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        msg = str(exc).lower()
        if "password" in msg or "security error" in msg:
            raise EncryptedFileError(
                "PDF 已加密（需要密码），无法读取。请提交未加密的扫描件。The PDF is encrypted."
            ) from exc
        raise CorruptFileError(f"PDF 文件已损坏或不完整（{exc}）。The PDF is corrupt or truncated.") from exc


def _page_sizes(pdf, n: int) -> list[tuple[float, float]]:
    """Every page's size in points, read from the page tree without rendering anything."""
    import pypdfium2 as pdfium

    sizes = []
    for i in range(n):
        try:
            w, h = pdf.get_page_size(i)
        except (pdfium.PdfiumError, IndexError, ValueError) as exc:
            # e.g. a page tree that says /Count 5 with one kid
            raise CorruptFileError(f"PDF 页面目录已损坏：声称有 {n} 页，第 {i + 1} 页无法打开。"
                                   f"The PDF's page tree is damaged: page {i + 1} of {n} cannot be opened.") from exc
        if not (w > 0 and h > 0) or w != w or h != h:
            raise CorruptFileError(f"PDF 第 {i + 1} 页尺寸无效。Page {i + 1} has an invalid size.")
        sizes.append((float(w), float(h)))
    return sizes


def file_dpi(sizes: list[tuple[float, float]]) -> int:
    """The render resolution that keeps all pages of a file within the per-file pixel budget."""
    area_in2 = sum((w / 72) * (h / 72) for w, h in sizes)
    dpi = min(RENDER_DPI, int((MAX_FILE_PIXELS / max(area_in2, 1e-9)) ** 0.5))
    if dpi < MIN_RENDER_DPI:
        raise TooLargeError(
            f"PDF 页面总面积过大（{len(sizes)} 页，按 {MIN_RENDER_DPI} dpi 渲染超过 {MAX_FILE_PIXELS / 1e6:.0f} MP），"
            f"可能是“页面炸弹”，已隔离。The pages together exceed the per-file pixel budget."
        )
    return dpi


def _iter_pdf(path: Path) -> Iterator[LoadedPage]:
    import pypdfium2 as pdfium

    pdf = _open_pdf(path)
    try:
        n = len(pdf)
        if n == 0:
            raise CorruptFileError("PDF 中没有页面。The PDF has no pages.")
        if n > MAX_PAGES:
            raise TooLargeError(f"PDF 页数过多（{n} 页，上限 {MAX_PAGES}）。The PDF has too many pages.")
        sizes = _page_sizes(pdf, n)
        for w, h in sizes:
            _check_aspect(w, h, "PDF 页面")
        base_dpi = file_dpi(sizes)
        text_layers = _pdf_text_layers(path, n)
        for i in range(n):
            try:
                page = pdf[i]
            except pdfium.PdfiumError as exc:
                raise CorruptFileError(f"PDF 第 {i + 1} 页无法打开（页面目录损坏）。Page {i + 1} cannot be opened.") from exc
            w_pt, h_pt = sizes[i]
            dpi = base_dpi
            if (w_pt / 72 * dpi) * (h_pt / 72 * dpi) > MAX_PIXELS:
                # Posters and drawings: render coarser rather than refuse.
                dpi = int((MAX_PIXELS / ((w_pt / 72) * (h_pt / 72))) ** 0.5)
                if dpi < 50:
                    raise TooLargeError(f"PDF 第 {i + 1} 页尺寸异常。Page {i + 1} has an absurd size.")
            try:
                bitmap = page.render(scale=dpi / 72)
                image = bitmap.to_pil()
                del bitmap
            except MemoryError as exc:
                raise TooLargeError(f"PDF 第 {i + 1} 页太大，无法载入内存。Page {i + 1} does not fit in memory.") from exc
            except Exception as exc:
                raise CorruptFileError(f"PDF 第 {i + 1} 页无法渲染（{exc}）。Page {i + 1} cannot be rendered.") from exc
            image = normalize_mode(image)
            lines = text_layers[i]
            text_layers[i] = None
            if lines is None:
                lines = _pdfium_text(page, dpi)
            if lines is not None and sum(len(l.text) for l in lines) < MIN_TEXT_CHARS:
                lines = None
            if lines is not None and text_layer_garbled(lines):
                _log.info("%s page %d: the text layer does not read as text; the page is OCR'd", path.name, i + 1)
                lines = None
            if lines is not None and dpi != RENDER_DPI:
                f = dpi / RENDER_DPI
                lines = [_scale_line(l, f) for l in lines]
            page.close()
            yield LoadedPage(i + 1, image, dpi, lines)
            del image
    finally:
        pdf.close()


def text_layer_garbled(lines: list[Line]) -> bool:
    """A text layer whose characters cannot be what is drawn: unmapped glyphs, private-use or control characters.

    A broken ToUnicode map often yields `(cid:123)` from pdfminer, U+FFFD, private-use
    code points or control characters. Subtler breakage (real characters, but the
    wrong ones) is caught by the pipeline's OCR spot check.
    """
    text = "".join(l.text for l in lines)
    if not text:
        return False
    bad = text.count("(cid:") * 6
    for ch in text:
        o = ord(ch)
        if ch == "\ufffd" or 0xE000 <= o <= 0xF8FF or o >= 0xF0000 or (o < 32 and ch not in "\t") or 0x7F <= o < 0xA0:
            bad += 1
    return bad > 0.05 * len(text)


def _scale_line(line: Line, f: float) -> Line:
    def s(b):
        return tuple(int(v * f) for v in b)

    return Line(line.text, s(line.bbox), line.confidence, tuple(Word(w.text, s(w.bbox), w.confidence) for w in line.words))


def _pdf_text_layers(path: Path, n: int) -> list[list[Line] | None]:
    """Text-layer lines per page through pdfplumber, at RENDER_DPI pixel coordinates."""
    import pdfplumber

    out: list[list[Line] | None] = [None] * n
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    try:
        with pdfplumber.open(str(path)) as pdf:
            for i, page in enumerate(pdf.pages[:n]):
                chars = [c for c in page.chars if c.get("text", "").strip()]
                if not chars:
                    continue
                scale = RENDER_DPI / 72
                x_off, y_off = float(page.bbox[0]), float(page.bbox[1])
                boxes = [
                    (c["text"], (c["x0"] - x_off) * scale, (c["top"] - y_off) * scale,
                     (c["x1"] - x_off) * scale, (c["bottom"] - y_off) * scale)
                    for c in chars
                ]
                out[i] = chars_to_lines(boxes)
    except Exception as exc:  # encrypted files fail earlier in pdfium; anything else: OCR instead
        msg = str(exc).lower()
        if "password" in msg or "encrypt" in msg:
            raise EncryptedFileError("PDF 已加密（需要密码），无法读取。The PDF is encrypted.") from exc
        _log.info("pdfplumber could not read the text layer of %s: %s", path.name, exc)
    return out


def _pdfium_text(page, dpi: int) -> list[Line] | None:
    """pypdfium2's text: pdfplumber returns nothing for some embedded CJK fonts where pdfium reads them."""
    try:
        tp = page.get_textpage()
        count = tp.count_chars()
        if count == 0:
            return None
        _, h_pt = page.get_size()
        scale = dpi / 72
        boxes = []
        for i in range(count):
            ch = tp.get_text_range(i, 1)
            if not ch.strip():
                continue
            l, b, r, t = tp.get_charbox(i)
            boxes.append((ch, l * scale, (h_pt - t) * scale, r * scale, (h_pt - b) * scale))
        return chars_to_lines(boxes) if boxes else None
    except Exception:
        return None


def chars_to_lines(chars: list[tuple[str, float, float, float, float]]) -> list[Line]:
    """Group positioned characters into lines (same baseline band), left to right.

    A gap wider than ~1.5 character heights splits a line in two, as OCR engines
    do between a label column and a value column far apart.
    """
    chars = sorted(chars, key=lambda c: ((c[2] + c[4]) / 2, c[1]))
    rows: list[list] = []
    for c in chars:
        cy = (c[2] + c[4]) / 2
        h = max(c[4] - c[2], 1)
        for row in rows:
            if abs(row[0] - cy) < 0.5 * max(h, row[1]):
                row[2].append(c)
                break
        else:
            rows.append([cy, h, [c]])
    lines: list[Line] = []
    for _, h, row in rows:
        row.sort(key=lambda c: c[1])
        segments: list[list] = [[row[0]]]
        for prev, c in zip(row, row[1:]):
            gap = c[1] - prev[3]
            if gap > 1.5 * max(h, prev[4] - prev[2]):
                segments.append([c])
            else:
                segments[-1].append(c)
        for seg in segments:
            text = clean_text("".join(c[0] for c in seg))
            if not text:
                continue
            bbox = (
                int(min(c[1] for c in seg)),
                int(min(c[2] for c in seg)),
                int(max(c[3] for c in seg)),
                int(max(c[4] for c in seg)),
            )
            words = tuple(Word(c[0], (int(c[1]), int(c[2]), int(c[3]), int(c[4])), 1.0) for c in seg)
            lines.append(Line(text, bbox, 1.0, words))
    lines.sort(key=lambda l: (l.bbox[1], l.bbox[0]))
    return lines


# zlib level 1 for the page PNGs: ~25% less CPU than level 3 (the coordinator writes every page rendered
# from a PDF) for ~10% larger files; lossless either way, so the pixels (and every key) are the same.
PNG_LEVEL = 1


def encode_png(image: Image.Image) -> bytes:
    """A lossless PNG of the page. Through OpenCV's libpng with every row "up"-filtered: half the CPU of
    Pillow's encoder, which tries every filter on every row, for files of about the same size (a 300-dpi
    A4 scan: 0.27 against 0.45 CPU-s, 8.1 against 7.9 MB; decoding it 0.12 against 0.20); the same pixels. Modes OpenCV does
    not write as they are (1, P, I;16, ...) go through Pillow."""
    if image.mode in ("RGB", "L"):
        import cv2
        import numpy as np

        up = getattr(cv2, "IMWRITE_PNG_FILTER_UP", None)
        if up is not None:
            arr = np.asarray(image)
            if image.mode == "RGB":
                arr = cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)  # OpenCV writes BGR as RGB
            ok, out = cv2.imencode(".png", arr, [cv2.IMWRITE_PNG_COMPRESSION, PNG_LEVEL, cv2.IMWRITE_PNG_FILTER, up])
            if ok:
                return out.tobytes()
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=PNG_LEVEL)
    return buf.getvalue()
