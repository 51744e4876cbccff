"""Generic repairs of OCR readings: mail domains and organization names cut short.

Each repair returns the repaired text and a note of what it changed (``None`` when
nothing was changed); normalizers put the note into ``Normalized.repairs`` and
lower their certainty, so a repaired value shows as such and can go to review.
Repairs are only made where a single reading is possible: an ambiguous case is
left as read (and reported as possibly incomplete), never guessed.
"""
from __future__ import annotations

import re
from functools import lru_cache

# ---------------------------------------------------------------------------
# Mail domains
# ---------------------------------------------------------------------------

# Mail domains most Chinese applicants use.
MAIL_DOMAINS = (
    "qq.com", "vip.qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "vip.163.com", "vip.126.com",
    "sina.com", "sina.cn", "vip.sina.com", "sohu.com", "aliyun.com", "139.com", "189.cn", "wo.cn", "tom.com",
    "21cn.com", "gmail.com", "outlook.com", "hotmail.com", "live.cn", "live.com", "yahoo.com", "icloud.com",
)

# Glyphs the recognizer confuses in Latin print (same group = look alike). A substitution
# inside a group costs half an edit; any other edit costs one.
_CONFUSABLE = ("q9ga", "1liI|!", "0oODQ", "5sS", "8B3", "2zZ", "6b", "mn", "ec", "uv", "7T", "4A", "hb")
_GROUP = {c: i for i, g in enumerate(_CONFUSABLE) for c in g}


def _sub_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    ga, gb = _GROUP.get(a), _GROUP.get(b)
    return 0.5 if ga is not None and ga == gb else 1.0


@lru_cache(maxsize=4096)
def _distance(a: str, b: str) -> tuple[float, int]:
    """Weighted edit distance and the number of edits that were not look-alike substitutions."""
    prev = [(float(j), j) for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        cur = [(float(i), i)]
        for j in range(1, len(b) + 1):
            sc = _sub_cost(a[i - 1], b[j - 1])
            sub = (prev[j - 1][0] + sc, prev[j - 1][1] + (1 if sc >= 1.0 else 0))
            dele = (prev[j][0] + 1.0, prev[j][1] + 1)
            ins = (cur[j - 1][0] + 1.0, cur[j - 1][1] + 1)
            cur.append(min(sub, dele, ins))
        prev = cur
    return prev[-1]


def repair_mail_domain(domain: str) -> tuple[str, str | None]:
    """A domain that OCR misread from one of the common ones -> that domain.

    ``99.com``/``qa.com`` -> ``qq.com``, ``foxmai1.com`` -> ``foxmail.com``, ``163.corn`` ->
    ``163.com``. Only look-alike substitutions for short domains; one other edit is allowed
    on long ones (``outlok.com``). When two known domains are equally near, nothing is changed."""
    d = domain.lower().strip(".")
    if d in MAIL_DOMAINS:
        return d, None
    d2 = d.replace("rn", "m")  # 'rn' read for 'm' (foxrnail.com)
    best: list[tuple[float, str]] = []
    for known in MAIL_DOMAINS:
        for cand in {d, d2}:
            cost, hard = _distance(cand, known)
            limit_hard = 1 if len(known) >= 8 else 0
            if cost <= 1.0 and hard <= limit_hard:
                best.append((cost + (0.25 if cand != d else 0.0), known))
    if not best:
        return d, None
    best.sort()
    if len(best) > 1 and best[1][0] == best[0][0] and best[1][1] != best[0][1]:
        return d, None  # two equally likely readings: leave it to the reviewer
    known = best[0][1]
    return known, f"mail domain {d}→{known}"


# ---------------------------------------------------------------------------
# Organization names cut short
# ---------------------------------------------------------------------------

# A name ending like this lost its last character (under a seal, at a crop edge, at the
# end of a line): what it must have been. Only endings with a single completion.
_ORG_COMPLETIONS: tuple[tuple[str, str], ...] = (
    (r"(?:有限|责任|股份|集团|控股|分|总)公$", "司"),   # …有限公 -> …有限公司
    (r"有限合$", "伙"),                               # …有限合 -> …有限合伙
    (r"(?:研究|服务|检测|检验|技术|管理|发展|创新|孵化|促进|交流|信息|测试|计量|转移|培训)中$", "心"),
    (r"事务$", "所"),
    (r"委员$", "会"),
    (r"合作$", "社"),
    (r"人民医$", "院"),
    (r"人民政$", "府"),
)

# Endings that may be cut short but have several completions (…研究院 / …研究所 / …研究中心):
# left as read, reported so the value is looked at.
_ORG_AMBIGUOUS: tuple[tuple[str, str], ...] = (
    (r"研究$", "研究院/研究所/研究中心"),
    (r"设计$", "设计院/设计所"),
    (r"(?:有限|有限责任)$", "…公司"),
)

def complete_org_name(name: str) -> tuple[str, str | None, bool]:
    """(name, repair note, doubtful): an organization name with a lost last character restored.

    ``doubtful`` is True when the name looks cut short but cannot be completed unambiguously."""
    s = name or ""
    if len(s) < 4:
        return s, None, False
    for pat, add in _ORG_COMPLETIONS:
        m = re.search(pat, s)
        if m:
            # an open bracket lost its closing one with the same cut: （有限合 -> （有限合伙）
            if s.count("（") + s.count("(") > s.count("）") + s.count(")"):
                add += "）"
            return s + add, f"name completed …{m.group(0)}→…{m.group(0)}{add}", False
    for pat, options in _ORG_AMBIGUOUS:
        if re.search(pat, s):
            return s, f"name may be cut short ({options})", True
    return s, None, False


# How an organization's name ends (a person's never does).
_ORG_END = re.compile(r"(?:公司|有限合伙|研究院|研究所|设计院|中心|事务所|委员会|合作社|医院|学院|大学|学校|协会|学会|"
                      r"商会|联合会|基金会|研究会|厂|局|站|馆|社|处|室)$")


def looks_like_org(name: str) -> bool:
    """The text names an organization (ends as one does, or as one cut short does)."""
    s = name or ""
    if len(s) < 4:
        return False
    return bool(_ORG_END.search(s) or complete_org_name(s)[1])
