"""Page classification from the schemas' ``x-classify`` and splitting a file into documents.

Score of a type on a page = ``title_weight`` when one of its titles is printed
as a title (large print, or in the top third of the page) + the weights of its
keywords found in the page text. A keyword of four or more characters also
counts, at ``fuzzy_factor`` of its weight, when one of its characters was
misread (photos, poor scans); ``synonyms`` map a keyword to other wordings that
count as it (each keyword counts once, whichever wording is printed); a
``keyword_cap`` bounds what keywords alone can add, so a page full of common
words cannot outscore a titled page. An ``exclude`` text rules the type out. The
best type with score >= ``min_score`` wins; its confidence grows with the score
and with the margin over the runner-up.

Splitting: a page with a title starts a new document; a page without one
continues the previous document when that type is ``multipage`` and the page
has something of it (or nothing of any type); otherwise its best type starts
a new document, or it is ``unknown``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .layout import PageView, nk
from .registry import DocType, Registry


@dataclass
class PageClass:
    page: int
    type: str
    confidence: float
    title: bool
    scores: dict[str, float] = field(default_factory=dict)
    titled: set[str] = field(default_factory=set)


def _title_hit(view: PageView, title: str) -> bool:
    H = view.page.height or 1
    for h in view.find(title, fuzzy=len(nk(title)) >= 5):
        row = view.rows[h.row]
        big = (h.bbox[3] - h.bbox[1]) >= 1.35 * view.median_h
        top = h.cy <= 0.3 * H
        # a title stands nearly alone on its line
        alone = len(nk(row.text)) <= len(nk(title)) + 14
        if (big or top) and alone:
            return True
    return False


@lru_cache(maxsize=4096)
def _one_off(key: str) -> re.Pattern:
    """A pattern matching ``key`` with any one character misread."""
    alts = [re.escape(key[:i]) + "." + re.escape(key[i + 1 :]) for i in range(len(key))]
    return re.compile("|".join(alts))


def keyword_found(text: str, keyword: str) -> float:
    """1.0 when the keyword is in the (comparison-form) text, ``FUZZY`` when it is there with one
    character misread (keywords of four or more characters), else 0."""
    key = nk(keyword)
    if not key:
        return 0.0
    if key in text:
        return 1.0
    # one misread character leaves one half of the keyword intact: a cheap test before the pattern
    half = len(key) // 2
    if len(key) >= 4 and (key[:half] in text or key[half:] in text) and _one_off(key).search(text):
        return FUZZY
    return 0.0


# What a keyword read with one wrong character is worth, relative to its weight.
FUZZY = 0.6


def score_page(view: PageView, dt: DocType) -> tuple[float, bool]:
    cl = dt.classify
    text = view.key_text
    for ex in cl.get("exclude", []):
        if nk(ex) in text:
            return float("-inf"), False
    score = 0.0
    titled = any(_title_hit(view, t) for t in cl.get("titles", []))
    if titled:
        score += float(cl.get("title_weight", 6))
    fuzzy = float(cl.get("fuzzy_factor", FUZZY))
    synonyms = cl.get("synonyms", {})
    kw_score = 0.0
    for kw, w in cl.get("keywords", {}).items():
        best = 0.0
        for form in [kw, *synonyms.get(kw, [])]:
            f = keyword_found(text, form)
            best = max(best, 1.0 if f >= 1.0 else fuzzy * f / FUZZY if f else 0.0)
            if best >= 1.0:
                break
        kw_score += float(w) * best
    cap = cl.get("keyword_cap")
    score += min(kw_score, float(cap)) if cap is not None else kw_score
    return score, titled


def classify_page(view: PageView, registry: Registry) -> PageClass:
    scores: dict[str, float] = {}
    titled: set[str] = set()
    for dt in registry:
        s, t = score_page(view, dt)
        scores[dt.name] = s
        if t:
            titled.add(dt.name)
    ranked = sorted(
        registry,
        key=lambda dt: (scores[dt.name] >= float(dt.classify.get("min_score", 5)), scores[dt.name],
                        float(dt.classify.get("priority", 0))),
        reverse=True,
    )
    best = ranked[0] if ranked else None
    if best is None or scores[best.name] < float(best.classify.get("min_score", 5)):
        return PageClass(view.number, "unknown", 0.0, False, scores, titled)
    s1 = scores[best.name]
    s2 = max([scores[d.name] for d in ranked[1:]] + [0.0])
    s2 = max(s2, 0.0)
    strength = min(1.0, s1 / (1.5 * float(best.classify.get("min_score", 5)) + 1e-9))
    margin = (s1 - s2) / s1 if s1 > 0 else 0.0
    conf = strength * (0.6 + 0.4 * margin)
    return PageClass(view.number, best.name, round(min(0.999, conf), 3), best.name in titled, scores, titled)


def split_documents(classes: list[PageClass], registry: Registry) -> list[tuple[str, list[int], float]]:
    """[(type, page numbers, confidence)] in page order."""
    docs: list[tuple[str, list[int], float]] = []
    for pc in classes:
        prev = docs[-1] if docs else None
        if prev and prev[0] != "unknown" and prev[0] in registry:
            pdt = registry.get(prev[0])
            multipage = bool(pdt.classify.get("multipage"))
            has_title = bool(pc.titled)
            if multipage and not has_title and (pc.scores.get(prev[0], 0) > 0 or pc.type in ("unknown", prev[0])):
                docs[-1] = (prev[0], prev[1] + [pc.page], prev[2])
                continue
        docs.append((pc.type, [pc.page], pc.confidence))
    return docs
