"""Schema files: all valid against the meta-schema; a broken one fails loudly with file and path."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractors.cli import schemas as schemas_cli
from extractors.registry import builtin_dir, check_schemas, clear_cache, load_registry, schema_files
from intake.errors import ExitCode, SchemaError

CONTRACT_TYPES = ("business_license", "commitment_letter", "id_card", "authorization_letter", "service_contract",
                  "invoice", "bank_receipt", "application_form")


def test_every_schema_is_valid():
    assert check_schemas() == []
    reg = load_registry()
    assert set(CONTRACT_TYPES) <= set(reg.types)
    assert "public_institution_certificate" in reg.types


def test_contract_fields_and_keywords():
    reg = load_registry()
    bl = reg.get("business_license")
    assert [f.key for f in bl.fields][:3] == ["name", "uscc", "company_type"]
    assert bl.field("uscc").format == "uscc" and bl.title_zh == "营业执照"
    assert bl.schema["x-jurisdiction"] == {"uscc": "uscc", "address": "address"}
    assert bl.schema["x-not-expired"] == {"field": "term_end", "rule": "license.expired"}
    assert reg.get("id_card").schema["x-not-expired"] == {"field": "valid_to", "rule": "id.expired"}
    assert reg.get("commitment_letter").schema["x-seal"] == ["seal_present"]
    assert reg.get("commitment_letter").schema["x-signature"] == ["signature_present"]
    assert reg.get("service_contract").schema["x-seal"] == ["client_seal_present", "provider_seal_present"]
    assert reg.get("service_contract").schema["x-jurisdiction"] == {"uscc": "client_uscc", "name": "client_name"}
    assert reg.get("application_form").schema["x-jurisdiction"] == {"address": "address"}
    assert reg.get("id_card").field("id_number").personal
    for t in reg:
        assert 0 < t.confidence_threshold <= 1
        for f in t.fields:
            assert f.extract, (t.name, f.key)


def test_contract_keys_match_the_contract():
    contract = (Path(__file__).resolve().parents[3] / "shared" / "spec" / "contract.md")
    if not contract.exists():
        pytest.skip("contract not available")
    text = contract.read_text(encoding="utf-8")
    reg = load_registry()
    for t in CONTRACT_TYPES:
        section = text.split(f"### {t}", 1)[1].split("###", 1)[0].split("\n## ", 1)[0]
        keys = [ln.split("|")[1].strip() for ln in section.splitlines() if ln.startswith("| ") and not ln.startswith("| key")]
        assert [f.key for f in reg.get(t).fields] == keys, t


@pytest.fixture
def broken_dir(tmp_path, monkeypatch):
    s = json.loads((builtin_dir() / "id_card.json").read_text(encoding="utf-8"))
    s["properties"]["name"]["x-extract"]["strategy"] = "lable"
    s["properties"]["sex"]["x-lable-zh"] = "性别"
    s["x-classify"]["min_score"] = "five"
    (tmp_path / "id_card_v2.json").write_text(json.dumps(s, ensure_ascii=False), encoding="utf-8")
    clear_cache()
    yield tmp_path
    clear_cache()


def test_broken_schema_names_file_and_path(broken_dir):
    problems = check_schemas([broken_dir])
    where = {(Path(p.file).name, p.path) for p in problems}
    assert ("id_card_v2.json", "/properties/name/x-extract/strategy") in where
    assert ("id_card_v2.json", "/properties/sex/x-lable-zh") in where
    assert ("id_card_v2.json", "/x-classify/min_score") in where


def test_broken_schema_stops_loading(broken_dir, monkeypatch):
    monkeypatch.setenv("DOCINTAKE_SCHEMA_DIRS", str(broken_dir))
    with pytest.raises(SchemaError) as exc:
        load_registry()
    assert "id_card_v2.json" in exc.value.message and "/" in exc.value.message


def test_invalid_json_is_reported(tmp_path):
    (tmp_path / "x.json").write_text('{"a": ', encoding="utf-8")
    (p,) = check_schemas([tmp_path])
    assert p.file.endswith("x.json") and "invalid JSON" in p.message


def test_extra_dir_adds_a_type(tmp_path):
    s = json.loads((builtin_dir() / "bank_receipt.json").read_text(encoding="utf-8"))
    s["$id"] = "https://example.org/schemas/deposit_slip.json"
    s["x-title-zh"] = "进账单"
    (tmp_path / "deposit_slip.json").write_text(json.dumps(s, ensure_ascii=False), encoding="utf-8")
    clear_cache()
    try:
        reg = load_registry(extra_dirs=[tmp_path])
        assert reg.get("deposit_slip").title_zh == "进账单"
        assert load_registry(extra_dirs=[tmp_path]) is reg  # cached
    finally:
        clear_cache()


def test_cli_check_and_list(broken_dir):
    runner = CliRunner()
    ok = runner.invoke(schemas_cli, ["check"])
    assert ok.exit_code == 0 and f"全部 {len(schema_files())} 个模式有效" in ok.output
    bad = runner.invoke(schemas_cli, ["check", str(broken_dir)])
    assert bad.exit_code == ExitCode.SCHEMA
    assert "id_card_v2.json: /properties/name/x-extract/strategy: unknown strategy 'lable'" in bad.output
    listing = runner.invoke(schemas_cli, ["list", "--fields"])
    assert listing.exit_code == 0 and "business_license" in listing.output and "uscc" in listing.output
