"""Per-type and per-packet facts come from the schema files (issue 12): what a maintainer
changes in a JSON file changes the product, with no Python table behind it."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from intake.model import Seal
from intake.validation import MemoryHistory, decide, validate_document
from schemas.registry import builtin_dir, clear_cache

from .helpers import AS_OF, ORG, commitment_, doc, id_card_, rules_of


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A DOCINTAKE_SCHEMA_DIRS folder; write(name, schema) puts a file in it."""
    (tmp_path / "packets").mkdir()
    monkeypatch.setenv("DOCINTAKE_SCHEMA_DIRS", str(tmp_path))
    clear_cache()

    def write(name: str, data: dict, packet: bool = False) -> None:
        folder = tmp_path / "packets" if packet else tmp_path
        (folder / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        clear_cache()

    yield write
    monkeypatch.delenv("DOCINTAKE_SCHEMA_DIRS")
    clear_cache()


def _builtin(name: str) -> dict:
    return json.loads((builtin_dir() / f"{name}.json").read_text("utf-8"))


def test_x_personal_false_overrides_and_x_mask_sets_the_visible_part(site):
    from review.schema_info import is_personal
    from schemas.registry import personal_fields

    assert is_personal("id_card", "id_number") and ("id_card", "address", 6, 0) in personal_fields()
    s = _builtin("id_card")
    s["properties"]["id_number"]["x-personal"] = False
    s["properties"]["address"]["x-mask"] = {"keep_head": 2, "keep_tail": 1}
    site("id_card", s)  # a site's copy replaces the built-in file of the same name
    assert not is_personal("id_card", "id_number")
    assert ("id_card", "address", 2, 1) in personal_fields()
    assert ("id_card", "id_number") not in {(t, k) for t, k, _, _ in personal_fields()}


def test_labels_titles_and_sources_of_messages_are_the_schemas(site):
    s = _builtin("commitment_letter")
    s["x-title-zh"] = "用户承诺书"
    s["x-source"] = "某条款"
    s["properties"]["organization_name"]["x-label-zh"] = "承诺单位"
    site("commitment_letter", s)
    (f,) = [f for f in validate_document(doc("commitment_letter", signed_on="2026-06-01", seal_present=True,
                                             signature_present=True), AS_OF) if f.rule == "schema.required"]
    assert f.message == "用户承诺书缺少“承诺单位”" and f.source == "某条款"


def test_x_expired_message(site):
    s = _builtin("id_card")
    s["x-expired-message"] = "经办人身份证件已过期"
    site("id_card", s)
    (f,) = [f for f in validate_document(id_card_(valid_to="2026-01-01"), AS_OF) if f.rule == "id.expired"]
    assert f.message.startswith("经办人身份证件已过期（2026-01-01")


def test_x_seal_name_decides_which_names_a_seal_must_carry(site):
    seal = Seal(page=1, bbox=(10, 10, 60, 60), shape="round", color="red", text="许昌另一家贸易有限公司公章")
    letter = commitment_(seals=[seal])
    assert "seal.name_mismatch" in rules_of(validate_document(letter, AS_OF))
    s = _builtin("commitment_letter")
    del s["x-seal-name"]  # this site's letters carry the head office's seal: not compared
    site("commitment_letter", s)
    assert "seal.name_mismatch" not in rules_of(validate_document(letter, AS_OF))
    assert ORG in str(letter.fields["organization_name"].value)


def test_duplicate_contract_reads_the_documents_and_fields_its_parameters_name(site):
    """A packet whose "contract" is an invoice, numbered by invoice_number: the history is asked
    for that type and field (no Python names service_contract.contract_number)."""
    packet = {
        "packet": "site_claim", "title": "发票报销", "source": "site",
        "documents": [{"role": "bill", "types": ["invoice"], "label": "发票"},
                      {"role": "letter", "types": ["commitment_letter"], "label": "承诺书"}],
        "applicant": {"name": [["bill", "buyer_name"]], "uscc": [["bill", "buyer_tax_id"]]},
        "rules": [{"rule": "voucher.duplicate_contract", "source": "site",
                   "duplicate_contract": {"contract_number": [["bill", "invoice_number"]],
                                          "client": {"name": [["bill", "buyer_name"]]},
                                          "provider": {"name": [["bill", "seller_name"]]}},
                   "message": "发票 {contract_number} 已报销过（{other}）"}],
    }
    site("site_claim", packet, packet=True)
    bill = [doc("invoice", invoice_number="04417283", buyer_name=ORG, seller_name="许昌恒通检测技术有限公司"),
            commitment_()]
    history = MemoryHistory()
    first = decide(bill, AS_OF, history)
    assert first.packet == "site_claim" and first.voucher_amount is None  # no voucher_cap: no amount
    history.record(1, replace(first, status="verified"), bill, name="第一次")  # approved by a reviewer
    again = decide(bill, AS_OF, history)
    assert [f.message for f in again.findings if f.rule == "voucher.duplicate_contract"] == ["发票 04417283 已报销过（第一次）"]
    other_seller = [doc("invoice", invoice_number="04417283", buyer_name=ORG, seller_name="许昌别的公司"),
                    commitment_()]
    assert "voucher.duplicate_contract" not in rules_of(decide(other_seller, AS_OF, history).findings)


def test_the_review_queue_view_titles_packets_from_the_registry(site, tmp_path):
    from intake.db import connect
    from intake.migrations.m0010_registry_titles import sync_registry

    site("site_claim", {"packet": "site_claim", "title": "发票报销（全称）", "short_title": "发票报销", "source": "s",
                        "documents": [{"role": "bill", "types": ["invoice"], "label": "发票"}], "rules": []},
         packet=True)
    db = connect(tmp_path / "q.db")
    for name, packet in (("a", "site_claim"), ("b", "voucher_redemption"), ("c", "unknown"), ("d", "gone")):
        db.conn.execute("INSERT INTO submissions (name, source_path, received_at, packet, status, updated_at) "
                        "VALUES (?, ?, '2026-11-01', ?, 'needs_review', '2026-11-01')", (name, f"/in/{name}", packet))
    got = dict(db.execute("SELECT packet, 材料类型 FROM review_queue").fetchall())
    assert got == {"site_claim": "发票报销", "voucher_redemption": "创新券兑付", "unknown": "未识别", "gone": "未识别"}
    with db.conn:
        db.conn.execute("UPDATE packet_titles SET title = 'x'")
        sync_registry(db.conn)  # the review UI's start writes the registry's titles again
    assert dict(db.execute("SELECT packet, 材料类型 FROM review_queue").fetchall())["site_claim"] == "发票报销"


def test_higher_layers_add_their_checks_to_the_registry(tmp_path):
    """Extraction (strategy and normalizer names) and OCR (engine names) check schema files through
    `schemas.registry.add_checker`: the registry itself imports neither."""
    import extractors.registry  # noqa: F401
    import intake.ocr.base  # noqa: F401
    from schemas.registry import check_file

    s = _builtin("invoice")
    s["x-ocr-engine"] = "nosuch"
    s["properties"]["amount"]["x-extract"] = {"strategy": "lable", "labels": ["金额"]}
    path = tmp_path / "invoice.json"
    path.write_text(json.dumps(s, ensure_ascii=False), "utf-8")
    where = {p.path for p in check_file(path)}
    assert {"/x-ocr-engine", "/properties/amount/x-extract/strategy"} <= where
