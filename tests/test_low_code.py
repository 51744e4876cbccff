"""A tenth document type and a third packet from files alone (issue 12, "Done when").

Everything here lives in a temporary ``DOCINTAKE_SCHEMA_DIRS`` folder: a schema for the
检验检测机构资质认定证书 (an inspection body's accreditation certificate) and a packet
``packets/<name>.json`` for an inspection body's onboarding (the certificate and its business
licence). Generated scans of both go through the real pipeline (OCR, classification,
extraction, validation), then through every surface: the review queue and page, masking, the
export's Chinese headers and a push to a local HTTP receiver. Finally the product's source
is searched for the new names: there must be none.
"""
from __future__ import annotations

import copy
import io
import json
import random
from datetime import date
from pathlib import Path

import pytest

from tests.corpus.canvas import Page
from tests.corpus.documents import generate_document
from tests.corpus.seals import round_seal, seal_color
from tests.intake.conftest import Receiver

ROOT = Path(__file__).resolve().parents[1]
TYPE = "lab_accreditation"
TYPE_ZH = "检验检测机构资质认定证书"
PACKET = "lab_onboarding"
PACKET_ZH = "检测机构入驻登记"
SOURCE = "细则 第十八条"
AS_OF = date(2026, 11, 20)


def _label_spec(labels, normalizer, **kw):
    return dict({"strategy": "label", "labels": labels, "direction": "right", "normalizer": normalizer}, **kw)


SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"https://example.org/site-schemas/{TYPE}.json",
    "title": "Inspection body accreditation certificate",
    "x-title-zh": TYPE_ZH,
    "x-source": SOURCE,
    "x-expired-message": "资质认定证书已过有效期",
    "x-display": {"order": 20},
    "type": "object",
    "x-classify": {"titles": [TYPE_ZH], "title_weight": 8,
                   "keywords": {"资质认定": 3, "证书编号": 2, "检验检测能力": 2, "发证机关": 1},
                   "min_score": 6, "priority": 1},
    "x-review": {"confidence_threshold": 0.8},
    "x-jurisdiction": {"uscc": "uscc", "address": "address"},
    "x-not-expired": {"field": "valid_to", "rule": "license.expired"},
    "required": ["certificate_number", "name", "uscc", "valid_to"],
    "properties": {
        "certificate_number": {"type": "string", "x-label-zh": "证书编号", "x-order": 1, "x-value-type": "code",
                               "x-extract": _label_spec(["证书编号"], "code", pattern="[0-9A-Za-z]{8,16}")},
        "name": {"type": "string", "x-label-zh": "机构名称", "x-order": 2, "x-value-type": "organization",
                 "x-extract": _label_spec(["机构名称"], "name")},
        "uscc": {"type": "string", "format": "uscc", "x-label-zh": "统一社会信用代码", "x-order": 3,
                 "x-extract": _label_spec(["统一社会信用代码"], "uscc", pattern="[0-9A-Za-z\\s]{16,22}")},
        "address": {"type": "string", "x-label-zh": "机构地址", "x-order": 4,
                    "x-extract": _label_spec(["机构地址"], "address")},
        "contact_phone": {"type": "string", "x-label-zh": "联系电话", "x-order": 5, "x-personal": True,
                          "x-extract": _label_spec(["联系电话"], "mobile", pattern="[0-9\\s]{11,13}")},
        "valid_to": {"type": "string", "format": "date", "x-label-zh": "有效期至", "x-order": 6,
                     "x-extract": _label_spec(["有效期至"], "date")},
    },
}

PACKET_DEF = {
    "$schema": "./_packet.schema.json",
    "packet": PACKET,
    "title": "检验检测机构入驻共享平台登记",
    "short_title": PACKET_ZH,
    "source": SOURCE,
    "documents": [
        {"role": "certificate", "types": [TYPE], "label": TYPE_ZH, "source": SOURCE},
        {"role": "license", "types": ["business_license"], "label": "营业执照", "source": SOURCE},
    ],
    "applicant": {"name": [["certificate", "name"], ["license", "name"]],
                  "uscc": [["certificate", "uscc"], ["license", "uscc"]]},
    "rules": [
        {"rule": "consistency.name", "source": SOURCE, "normalize": "org_name",
         "equal": [["certificate", "name"], ["license", "name"]],
         "message": "资质认定证书与营业执照的机构名称不一致：{values}"},
        {"rule": "consistency.uscc", "source": SOURCE, "normalize": "uscc",
         "equal": [["certificate", "uscc"], ["license", "uscc"]],
         "message": "资质认定证书与营业执照的统一社会信用代码不一致：{values}"},
    ],
}


def render_certificate(truth: dict, dpi: int = 200, seed: int = 3):
    """The certificate as a scan would show it (drawn here: no product or corpus code knows it)."""
    rng = random.Random(seed)
    p = Page(210, 297, dpi)
    p.text(105, 42, TYPE_ZH, "song_bold", 24, anchor="ms", tracking=1)
    p.text(24, 70, "证书编号", "hei", 11)
    p.text(62, 70, truth["certificate_number"], "hei", 12)
    y = 92
    for label, key in (("机构名称", "name"), ("统一社会信用代码", "uscc"), ("机构地址", "address"),
                       ("联系电话", "contact_phone"), ("有效期至", None)):
        p.text(24, y, label, "hei", 11)
        p.text(62, y, truth[key] if key else truth["valid_to_printed"], "song", 11)
        y += 16
    p.wrap(24, y + 6, 160, "经审查，你机构已具备国家有关法律、行政法规规定的基本条件和能力，现予批准资质认定，"
                           "可以向社会出具具有证明作用的数据和结果。检验检测能力及授权签字人见证书附表。", "song", 11, 1.6)
    p.text(120, y + 60, "发证机关", "hei", 11)
    p.text(145, y + 60, "河南省市场监督管理局", "song", 11)
    p.stamp(round_seal("河南省市场监督管理局", dpi, rng, diameter_mm=40), seal_color(rng), 165, y + 66)
    return p.img


def _seed_ocr(db, folder: Path, monkeypatch) -> None:
    """Page readings from the committed OCR cache (tests/extractors/fixtures/ocr): the pipeline
    finds them in its own cache and reads only what is not there (crops, re-reads)."""
    from intake.loaders import load
    from intake.ocr.runner import OcrResult, OcrRunner, cache_key, cache_put
    from tests.extractors.conftest import ocr_lines

    settings = OcrRunner("rapidocr").settings_key()
    with db.conn:
        for path in sorted(folder.iterdir()):
            for lp in load(path):
                if lp.text_lines is None:
                    lines, rot = ocr_lines(lp.image)
                    cache_put(db, cache_key(lp.image, settings), "rapidocr", OcrResult(lines, rot))
    from tests.conftest import serve_region_reads

    serve_region_reads(monkeypatch, lambda img, eng: ocr_lines(img, eng, orient=False)[0])


def _clear_caches():
    from extractors import boundaries
    from schemas.registry import clear_cache

    clear_cache()
    boundaries._foreign.cache_clear()  # other types' labels, computed from the registry


@pytest.fixture
def site_schemas(tmp_path, monkeypatch):
    folder = tmp_path / "site-schemas"
    (folder / "packets").mkdir(parents=True)
    (folder / f"{TYPE}.json").write_text(json.dumps(SCHEMA, ensure_ascii=False, indent=1), "utf-8")
    (folder / "packets" / f"{PACKET}.json").write_text(json.dumps(PACKET_DEF, ensure_ascii=False, indent=1), "utf-8")
    monkeypatch.setenv("DOCINTAKE_SCHEMA_DIRS", str(folder))
    _clear_caches()
    yield folder
    monkeypatch.delenv("DOCINTAKE_SCHEMA_DIRS")
    _clear_caches()


def test_the_files_are_valid_and_loaded(site_schemas):
    import extractors.registry  # noqa: F401 - adds extraction's checks (strategy and normalizer names)
    from intake.validation import load_packets
    from schemas.registry import check_schemas, load_registry, packet_title

    assert check_schemas() == []
    reg = load_registry()
    assert reg.get(TYPE).title_zh == TYPE_ZH and reg.get(TYPE).policy_source == SOURCE
    assert set(load_packets()) == {"membership_application", "voucher_redemption", PACKET}
    assert packet_title(PACKET) == PACKET_ZH
    broken = copy.deepcopy(SCHEMA)
    broken["properties"]["valid_to"]["x-extract"]["normalizer"] = "dat"
    bad = site_schemas / "broken"
    bad.mkdir()
    (bad / "x.json").write_text(json.dumps(broken, ensure_ascii=False), "utf-8")
    assert [p.path for p in check_schemas([bad])] == ["/properties/valid_to/x-extract/normalizer"]


def test_a_tenth_type_and_a_third_packet_on_every_surface(site_schemas, tmp_path, monkeypatch):
    from intake.db import connect
    from intake.export import export
    from intake.pipeline import Settings, ingest
    from intake.push import PushSettings, enqueue, push_once
    from review import decisions, service

    license_doc = generate_document("business_license", seed=11, as_of=AS_OF)
    lic = license_doc.truth["fields"]
    truth = {"certificate_number": "241612050118", "name": lic["name"], "uscc": lic["uscc"],
             "address": lic["address"], "contact_phone": "13937456821",
             "valid_to": "2026-06-30", "valid_to_printed": "2026年06月30日"}
    inbox = tmp_path / "inbox"
    sub = inbox / "2026-11-20 检测机构入驻"
    sub.mkdir(parents=True)
    render_certificate(truth).save(sub / "certificate.png")
    license_doc.save(sub / "license")

    db = connect(tmp_path / "data" / "docintake.db")  # migrations write the registry's titles and keys
    settings = Settings(data_dir=tmp_path / "data", workers=1, progress=False, settle=0, as_of=AS_OF)
    _seed_ocr(db, sub, monkeypatch)
    out = list(ingest(inbox, db, settings))
    assert len(out) == 1, out

    # Classification, packet recognition, extraction.
    (sid, packet, status), = db.execute("SELECT id, packet, status FROM submissions").fetchall()
    assert packet == PACKET
    types = sorted(t for (t,) in db.execute("SELECT type FROM documents WHERE submission_id = ?", [sid]))
    assert types == sorted([TYPE, "business_license"])
    got = dict(db.execute("SELECT f.key, f.value FROM fields f JOIN documents d ON d.id = f.document_id "
                          "WHERE d.type = ?", [TYPE]).fetchall())
    for key in ("certificate_number", "name", "uscc", "contact_phone", "valid_to"):
        assert got.get(key) == truth[key], (key, got)

    # Validation: the expired certificate, in Chinese, citing the schema's source; the packet's
    # own rules (names and codes agree) find nothing.
    rows = db.execute("SELECT rule, severity, message, source FROM findings WHERE submission_id = ?", [sid]).fetchall()
    expired = [r for r in rows if r[0] == "license.expired"]
    assert expired and expired[0][2].startswith("资质认定证书已过有效期（2026-06-30"), rows
    assert expired[0][3] == SOURCE
    assert not [r for r in rows if r[0].startswith("consistency.")], rows
    assert status in ("rejected", "needs_review")

    # Review: the queue (service and the SQL view) and the page show the registry's titles and labels.
    from review.queue import list_queue

    queue = list_queue(db, status="all")
    assert [r["packet_zh"] for r in queue["rows"]] == [PACKET_ZH]
    assert db.execute("SELECT 材料类型 FROM review_queue").fetchall() == [(PACKET_ZH,)]
    page = service.submission(db, sid)
    assert page["submission"]["packet_zh"] == PACKET_ZH
    cert = next(d for d in page["documents"] if d["type"] == TYPE)
    assert cert["title"] == TYPE_ZH and cert["threshold"] == 0.8
    labels = [f["label"] for f in cert["field_list"]][:6]
    assert labels == ["证书编号", "机构名称", "统一社会信用代码", "机构地址", "联系电话", "有效期至"]
    shown = {f["key"]: f for f in service.submission(db, sid, masked=True)["documents"][
        [d["type"] for d in page["documents"]].index(TYPE)]["field_list"]}
    assert shown["contact_phone"]["personal"] and "****" in shown["contact_phone"]["value"]
    assert "13937456821" not in shown["contact_phone"]["value"]
    assert shown["certificate_number"]["value"] == truth["certificate_number"]

    # Approve over the error (a reviewer's reasoned override), then export and push.
    version = db.execute("SELECT version FROM submissions WHERE id = ?", [sid]).fetchone()[0]
    overrides = {str(fid): "已提交新证书，经电话核实" for fid, _, _ in decisions.open_errors(db, sid)}
    decisions.decide(db, sid, version, "approve", "同意入驻", "审核员甲", overrides)

    from openpyxl import load_workbook

    buf = io.BytesIO()
    assert export(db, buf, fmt="xlsx") == 1
    ws = load_workbook(io.BytesIO(buf.getvalue()), read_only=True).active
    keys, labels, values = [list(r) for r in ws.iter_rows(min_row=1, max_row=3, values_only=True)]
    zh, record = dict(zip(keys, labels)), dict(zip(keys, values))
    col = f"{TYPE}.certificate_number"
    assert zh[col] == "证书编号" and zh[f"{TYPE}.valid_to"] == "有效期至"  # the schema's labels
    assert record[col] == truth["certificate_number"] and record["packet"] == PACKET
    # business_license (x-display order 1) comes before the new type (order 20)
    assert keys.index("business_license.name") < keys.index(col)

    with Receiver() as receiver:
        push = PushSettings(url=receiver.url, secret="k", backoff=0.05, max_backoff=0.2, timeout=5)
        enqueue(db, push)
        push_once(db, push)
    (body,) = [json.loads(r["body"]) for r in receiver.requests]
    assert body["record"]["packet"] == PACKET and body["record"][col] == truth["certificate_number"]
    # The pull interface (Datasette's verified_records, open to viewers) masks the x-personal field.
    (fields,) = db.execute("SELECT fields FROM verified_records WHERE submission_id = ?", [sid]).fetchone()
    pulled = json.loads(fields)
    assert pulled[col] == truth["certificate_number"]
    assert pulled[f"{TYPE}.contact_phone"] != truth["contact_phone"] and "****" in pulled[f"{TYPE}.contact_phone"]


def test_no_product_file_names_the_new_type_or_packet():
    names = (TYPE, PACKET, TYPE_ZH, PACKET_ZH)
    offenders = []
    for pkg in ("intake", "extractors", "review", "schemas"):
        for path in (ROOT / pkg).rglob("*"):
            if path.is_file() and path.suffix in (".py", ".json", ".sql", ".html", ".js", ".md", ".toml"):
                text = path.read_text(encoding="utf-8", errors="replace")
                offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n in text]
    assert offenders == []
