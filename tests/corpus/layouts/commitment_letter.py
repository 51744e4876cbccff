"""许昌科技文献信息共享平台机构用户使用承诺书: the attachment-2 text verbatim, signed and sealed.

Families: classic (signature, 公司名称 and date one under the other at the left); sign_right (the
block flush right as letters end: 承诺单位（盖章）, 法定代表人（签字）, a date in Chinese numerals);
sign_table (the block as a ruled table: 单位名称（公章） | 法定代表人或企业负责人（签字） | 日期);
compact (small type, narrow margins, 楷体 title, name and signature on one line); bare_signoff (the
unit's full name with no label, flush right under its seal, a signature line, the date last);
stacked_signoff (单位（盖章） / 负责人（签字） / 日期 one under the other at the left, and the person signs where
there is room: under the label, across the line over it, or far right of it, the seal now and then
over the signature); two_column_signoff (the unit's block left, the signer's block right, each with its
date line; the signature beside, under or over its label); underline_signoff (承诺单位（盖章）：____ /
法定代表人（签字）：____ on printed underlines, the name typed on its line, the signature written over
the signer's line, 年 月 日 under them).
"""
from __future__ import annotations

import random
import re
from datetime import date, timedelta
from importlib import resources

from ..canvas import Page
from ..dates import ymd
from ..entities import make_org, make_person
from ..seals import round_seal, seal_color
from ..signatures import ink, signature
from . import d

TEXT = resources.files("tests.corpus").joinpath("data/commitment_letter.txt").read_text("utf-8")
TITLE, _, BODY = TEXT.partition("\n")
HEADING = re.compile(r"^[一二三四五六七八九十]+、")


def defaults(rng: random.Random, as_of: date) -> dict:
    o = make_org(rng, as_of)
    return {"organization_name": o.name, "legal_representative": o.legal_rep,
            "signed_on": (as_of - timedelta(days=rng.randint(0, 12))).isoformat(),
            "signature_present": True, "seal_present": True,
            "date_style": rng.choice(["plain", "plain", "chinese", "padded"]),
            "body_font": rng.choice(["song", "ming", "song"]), "body_size": rng.choice([10.5, 10.5, 11])}


def fields(v: dict) -> dict:
    f = {"organization_name": v["organization_name"], "signature_present": bool(v["signature_present"]),
         "seal_present": bool(v["seal_present"])}
    if v.get("signed_on"):
        f["signed_on"] = v["signed_on"]
    return f


def _classic(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    family, size = v["body_font"], v["body_size"]
    left, right, top, bottom = 25, 185, 30, 272
    pages = [Page(210, 297, dpi)]
    p = pages[0]
    p.text(105, top + 4, TITLE, "hei_bold" if rng.random() < 0.6 else "song_bold", 16, anchor="ms")
    y = top + 18
    lh = p.line_height(size, 1.65)
    indent = p.width("　　", family, size)
    for para in [s.strip() for s in BODY.split("\n") if s.strip()]:
        heading = bool(HEADING.match(para))
        first = para.startswith("致：")
        fam = "hei" if heading else family
        for i, line in enumerate(p.lines(para, right - left, fam, size, 0 if first else indent)):
            if y > bottom:
                pages.append(Page(210, 297, dpi))
                p = pages[-1]
                y = top
            p.text(left + (indent if i == 0 and not first else 0), y, line, fam, size)
            y += lh
        y += lh * 0.25
    # signature block: keep it together on the last page
    if y + 55 > bottom:
        pages.append(Page(210, 297, dpi))
        p = pages[-1]
        y = top + 10
    y += 12
    label = "法定代表人或企业负责人签字："
    x = p.text(left, y, label, family, size + 0.5)
    if v["signature_present"]:
        alpha = signature(v["legal_representative"], dpi, rng, height_mm=rng.uniform(8, 11))
        h_mm = alpha.shape[0] * 25.4 / dpi
        w_mm = alpha.shape[1] * 25.4 / dpi
        p.stamp(alpha, ink(rng), x + 4 + w_mm / 2, y - h_mm * 0.3)
    y += 18
    x = p.text(left, y, "公司名称（加盖红色公章）：", family, size + 0.5)
    xe = p.text(x + 1, y, v["organization_name"], family, size + 0.5)
    if v["seal_present"]:
        alpha = round_seal(v["organization_name"], dpi, rng, diameter_mm=rng.uniform(39, 42),
                           code="".join(rng.choice("0123456789") for _ in range(13)) if rng.random() < 0.5 else None)
        cx = (x + xe) / 2 + rng.uniform(-10, 10)
        bbox = p.stamp(alpha, seal_color(rng), cx, y - 2 + rng.uniform(-5, 5))
        p.seals.append({"page": len(pages), "bbox": bbox, "color": "red", "shape": "round",
                        "text": v["organization_name"]})
    y += 18
    if v.get("signed_on"):
        p.text(left, y, "日期：" + ymd(d(v["signed_on"]), v["date_style"]), family, size + 0.5)
    else:  # the printed template leaves the date to be filled in by hand
        p.text(left, y, "日期：  2026年   月    日" if rng.random() < 0.5 else "日期：        年     月     日",
               family, size + 0.5)
    return pages


# --- other families ---------------------------------------------------------------------------
def for_family(v: dict, family: str, rng: random.Random) -> dict:
    v["family"] = family
    v.setdefault("family_font", rng.choice(["song", "ming", "kai", "song"]))
    if family == "sign_right":
        v.setdefault("sign_date_style", "chinese" if rng.random() < 0.6 else "spaced")
    if family == "bare_signoff":
        v.setdefault("sign_date_style", rng.choice(["padded", "dot", "plain"]))
        v.setdefault("sign_label", rng.choice(["主要负责人（签名）：", "负责人签字：", "法定代表人（签名）："]))
    if family == "stacked_signoff":
        v.setdefault("sign_label", rng.choice(["法定代表人（签字）：", "负责人（签字）：", "法定代表人签名："]))
        v.setdefault("sign_place", rng.choice(["under", "over", "far_right"]))
        v.setdefault("seal_over_signature", rng.random() < 0.4)
    if family == "two_column_signoff":
        v.setdefault("sign_label", rng.choice(["法定代表人（签章）：", "授权代表（签字）：", "负责人（签名）：",
                                               "法定代表人（签字）："]))
        v.setdefault("sign_place", rng.choice(["beside", "under", "over"]))
        v.setdefault("seal_over_signature", rng.random() < 0.3)
    if family == "underline_signoff":
        v.setdefault("sign_label", rng.choice(["法定代表人（签字）：", "法定代表人或授权代表（签字）：", "负责人（签名）："]))
        v.setdefault("block_left", rng.choice([30.0, 96.0, 104.0]))
        v.setdefault("sign_date_style", rng.choice(["spaced", "plain", "chinese"]))
    return v


def _body(v: dict, dpi: int, rng: random.Random, size: float, left: float, right: float, top: float,
          bottom: float, title_font: str, leading: float = 1.65):
    """The policy text laid out page by page; returns (pages, last page, y after the text)."""
    fam0 = v["family_font"]
    pages = [Page(210, 297, dpi)]
    p = pages[0]
    p.text(105, top + 4, TITLE, title_font, 16 if size > 10 else 15, anchor="ms")
    y = top + 16
    lh = p.line_height(size, leading)
    indent = p.width("　　", fam0, size)
    for para in [s.strip() for s in BODY.split("\n") if s.strip()]:
        heading = bool(HEADING.match(para))
        first = para.startswith("致：")
        fam = "hei" if heading else fam0
        for i, line in enumerate(p.lines(para, right - left, fam, size, 0 if first else indent)):
            if y > bottom:
                pages.append(Page(210, 297, dpi))
                p = pages[-1]
                y = top
            p.text(left + (indent if i == 0 and not first else 0), y, line, fam, size)
            y += lh
        y += lh * 0.25
    return pages, p, y


def _new_page_if(pages, p, y, need, bottom, dpi, top):
    if y + need > bottom:
        pages.append(Page(210, 297, dpi))
        return pages[-1], top + 10
    return p, y


def _seal(p: Page, pages, v, dpi, rng, cx, cy):
    if v["seal_present"]:
        alpha = round_seal(v["organization_name"], dpi, rng, diameter_mm=rng.uniform(39, 42))
        bbox = p.stamp(alpha, seal_color(rng), cx, cy)
        p.seals.append({"page": len(pages), "bbox": bbox, "color": "red", "shape": "round",
                        "text": v["organization_name"]})


def _sig(p: Page, v, dpi, rng, x, y):
    if v["signature_present"]:
        alpha = signature(v["legal_representative"], dpi, rng, height_mm=rng.uniform(8, 10))
        p.stamp(alpha, ink(rng), x + 4 + alpha.shape[1] * 12.7 / dpi, y - 2)


def _date_text(v, style) -> str:
    if v.get("signed_on"):
        return ymd(d(v["signed_on"]), style)
    return "        年     月     日"


def _sign_right(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    size, top, bottom = 11, 28, 270
    pages, p, y = _body(v, dpi, rng, size, 26, 184, top, bottom, "song_bold")
    p, y = _new_page_if(pages, p, y, 60, bottom, dpi, top)
    fam = v["family_font"]
    x0 = 104
    y += 14
    xe = p.text(x0, y, "承诺单位（盖章）：", fam, size + 0.5)
    p.text(x0, y + 9, v["organization_name"], fam, size)
    _seal(p, pages, v, dpi, rng, x0 + 40 + rng.uniform(-8, 8), y + 3 + rng.uniform(-4, 4))
    x = p.text(x0, y + 24, "法定代表人（签字）：", fam, size + 0.5)
    _sig(p, v, dpi, rng, x, y + 24)
    p.text(184, y + 38, _date_text(v, v.get("sign_date_style", "chinese")), fam, size + 0.5, anchor="rs")
    return pages


def _sign_table(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    size, top, bottom = 10.5, 30, 268
    pages, p, y = _body(v, dpi, rng, size, 25, 185, top, bottom, "hei_bold")
    p, y = _new_page_if(pages, p, y, 50, bottom, dpi, top)
    fam = v["family_font"]
    y += 8
    L, R, c = 25, 185, 85
    rows = (("单位名称（公章）", v["organization_name"]), ("法定代表人或企业负责人（签字）", None),
            ("日　　期", _date_text(v, rng.choice(["padded", "plain", "dash"]))))
    for label, value in rows:
        p.rect(L, y, R, y + 13, 0.3)
        p.line(c, y, c, y + 13, 0.3)
        p.text(L + 2, y + 8.3, label, fam, size if len(label) < 10 else 9)
        if value is None:
            _sig(p, v, dpi, rng, c + 4, y + 8)
        else:
            p.text(c + 3, y + 8.3, value, fam, size)
        if label.startswith("单位名称"):
            _seal(p, pages, v, dpi, rng, c + 50 + rng.uniform(-10, 10), y + 6 + rng.uniform(-3, 3))
        y += 13
    return pages


def _compact(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    size, top, bottom = 9.5, 20, 280
    pages, p, y = _body(v, dpi, rng, size, 15, 195, top, bottom, "kai", leading=1.5)
    p, y = _new_page_if(pages, p, y, 24, 287, dpi, top)
    fam = v["family_font"]
    y += 12
    xe = p.text(15, y, "单位名称（加盖公章）：", fam, size + 0.5)
    xn = p.text(xe + 1, y, v["organization_name"], fam, size + 0.5)
    _seal(p, pages, v, dpi, rng, (xe + xn) / 2 + rng.uniform(-8, 8), y - 2 + rng.uniform(-4, 4))
    x = p.text(128, y, "法定代表人签字：", fam, size + 0.5)
    _sig(p, v, dpi, rng, x, y)
    p.text(128, y + 14, "日期：" + _date_text(v, rng.choice(["plain", "chinese"])), fam, size + 0.5)
    return pages


def _bare_signoff(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    """Signed off as a letter's 落款 with no field labels: the unit's full name alone, flush right, sealed;
    the responsible person's signature under it; the date last. This is how public guides describe the
    signature of a 承诺书 by a unit ("先写单位全称，加盖单位印章；后由主要负责人签署…日期是签署之日，
    年、月、日齐全", m.beiweimall.com/chengneuoshu/3934077.html)."""
    size, top, bottom = 10.5, 30, 268
    pages, p, y = _body(v, dpi, rng, size, 24, 186, top, bottom, "hei_bold", leading=1.7)
    p, y = _new_page_if(pages, p, y, 50, bottom, dpi, top)
    fam = v["family_font"]
    y += 16
    right = 184
    p.text(right, y, v["organization_name"], fam, size + 0.5, anchor="rs")
    x_name = right - p.width(v["organization_name"], fam, size + 0.5)
    _seal(p, pages, v, dpi, rng, (x_name + right) / 2 + rng.uniform(-6, 6), y - 2 + rng.uniform(-4, 4))
    x = p.text(x_name, y + 13, v.get("sign_label", "主要负责人（签名）："), fam, size)
    _sig(p, v, dpi, rng, x, y + 13)
    p.text(right, y + 26, _date_text(v, v.get("sign_date_style", "padded")), fam, size + 0.5, anchor="rs")
    return pages


def _stacked_signoff(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    """The sign-off as staff fill in a printed form: the labels one under the other at the left, and
    the signature wherever the signer had room, not always right after the label: on the blank line
    under it, across the label's line from above, or at the far end of the line. Modelled on public
    承诺书 / 保证书 writing guides (落款: 单位全称并加盖印章, 主要负责人签署, 日期; m.beiweimall.com
    chengneuoshu/3934077.html, qdfww.com tiaoju/351974.html) and on scanned forms signed by hand."""
    size, top, bottom = 10.5, 28, 262
    pages, p, y = _body(v, dpi, rng, size, 26, 184, top, bottom, "hei_bold")
    p, y = _new_page_if(pages, p, y, 62, bottom, dpi, top)
    fam = v["family_font"]
    left = 30
    y += 14
    xe = p.text(left, y, "单位（盖章）：", fam, size + 0.5)
    xn = p.text(xe + 1, y, v["organization_name"], fam, size + 0.5)
    seal_at = ((xe + xn) / 2 + rng.uniform(-8, 8), y - 2 + rng.uniform(-4, 4))
    y += 20
    x = p.text(left, y, v["sign_label"], fam, size + 0.5)
    place = v["sign_place"]
    if v["signature_present"]:
        alpha = signature(v["legal_representative"], dpi, rng, height_mm=rng.uniform(8, 10))
        w_mm = alpha.shape[1] * 25.4 / dpi
        if place == "under":  # on the blank line under the label
            at = (left + 6 + w_mm / 2 + rng.uniform(0, 8), y + 9 + rng.uniform(0, 2))
        elif place == "over":  # above the label, its strokes down into the label's line
            # (a hand right across the label's characters hides the label from OCR: then nothing says
            # where the sign-off is, a reading problem below extraction)
            at = (left + 8 + w_mm / 2 + rng.uniform(0, 10), y - 9.5 + rng.uniform(-0.5, 0.5))
        else:  # at the far end of the line, past the usual signing space
            at = (min(184 - w_mm / 2, x + 74 + w_mm / 2 + rng.uniform(0, 6)), y - 2)
        p.stamp(alpha, ink(rng), *at)
        if v["seal_over_signature"]:
            seal_at = (at[0] + rng.uniform(-6, 6), at[1] + rng.uniform(-4, 4))
    _seal(p, pages, v, dpi, rng, *seal_at)
    y += 22
    p.text(left, y, "日期：" + _date_text(v, rng.choice(["plain", "chinese", "padded"])), fam, size + 0.5)
    return pages


def _two_column_signoff(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    """The sign-off in two columns, as procurement 承诺函 and two-party forms print it: the unit's
    block on the left (机构名称（公章）, the name, its 签署日期 line), the responsible person's block on
    the right (法定代表人（签章）/ 授权代表（签字）/ 负责人（签名）, then 日期). The person signs beside the
    label, on the blank line under it (above its date line), or across the line over it; the seal now
    and then lands over the signature. Modelled on public guides to a unit's 承诺书 落款 ("先写单位全称，
    加盖单位印章；然后由负责人签名或加盖其签名章", ysznh.com/Signaturedesign/wuilerhpuf.html) and the
    供应商名称（盖章）/ 法定代表人或其授权代表（签字或盖章）/ 日期 blocks of public procurement
    承诺函 templates."""
    size, top, bottom = 11, 34, 258  # larger type on wider margins than the other families
    pages, p, y = _body(v, dpi, rng, size, 30, 180, top, bottom, "song_bold", leading=1.55)
    p, y = _new_page_if(pages, p, y, 66, bottom, dpi, top)
    fam = v["family_font"]
    y += 16
    L, M = 30, 112
    date_style = rng.choice(["plain", "chinese", "padded"])
    p.text(L, y, "机构名称（公章）：", fam, size)
    p.text(L, y + 11, v["organization_name"], fam, size + 0.5)
    seal_at = (L + 30 + rng.uniform(-6, 10), y + 7 + rng.uniform(-4, 4))
    p.text(L, y + 24, "签署日期：" + _date_text(v, date_style), fam, size)
    x = p.text(M, y, v["sign_label"], fam, size)
    place = v["sign_place"]
    if v["signature_present"]:
        alpha = signature(v["legal_representative"], dpi, rng, height_mm=rng.uniform(8, 10))
        w_mm = alpha.shape[1] * 25.4 / dpi
        if place == "beside":
            at = (min(186 - w_mm / 2, x + 3 + w_mm / 2 + rng.uniform(0, 4)), y - 2)
        elif place == "under":  # the blank line between the label and the date line
            at = (M + 8 + w_mm / 2 + rng.uniform(0, 10), y + 10 + rng.uniform(-1, 1))
        else:  # over: above the label's line, the strokes reaching down into it
            at = (M + 10 + w_mm / 2 + rng.uniform(0, 10), y - 9.5 + rng.uniform(-0.5, 0.5))
        p.stamp(alpha, ink(rng), *at)
        if v["seal_over_signature"]:
            seal_at = (at[0] + rng.uniform(-5, 5), at[1] + rng.uniform(-3, 3))
    p.text(M, y + 24, "签署日期：" + _date_text(v, date_style), fam, size)
    _seal(p, pages, v, dpi, rng, *seal_at)
    return pages


def _underline_signoff(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    """The sign-off as fill-in lines, as public 信用承诺书 / 承诺函 templates print it: 承诺单位（盖章）：
    and 法定代表人（签字）： each followed by a printed underline (____) to fill in, the unit's name typed
    on its line with the seal over it, the signature written over the signer's line (its strokes
    cross the rule), and the date (年 月 日) on its own line under them. Modelled on the fill-in
    承诺人信息 lines of public 信用承诺书 templates (hhok.com topic.php?vid=669: 姓名/企业名称：______)
    and the 法定代表人签字：… 日 sign-off of the 守合同重信用企业承诺书 (jinchutou.com b7f15c5d…)."""
    # the body as these templates set it: 小四 (12 pt) on wider margins, not the 五号 of the others
    size, top, bottom = 12, 36, 262
    pages, p, y = _body(v, dpi, rng, size, 30, 180, top, bottom, "song_bold", leading=1.55)
    p, y = _new_page_if(pages, p, y, 60, bottom, dpi, top)
    fam = v["family_font"]
    # the block as far right as the template puts it, but with room for the name and a signing line
    need = max(p.width("承诺单位（盖章）：" + v["organization_name"], fam, size + 0.5) + 6,
               p.width(v["sign_label"], fam, size + 0.5) + 42)
    L = max(25.0, min(v["block_left"], 186 - need))
    y += 16
    x = p.text(L, y, "承诺单位（盖章）：", fam, size + 0.5)
    xn = p.text(x + 2, y - 0.3, v["organization_name"], fam, size + 0.5)
    end = min(186.0, max(x + 62, xn + 3))
    p.line(x + 0.5, y + 1.3, end, y + 1.3, 0.3)
    # stamped where the label asks for it, over （盖章） and the start of the name
    seal_at = (x - 6 + rng.uniform(-4, 6), y - 2 + rng.uniform(-3, 3))
    y += 17
    x = p.text(L, y, v["sign_label"], fam, size + 0.5)
    p.line(x + 0.5, y + 1.3, min(186.0, max(end, x + 40)), y + 1.3, 0.3)
    if v["signature_present"]:
        alpha = signature(v["legal_representative"], dpi, rng, height_mm=rng.uniform(8, 10))
        w_mm = alpha.shape[1] * 25.4 / dpi
        # over the line: the hand sits on the rule, its lower strokes cross it
        p.stamp(alpha, ink(rng), min(186 - w_mm / 2, x + 5 + w_mm / 2 + rng.uniform(0, 10)),
                y - 2.5 + rng.uniform(-1, 1))
    _seal(p, pages, v, dpi, rng, *seal_at)
    y += 16
    date = _date_text(v, v["sign_date_style"])
    p.text(L + (p.width("承诺单位（盖章）：", fam, size + 0.5) if L > 60 else 0), y, date, fam, size + 0.5)
    return pages


FAMILY_RENDER = {"classic": _classic, "sign_right": _sign_right, "sign_table": _sign_table, "compact": _compact,
                 "bare_signoff": _bare_signoff, "stacked_signoff": _stacked_signoff,
                 "two_column_signoff": _two_column_signoff, "underline_signoff": _underline_signoff}


def render(v: dict, dpi: int, rng: random.Random) -> list[Page]:
    return FAMILY_RENDER[v.get("family", "classic")](v, dpi, rng)
