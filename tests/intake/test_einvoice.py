"""OFD and XML e-invoices give the fields the PDF of the same invoice gives (generated triples),
read without OCR, with positions on the drawn page; the loader takes them by content and the
real pipeline ingests them; bad files are refused with a reason."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from extractors.extract import extract_pages
from intake import loaders
from intake.einvoice import read, sniff, to_document
from intake.errors import CorruptFileError, InputError
from intake.model import Page
from tests.corpus.einvoice import triple

SEEDS = (1, 2)


def _text_pages(loaded) -> tuple[list[Page], list]:
    pages = [Page(lp.number, lp.image.width, lp.image.height, lp.dpi, "text", "", tuple(lp.text_lines or ()))
             for lp in loaded]
    return pages, [lp.image for lp in loaded]


def _extracted(path: Path) -> dict:
    """The PDF path: the loader's text layer through the real extractor (no OCR)."""
    pages, images = _text_pages(loaders.load(path))
    [doc] = [d for d in extract_pages(pages, images, path.name) if d.type == "invoice"]
    return {k: fv.value for k, fv in doc.fields.items()}


@pytest.fixture(scope="module")
def triples(tmp_path_factory):
    out = []
    for seed in SEEDS:
        t = triple(seed)
        folder = tmp_path_factory.mktemp(f"einv{seed}")
        for ext in ("pdf", "ofd", "xml"):
            (folder / f"发票.{ext}").write_bytes(t[ext])
        out.append((t, folder))
    return out


@pytest.mark.parametrize("k", range(len(SEEDS)))
def test_ofd_xml_and_pdf_of_one_invoice_give_the_same_fields(triples, k):
    t, folder = triples[k]
    want = t["truth"]
    pdf = _extracted(folder / "发票.pdf")
    ofd, xml = read(folder / "发票.ofd"), read(folder / "发票.xml")
    assert {k: pdf.get(k) for k in want} == want  # the PDF path reads its own invoice right
    assert {k: f.value for k, f in ofd.fields.items()} == want and ofd.format == "ofd"
    assert {k: f.value for k, f in xml.fields.items()} == want and xml.format == "xml"
    assert ofd.problems == [] and xml.problems == []
    # through the loader and the same extractor as the PDF (what the pipeline does): same fields
    assert {k: v for k, v in _extracted(folder / "发票.ofd").items() if k in want} == want
    assert {k: v for k, v in _extracted(folder / "发票.xml").items() if k in want} == want


def test_positions_point_at_the_printed_value(triples):
    t, folder = triples[0]
    einv = read(folder / "发票.ofd")
    [lp] = loaders.load(folder / "发票.ofd")
    assert lp.image.size == (2480, 1654)  # 210 x 140 mm at 300 dpi
    for key in ("invoice_number", "buyer_name", "total"):
        x0, y0, x1, y1 = einv.fields[key].bbox
        inside = [l.text for l in lp.text_lines if l.bbox[0] <= (x0 + x1) / 2 <= l.bbox[2] and l.bbox[1] <= (y0 + y1) / 2 <= l.bbox[3]]
        assert any(einv.fields[key].raw.lstrip("¥") in s for s in inside), (key, inside)
        crop = lp.image.crop((x0, y0, x1, y1)).convert("L")
        assert min(crop.getdata()) < 100  # ink where the value is printed
    doc = to_document(einv, "发票.ofd")
    assert doc.type == "invoice" and doc.fields["seller_tax_id"].confidence == 1.0


def test_loader_takes_them_by_content_whatever_the_name(triples, tmp_path):
    t, _ = triples[0]
    (tmp_path / "a.bin").write_bytes(t["ofd"])
    (tmp_path / "b.txt").write_bytes(t["xml"])
    assert loaders.check_file(tmp_path / "a.bin") == ".ofd" and loaders.check_file(tmp_path / "b.txt") == ".xml"
    assert sniff(b"<?xml version='1.0'?><html/>") is None and sniff(b"PK\x03\x04" + b"x" * 40) is None


def _zip(files: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("data, words", [
    (_zip({"OFD.xml": "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'><ofd:DocBody/></ofd:OFD>"}), "DocRoot"),
    (_zip({"OFD.xml": "<x><DocRoot>Doc_0/Document.xml</DocRoot></x>"}), "缺少"),
    (_zip({"OFD.xml": "<!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>"}), "无法解析"),
    (b"PK\x03\x04OFD.xml truncated", "压缩包"),
])
def test_broken_ofd_is_refused_with_a_reason(tmp_path, data, words):
    p = tmp_path / "bad.ofd"
    p.write_bytes(data)
    with pytest.raises(InputError, match=words):
        read(p, ".ofd")


def test_broken_xml_is_refused_with_a_reason(tmp_path):
    p = tmp_path / "bad.xml"
    p.write_bytes(b"<?xml version='1.0'?><EInvoice><Header>")
    with pytest.raises(CorruptFileError, match="无法解析"):
        list(loaders.iter_pages(p))


def test_pipeline_ingests_an_ofd_invoice_without_ocr_of_its_fields(triples, tmp_path, db, settings):
    from intake.pipeline import ingest

    t, folder = triples[1]
    inbox = tmp_path / "inbox" / "2026-06-01 发票"
    inbox.mkdir(parents=True)
    (inbox / "数电票.ofd").write_bytes(t["ofd"])
    list(ingest(tmp_path / "inbox", db, settings))
    status, = db.execute("SELECT status FROM files").fetchone()
    assert status == "processed"
    got = dict(db.execute("SELECT f.key, f.value FROM fields f JOIN documents d ON d.id = f.document_id "
                          "WHERE d.type = 'invoice'").fetchall())
    assert {k: got.get(k) for k in ("invoice_number", "seller_tax_id", "total")} == \
           {k: t["truth"][k] for k in ("invoice_number", "seller_tax_id", "total")}
    assert db.execute("SELECT source FROM pages").fetchone()[0] == "text"


def _threshold() -> float:
    import json
    return json.loads((Path(__file__).parents[2] / "schemas" / "invoice.json").read_text("utf-8"))["x-review"][
        "confidence_threshold"]


def test_ofd_qr_that_agrees_keeps_the_fields_certain(triples, tmp_path):
    t, folder = triples[0]
    einv = read(folder / "发票.ofd")
    v = t["values"]
    assert einv.raw["QRCode"].split(",")[3] == v["invoice_number"]  # decoded from the embedded PNG
    assert all(einv.fields[k].confidence == 1.0 for k in ("invoice_number", "issued_on", "amount"))
    assert not [p for p in einv.problems if "二维码" in p]


@pytest.mark.parametrize("tamper, doubted", [
    ("tampered", {"invoice_number"}),
    ({"amount": "1.00", "date": "20200101"}, {"amount", "issued_on"}),
])
def test_ofd_qr_that_disagrees_sends_the_fields_to_a_reviewer(tmp_path, tamper, doubted):
    t = triple(SEEDS[0], qr=tamper)
    p = tmp_path / "tampered.ofd"
    p.write_bytes(t["ofd"])
    einv = read(p)
    th = _threshold()
    assert {k for k in ("invoice_number", "issued_on", "amount") if einv.fields[k].confidence < th} == doubted
    # the values read from the invoice stay (doubt, not rejection), and the reviewer is told why
    assert {k: einv.fields[k].value for k in doubted} == {k: t["truth"][k] for k in doubted}
    notes = [p for p in einv.problems if "二维码" in p]
    assert len(notes) == len(doubted) and all("不一致" in n for n in notes)
    doc = to_document(einv, p.name)
    assert all(doc.fields[k].confidence < th for k in doubted)


def test_ofd_without_qr_and_qr_as_text(tmp_path):
    from intake.einvoice.qr import parse

    t = triple(SEEDS[1], qr=None)
    p = tmp_path / "noqr.ofd"
    p.write_bytes(t["ofd"])
    einv = read(p)
    assert "QRCode" not in einv.raw and einv.fields["invoice_number"].confidence == 1.0
    got = parse("01,32,,23442000000014209621,112,20230215,,74AE")
    assert (got["code"], got["number"], got["amount"], got["date"], got["crc"]) == \
           ("", "23442000000014209621", "112", "20230215", "74AE")
    assert parse("01,10,013002200211,81532753,217.62,20230323,49753264642977383169,0816,")["check"] == \
        "49753264642977383169"
    assert parse("https://example.org/?a=1,2") is None


def test_the_ofd_page_shows_its_qr_and_the_pipeline_path_doubts_a_tampered_one(tmp_path):
    """The drawn page carries the QR image object (as the PDF prints it), so the loader's page
    goes through the same extractor as a PDF: an edited QR number is not trusted there either."""
    import zxingcpp

    th = _threshold()
    for mode in ("ok", "tampered"):
        t = triple(SEEDS[0], qr=mode)
        p = tmp_path / f"{mode}.ofd"
        p.write_bytes(t["ofd"])
        [payload] = [r.text for r in zxingcpp.read_barcodes(loaders.load(p)[0].image)]
        assert payload == read(p).raw["QRCode"]
        pages, images = _text_pages(loaders.load(p))
        [doc] = [d for d in extract_pages(pages, images, p.name) if d.type == "invoice"]
        number = doc.fields["invoice_number"]
        if mode == "ok":
            assert number.value == t["truth"]["invoice_number"] and number.confidence >= th
        else:
            assert number.confidence < th


def test_xml_holding_a_qr_payload_is_checked_against_it(tmp_path):
    from tests.corpus.einvoice import qr_payload

    t = triple(SEEDS[0], qr=None)
    wrong = qr_payload(t["values"], {"amount": "1.00"})
    p = tmp_path / "qr.xml"
    p.write_bytes(t["xml"].replace(b"</EInvoice>", f"<QRCode>{wrong}</QRCode></EInvoice>".encode()))
    einv = read(p)
    assert einv.fields["amount"].confidence < _threshold() and einv.fields["amount"].value == t["truth"]["amount"]
    assert einv.fields["invoice_number"].confidence == 1.0 and any("金额" in n for n in einv.problems)


REAL = Path(__file__).parent / "fixtures" / "einvoice"


def _real_ofd(tmp_path, name: str) -> Path:
    """The sample's XML parts (stored unzipped, SOURCES.md) zipped into the .ofd they came from."""
    p = tmp_path / f"{name}.ofd"
    with zipfile.ZipFile(p, "w") as zf:
        for f in sorted((REAL / name).rglob("*.xml")):
            zf.write(f, f.relative_to(REAL / name).as_posix())
    return p


def test_a_real_public_ofd_invoice_reads_with_positions_and_its_own_qr(tmp_path):
    """swpudp/OfdSharp's test1.ofd (SOURCES.md): a real 增值税电子普通发票 whose tag file is not
    well-formed XML and whose QR text sits in the attached original invoice XML."""
    p = _real_ofd(tmp_path, "ofdsharp-test1")
    assert loaders.check_file(p) == ".ofd"
    einv = read(p)
    assert {k: f.value for k, f in einv.fields.items()} == {
        "invoice_code": "032001900311", "invoice_number": "25577301", "issued_on": "2020-11-12",
        "buyer_name": "四川长虹电器股份有限公司", "buyer_tax_id": "91510700205412308D",
        "seller_name": "南京爱洋文化传播有限公司", "seller_tax_id": "91320111339366503A",
        "amount": "181.14", "total": "181.14", "total_in_words": "181.14"}  # tax printed as ***: not a value
    assert einv.raw["QRCode"].startswith("01,10,032001900311,25577301,181.14,20201112,")
    assert einv.problems == [] and all(f.confidence == 1.0 for f in einv.fields.values())
    # positions: the number is printed top right, the buyer's name in the buyer block
    assert einv.fields["invoice_number"].bbox[0] > 1800 and einv.fields["buyer_name"].bbox[1] < 450
    [page] = loaders.load(p)
    assert page.text_lines and any("25577301" in line.text for line in page.text_lines)


def test_a_second_real_ofd_invoice_with_tax_and_six_lines(tmp_path):
    """swpudp/OfdSharp's test2.ofd: a real 增值税电子专用发票 (Sichuan, 2022), well-formed tags,
    amount + tax = total, six item lines; its QR text (GraphCode) agrees with the fields."""
    einv = read(_real_ofd(tmp_path, "ofdsharp-test2"))
    assert {k: f.value for k, f in einv.fields.items()} == {
        "invoice_code": "051002000113", "invoice_number": "18925756", "issued_on": "2022-01-24",
        "buyer_name": "四川长虹空调有限公司", "buyer_tax_id": "915107006823699713",
        "seller_name": "四川万长亚建设工程有限公司", "seller_tax_id": "91510104MA6BWXBB27",
        "amount": "15324.75", "tax": "153.25", "total": "15478.00", "total_in_words": "15478.00"}
    assert einv.raw["QRCode"].split(",")[:6] == ["01", "20", "051002000113", "18925756", "15324.75", "20220124"]
    assert einv.problems == [] and all(f.confidence == 1.0 for f in einv.fields.values())


DZFP = "easyofd-dzfp-25442000000127444519"


def test_a_real_public_shudianpiao_ofd_reads_exactly_as_printed(tmp_path):
    """renoyuan/easyofd's unzipped 数电票 OFD (SOURCES.md): an 电子发票（增值税专用发票）of
    2025-03-07 with a 20-digit number and no invoice code, its labels on a template page drawn
    narrowed (CTM 0.89), its parts re-indented by an editor (text codes wrapped in line breaks)."""
    p = _real_ofd(tmp_path, DZFP)
    assert loaders.check_file(p) == ".ofd"
    einv = read(p)
    printed = {
        "invoice_number": "25442000000127444519", "issued_on": "2025-03-07",
        "buyer_name": "中国移动通信集团广东有限公司阳江分公司", "buyer_tax_id": "91441702707782974C",
        "seller_name": "中移建设有限公司广东分公司", "seller_tax_id": "914400007556190127",
        "amount": "20000.00", "tax": "1800.00", "total": "21800.00", "total_in_words": "21800.00"}
    assert {k: f.value for k, f in einv.fields.items()} == printed  # no invoice code: a 数电票 has none
    assert einv.raw["InvoiceNo"] == "25442000000127444519" and einv.raw["TaxInclusiveTotalAmount"] == "¥21800.00"
    assert einv.problems == [] and all(f.confidence == 1.0 for f in einv.fields.values())
    # positions (300 dpi, page 210 × 140 mm): the number top right after 发票号码：, the buyer's
    # tax id left and the seller's right on one row, the total after （小写）
    f = einv.fields
    assert 2000 <= f["invoice_number"].bbox[0] <= 2010 and f["invoice_number"].bbox[2] < 2480
    assert f["buyer_tax_id"].bbox[1] == f["seller_tax_id"].bbox[1] and f["buyer_tax_id"].bbox[2] < 1240 \
        < f["seller_tax_id"].bbox[0]
    assert f["total"].bbox[0] > 1800 and 1100 < f["total"].bbox[1] < 1200
    # the loader's page (what the pipeline reads): labels and values on one line each, in order
    [page] = loaders.load(p)
    lines = [line.text for line in page.text_lines]
    assert page.image.size == (2480, 1654)
    assert "电子发票（增值税专用发票）发票号码：25442000000127444519" in lines
    assert lines.count("信统一社会信用代码/纳税人识别号：91441702707782974C") == 1
    assert "（小写）¥21800.00" in lines and "开票日期：2025年03月07日" in lines
    # through the same extractor as a PDF: every printed field the same
    extracted = _extracted(p)
    assert {k: v for k, v in extracted.items() if k in printed} == printed
    # 发票号码 is not 发票代码 one character off: no code is cut from the 20-digit number
    assert "invoice_code" not in extracted


def test_a_second_real_shudianpiao_ofd_from_another_issuer(tmp_path):
    """easyofd's second 数电票 OFD (SOURCES.md), issued through nuonuo: no template page, values in
    CDATA, tax ids spaced with ``g 18 2.54``, a rotated 下载次数 stamp in the margin."""
    p = _real_ofd(tmp_path, "easyofd-ofd2-25924000000001260164")
    einv = read(p)
    printed = {
        "invoice_number": "25924000000001260164", "issued_on": "2025-04-01",
        "buyer_name": "威高集团有限公司", "buyer_tax_id": "913710007062495888",
        "seller_name": "青岛嘉仕汇酒店管理有限公司", "seller_tax_id": "91370203MA3N3AR685",
        "amount": "357.55", "tax": "21.45", "total": "379.00", "total_in_words": "379.00"}
    assert {k: f.value for k, f in einv.fields.items()} == printed
    assert einv.problems == [] and all(f.confidence == 1.0 for f in einv.fields.values())
    assert einv.fields["invoice_number"].bbox[0] == 2014 and einv.fields["seller_tax_id"].bbox[0] > 1240
    [page] = loaders.load(p)
    assert page.image.size == (2498, 1654)  # its own page box, 211.5 × 140 mm
    extracted = _extracted(p)
    assert {k: v for k, v in extracted.items() if k in printed} == printed
    assert "invoice_code" not in extracted
