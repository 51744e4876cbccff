"""Document rules through the real schemas (schemas/<type>.json): a failing case and its valid twin."""
from __future__ import annotations



from intake.model import Seal
from intake.validation import validate_document

from .helpers import AS_OF, application_, authorization_, commitment_, contract_, id_card_, idno, license_, rules_of


def check(doc, rule, severity="error"):
    found = [f for f in validate_document(doc, AS_OF) if f.rule == rule]
    assert found, f"expected {rule}, got {rules_of(validate_document(doc, AS_OF))}"
    f = found[0]
    assert f.severity == severity
    assert f.documents == [doc.type]
    assert f.source
    assert f.message and any("\u4e00" <= c <= "\u9fff" for c in f.message)
    return f


def test_valid_documents_have_no_findings():
    for d in (license_(), application_(), commitment_(), id_card_(), authorization_(), contract_()):
        assert validate_document(d, AS_OF) == [], d.type


def test_schema_required():
    f = check(commitment_(signed_on=None), "schema.required")
    assert f.fields == ["signed_on"] and "日期" in f.message
    assert validate_document(commitment_(), AS_OF) == []


def test_schema_format():
    f = check(license_(established_on="2018/04/02"), "schema.format")
    assert f.fields == ["established_on"]
    check(license_(registered_capital="500万元"), "schema.format")
    check(license_(uscc="91411000MA47M7QP"), "schema.format")  # too short: a shape problem, not a checksum
    assert rules_of(validate_document(license_(established_on="2018-04-02"), AS_OF)) == []


def test_schema_format_of_a_bool_field():
    check(commitment_(seal_present="有"), "schema.format")


def test_uscc_checksum():
    f = check(license_(uscc="91411000MA47M7QPXW"), "uscc.checksum")
    assert f.fields == ["uscc"] and "91411000MA47M7QPXW" in f.message and f.source == "GB 32100-2015"
    assert validate_document(license_(uscc="91411000MA47M7QPXU"), AS_OF) == []


def test_id_checksum():
    good = idno()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    f = check(id_card_(id_number=bad), "id.checksum")
    assert f.source == "GB 11643-1999"
    check(authorization_(agent_id_number=bad), "id.checksum")
    bad_date = "41100219900230123"
    from intake.validation.formats import id_check_char
    check(id_card_(id_number=bad_date + id_check_char(bad_date)), "id.checksum")
    assert validate_document(id_card_(id_number=good), AS_OF) == []


def test_id_expired():
    f = check(id_card_(valid_to="2026-06-14"), "id.expired")
    assert "2026-06-14" in f.message
    assert validate_document(id_card_(valid_to="2026-06-15"), AS_OF) == []  # valid through its last day
    assert validate_document(id_card_(valid_to="长期"), AS_OF) == []


def test_license_expired():
    f = check(license_(term_end="2025-05-19"), "license.expired")
    assert f.message.startswith("营业执照已过营业期限（2025-05-19")
    assert validate_document(license_(term_end="2045-05-31"), AS_OF) == []


def test_jurisdiction_on_the_license():
    from .helpers import uscc
    f = check(license_(uscc=uscc("310110"), address="上海市杨浦区许昌路88号"), "jurisdiction.xuchang")
    assert "310110" in f.message and set(f.fields) == {"uscc", "address"}
    f = check(license_(address="北京市东城区东直门南大街5号"), "jurisdiction.xuchang")
    assert validate_document(license_(address="河南省禹州市神垕镇老街1号"), AS_OF) == []


def test_seal_missing_and_not_verifiable():
    f = check(commitment_(seal_present=False), "seal.missing")
    assert f.fields == ["seal_present"]
    f = check(commitment_(seal_present=False, raw={"seal_present": "not_verifiable"}), "seal.missing", "warning")
    assert "无法核验（灰度扫描）" in f.message
    check(contract_(provider_seal_present=False), "seal.missing")
    check(authorization_(seal_present=False), "seal.missing")
    assert validate_document(commitment_(seal_present=True), AS_OF) == []


def test_signature_missing_and_not_verifiable():
    check(commitment_(signature_present=False), "signature.missing")
    f = check(commitment_(signature_present=False, raw={"signature_present": "not_verifiable"}),
              "signature.missing", "warning")
    assert "灰度扫描" in f.message
    assert validate_document(commitment_(signature_present=True), AS_OF) == []


def test_seal_name_mismatch():
    wrong = [Seal(page=1, bbox=(100, 100, 400, 400), text="郑州恒达电气设备有限公司", confidence=0.8)]
    f = check(commitment_(seals=wrong), "seal.name_mismatch", "warning")
    assert "郑州恒达电气设备有限公司" in f.message
    right = [Seal(page=1, bbox=(100, 100, 400, 400), text="许昌瑞达精密机械有限公司", confidence=0.8)]
    assert validate_document(commitment_(seals=right), AS_OF) == []
    noisy = [Seal(page=1, bbox=(100, 100, 400, 400), text="许昌瑞达精蜜机城有限公司", confidence=0.5)]
    assert validate_document(commitment_(seals=noisy), AS_OF) == []
    two = [Seal(page=1, bbox=(0, 0, 9, 9), text="禹州钧瓷新材料科技有限公司合同专用章"),
           Seal(page=1, bbox=(0, 0, 9, 9), text="许昌恒通检测技术有限公司")]
    assert validate_document(contract_(seals=two), AS_OF) == []


def test_own_schema_fixture_keywords():
    """The keywords also work from a schema given directly (lists of x-not-expired, x-seal-name)."""
    schema = {
        "type": "object", "required": ["name", "end"],
        "properties": {"name": {"type": "string"}, "end": {"type": "string", "format": "date-or-long"},
                       "id": {"type": "string", "format": "idno"}, "mail": {"type": "string", "format": "email"}},
        "x-not-expired": [{"field": "end", "rule": "license.expired"}],
        "x-jurisdiction": {"address": "addr"},
        "x-seal-name": ["name"],
    }
    from .helpers import doc
    d = doc("public_institution_certificate", name="许昌市农业科学研究所", end="2020-01-01", addr="上海市许昌路1号",
            mail="a.b.com")
    rules = rules_of(validate_document(d, AS_OF, schema=schema))
    assert rules == ["jurisdiction.xuchang", "license.expired", "schema.format"]
    d = doc("public_institution_certificate", name="许昌市农业科学研究所", end="长期", addr="许昌市建安区",
            mail="a@b.com")
    assert validate_document(d, AS_OF, schema=schema) == []


def test_unknown_type_has_no_document_findings():
    from .helpers import doc
    assert validate_document(doc("unknown", foo="bar"), AS_OF) == []
