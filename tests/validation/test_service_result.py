"""service_result.mismatch (细则 第二十条): the service result against its contract, from values."""
from __future__ import annotations

from intake.validation import decide

from .helpers import AS_OF, CLIENT, PROVIDER, contract_, result_, rules_of, voucher

CONTRACT_TEXT = "检验检测技术服务合同\n甲方（委托方）：{c}\n乙方（服务方）：{p}\n检测项目：拉伸强度、布氏硬度、冲击试验。\n" \
                "检验检测费用共计人民币12720.00元。".format(c=CLIENT, p=PROVIDER)


def _decide(result, contract=None, texts=True):
    docs = voucher(service_contract=contract or contract_()) + [result]
    page_texts = [CONTRACT_TEXT if d.type == "service_contract" else "" for d in docs] if texts else None
    return decide(docs, AS_OF, page_texts=page_texts)


def _mismatch(d):
    return [f for f in d.findings if f.rule == "service_result.mismatch"]


def test_a_matching_result_is_ready_and_counts_for_the_voucher_packet():
    d = _decide(result_())
    assert (d.packet, d.status, d.findings) == ("voucher_redemption", "ready", [])


def test_voucher_without_a_result_is_still_ready():
    d = decide(voucher(), AS_OF)
    assert d.status == "ready" and "packet.missing_document" not in rules_of(d.findings)


def test_other_client_is_rejected():
    d = _decide(result_(client_name="许昌万里运输集团股份有限公司"))
    [f] = _mismatch(d)
    assert f.severity == "error" and d.status == "rejected"
    assert "委托单位" in f.message and "许昌万里运输集团股份有限公司" in f.message
    assert set(f.documents) == {"service_result", "service_contract"} and f.source == "细则 第二十条"


def test_other_provider_is_rejected():
    [f] = _mismatch(_decide(result_(provider_name="河南省计量科学研究院")))
    assert f.severity == "error" and "检测单位" in f.message


def test_names_differing_only_as_ocr_readings_go_to_review():
    # 恒 misread as 桓: a doubtful difference is a warning, never a rejection.
    d = _decide(result_(provider_name=PROVIDER.replace("恒", "桓")))
    [f] = _mismatch(d)
    assert f.severity == "warning" and d.status == "needs_review"


def test_bracket_and_space_variants_are_the_same_party():
    assert _mismatch(_decide(result_(client_name=CLIENT[:2] + " " + CLIENT[2:]))) == []


def test_result_issued_before_the_contract_is_rejected():
    d = _decide(result_(issued_on="2026-04-01"))
    [f] = _mismatch(d)
    assert f.severity == "error" and "2026-04-01" in f.message and "2026-04-20" in f.message


def test_result_issued_on_the_signing_day_is_fine():
    assert _mismatch(_decide(result_(issued_on="2026-04-20"))) == []


def test_items_outside_the_contract_go_to_review():
    d = _decide(result_(items="噪声检测、电磁兼容"))
    [f] = _mismatch(d)
    assert f.severity == "warning" and "噪声检测" in f.message and "冲击试验" in f.message


def test_items_overlapping_in_other_wording_are_fine():
    assert _mismatch(_decide(result_(items="布氏硬度测试"))) == []


def test_items_are_not_compared_when_the_contract_lists_none():
    assert _mismatch(_decide(result_(items="噪声检测"), texts=False)) == []
