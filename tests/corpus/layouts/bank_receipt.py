"""银行电子回单: layout and label wording vary by bank, as they do in real receipts.

Families: classic (one grid, payer and payee halves, labels per bank); line_list (a mobile or web
banking 转账回单: one labelled line per fact, 付款人名称 / 付款账号 / 交易金额 …); side_by_side (payer
and payee as two columns of one table ruled horizontally only, 付款方/收款方 with 全称/账号/开户行);
voucher_grid (a counter-style 进账单/回单 slip: full grid, the amount also in digit cells under
亿千百十万千百十元角分 headings).
"""
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


def _classic(v: dict, dpi: int, rng: random.Random) -> list[Page]:
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


# --- other families ---------------------------------------------------------------------------
def for_family(v: dict, family: str, rng: random.Random) -> dict:
    v["family"] = family
    v.setdefault("family_font", rng.choice(["song", "hei", "ming"]))
    v.setdefault("date_form", rng.choice(["dash", "padded", "slash"]))
    v.setdefault("print_time", rng.random() < 0.5)
    return v


def _date(v) -> str:
    when = d(v["transaction_date"])
    form = v.get("date_form", "dash")
    s = f"{when:%Y-%m-%d}" if form == "dash" else (f"{when:%Y/%m/%d}" if form == "slash" else ymd(when, "padded"))
    return s + (f" {v['time']}" if v.get("print_time") else "")


def _bank_seal(p: Page, v, dpi, rng, cx, cy):
    if v.get("seal", True):
        text = f"{v['bank']}许昌分行"
        alpha = round_seal(text, dpi, rng, purpose=rng.choice(["电子回单专用章", "业务专用章"]), diameter_mm=rng.uniform(36, 40))
        bbox = p.stamp(alpha, seal_color(rng), cx, cy)
        p.seals.append({"page": 1, "bbox": bbox, "color": "red", "shape": "round", "text": text})


def _line_list(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(148, 210, dpi)
    fam = v["family_font"]
    p.text(74, 20, v["bank"], "hei_bold", 15, anchor="ms")
    p.text(74, 29, rng.choice(["转账电子回单", "网上银行转账回单", "客户回单"]), "hei", 12, anchor="ms")
    amt = money.to_decimal(v["amount"])
    p.text(74, 44, f"¥{money.with_commas(amt)}", "hei_bold", 18, anchor="ms")
    p.text(74, 51, "交易成功", fam, 9, (60, 140, 60), anchor="ms")
    y = 64
    rows = [("交易流水号", v["serial_number"]), ("交易时间" if v.get("print_time") else "交易日期", _date(v)),
            ("付款人名称", v["payer_name"]), ("付款账号", v["payer_account"]), ("付款银行", v["payer_bank"]),
            ("收款人名称", v["payee_name"]), ("收款账号", v["payee_account"]), ("收款银行", v["payee_bank"]),
            ("交易金额", f"{money.norm(amt)}元"), ("金额大写", money.daxie(amt)), ("附言", v["purpose"])]
    for label, value in rows:
        p.text(14, y, label, fam, 9, (90, 90, 90))
        p.text(134, y, value, fam, 9 if len(value) < 20 else 7.5, anchor="rs")
        y += 9.5
        p.line(14, y - 6.3, 134, y - 6.3, 0.15, (200, 200, 200))
    p.text(74, y + 10, "本回单仅证明转账指令已受理，不作为收款方到账凭证。", fam, 7.5, (110, 110, 110), anchor="ms")
    _bank_seal(p, v, dpi, rng, 108 + rng.uniform(-5, 5), y - 14 + rng.uniform(-4, 4))
    return [p]


def _side_by_side(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(210, 122, dpi)
    fam = v["family_font"]
    p.text(105, 15, f"{v['bank']}电子回单", "song_bold", 15, anchor="ms", tracking=1)
    p.text(16, 25, f"电子回单号码：{v['serial_number']}", fam, 9)
    p.text(194, 25, f"交易时间：{_date(v)}", fam, 9, anchor="rs")
    L, R, M = 14, 196, 105
    y = 29
    p.line(L, y, R, y, 0.45)
    for x, role in ((L, "付款方"), (M, "收款方")):
        p.text((x + (M if x == L else R)) / 2, y + 6, role, "hei", 10, anchor="ms")
    y += 8.5
    p.line(L, y, R, y, 0.2)
    for i, lab in enumerate(("全　称", "账　号", "开户行")):
        for x, val in ((L, (v["payer_name"], v["payer_account"], v["payer_bank"])[i]),
                       (M, (v["payee_name"], v["payee_account"], v["payee_bank"])[i])):
            p.text(x + 2, y + 6, lab, fam, 9)
            p.text(x + 17, y + 6, val, "mono" if i == 1 else fam, 9 if len(val) < 18 else 7.8)
        y += 8.5
        p.line(L, y, R, y, 0.2)
    amt = money.to_decimal(v["amount"])
    p.text(L + 2, y + 6.5, f"金额　人民币（大写）{money.daxie(amt)}", fam, 9.5)
    p.text(R - 2, y + 6.5, f"（小写）¥{money.with_commas(amt)}", fam, 9.5, anchor="rs")
    y += 9
    p.line(L, y, R, y, 0.2)
    p.text(L + 2, y + 6, f"用途：{v['purpose']}", fam, 9)
    p.text(M + 2, y + 6, "业务种类：跨行转账", fam, 9)
    y += 9
    p.line(L, y, R, y, 0.45)
    p.text(L, y + 8, f"验证码：{''.join(rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ23456789') for _ in range(10))}", fam, 8)
    p.text(L + 60, y + 8, "记账柜员：EB0001", fam, 8)
    _bank_seal(p, v, dpi, rng, 172 + rng.uniform(-5, 5), y + 17 + rng.uniform(-2, 2))
    return [p]


def _voucher_grid(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    p = Page(210, 112, dpi)
    fam = v["family_font"]
    when = d(v["transaction_date"])
    p.text(105, 14, f"{v['bank']}  客户回单", "song_bold", 14, anchor="ms", tracking=1)
    p.text(105, 21, ymd(when, "padded"), fam, 9.5, anchor="ms")
    p.text(194, 21, f"凭证号：{v['serial_number']}", fam, 8.5, anchor="rs")
    L, R, M = 12, 198, 105
    y = 24
    rh = 8
    p.rect(L, y, R, y + rh * 6, 0.35)
    p.line(M, y, M, y + rh * 3, 0.35)
    for xo in (L, M):
        p.line(xo + 7, y, xo + 7, y + rh * 3, 0.3)
        p.line(xo + 22, y, xo + 22, y + rh * 3, 0.3)
    for i in range(1, 6):
        p.line(L, y + rh * i, R, y + rh * i, 0.3)
    for xo, role, vals in ((L, "付款人", (v["payer_name"], v["payer_account"], v["payer_bank"])),
                           (M, "收款人", (v["payee_name"], v["payee_account"], v["payee_bank"]))):
        for i, ch in enumerate(role):
            p.text(xo + 3.5, y + 6 + i * 7, ch, fam, 9, anchor="ms")
        for i, (lab, val) in enumerate(zip(("全　称", "账　号", "开户银行"), vals)):
            p.text(xo + 8.5, y + rh * i + 5.6, lab, fam, 8.5)
            p.text(xo + 24, y + rh * i + 5.6, val, "mono" if i == 1 else fam, 8.5 if len(val) < 18 else 7.2)
    yy = y + rh * 3
    amt = money.to_decimal(v["amount"])
    p.line(L + 22, yy, L + 22, yy + rh * 2, 0.3)
    p.text(L + 2, yy + 5.6, "金　额", fam, 9)
    p.text(L + 24, yy + 5.6, f"人民币（大写）{money.daxie(amt)}", fam, 9)
    # digit cells: 亿 千 百 十 万 千 百 十 元 角 分, the amount right-aligned with ¥ before it
    units = "亿千百十万千百十元角分"
    cw = 5.2
    x0 = R - cw * len(units)
    p.line(x0, yy, x0, yy + rh * 2, 0.3)
    for i, u in enumerate(units):
        p.line(x0 + cw * i, yy + rh, x0 + cw * i, yy + rh * 2, 0.2)
        p.text(x0 + cw * i + cw / 2, yy + 5.6, u, fam, 7.5, anchor="ms")
    digits = "¥" + f"{int(amt * 100)}"
    start = len(units) - len(digits)
    for i, ch in enumerate(digits):
        p.text(x0 + cw * (start + i) + cw / 2, yy + rh + 5.8, ch, "mono", 9, anchor="ms")
    p.text(L + 24, yy + rh + 5.6, f"（小写）{money.norm(amt)}", fam, 9)
    yy += rh * 2
    p.line(L + 22, yy, L + 22, yy + rh, 0.3)
    p.text(L + 2, yy + 5.6, "摘　要", fam, 9)
    p.text(L + 24, yy + 5.6, v["purpose"], fam, 9)
    p.text(L, y + rh * 6 + 7, "第二联  收款人回单", fam, 8)
    p.text(L + 60, y + rh * 6 + 7, "复核：", fam, 8)
    p.text(L + 100, y + rh * 6 + 7, "记账：", fam, 8)
    _bank_seal(p, v, dpi, rng, 150 + rng.uniform(-4, 4), y + rh * 6 + 14 + rng.uniform(-2, 2))
    return [p]


FAMILY_RENDER = {"classic": _classic, "line_list": _line_list, "side_by_side": _side_by_side,
                 "voucher_grid": _voucher_grid}


def render(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    return FAMILY_RENDER[v.get("family", "classic")](v, dpi, rng)
