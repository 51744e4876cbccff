"""Notices to applicants: queued with the decision, sent to a real SMTP server (aiosmtpd on
127.0.0.1) and read back; retries, permanent refusals, no address, never twice for one decision."""
from __future__ import annotations

import json
from datetime import date

import pypdfium2
import pytest
from click.testing import CliRunner

from intake.db import transaction
from intake.model import Document, FieldValue
from intake.notices import mail, outbox
from intake.store import save_decision, save_documents
from intake.validation import decide as validate
from review import decisions, returned

from . import notices_smtp

USCC = "91411000MA47M7QPXU"
EMAIL = "liming@hengda.example.cn"


def membership(db, name="2026-11-20 许昌恒达科技", email=EMAIL, received="2026-11-20T01:30:00.000+00:00") -> int:
    """A membership application with an application form (its e-mail) and a licence; validation
    finds the missing documents, as it would for a real incomplete packet."""
    with transaction(db):
        sid = db.conn.execute(
            "INSERT INTO submissions (name, received_at, as_of, packet, status) VALUES (?,?,?,?,?)",
            (name, received, "2026-11-20", "membership_application", "processing")).lastrowid
        fid = db.conn.execute("INSERT INTO files (submission_id, name, status, received_at) VALUES (?,?,?,?)",
                              (sid, "申请表.pdf", "processed", received)).lastrowid
        form = Document("application_form", [1], 0.95, {
            "unit_name": FieldValue("许昌恒达科技有限公司", 0.95),
            "contact_person": FieldValue("李明", 0.95)})
        if email:
            form.fields["email"] = FieldValue(email, 0.95)
        lic = Document("business_license", [2], 0.95, {
            "name": FieldValue("许昌恒达科技有限公司", 0.96), "uscc": FieldValue(USCC, 0.95),
            "term_end": FieldValue("长期", 0.9)})
        save_documents(db, sid, fid, [form, lic])
        save_decision(db, sid, validate([form, lic], date(2026, 11, 20)))
        db.conn.execute("UPDATE submissions SET uscc = ?, organization = ? WHERE id = ?",
                        (USCC, "许昌恒达科技有限公司", sid))
    return sid


def version(db, sid):
    return db.execute("SELECT version FROM submissions WHERE id = ?", [sid]).fetchone()[0]


def overrides(db, sid):
    return {str(fid): "经核实材料已线下补齐" for fid, _, _ in decisions.open_errors(db, sid)}


@pytest.fixture
def smtp():
    started = []

    def make(fail_first=0, refuse=None, tls_dir=None):
        box = notices_smtp.Mailbox(fail_first, refuse)
        controller, port, cert = notices_smtp.start(box, tls_dir)
        started.append(controller)
        settings = mail.SmtpSettings.from_env(notices_smtp.env(port, "starttls" if tls_dir else "none", cert))
        return box, settings

    yield make
    for c in started:
        c.stop()


def pdf_text(data: bytes) -> str:
    doc = pypdfium2.PdfDocument(data)
    return "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def test_return_sends_one_mail_with_reasons_articles_and_pdf(db, smtp):
    box, settings = smtp()
    sid = membership(db)
    returned.return_submission(db, sid, version(db, sid), ["missing", "seal"], {"missing": "缺少机构用户使用承诺书"},
                               "请一周内补正", "shen")
    assert outbox.deliver_due(db, settings).sent == 1
    assert outbox.deliver_due(db, settings).sent == 0  # nothing left: never twice
    assert len(box.messages) == 1
    msg = box.messages[0]
    assert msg["To"] == EMAIL and "退回补正通知书" in msg["Subject"]
    body = box.bodies()[0]
    assert "缺少材料：缺少机构用户使用承诺书" in body and "印章不清" in body and "请一周内补正" in body
    # the machine's findings carry the article they come from, in plain language
    assert "缺少必需材料" in body and "《许昌科技文献信息共享平台使用申请流程指南》三(二) ②" in body
    assert "许昌市科学技术情报研究所" in body  # where to send the supplement
    text = pdf_text(box.pdfs()[0])
    assert "退回补正通知书" in text and "缺少机构用户使用承诺书" in text
    rows = db.execute("SELECT status, attempts, recipient FROM notices").fetchall()
    assert rows == [("sent", 1, EMAIL)]
    actions = [a for (a,) in db.execute("SELECT action FROM audit WHERE action LIKE 'notice%' ORDER BY id")]
    assert actions == ["notice_sent"]


def test_temporary_failures_are_retried_with_the_same_message_id(db, smtp):
    box, settings = smtp(fail_first=2)
    sid = membership(db)
    decisions.decide(db, sid, version(db, sid), "reject", "材料不符合要求", "shen")
    for _ in range(3):
        db.conn.execute("UPDATE notices SET next_attempt_at = '2000-01-01T00:00:00.000+00:00'")  # due now
        outbox.deliver_due(db, settings, backoff=0.01)
    assert box.attempts == 3 and len(box.messages) == 1
    assert "审核未通过通知书" in box.messages[0]["Subject"]
    sendings = db.execute("SELECT attempt, ok FROM notice_sendings ORDER BY id").fetchall()
    assert sendings == [(1, 0), (2, 0), (3, 1)]
    assert [a for (a,) in db.execute("SELECT action FROM audit WHERE action LIKE 'notice_%' ORDER BY id")] == [
        "notice_retry", "notice_retry", "notice_sent"]
    assert db.execute("SELECT status FROM notices").fetchone()[0] == "sent"


def test_a_refused_address_fails_for_good_until_requeued(db, smtp):
    box, settings = smtp(refuse="550 5.1.1 mailbox unavailable")
    sid = membership(db)
    decisions.decide(db, sid, version(db, sid), "reject", "不符合条件", "shen")
    res = outbox.deliver_due(db, settings)
    assert (res.sent, res.failed) == (0, 1)
    status, error = db.execute("SELECT status, last_error FROM notices").fetchone()
    assert status == "failed" and "550" in error
    assert outbox.retry_failed(db) == 1
    assert db.execute("SELECT status FROM notices").fetchone()[0] == "pending"


def test_without_an_address_the_notice_waits_for_one(db, smtp):
    box, settings = smtp()
    sid = membership(db, email=None)
    returned.return_submission(db, sid, version(db, sid), ["unclear"], {}, "", "shen")
    assert db.execute("SELECT status FROM notices").fetchone()[0] == "no_address"
    assert outbox.deliver_due(db, settings).sent == 0
    outbox.set_contact(db, USCC, "office@hengda.example.cn", "admin")
    assert outbox.deliver_due(db, settings).sent == 1
    assert box.messages[0]["To"] == "office@hengda.example.cn"


def test_the_same_decision_again_sends_nothing(db, smtp):
    box, settings = smtp()
    sid = membership(db)
    v = decisions.decide(db, sid, version(db, sid), "approve", "同意", "shen", overrides(db, sid))
    with pytest.raises(decisions.ReviewError):  # a second click on 批准 is refused: already decided
        decisions.decide(db, sid, v, "approve", "同意", "shen", overrides(db, sid))
    v = decisions.reopen(db, sid, v, "误操作，重新确认", "li")
    decisions.decide(db, sid, v, "approve", "同意", "shen", overrides(db, sid))  # same decision, same words
    outbox.deliver_due(db, settings)
    outbox.deliver_due(db, settings)
    assert len(box.messages) == 1
    assert db.execute("SELECT COUNT(*) FROM decision_log").fetchone()[0] == 2
    assert db.execute("SELECT COUNT(*) FROM notices").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM audit WHERE action = 'notice_skipped'").fetchone()[0] == 1
    # one notice per (decision, kind), enforced by the database too
    with pytest.raises(Exception):
        db.conn.execute("INSERT INTO notices (decision_id, submission_id, kind, subject, content, digest, "
                        "next_attempt_at, created_at, message_id) SELECT decision_id, submission_id, kind, subject, "
                        "content, 'x', next_attempt_at, created_at, 'y' FROM notices")


def credentials_hook(content):
    return {"用户名": f"hengda{content['submission_id']}", "初始密码": "Xc-2026-init"}


def test_approval_carries_what_the_credentials_hook_returns(db, smtp, monkeypatch):
    box, settings = smtp()
    monkeypatch.setenv("DOCINTAKE_CREDENTIALS_HOOK", f"{__name__}:credentials_hook")
    sid = membership(db)
    decisions.decide(db, sid, version(db, sid), "approve", "", "shen", overrides(db, sid))
    outbox.deliver_due(db, settings)
    body = box.bodies()[0]
    assert "审核通过" in body and f"用户名：hengda{sid}" in body and "初始密码：Xc-2026-init" in body
    # the password goes out in the message but is never stored
    assert "Xc-2026-init" not in json.dumps(db.execute("SELECT * FROM notices").fetchall(), ensure_ascii=False)
    assert "含平台账号" in db.execute("SELECT comment FROM audit WHERE action = 'notice_sent'").fetchone()[0]


def test_approval_without_a_hook_says_credentials_will_follow(db, smtp, tmp_path):
    box, settings = smtp(tls_dir=tmp_path)  # STARTTLS against a server with a private CA
    sid = membership(db)
    decisions.decide(db, sid, version(db, sid), "approve", "", "shen", overrides(db, sid))
    assert outbox.deliver_due(db, settings).sent == 1
    assert "平台用户名和密码将另行通过电子邮件发送" in box.bodies()[0]


def test_cli_send_and_list(db, smtp, tmp_path, monkeypatch):
    from intake.cli import cli

    box, settings = smtp()
    sid = membership(db)
    returned.return_submission(db, sid, version(db, sid), ["inconsistent"], {}, "", "shen")
    db_path = tmp_path / "data" / "docintake.db"
    env = notices_smtp.env(settings.port)
    runner = CliRunner()
    r = runner.invoke(cli, ["notices", "list", "--db", str(db_path), "--json"], env=env)
    assert r.exit_code == 0 and json.loads(r.output.splitlines()[0])["status"] == "pending"
    r = runner.invoke(cli, ["notices", "send", "--db", str(db_path)], env=env)
    assert r.exit_code == 0, r.output
    assert len(box.messages) == 1 and "信息不一致" in box.bodies()[0]
    r = runner.invoke(cli, ["notices", "pdf", "--db", str(db_path), "1", str(tmp_path / "n.pdf")], env=env)
    assert r.exit_code == 0 and "退回补正通知书" in pdf_text((tmp_path / "n.pdf").read_bytes())
    r = runner.invoke(cli, ["notices", "send", "--db", str(db_path)], env={"DOCINTAKE_SMTP_HOST": ""})
    assert r.exit_code != 0 and "DOCINTAKE_SMTP_HOST" in (r.output + str(r.exception))


def test_two_senders_at_once_send_each_notice_once(db, smtp, tmp_path):
    import threading

    from intake.db import connect

    box, settings = smtp()
    for i in range(3):
        sid = membership(db, name=f"2026-11-2{i} 申请{i}", email=f"a{i}@hengda.example.cn")
        decisions.decide(db, sid, version(db, sid), "reject", "不符合条件", "shen")
    path = tmp_path / "data" / "docintake.db"
    start = threading.Barrier(2)
    results = []

    def sender():
        conn = connect(path, migrate=False)
        try:
            start.wait()
            results.append(outbox.deliver_due(conn, settings).sent)
        finally:
            conn.conn.close()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(results) == 3 and len(box.messages) == 3
    assert sorted(m["To"] for m in box.messages) == [f"a{i}@hengda.example.cn" for i in range(3)]
    assert db.execute("SELECT COUNT(*), SUM(ok) FROM notice_sendings").fetchone() == (3, 3)
