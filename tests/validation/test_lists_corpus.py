"""The corpus's voucher defects that need the bureau's state (lists, budget, packet setting),
decided from their truth fields with that state set up as bench/decisions.py does it; and each
differs from its valid twin only where intended."""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

from intake.model import Document, FieldValue
from intake.validation import decide

packets = pytest.importorskip("tests.corpus.packets")

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.decisions import memory_history, packets_dir_for  # noqa: E402

SEEDS = (0, 1, 2, 3)


pytestmark = pytest.mark.usefixtures("no_rendering")  # truth fields, no pages drawn (conftest.py)


@pytest.mark.parametrize("defect", list(packets.STATE_DEFECTS))
@pytest.mark.parametrize("seed", SEEDS)
def test_state_defect_decided_exactly(defect, seed, tmp_path):
    series = packets.generate_packet_series(packets.VOUCHER, seed, defect)
    state = series[-1].truth["state"]
    history = memory_history(state)
    pdir = packets_dir_for(state, tmp_path)
    for i, p in enumerate(series, 1):
        docs = [Document(g.truth["type"], [1], 1.0, {k: FieldValue(v, 1.0) for k, v in g.truth["fields"].items()})
                for g in p.documents]
        d = decide(docs, date.fromisoformat(p.truth["as_of"]), history, [""] * len(docs), submission_id=i,
                   packets_dir=pdir)
        history.record(i, d, docs, name=p.name)
    truth = series[-1].truth
    got = (d.status, sorted({f.rule for f in d.findings}), d.voucher_amount)
    assert got == (truth["status"], truth["rules"], truth["voucher_amount"]), [f.message for f in d.findings]
    # without its state the same packet is valid: the rule is silent until the bureau sets it up
    if defect not in ("service_result.mismatch", "voucher.budget_exhausted"):
        assert decide(docs, date.fromisoformat(truth["as_of"]), submission_id=9).status == "ready"


@pytest.mark.parametrize("defect", ["service_result.mismatch", "voucher.provincial_subsidy"])
def test_state_defect_differs_from_twin_only_where_intended(defect):
    twin = packets.generate_packet(packets.VOUCHER, 7)
    bad = packets.generate_packet(packets.VOUCHER, 7, defect)
    a = {g.type: g.truth["fields"] for g in twin.documents}
    b = {g.type: g.truth["fields"] for g in bad.documents}
    changed = {t: sorted(k for k in b[t] if a.get(t, {}).get(k) != b[t][k]) for t in b if t in a}
    assert not any(changed.values())  # the contract, invoice and receipt are the twin's
    if defect == "service_result.mismatch":
        result = b["service_result"]
        assert set(bad.truth["defect_fields"]["service_result"]) & {"client_name", "issued_on"}
        assert result["provider_name"] == b["service_contract"]["provider_name"]
    else:
        assert bad.truth["state"]["lists"]["provincial_subsidy"][-1]["uscc"] == bad.truth["client_uscc"]
