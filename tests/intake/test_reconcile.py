"""Cross-document disagreements re-read before the decision (intake/reconcile.py).

The page OCR of the generated documents comes from the committed cache (tests/extractors/
fixtures/ocr, the same documents as the developed family goldens); the second readings of a
field's crop are real OCR of that crop (small, a few tenths of a second each).
"""
from __future__ import annotations

from datetime import date

import pytest

from extractors import extract_pages
from intake.model import Document, FieldValue
from intake.reconcile import Reading, converge_names, money_change, printed_amounts
from tests.corpus import generate_document
from tests.corpus.families import families
from tests.extractors.conftest import CachedReader, generated_pages

SEED = 1  # the developed family goldens' seed: their page OCR is in the committed cache


def _doc(t, **fields):
    return Document(type=t, pages=[1], fields={k: FieldValue(v, 0.97) for k, v in fields.items()})


# --- pure parts ---------------------------------------------------------------------------------

def test_names_converge_when_one_crop_reads_as_the_other():
    a = Reading(_doc("business_license", name="许昌瑞达精密机械有限公司"), "name", None)
    b = Reading(_doc("commitment_letter", organization_name="许昌瑞达精密机戒有限公司"), "organization_name", None)
    a.fv, b.fv = a.doc.fields["name"], b.doc.fields["organization_name"]
    changes = converge_names("org_name", [a, b], [[], [("许昌瑞达精密机械有限公司", 0.99, "upscaled:…")]])
    assert [(c.reading.key, c.value) for c in changes] == [("organization_name", "许昌瑞达精密机械有限公司")]
    assert "upscaled" in changes[0].why and changes[0].readings == ["许昌瑞达精密机戒有限公司", "许昌瑞达精密机械有限公司"]
    # the second readings agree with neither: nothing changes (settle makes it a warning naming both)
    assert converge_names("org_name", [a, b], [[], [("许昌瑞达精密机戒有限公司", 0.9, "binarized:…")]]) == []


def test_a_reviewers_value_is_never_changed():
    a = Reading(_doc("business_license", name="许昌瑞达精密机械有限公司"), "name", None)
    b = Reading(_doc("commitment_letter", organization_name="许昌瑞达精密机戒有限公司"), "organization_name", None)
    a.fv, b.fv = a.doc.fields["name"], b.doc.fields["organization_name"]
    b.fv.source = "reviewer"
    changes = converge_names("org_name", [a, b], [[("许昌瑞达精密机戒有限公司", 0.99, "upscaled")], []])
    assert all(c.reading is not b for c in changes)
    assert [c.reading for c in changes] == [a]  # the extractor's reading follows the reviewer's


def _money_readings(fee, total, paid):
    docs = [_doc("service_contract", testing_fee=fee), _doc("invoice", total=total), _doc("bank_receipt", amount=paid)]
    return [Reading(d, k, d.fields[k]) for d, k in zip(docs, ("testing_fee", "total", "amount"))]


def test_money_runner_up_printed_on_the_page_makes_the_amounts_agree():
    rs = _money_readings("10600.00", "10000.00", "10600.00")
    page = "金额 10,000.00 税额 600.00\n价税合计（大写）壹万零陆佰元整 （小写）¥10,600.00"
    ch = money_change(rs, {1: page}, {})
    assert ch is not None and ch.reading.key == "total" and ch.value == "10600.00"
    assert "printed on the page" in ch.why
    # the crop read again gives it too
    ch = money_change(rs, {1: ""}, {1: [("10600.00", 0.99, "binarized:10600.00")]})
    assert ch is not None and "binarized" in ch.why


def test_money_real_mismatch_stays():
    # paid the amount before tax (the amount.mismatch defect): the receipt prints only what was paid
    rs = _money_readings("10600.00", "10600.00", "10000.00")
    assert money_change(rs, {2: "转账金额 10,000.00 人民币壹万元整"}, {}) is None
    # three different amounts: nothing agrees, nothing is chosen (review / the rule decides)
    assert money_change(_money_readings("10600.00", "10000.00", "9000.00"), {1: "10,600.00"}, {}) is None
    assert printed_amounts("合计 1,234.50 元；编号 20261201；¥88.00") == {__import__("decimal").Decimal("1234.50"),
                                                                       __import__("decimal").Decimal("88.00")}


# --- real crops of generated documents ---------------------------------------------------------

def _developed(doc_type):
    fams = [f for f in families(doc_type, "developed")]
    return "classic" if "classic" in fams else fams[0]


@pytest.fixture(scope="module")
def license_page():
    doc = generate_document("business_license", seed=SEED, quality="scan", family=_developed("business_license"))
    assert doc.truth["split"] != "held_out"
    pages, images = generated_pages(doc)
    docs = extract_pages(pages, images, "license", reader=CachedReader())
    return doc, docs[0], images[0]


def test_reconcile_submission_fixes_a_confusable_misreading(license_page, tmp_path):
    """Through the database as the pipeline calls it: the license's name misread by one confusable
    character is read again and agrees with the letter's; the field keeps the evidence."""
    from intake import store
    from intake.db import connect, now
    from intake.ocr.runner import OcrRunner
    from intake.reconcile import reconcile_submission
    from intake.validation import decide

    doc, got, image = license_page
    true_name = doc.truth["fields"]["name"]
    wrong = true_name.replace("有限公司", "有限公可")  # one character misread
    assert wrong != true_name
    img = tmp_path / "p1.png"
    image.save(img)
    db = connect(tmp_path / "d.db")
    c = db.conn
    sid = c.execute("INSERT INTO submissions (name, received_at) VALUES ('s', ?)", [now()]).lastrowid
    f1 = c.execute("INSERT INTO files (submission_id, name, status, received_at) VALUES (?, 'l.png', 'processed', ?)",
                   [sid, now()]).lastrowid
    f2 = c.execute("INSERT INTO files (submission_id, name, status, received_at) VALUES (?, 'c.png', 'processed', ?)",
                   [sid, now()]).lastrowid
    c.execute("INSERT INTO pages (file_id, number, width, height, image_path, text) VALUES (?, 1, ?, ?, ?, '')",
              [f1, image.width, image.height, str(img)])
    lic = Document(type="business_license", pages=[1], confidence=0.99,
                   fields={"name": FieldValue(wrong, 0.97, 1, got.fields["name"].bbox, "label", wrong, "名称")})
    letter = Document(type="commitment_letter", pages=[1], confidence=0.99,
                      fields={"organization_name": FieldValue(true_name, 0.97, 1, None, "label", true_name)})
    store.save_documents(db, sid, f1, [lic])
    store.save_documents(db, sid, f2, [letter])
    c.commit()
    before = decide(store.load_documents(db, sid), date(2026, 6, 1))
    assert "consistency.name" in {f.rule for f in before.findings}
    runner = OcrRunner("rapidocr", 1, False)
    try:
        changes = reconcile_submission(db, runner, sid)
    finally:
        runner.close()
    assert [(ch.reading.doc.type, ch.value) for ch in changes] == [("business_license", true_name)]
    after = store.load_documents(db, sid)
    fv = next(d for d in after if d.type == "business_license").fields["name"]
    assert fv.value == true_name and fv.strategy.endswith("+reconciled") and "复核" in fv.raw
    assert "consistency.name" not in {f.rule for f in decide(after, date(2026, 6, 1)).findings}
    assert c.execute("SELECT COUNT(*) FROM events WHERE kind = 'reconcile'").fetchone()[0] == 1


def test_another_organization_is_not_re_read(license_page, tmp_path):
    from intake.reconcile import _name_changes

    doc, got, _ = license_page
    a = Reading(got, "name", got.fields["name"])
    other = _doc("commitment_letter", organization_name="河南恒通建设工程有限公司")
    b = Reading(other, "organization_name", other.fields["organization_name"])
    budget = [8]
    assert _name_changes("org_name", [a, b], None, None, "rapidocr", budget) == [] and budget == [8]


def test_a_label_read_into_a_name_is_cut_without_ocr():
    from intake.reconcile import _name_changes

    card = _doc("id_card", name="欧阳佳")
    letter = _doc("authorization_letter", agent_name="欧阳佳性别")
    rs = [Reading(letter, "agent_name", letter.fields["agent_name"]), Reading(card, "name", card.fields["name"])]
    budget = [8]
    changes = _name_changes("person", rs, None, None, "rapidocr", budget)
    assert [(c.reading.key, c.value) for c in changes] == [("agent_name", "欧阳佳")] and budget == [8]
    assert "label-trimmed" in changes[0].why


def test_a_low_reading_far_from_the_others_is_re_read_but_confident_ones_are_not():
    from intake.reconcile import _doubtful, _name_changes

    class NoImages:  # pages whose images are gone: a second reading is tried, nothing is read
        def image(self, doc, page):
            return None

    lic = _doc("business_license", name="许昌瑞达精密机械有限公司")
    form = _doc("application_form", unit_name="名称许昌瑞达精密")
    rs = [Reading(lic, "name", lic.fields["name"]), Reading(form, "unit_name", form.fields["unit_name"])]
    budget = [8]
    assert not _doubtful(rs[1]) and _name_changes("org_name", rs, NoImages(), None, "rapidocr", budget) == []
    assert budget == [8]  # two confident readings of two names: a mismatch, nothing re-read
    form.fields["unit_name"].confidence = 0.5
    assert _doubtful(rs[1]) and _name_changes("org_name", rs, NoImages(), None, "rapidocr", budget) == []
    assert budget == [6]  # the low one makes both crops worth a second reading


# --- no agreed amount: a doubtful one takes the confident amount its own evidence shows -----------

def _doubt(rs, i, conf=0.6):
    rs[i].fv.confidence = conf
    return [r.fv.confidence < 0.85 for r in rs]


def test_a_doubtful_amount_takes_the_one_confident_amount_its_page_prints():
    from intake.reconcile import doubtful_money_changes

    # the contract's fee misread (doubtful); the invoice and the receipt disagree (the amount.mismatch defect)
    rs = _money_readings("10800.00", "10600.00", "10000.00")
    doubtful = _doubt(rs, 0)
    page = "检验检测费用：人民币 10,600.00 元（大写：壹万零陆佰元整）"
    [ch] = doubtful_money_changes(rs, doubtful, {0: page}, {})
    assert ch.reading.key == "testing_fee" and ch.value == "10600.00"
    assert ch.readings == ["10800.00", "10600.00"] and "invoice.total" in ch.why
    assert 0.85 <= ch.confidence <= 0.95  # agreed with a confident reading: above review, never certain
    # the two confident amounts are left as read: the mismatch is still there to be found
    assert {r.fv.value for r in rs[1:]} == {"10600.00", "10000.00"}
    # the crop read again gives it too
    [ch] = doubtful_money_changes(rs, doubtful, {0: ""}, {0: [("10600.00", 0.99, "binarized:10600.00")]})
    assert "binarized" in ch.why


def test_no_agreement_is_invented_for_a_doubtful_amount():
    from intake.reconcile import doubtful_money_changes

    rs = _money_readings("10800.00", "10600.00", "10000.00")
    doubtful = _doubt(rs, 0)
    # its page shows neither confident amount, or both: nothing to prefer
    assert doubtful_money_changes(rs, doubtful, {0: "费用 10,800.00 元"}, {}) == []
    assert doubtful_money_changes(rs, doubtful, {0: "10,600.00 与 10,000.00"}, {}) == []
    # every amount confident: three readings that differ stay three readings
    rs = _money_readings("10800.00", "10600.00", "10000.00")
    assert doubtful_money_changes(rs, [False] * 3, {i: "10,600.00" for i in range(3)}, {}) == []
    # a reviewer's value is never changed
    rs = _money_readings("10800.00", "10600.00", "10000.00")
    doubtful = _doubt(rs, 0)
    rs[0].fv.source = "reviewer"
    assert doubtful_money_changes(rs, doubtful, {0: "10,600.00"}, {}) == []


def test_reconcile_submission_takes_the_confident_amount_and_keeps_the_real_mismatch(tmp_path):
    """Through the database as the pipeline calls it: the contract's fee read doubtfully as 10800.00,
    its page prints the invoice's 10,600.00, and the receipt paid only 10,000.00 (the amount.mismatch
    defect). The fee takes the invoice's amount with its evidence; the mismatch is still an error."""
    from intake import store
    from intake.db import connect, now
    from intake.ocr.runner import OcrRunner
    from intake.reconcile import reconcile_submission
    from intake.validation import decide

    db = connect(tmp_path / "d.db")
    c = db.conn
    sid = c.execute("INSERT INTO submissions (name, received_at) VALUES ('s', ?)", [now()]).lastrowid
    texts = {"service_contract": "检验检测费用：人民币 10,600.00 元（大写：壹万零陆佰元整）",
             "invoice": "价税合计 ¥10,600.00", "bank_receipt": "转账金额 10,000.00"}
    fields = {"service_contract": ("testing_fee", "10800.00", 0.6), "invoice": ("total", "10600.00", 0.97),
              "bank_receipt": ("amount", "10000.00", 0.97)}
    for t, (key, value, conf) in fields.items():
        fid = c.execute("INSERT INTO files (submission_id, name, status, received_at) VALUES (?, ?, 'processed', ?)",
                        [sid, f"{t}.png", now()]).lastrowid
        c.execute("INSERT INTO pages (file_id, number, width, height, image_path, text) VALUES (?, 1, 100, 100, '', ?)",
                  [fid, texts[t]])
        store.save_documents(db, sid, fid, [Document(type=t, pages=[1], confidence=0.99, fields={
            key: FieldValue(value, conf, 1, None, "label", value)})])
    c.commit()

    runner = OcrRunner("rapidocr", 1, False)  # no bbox, so no crop: the page's printed amounts are the evidence
    try:
        changes = reconcile_submission(db, runner, sid)
    finally:
        runner.close()
    assert [(ch.reading.key, ch.value) for ch in changes] == [("testing_fee", "10600.00")]
    after = store.load_documents(db, sid)
    fee = next(d for d in after if d.type == "service_contract").fields["testing_fee"]
    assert fee.value == "10600.00" and fee.strategy.endswith("+reconciled") and "10800.00" in fee.raw
    assert 0.85 <= fee.confidence <= 0.95
    assert c.execute("SELECT COUNT(*) FROM events WHERE kind = 'reconcile'").fetchone()[0] == 1
    found = [f for f in decide(after, date(2026, 6, 1)).findings if f.rule == "amount.mismatch"]
    assert found and found[0].severity == "error"
