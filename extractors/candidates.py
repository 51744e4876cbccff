"""Ranking a field's candidate values, and the evidence that says why the winner won.

Every strategy of a field's ``x-extract`` list offers candidates (each label occurrence, each
pattern match, each table row, the QR code). Each is scored on:

- type validity (``value_types.check``: a person's name, an organization's name, 8/20 digits…),
- the reading's own confidence (OCR × normalizer certainty),
- the schema author's preference (spec order, then label occurrence order), and how far the
  value stands from its label,
- agreement: other strategies or places that read the same value.

The winner's confidence then says what the evidence says: it is lowered for a value that failed
type validation, was repaired, or disagrees with a close runner-up, and raised when independent
readings agree. ``Evidence`` keeps every candidate considered for ``extract --explain``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from intake.model import FieldValue

from .normalize import compare_key
from .context import Candidate
from .value_types import check, kind_of

W_TYPE, W_CONF, W_PRIOR = 0.45, 0.30, 0.25
TYPE_DOUBT_CONF = 0.8  # below every schema's review threshold (x-review)


@dataclass
class Scored:
    cand: Candidate
    spec_index: int
    kind: str
    type_score: float
    type_reason: str
    score: float = 0.0
    agree: int = 0


@dataclass
class ExplainedValue(FieldValue):
    """A FieldValue that also carries the candidates it was chosen from (for --explain)."""

    evidence: list[dict] = field(default_factory=list, compare=False, repr=False)
    notes: list[str] = field(default_factory=list, compare=False, repr=False)
    why: str = field(default="", compare=False, repr=False)


WORDS_AGREE = "amount in words = amount in figures"


def _words_vs_figures(c: Candidate, kind: str) -> None:
    """A money value printed both in words and figures (人民币壹拾壹万…元（¥113230.00）): the two
    must agree; a figure read with its decimal point lost is repaired from the words."""
    if kind != "money" or not c.raw:
        return
    from .money import _words_span, parse_money_number, parse_money_words, reconcile_figures

    raw = re.sub(r"\s+", "", c.raw)
    span = _words_span(raw)
    # words need a capital numeral: 500万元 is figures with a unit, not words
    if not span or not re.search(r"[零壹贰叁肆伍陆柒捌玖]", span) or not re.search(r"\d", raw):
        return
    words = parse_money_words(span)
    figures = parse_money_number(raw)
    if words is None or figures is None:
        return
    if words == figures:
        c.notes.append(WORDS_AGREE)
        c.confidence = min(0.99, max(c.confidence, (c.confidence + 1) / 2))
        return
    value, repair = reconcile_figures(f"{figures:.2f}", f"{words:.2f}")
    if repair:
        c.notes.append(f"repaired: figures {figures} read with decimal places off, words say {words}")
        c.value = value
        c.confidence = min(c.confidence, 0.8)
        return
    c.notes.append(f"amount in words {words} ≠ figures {figures}")
    c.confidence = min(c.confidence, 0.6)


def _words_agree(c: Candidate) -> bool:
    return WORDS_AGREE in c.notes


def score_all(fs, found: list[tuple[int, dict, Candidate]]) -> list[Scored]:
    scored: list[Scored] = []
    for idx, spec, c in found:
        kind = kind_of(fs, spec)
        _words_vs_figures(c, kind)
        ts, why = check(kind, c.value)
        if any(n.startswith("printed after another label") for n in c.notes):
            ts, why = ts * 0.3, f"{why}; belongs to another label"
        if any(n.startswith("cut at a line wrap") for n in c.notes):
            ts, why = ts * 0.6, f"{why}; may run on past the line wrap"
        scored.append(Scored(c, idx, kind, ts, why))
    keys = [compare_key(s.cand.value) for s in scored]
    for i, s in enumerate(scored):
        # independent readings only: the same characters read by two strategies are one reading
        s.agree = sum(1 for j, o in enumerate(scored) if j != i and keys[j] == keys[i]
                      and not _overlaps(o.cand.bbox, s.cand.bbox))
        prior = max(0.0, 1.0 - 0.2 * s.spec_index - 0.12 * s.cand.rank)
        gap_pen = min(0.15, 0.02 * max(0.0, s.cand.label_gap - 3.0)) if s.cand.strategy == "label" else 0.0
        s.score = (W_TYPE * s.type_score + W_CONF * min(1.0, s.cand.confidence) + W_PRIOR * prior - gap_pen
                   + min(0.16, 0.08 * s.agree))
        s.cand.score = round(s.score, 3)
    return sorted(scored, key=lambda s: -s.score)


def choose(fs, found: list[tuple[int, dict, Candidate]]) -> tuple[Candidate | None, list[Scored]]:
    """The best candidate (its confidence calibrated to the evidence) and all scored ones."""
    ranked = score_all(fs, found)
    if not ranked:
        return None, ranked
    top = ranked[0]
    best = top.cand
    best.spec = found[[id(c) for _, _, c in found].index(id(best))][1]
    if top.type_score < 1.0:
        # a value that failed its type check is shown for review, never trusted
        best.confidence = min(TYPE_DOUBT_CONF, best.confidence * (0.5 + 0.5 * top.type_score))
        best.notes.append(f"type check: {top.type_reason}")
    if top.agree:
        best.confidence = max(best.confidence, min(0.99, (best.confidence + 1) / 2))
    # a rival is another reading of the field, not a piece of the winner's own text
    # (a label occurrence inside the value: 科技人员53名，预计使用人员26名)
    # Another occurrence of the same label is another party's (buyer/seller, payer/payee), so only
    # an independent strategy's reading counts as a rival.
    rivals = [s for s in ranked[1:] if compare_key(s.cand.value) != compare_key(best.value)
              and s.spec_index != top.spec_index and not _inside(s.cand.bbox, best.bbox)]
    if rivals:
        r = rivals[0]
        # an amount whose words and figures agree was printed twice and read alike: a rival
        # reading without that check does not put it in doubt
        if r.type_score >= 0.9 and r.score >= top.score - 0.06 and not top.agree \
                and not (_words_agree(best) and not _words_agree(r.cand)):
            best.confidence = min(best.confidence, 0.8)
            best.notes.append(f"close rival {r.cand.value!r} via {r.cand.strategy} (score {r.score:.2f})")
    return best, ranked


_DOUBTS = ("type check", "repaired", "close rival", "amount in words", "cut at a line wrap", "label partly read")


def keep_doubt(c: Candidate) -> None:
    """A re-read confirms the characters, not the choice: a value in doubt stays for review."""
    if any(n.startswith(_DOUBTS) and n != WORDS_AGREE for n in c.notes):  # agreement is no doubt
        c.confidence = min(c.confidence, TYPE_DOUBT_CONF)


def _overlaps(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def _inside(a, b) -> bool:
    if a is None or b is None:
        return False
    return a[0] >= b[0] - 2 and a[1] >= b[1] - 2 and a[2] <= b[2] + 2 and a[3] <= b[3] + 2


def why_text(ranked: list[Scored]) -> str:
    if not ranked:
        return ""
    top = ranked[0]
    parts = [f"score {top.score:.2f}"]
    parts.append(f"type {'✓' if top.type_score >= 1 else f'{top.type_score:.2f}'}"
                 + (f" ({top.type_reason})" if top.type_reason else ""))
    if top.agree:
        parts.append(f"{top.agree} other reading(s) agree")
    rival = next((r for r in ranked[1:] if compare_key(r.cand.value) != compare_key(top.cand.value)), None)
    if rival is not None:
        lost = []
        if rival.type_score < top.type_score:
            lost.append(f"type {rival.type_score:.2f}: {rival.type_reason}")
        if rival.spec_index > top.spec_index or rival.cand.rank > top.cand.rank:
            lost.append("less preferred label/strategy")
        if rival.cand.confidence < top.cand.confidence - 0.05:
            lost.append("lower reading confidence")
        parts.append(f"beat {rival.cand.value!r} ({rival.score:.2f}" + (f"; {', '.join(lost)}" if lost else "") + ")")
    return "; ".join(parts)


def evidence(ranked: list[Scored]) -> list[dict]:
    out = []
    for s in ranked:
        c = s.cand
        out.append({"value": c.value, "score": round(s.score, 3), "confidence": round(float(c.confidence), 3),
                    "strategy": c.strategy, "spec": s.spec_index, "rank": c.rank, "label": c.label, "raw": c.raw,
                    "type": s.kind, "type_score": round(s.type_score, 2), "type_reason": s.type_reason,
                    "agree": s.agree, "notes": list(c.notes), "page": c.page})
    return out
