"""Page classification from the schemas' ``x-classify`` and splitting a file into documents.

Score of a type on a page = ``title_weight`` when one of its titles is printed
as a title (large print, or in the top third of the page) + the weights of its
keywords found in the page text. An ``exclude`` text rules the type out. The
best type with score >= ``min_score`` wins; its confidence grows with the score
and with the margin over the runner-up.

Splitting: a page with a title starts a new document; a page without one
continues the previous document when that type is ``multipage`` and the page
has something of it (or nothing of any type); otherwise its best type starts
a new document, or it is ``unknown``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

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
    for kw, w in cl.get("keywords", {}).items():
        if nk(kw) in text:
            score += float(w)
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
