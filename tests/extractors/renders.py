"""Test-only renderings of the failure classes of issue 11, from the corpus generator's values.

Each function takes a seed, builds the document's values with ``tests.corpus`` (so the truth is
the generator's, not typed by hand), draws them in a layout the classic family does not use,
degrades the page like a scan and returns ``(image, dpi, truth_fields)``. Pages are kept small
(half A4) so that OCR stays cheap; OCR results are cached in fixtures/ocr like every test here.
"""
from __future__ import annotations

import random
from datetime import date

from tests.corpus import money
from tests.corpus.canvas import Page
from tests.corpus.dates import ymd
from tests.corpus.degrade import DPI, degrade
from tests.corpus.documents import build_values

QUALITY = "scan"


def _finish(p: Page, seed: int, truth: dict):
    img, _ = degrade(p.img, QUALITY, random.Random(f"degrade:render:{seed}"))
    return img, DPI[QUALITY], truth


def letter_one_line(seed: int, agent_name: str | None = None):
    """授权委托书 printing 受托人, 性别 and 身份证号码 on one line (value-into-next-label)."""
    over = {"agent_name": agent_name} if agent_name else {}
    v = build_values("authorization_letter", seed, **over)
    p = Page(210, 150, DPI[QUALITY])
    p.text(105, 22, "授权委托书", "hei_bold", 20, anchor="ms", tracking=3)
    y, left = 40, 20
    x = p.text(left, y, "委托单位：", "song", 11)
    p.text(x, y, v["principal_name"], "song", 11)
    y += 10
    x = p.text(left, y, "受托人：", "song", 11)
    x = p.text(x, y, v["agent_name"], "song", 11) + 6
    x = p.text(x, y, "性别：", "song", 11)
    x = p.text(x, y, v["agent_sex"], "song", 11) + 6
    x = p.text(x, y, "身份证号码：", "song", 11)
    p.text(x, y, v["agent_id_number"], "song", 11)
    y += 10
    x = p.text(left, y, "联系电话：", "song", 11)
    p.text(x, y, v["agent_mobile"], "song", 11)
    y += 12
    p.wrap(left, y, 170, f"现委托上述受托人{v['matter']}。", "song", 11, 1.7)
    y += 26
    x = p.text(left, y, "委托单位（盖章）：", "song", 11)
    p.text(x, y, v["principal_name"], "song", 11)
    p.text(190, y + 12, ymd(date.fromisoformat(v["signed_on"])), "song", 11, anchor="rs")
    truth = {"principal_name": v["principal_name"], "agent_name": v["agent_name"],
             "agent_id_number": v["agent_id_number"], "signed_on": v["signed_on"]}
    return _finish(p, seed, truth)


def letter_running(seed: int):
    """授权委托书 laid out as a running letter: 兹委托…为… and no 受托人 label."""
    v = build_values("authorization_letter", seed)
    p = Page(210, 130, DPI[QUALITY])
    p.text(105, 22, "授权委托书", "hei_bold", 20, anchor="ms", tracking=3)
    left = 20
    p.text(left, 38, "许昌市科学技术情报研究所：", "song", 11)
    body = (f"兹委托{v['agent_name']}（身份证号码：{v['agent_id_number']}）为我单位代理人，{v['matter']}。"
            f"代理人在办理上述事项过程中所签署的相关文件，我单位均予以承认。")
    y = p.wrap(left, 48, 170, body, "song", 11, 1.8, indent=p.width("　　", "song", 11))
    y += 16
    x = p.text(100, y, "委托单位（盖章）：", "song", 11)
    p.text(x, y, v["principal_name"][:10], "song", 11)
    p.text(x, y + 8, v["principal_name"][10:], "song", 11)
    p.text(190, y + 20, ymd(date.fromisoformat(v["signed_on"])), "song", 11, anchor="rs")
    truth = {"agent_name": v["agent_name"], "agent_id_number": v["agent_id_number"]}
    return _finish(p, seed, truth)


def invoice_header_table(seed: int):
    """A paper 普票 whose header is a ruled table: labels in one row, numbers below; the machine
    code and the invoice code are 12-digit runs beside the 8-digit number; totals in a table whose
    header and 合计 row are letter-spaced (金  额, 合  计)."""
    v = build_values("invoice", seed, invoice_variant="normal")
    p = Page(240, 140, DPI[QUALITY])
    p.text(120, 16, "河南增值税普通发票", "song_bold", 18, anchor="ms", tracking=1)
    machine = "".join(random.Random(f"machine:{seed}").choice("0123456789") for _ in range(12))
    heads = [("机器编号", machine), ("发票代码", v["invoice_code"]), ("发票号码", v["invoice_number"]),
             ("开票日期", ymd(date.fromisoformat(v["issued_on"])))]
    x0, w = 12, 54
    for i, (lab, val) in enumerate(heads):
        x = x0 + i * w
        p.rect(x, 22, x + w, 38, w=0.3)
        p.line(x, 30, x + w, 30, w=0.3)
        p.text(x + w / 2, 28, lab, "song", 10, anchor="ms")
        p.text(x + w / 2, 36, val, "song", 10, anchor="ms")
    y = 48
    for role, name, tax in (("购买方", v["buyer_name"], v["buyer_tax_id"]), ("销售方", v["seller_name"], v["seller_tax_id"])):
        p.text(12, y, role, "song", 10)
        x = p.text(32, y, "名称：", "song", 10)
        p.text(x, y, name, "song", 10)
        x = p.text(32, y + 7, "纳税人识别号：", "song", 10)
        p.text(x, y + 7, tax, "song", 10)
        y += 18
    # totals table: letter-spaced header and 合计 row
    ty = y + 4
    p.rect(12, ty - 6, 228, ty + 14, w=0.3)
    p.line(12, ty + 2, 228, ty + 2, w=0.3)
    p.spread(16, 40, ty, "项目名称", "song", 10)
    p.spread(130, 150, ty, "金额", "song", 10)
    p.spread(180, 200, ty, "税额", "song", 10)
    p.spread(16, 40, ty + 10, "合计", "song", 10)
    p.text(150, ty + 10, "¥" + v["amount"], "song", 10, anchor="rs")
    p.text(200, ty + 10, "¥" + v["tax"], "song", 10, anchor="rs")
    ty += 24
    x = p.text(12, ty, "价税合计（大写）", "song", 10) + 4
    p.text(x, ty, money.daxie(v["total"]), "song", 10)
    x = p.text(150, ty, "（小写）", "song", 10)
    p.text(x, ty, "¥" + v["total"], "song", 10)
    truth = {"invoice_code": v["invoice_code"], "invoice_number": v["invoice_number"],
             "issued_on": v["issued_on"], "buyer_name": v["buyer_name"], "seller_name": v["seller_name"],
             "amount": v["amount"], "tax": v["tax"], "total": v["total"]}
    return _finish(p, seed, truth)


def contract_synonyms(seed: int):
    """A 技术服务合同 with 需方/供方 parties, a bank-account line in the provider's block and the
    total only in a clause (本合同总金额为人民币…元)."""
    v = build_values("service_contract", seed)
    p = Page(210, 170, DPI[QUALITY])
    p.text(105, 20, "技术服务合同", "hei_bold", 20, anchor="ms", tracking=2)
    left, y = 20, 34
    x = p.text(left, y, "合同编号：", "song", 11)
    p.text(x, y, v["contract_number"], "song", 11)
    y += 11
    for lab, lines in (("需方：", [("", v["client_name"]), ("地址：", v["client_address"])]),
                       ("供方：", [("", v["provider_name"]), ("开户银行：", v["provider_bank"]),
                                  ("账号：", v["provider_account"])])):
        x = p.text(left, y, lab, "song", 11)
        p.text(x, y, lines[0][1], "song", 11)
        for sub, val in lines[1:]:
            y += 8
            xx = p.text(left + 12, y, sub, "song", 11)
            p.text(xx, y, val, "song", 11)
        y += 11
    clause = (f"第三条 本合同总金额为人民币{money.norm(v['total_amount'])}元（大写：{money.daxie(v['total_amount'])}），"
              f"其中检验检测费用为人民币{money.norm(v['testing_fee'])}元，由需方在合同签订后十个工作日内支付。")
    y = p.wrap(left, y + 2, 170, clause, "song", 11, 1.8) + 14
    x = p.text(left, y, "签订日期：", "song", 11)
    p.text(x, y, ymd(date.fromisoformat(v["signed_on"])), "song", 11)
    truth = {"contract_number": v["contract_number"], "client_name": v["client_name"],
             "provider_name": v["provider_name"], "total_amount": v["total_amount"],
             "testing_fee": v["testing_fee"], "signed_on": v["signed_on"]}
    return _finish(p, seed, truth)


