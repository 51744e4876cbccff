"""The packet files, their meta-schema, and the rule registry against contract section 4."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from intake.errors import SchemaError
from intake.validation import RULES, load_packets
from intake.validation.kinds import KINDS
from intake.validation.packets import PACKET_DIR, parse_packet, rule_kind

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "spec" / "contract.md"


def test_every_contract_rule_id_is_known():
    if not CONTRACT.exists():
        pytest.skip("shared/spec/contract.md not found")
    section = CONTRACT.read_text("utf-8").split("## 4. Rule ids", 1)[1]
    ids = set(re.findall(r"^\| `([a-z_.]+)` \|", section, re.M))
    assert ids and ids <= set(RULES)


def test_packets_load_and_use_known_kinds_and_rules():
    packets = load_packets()
    assert set(packets) == {"membership_application", "voucher_redemption"}
    for spec in packets.values():
        for entry in spec.rules:
            assert entry["rule"] in RULES and rule_kind(entry) in KINDS and entry["source"]


def _membership():
    return json.loads((PACKET_DIR / "membership_application.json").read_text("utf-8"))


@pytest.mark.parametrize("break_it, words", [
    (lambda d: d["rules"].append({"rule": "no.such_rule", "equal": [["license", "name"]], "source": "x"}), "no.such_rule"),
    (lambda d: d["rules"].append({"rule": "consistency.name", "equal": [["nowhere", "name"]], "source": "x"}), "nowhere"),
    (lambda d: d["rules"].append({"rule": "consistency.name", "equal": [["license"]], "source": "x"}), "rules/"),
    (lambda d: d.pop("documents"), "documents"),
    (lambda d: d["rules"].append({"rule": "consistency.name", "source": "x", "message": "m"}), "exactly one kind"),
])
def test_invalid_packet_definitions_are_refused(break_it, words):
    data = copy.deepcopy(_membership())
    break_it(data)
    with pytest.raises(SchemaError) as exc:
        parse_packet(data, "test.json")
    assert words in str(exc.value)


def test_a_new_rule_of_an_existing_kind_is_only_data(tmp_path):
    data = _membership()
    data["rules"].append({"rule": "consistency.name", "source": "guide 三(二)", "normalize": "person",
                          "equal": [["license", "legal_representative"], ["application_form", "legal_representative"]],
                          "message": "法定代表人不一致：{values}"})
    (tmp_path / "membership_application.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    (tmp_path / "_packet.schema.json").write_text((PACKET_DIR / "_packet.schema.json").read_text("utf-8"), "utf-8")
    from intake.validation import decide

    from .helpers import AS_OF, application_, membership
    docs = membership(application_form=application_(legal_representative="赵六"))
    d = decide(docs, AS_OF, packets_dir=str(tmp_path))
    assert [f.message for f in d.findings] == ["法定代表人不一致：营业执照法定代表人“王建国”；会员申请表法人代表“赵六”"]
    assert decide(docs, AS_OF).findings == []
