"""`docintake lists import` and `docintake budget set`, run as staff would (subprocess, real SQLite),
and the decision reading what they stored."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from intake.db import connect
from intake.validation import SqliteHistory, decide

from .helpers import AS_OF, CLIENT_USCC, PROVIDER, PROVIDER_USCC, voucher

ROOT = Path(__file__).resolve().parents[2]


def docintake(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", "from intake.cli import main; main()", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120)


def _rules(db_path):
    db = connect(db_path)
    try:
        return decide(voucher(), AS_OF, history=SqliteHistory(db), submission_id=1)
    finally:
        db.conn.close()


def test_imported_lists_and_budget_apply_and_a_bad_file_changes_nothing(tmp_path):
    db = tmp_path / "d.db"
    assert _rules(db).findings == []  # nothing imported: the rules are silent

    members = tmp_path / "members.csv"
    members.write_text("uscc,name,year\n" + f"{CLIENT_USCC},别的管理单位,2025\n", encoding="utf-8-sig")
    r = docintake("lists", "import", "platform_members", members, "--db", db)
    assert r.returncode == 0 and "1 条" in r.stdout, r.stderr
    d = _rules(db)
    assert [f.rule for f in d.findings] == ["voucher.provider_not_member"] and d.status == "rejected"

    bad = tmp_path / "bad.csv"
    bad.write_text(f"uscc,name,year\n{PROVIDER_USCC},{PROVIDER},2025\n{PROVIDER_USCC},x,20x5\n", encoding="utf-8")
    r = docintake("lists", "import", "platform_members", bad, "--db", db)
    assert r.returncode == 3 and "第 3 行" in r.stderr
    assert [f.rule for f in _rules(db).findings] == ["voucher.provider_not_member"]  # old list kept

    members.write_text(f"uscc,name,year\n{PROVIDER_USCC},{PROVIDER},\n", encoding="utf-8")
    assert docintake("lists", "import", "platform_members", members, "--db", db).returncode == 0
    assert _rules(db).findings == []

    r = docintake("budget", "set", "2026", "1,000.00", "--db", db)
    assert r.returncode == 0 and "1000.00" in r.stdout, r.stderr
    d = _rules(db)
    assert [(f.rule, f.severity) for f in d.findings] == [("voucher.budget_exhausted", "warning")]
    assert d.voucher_amount == "1000.00"


def test_misused_commands_say_why(tmp_path):
    r = docintake("budget", "set", "26", "abc", "--db", tmp_path / "d.db")
    assert r.returncode == 2 and "年份" in r.stderr
    r = docintake("lists", "import", "members", tmp_path / "none.csv", "--db", tmp_path / "d.db")
    assert r.returncode == 2
