"""银行电子回单: layout and label wording vary by bank, as they do in real receipts."""
from __future__ import annotations

import random
from datetime import date, timedelta

from .. import ids, money
from ..canvas import Page
from ..dates import ymd
from ..entities import make_org
from ..seals import round_seal, seal_color
from . import d

# bank -> (title, labels for payer/payee/account/bank/amount/date/serial/purpose)
STYLES = {
    "中国银行": ("中国银行网上银行电子回执", dict(payer="付款人", payee="收款人", name="户名", acct="账号",
                 bank="开户行", amount="金额", date="交易日期", serial="交易流水号", purpose="用途")),
    "中国工商银行": ("中国工商银行 网上银行电子回单", dict(payer="付款人", payee="收款人", name="户名", acct="账号",
                  bank="开户银行", amount="金额", date="日期", serial="回单编号", purpose="用途")),
    "中国建设银行": ("中国建设银行单位客户专用回单", dict(payer="付款人", payee="收款人", name="全称", acct="账号",
                  bank="开户行", amount="金额", date="记账日期", serial="凭证号", purpose="摘要")),
    "中国农业银行": ("中国农业银行 网上银行电子回单", dict(payer="付款方", payee="收款方", name="户名", acct="账号",
                  bank="开户行", amount="金额", date="交易时间", serial="交易流水号", purpose="用途")),
    "许昌农商银行": ("许昌农商银行 电子回单", dict(payer="付款人", payee="收款人", name="户名", acct="账号",
                  bank="开户机构", amount="交易金额", date="交易日期", serial="流水号", purpose="附言")),
    "中原银行": ("中原银行 电子回单", dict(payer="付款人", payee="收款人", name="户名", acct="账号",
                 bank="开户行", amount="金额", date="交易日期", serial="回单编号", purpose="用途")),
}
PURPOSES = ("检测费", "技术服务费", "检验检测服务费", "支付检测费", "货款")


def defaults(rng: random.Random, as_of: date) -> dict:
    payer = make_org(rng, as_of)
    payee = make_org(rng, as_of, provider=True)
    return values(rng, payer, payee, money.norm(rng.choice([5300, 10600, 12720])), as_of - timedelta(days=rng.randint(2, 15)))


def values(rng, payer, payee, amount: str, when: date) -> dict:
    bank = payer.bank
    return {"bank": bank, "payer_name": payer.name, "payer_account": payer.account,
            "payer_bank": f"{bank}许昌{rng.choice(['分行营业部', '魏都支行', '许继大道支行', '东城支行'])}",
            "payee_name": payee.name, "payee_account": payee.account,
            "payee_bank": f"{payee.bank}许昌{rng.choice(['分行', '建安支行', '经开区支行', '长葛支行'])}",
            "amount": amount, "transaction_date": when.isoformat(),
            "serial_number": ids.digits(rng, rng.choice([16, 18, 20]), first_nonzero=False),
            "purpose": rng.choice(PURPOSES), "seal": True, "time": f"{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"}


def fields(v: dict) -> dict:
    return {"payer_name": v["payer_name"], "payer_account": v["payer_account"], "payee_name": v["payee_name"],
            "payee_account": v["payee_account"], "amount": money.norm(v["amount"]),
            "transaction_date": v["transaction_date"], "serial_number": v["serial_number"], "bank": v["bank"]}


def render(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    title, L = STYLES.get(v["bank"], STYLES["中原银行"])
    p = Page(210, 120, dpi)
    fam = rng.choice(["song", "hei"])
    p.text(105, 16, title, "hei_bold", 15, anchor="ms")
    when = d(v["transaction_date"])
    date_s = f"{when:%Y-%m-%d}" if rng.random() < 0.5 else ymd(when, "padded")
    p.text(18, 27, f"{L['date']}：{date_s}" + (f" {v['time']}" if "时间" in L["date"] else ""), fam, 9.5)
    p.text(192, 27, f"{L['serial']}：{v['serial_number']}", fam, 9.5, anchor="rs")
    x0, x1, y = 15, 195, 31
    rowh = 8.5
    p.rect(x0, y, x1, y + rowh * 7, 0.3)
    mid = 105
    p.line(mid, y, mid, y + rowh * 3, 0.3)
    for i in range(1, 7):
        p.line(x0, y + rowh * i, x1, y + rowh * i, 0.3)
    p.line(x0 + 9, y, x0 + 9, y + rowh * 3, 0.3)
    p.line(mid + 9, y, mid + 9, y + rowh * 3, 0.3)
    for xo, role, name, acct, bank in ((x0, L["payer"], v["payer_name"], v["payer_account"], v["payer_bank"]),
                                       (mid, L["payee"], v["payee_name"], v["payee_account"], v["payee_bank"])):
        for i, ch in enumerate(role):
            p.text(xo + 4.5, y + rowh * 1.5 + 1.5 + (i - 1) * 6, ch, fam, 9.5, anchor="ms")
        for i, (lab, val) in enumerate(((L["name"], name), (L["acct"], acct), (L["bank"], bank))):
            yy = y + rowh * i + 6
            p.text(xo + 11, yy, f"{lab}", fam, 9)
            size = 9 if len(val) < 16 else 8
            vx = max(xo + 24, xo + 13 + p.width(lab, fam, 9))
            p.text(vx, yy, val, fam if i != 1 else "mono", size)
    yy = y + rowh * 3 + 6
    amt = money.to_decimal(v["amount"])
    p.text(x0 + 3, yy, f"{L['amount']}（小写）", fam, 9.5)
    p.text(x0 + 32, yy, f"CNY {money.with_commas(amt)}" if rng.random() < 0.5 else f"¥{money.with_commas(amt)}", "mono", 10)
    p.text(x0 + 3, yy + rowh, f"{L['amount']}（大写）", fam, 9.5)
    p.text(x0 + 32, yy + rowh, "人民币" + money.daxie(amt), fam, 10)
    p.text(x0 + 3, yy + rowh * 2, f"{L['purpose']}", fam, 9.5)
    p.text(x0 + 32, yy + rowh * 2, v["purpose"], fam, 10)
    p.text(x0 + 3, yy + rowh * 3, "币种", fam, 9.5)
    p.text(x0 + 32, yy + rowh * 3, "人民币", fam, 10)
    p.text(x0 + 80, yy + rowh * 3, "交易渠道：网上银行", fam, 9.5)
    p.text(x0, 104, f"打印日期：{when + timedelta(days=rng.randint(0, 5)):%Y-%m-%d}", fam, 8.5)
    p.text(x0 + 70, 104, "本回单可通过网上银行验证真伪，重复打印无效。", fam, 8.5)
    if v.get("seal", True):
        text = f"{v['bank']}许昌分行"
        alpha = round_seal(text, dpi, rng, purpose="电子回单专用章", diameter_mm=rng.uniform(36, 40))
        bbox = p.stamp(alpha, seal_color(rng), 170 + rng.uniform(-6, 4), 84 + rng.uniform(-4, 4))
        p.seals.append({"page": 1, "bbox": bbox, "color": "red", "shape": "round", "text": text})
    return [p]
