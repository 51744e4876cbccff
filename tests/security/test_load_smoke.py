"""The fast version of bench/load.py: 5 signed-in clients for 5 s against a real review server,
zero errors (no latency assertion: CI machines differ)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bench(name: str):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(ROOT / "bench"))


def test_five_clients_five_seconds_without_errors(tmp_path):
    scale = _bench("scale")
    load = _bench("load")
    db_path = tmp_path / "docintake.db"
    gen = scale.generate(db_path, 60, 10)
    port = scale.free_port()
    server = scale.start_server(db_path, port)
    try:
        result = load.run_load(f"http://127.0.0.1:{port}", gen["users"], list(range(1, 61)), clients=5, seconds=5)
    finally:
        scale.stop_server(server)
    assert result["errors"] == [] and result["hung"] == []
    assert result["latency"]["queue"]["n"] > 10 and result["latency"]["submission"]["n"] > 10
    log = db_path.with_suffix(".review.log").read_text(errors="replace")
    assert "Traceback" not in log and "database is locked" not in log
