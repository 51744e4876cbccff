"""Lists as the bureau keeps them (an XLSX with a title row and Chinese headers), imported as
versions; a decision records the version it read, and keeps recording it after a newer import.
Real SQLite, the real CLI (subprocess), the real decision and store."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest

from intake import store
from intake.db import connect
from intake.errors import InputError
from intake.validation import SqliteHistory, decide
from intake.validation.lists import not_checked, parse_list_csv, read_list_file

from .helpers import AS_OF, CLIENT, CLIENT_USCC, PROVIDER, PROVIDER_USCC, uscc, voucher

OTHER = uscc("411002", "MA9K2B3C")


def docintake(*args):
    """The real `docintake` command group, in-process (a subprocess per call costs seconds)."""
    from click.testing import CliRunner

    from intake.cli import cli

    r = CliRunner().invoke(cli, [str(a) for a in args], env={"DOCINTAKE_USER": "王科长"}, catch_exceptions=True)
    return SimpleNamespace(returncode=r.exit_code, stdout=r.output, stderr=str(r.exception or ""))


def xlsx(path: Path, rows: list[list], title: str | None = "2026年许昌市共享服务平台会员名单") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "会员名单"
    if title:
        ws.append([title])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _decide_and_store(db, sid: int):
    d = decide(voucher(), AS_OF, history=SqliteHistory(db), submission_id=sid)
    store.save_decision(db, sid, d)
    db.conn.commit()
    return d


def _submission(db, name: str) -> int:
    cur = db.conn.execute("INSERT INTO submissions (name, received_at, as_of) VALUES (?, '2026-06-15T09:00:00', ?)",
                          (name, AS_OF.isoformat()))
    db.conn.commit()
    return cur.lastrowid


def _used(db, sid):
    return json.loads(db.execute("SELECT lists_used FROM submissions WHERE id = ?", [sid]).fetchone()[0])


def test_old_decision_keeps_the_list_version_it_was_decided_with(tmp_path):
    path = tmp_path / "d.db"
    # the provider is missing from the first list (a member registered only later)
    v1 = xlsx(tmp_path / "会员名单-6月.xlsx", [["序号", "单位名称", "统一社会信用代码", "入库年度"],
                                             [1, "许昌某某检测有限公司", OTHER, 2025]])
    r = docintake("lists", "import", "platform_members", v1, "--db", path)
    assert r.returncode == 0 and "版本 1" in r.stdout, r.stderr
    db = connect(path)
    first = _submission(db, "first")
    d1 = _decide_and_store(db, first)
    assert [f.rule for f in d1.findings] == ["voucher.provider_not_member"]

    # the bureau's next list, columns in the other order and without a title row
    v2 = xlsx(tmp_path / "会员名单-7月.xlsx", [["统一社会信用代码", "企业名称"], [PROVIDER_USCC, PROVIDER],
                                             [OTHER, "许昌某某检测有限公司"]], title=None)
    r = docintake("lists", "import", "platform_members", v2, "--db", path)
    assert r.returncode == 0 and "版本 2" in r.stdout, r.stderr
    second = _submission(db, "second")
    d2 = _decide_and_store(db, second)
    assert d2.findings == [] and d2.status == "ready"

    old, new = _used(db, first), _used(db, second)
    assert old["lists"]["platform_members"]["version"] == 1
    assert old["lists"]["platform_members"]["source"] == "会员名单-6月.xlsx"
    assert old["lists"]["platform_members"]["imported_by"] == "王科长"
    assert new["lists"]["platform_members"]["version"] == 2 and new["lists"]["platform_members"]["rows"] == 2
    # what was not imported is named, so the reviewer knows which checks were not made
    assert old["lists"]["provincial_subsidy"] is None and old["budget"] is None
    assert any("已享受省级奖补用户名单未导入" in s for s in not_checked(old))
    assert not any("会员" in s for s in not_checked(old))

    shown = docintake("lists", "show", "--db", path).stdout.splitlines()
    assert shown[0].startswith("* 2\tplatform_members") and shown[1].startswith("  1\tplatform_members")
    db.conn.close()


def test_budget_changes_are_kept_with_who_and_the_previous_amount(tmp_path):
    path = tmp_path / "d.db"
    assert docintake("budget", "set", "2026", "5000000", "--db", path).returncode == 0
    assert docintake("budget", "set", "2026", "4,500,000.00", "--db", path, "--by", "李处长").returncode == 0
    lines = docintake("budget", "history", "2026", "--db", path).stdout.splitlines()
    assert lines[0].split("\t")[:3] == ["2026", "4500000.00", "(原 5000000.00)"] and lines[0].endswith("李处长")
    assert lines[1].endswith("王科长")
    db = connect(path)
    sid = _submission(db, "s")
    _decide_and_store(db, sid)
    assert _used(db, sid)["budget"]["amount"] == "4500000.00"
    db.conn.close()


def test_leading_enterprise_list_sets_the_higher_cap(tmp_path):
    path = tmp_path / "d.db"
    f = xlsx(tmp_path / "龙头.xlsx", [["企业名称", "统一社会信用代码", "类别"], [CLIENT, CLIENT_USCC, "瞪羚企业"]], None)
    assert docintake("lists", "import", "leading_enterprise", f, "--db", path).returncode == 0
    db = connect(path)
    d = decide(voucher(), AS_OF, history=SqliteHistory(db), submission_id=1)
    assert d.voucher["cap"] == "100000.00" and d.voucher["category"] == "瞪羚企业"
    db.conn.close()


def test_user_lists_are_one_check_over_the_imported_ones(tmp_path):
    path = tmp_path / "d.db"
    tech = tmp_path / "高新.csv"
    tech.write_text(f"企业名称,统一社会信用代码,认定年度\n别的公司,{OTHER},2026年\n", encoding="gb18030")
    assert docintake("lists", "import", "高新技术企业", tech, "--db", path).returncode == 0
    db = connect(path)
    d = decide(voucher(), AS_OF, history=SqliteHistory(db), submission_id=1)
    [f] = [f for f in d.findings if f.rule == "voucher.user_category"]
    assert f.severity == "warning"
    db.conn.close()
    sme = tmp_path / "科小.csv"
    sme.write_text(f"统一社会信用代码,企业名称\n{CLIENT_USCC},{CLIENT}\n", encoding="utf-8-sig")
    assert docintake("lists", "import", "tech_sme", sme, "--db", path).returncode == 0
    db = connect(path)
    assert decide(voucher(), AS_OF, history=SqliteHistory(db), submission_id=1).findings == []
    db.conn.close()


def test_unreadable_list_files_are_refused_with_a_reason(tmp_path):
    bad = tmp_path / "x.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputError, match="Excel"):
        read_list_file(bad)
    noheader = xlsx(tmp_path / "n.xlsx", [["a", "b"], [1, 2]], None)
    with pytest.raises(InputError, match="表头"):
        read_list_file(noheader)
    with pytest.raises(InputError, match="第 3 行"):
        parse_list_csv(f"单位名称,统一社会信用代码\n甲,{PROVIDER_USCC}\n乙,91411002MA3X4K5L2A\n")


def test_service_result_absence_is_a_deployment_setting_off_by_default(tmp_path):
    import shutil

    from intake.validation.packets import PACKET_DIR

    assert decide(voucher(), AS_OF).status == "ready"  # today's packets stay valid
    on = tmp_path / "packets"
    shutil.copytree(PACKET_DIR, on)
    spec = json.loads((on / "voucher_redemption.json").read_text("utf-8"))
    spec["settings"]["require_service_result"]["value"] = True
    (on / "voucher_redemption.json").write_text(json.dumps(spec, ensure_ascii=False), "utf-8")
    d = decide(voucher(), AS_OF, packets_dir=str(on))
    [f] = [f for f in d.findings if f.rule == "packet.missing_document"]
    assert d.status == "rejected" and "服务结果" in f.message and f.documents == ["service_result"]
