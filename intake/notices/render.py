"""A notice as text (the e-mail body) and as a printable A4 PDF (fpdf2, a CJK font from the system).

The font is one of the Debian CJK packages `scripts/system-deps.sh` installs, found at run time
through fontconfig (nothing is downloaded); a machine without one gets a clear ConfigError.
"""
from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

from ..errors import ConfigError

FONT_ENV = "DOCINTAKE_PDF_FONT"  # "path" or "path|index" to force a font file
# Known files first (fast, no subprocess), then whatever fontconfig offers for Simplified Chinese.
KNOWN_FONTS = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # index 2 = Noto Sans CJK SC
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)


@functools.lru_cache(maxsize=1)
def cjk_font() -> tuple[str, int]:
    forced = os.environ.get(FONT_ENV, "").strip()
    if forced:
        path, _, index = forced.partition("|")
        if not Path(path).is_file():
            raise ConfigError(f"{FONT_ENV} 指定的字体文件不存在：{path}。The font file {path} does not exist.")
        return path, int(index or 0)
    for path, index in KNOWN_FONTS:
        if Path(path).is_file():
            return path, index
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}|%{index}", ":lang=zh-cn"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    path, _, index = out.partition("|")
    if path and Path(path).suffix.lower() in (".ttf", ".otf", ".ttc"):
        return path, int(index or 0)
    raise ConfigError("未找到中文字体，无法生成 PDF 通知书。请运行 scripts/system-deps.sh 安装 fonts-noto-cjk。"
                      "No CJK font found for the PDF notices: run scripts/system-deps.sh (fonts-noto-cjk).")


def _paragraphs(content: dict, creds: dict | None) -> list[tuple[str, str]]:
    """(style, text) pairs shared by the text and the PDF form: style is h (heading), p or li."""
    org = content.get("organization") or content.get("submission") or "申请单位"
    office = content["office"]
    out: list[tuple[str, str]] = [("p", f"{org}：")]
    what = f"贵单位提交的{content['packet']}（{content['submission']}）"
    kind = content["kind"]
    if content.get("supplements"):
        out.append(("p", f"本次提交为对此前退回补正材料（{'、'.join(content['supplements'])}）的补充，已一并审核。"))
    if kind == "approval":
        out.append(("p", f"{what}已于{content['decided_on']}审核通过。"))
        if content.get("voucher_amount"):
            out.append(("p", f"核定科技创新券金额：{content['voucher_amount']} 元（{content['year']} 年度）。"
                             "兑付按《许昌市科研设施和仪器开放共享双向奖补实施细则》第二十条每年集中办理一次。"))
        if content.get("membership"):
            if creds:
                out.append(("h", "平台账号"))
                out += [("li", f"{k}：{v}") for k, v in creds.items()]
                out.append(("p", "请登录后及时修改密码，妥善保管账号信息。"))
            else:
                out.append(("p", "平台用户名和密码将另行通过电子邮件发送至贵单位申请表所填电子信箱。"))
    elif kind == "returned":
        out.append(("p", f"{what}经审核需要补正，现予退回。请按以下说明补正后重新提交，"
                         "补正材料将与原申请一并审核。"))
    else:
        out.append(("p", f"{what}经审核未予通过。"))
    if content.get("reasons"):
        out.append(("h", "原因" if kind != "approval" else "说明"))
        for i, r in enumerate(content["reasons"], 1):
            text = f"{i}. {r['title']}"
            if r.get("detail"):
                text += f"：{r['detail']}"
            if r.get("article"):
                text += f"（依据：{r['article']}）"
            out.append(("li", text))
    if content.get("comment"):
        out.append(("h", "审核意见"))
        out.append(("p", content["comment"]))
    if kind == "returned":
        out.append(("h", "需补正的内容"))
        out += [("li", t) for t in (content.get("todo") or ["请按审核意见补正材料。"])]
        out.append(("h", "补正材料的提交方式"))
        out.append(("p", f"请将补正材料（加盖公章）重新提交至{office['name']}，地址：{office['address']}；"
                         f"联系电话：{office['phone']}。"))
    elif kind == "rejection":
        out.append(("p", f"如有疑问，请联系{office['name']}，联系电话：{office['phone']}。"))
    out.append(("p", f"{office['name']}"))
    out.append(("p", content["decided_on"]))
    return out


def text(content: dict, creds: dict | None = None) -> str:
    lines = [content["title"], ""]
    for style, para in _paragraphs(content, creds):
        if style == "h":
            lines += ["", f"【{para}】"]
        elif style == "li":
            lines.append(f"  {para}")
        else:
            lines.append(para)
    lines += ["", "（本通知由系统自动发送，纸质版见附件 PDF。）"]
    return "\n".join(lines) + "\n"


def pdf(content: dict, creds: dict | None = None) -> bytes:
    from fpdf import FPDF

    path, index = cjk_font()
    doc = FPDF(format="A4", unit="mm")
    doc.set_title(content["title"])
    doc.set_creator("docintake")
    doc.set_margins(22, 22, 22)
    doc.set_auto_page_break(True, 22)
    doc.add_font("cjk", "", path, collection_font_number=index)
    doc.add_page()
    doc.set_font("cjk", size=20)
    doc.cell(0, 14, content["title"], align="C", new_x="LMARGIN", new_y="NEXT")
    doc.ln(4)
    paragraphs = _paragraphs(content, creds)
    width = doc.epw
    for i, (style, para) in enumerate(paragraphs):
        if i >= len(paragraphs) - 2:  # signature block, right-aligned
            doc.set_font("cjk", size=12)
            doc.multi_cell(width, 8, para, align="R", new_x="LMARGIN", new_y="NEXT", wrapmode="CHAR")
            continue
        if style == "h":
            doc.ln(2)
            doc.set_font("cjk", size=13)
            doc.multi_cell(width, 8, para, align="L", new_x="LMARGIN", new_y="NEXT", wrapmode="CHAR")
        elif style == "li":
            doc.set_font("cjk", size=11.5)
            doc.set_x(doc.l_margin + 4)
            doc.multi_cell(width - 4, 7, para, align="L", new_x="LMARGIN", new_y="NEXT", wrapmode="CHAR")
        else:
            doc.set_font("cjk", size=12)
            doc.multi_cell(width, 8, para, align="L", new_x="LMARGIN", new_y="NEXT", wrapmode="CHAR")
    return bytes(doc.output())
