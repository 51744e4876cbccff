"""Before a submission is decided: second readings of values that two documents give differently.

A cross-document comparison (单位名称 on the license and the commitment letter, the fee on the
contract and the total on the invoice) that fails by one or two confusable characters, or by an
amount OCR could have misread, is most often the same print read twice differently.  Validation
cannot tell (it is a pure leaf: no OCR), so here, with the page images and the OCR runner at hand:

* **names** (the packet's ``equal`` rules normalized ``org_name``/``person``/``text`` and the
  ``equal_person`` names): when the readings differ by what `confusions.ocr_difference` calls an
  OCR difference, the crop of every reading is read again (upscaled, binarized, the second
  engine, `extractors.reread.crop_readings`).  When one value is among the readings of every
  crop, the readings converge: the fields that differed take it (and the finding goes).  When
  they do not, nothing changes: `settle` makes the mismatch a warning naming both readings
  (请人工核对), never an error.
* **money** (``amount_agree`` rules): when all documents but one agree, the odd one's crop is read
  again, and the amounts printed on its page are looked at: the agreed amount among them (a
  type-valid runner-up: the invoice's 价税合计 beside its 金额) is taken.  Two documents that do
  not agree with anything, or an odd one whose page does not print the agreed amount, stay as
  they are (a real mismatch is still found).
  With no majority (every amount different), a *doubtful* amount (below its type's review
  threshold) is read again too: when exactly one of the *confident* amounts is among its crop's
  second readings or the amounts printed on its own page, it takes that one.  Confident amounts
  are never changed, so two confident amounts that differ stay a mismatch (the amount.mismatch
  defect is still rejected); a doubtful one whose evidence shows none, or two, stays as read.

Every change is kept with its evidence: the field's ``strategy`` gains ``+reconciled``, its ``raw``
the readings that made it, and an event ``reconcile`` is logged with both readings, so the
review UI and `docintake` logs show why a value is not what the page-level OCR read.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .db import log_event, now, transaction
from .model import Document, FieldValue

log = logging.getLogger("docintake.reconcile")

TEXT_NORMALIZE = ("org_name", "person", "text")
MAX_CROPS = 8  # re-reads per submission: bounds the cost on a packet full of disagreements
_MONEY_ON_PAGE = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?(?![\d])|(?<![\d.,])\d+\.\d{2}(?![\d])")


@dataclass
class Reading:
    doc: Document
    key: str
    fv: FieldValue


@dataclass
class Change:
    reading: Reading
    value: str
    why: str
    readings: list[str]
    # what the value is now worth: the documents it agrees with are independent readings of it
    # (as an in-document cross-check that holds raises confidence), never above AGREED_CONF
    confidence: float = 0.0


AGREED_CONF = 0.95


def _agreed(fv: FieldValue, others: list[FieldValue]) -> float:
    """The reconciled value's confidence: its own first reading's, raised to the least of the
    agreeing readings' (each at or above review alone), at most `AGREED_CONF`."""
    least = min((float(o.confidence or 0) for o in others), default=0.0)
    return round(max(float(fv.confidence or 0), min(least, AGREED_CONF)), 3)


# --- what to compare (the packet's rules, as validation reads them) ---------------------------

def _groups(documents: list[Document]) -> tuple[list[tuple[str, list[Reading]]], list[list[Reading]]]:
    """``([(normalize, readings)], [money readings])`` of the packet's comparison rules."""
    from .validation.context import PacketContext
    from .validation.packets import load_packets, recognise

    packets = load_packets()
    spec = packets.get(recognise([d.type for d in documents], packets))
    if spec is None:
        return [], []
    ctx = PacketContext(spec, documents, None, None)
    text, money = [], []
    for entry in spec.rules:
        refs = lambda params: [Reading(r.doc, r.key, r.fv) for p in params for r in ctx.refs(*p)]  # noqa: E731
        if entry.get("equal") and entry.get("normalize", "text") in TEXT_NORMALIZE:
            text.append((entry.get("normalize", "text"), refs(entry["equal"])))
        elif entry.get("equal_person"):
            text.append(("person", refs(entry["equal_person"]["name"])))
        elif entry.get("amount_agree"):
            money.append(refs(entry["amount_agree"]))
    return text, money


def _key(normalize: str, value) -> str:
    from .validation.confusions import clean, simplify
    from .validation.normalize import NORMALIZERS

    return simplify(clean(NORMALIZERS[normalize](value)))


def _money(value) -> Decimal | None:
    try:
        return Decimal(str(value).replace(",", "").replace("¥", "").replace("￥", "").strip()).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


# --- crops ------------------------------------------------------------------------------------

class _Pages:
    """Page images of the submission's documents, opened once each."""

    def __init__(self, db):
        self.db = db
        self.images: dict[tuple[int, int], object] = {}

    def image(self, doc: Document, page: int | None):
        if doc.document_id is None or page is None:
            return None
        row = self.db.execute("SELECT p.image_path FROM pages p JOIN documents d ON d.file_id = p.file_id "
                              "WHERE d.id = ? AND p.number = ?", [doc.document_id, page]).fetchone()
        if not row or not row[0]:
            return None
        k = (doc.document_id, page)
        if k not in self.images:
            from PIL import Image
            try:
                with Image.open(row[0]) as im:
                    self.images[k] = im.convert("RGB")
            except OSError:
                self.images[k] = None
        return self.images[k]

    def text(self, doc: Document) -> str:
        if doc.document_id is None:
            return ""
        rows = self.db.execute("SELECT p.number, p.text FROM pages p JOIN documents d ON d.file_id = p.file_id "
                               "WHERE d.id = ? ORDER BY p.number", [doc.document_id]).fetchall()
        nums = set(doc.pages or [])
        return "\n".join(t or "" for n, t in rows if not nums or n in nums)


def _normalizer(doc_type: str, key: str, default: str) -> str:
    from schemas.registry import load_registry

    reg = load_registry()
    if doc_type in reg:
        try:
            return reg.get(doc_type).field(key).normalizer or default
        except KeyError:
            return default
    return default


def _reread(r: Reading, pages: _Pages, reader, engine: str, default_norm: str) -> list[tuple[str, float, str]]:
    from extractors.reread import crop_readings

    fv = r.fv
    img = pages.image(r.doc, fv.page)
    if img is None or fv.bbox is None or fv.source == "reviewer":
        return []
    x0, y0, x1, y1 = fv.bbox
    char_h = max(8.0, min(float(y1 - y0), 90.0))
    try:
        return crop_readings(img, fv.bbox, char_h, _normalizer(r.doc.type, r.key, default_norm), engine, reader,
                             fv.label)
    except Exception:  # noqa: BLE001 - a failed second reading leaves the first as it is
        log.warning("re-reading %s.%s failed", r.doc.type, r.key, exc_info=True)
        return []


# --- names ------------------------------------------------------------------------------------

def converge_names(normalize: str, readings: list[Reading], rereads: list[list[tuple[str, float, str]]]
                   ) -> list[Change]:
    """The changes that make ``readings`` agree, when one value is among every crop's readings
    (its first reading and its second ones), or ``[]``.  Pure: the tests call it directly."""
    sets = []
    for r, extra in zip(readings, rereads):
        values = {_key(normalize, r.fv.value): str(r.fv.value)}
        for value, _conf, _how in extra:
            values.setdefault(_key(normalize, value), value)
        sets.append(values)
    common = set(sets[0])
    for s in sets[1:]:
        common &= set(s)
    if not common:
        return []
    originals = [_key(normalize, r.fv.value) for r in readings]
    # the value most documents were first read as; then the one most second readings gave
    best = max(common, key=lambda k: (originals.count(k), sum(k == _key(normalize, v) for x in rereads for v, _, _ in x)))
    out = []
    for r, extra, own in zip(readings, rereads, originals):
        if own == best or r.fv.source == "reviewer":
            continue
        how = [h for v, _c, h in extra if _key(normalize, v) == best]
        agreeing = [x.fv for x, k in zip(readings, originals) if k == best]
        others = [str(fv.value) for fv in agreeing]
        out.append(Change(r, sets[readings.index(r)][best],
                          f"second reading of the crop ({'; '.join(how)}) agrees with {'/'.join(others[:2])}",
                          [str(r.fv.value), *others[:1]], _agreed(r.fv, agreeing) if agreeing else r.fv.confidence))
    return out


def _doubtful(r: Reading) -> bool:
    from schemas.registry import type_schema

    ts = type_schema(r.doc.type)
    return r.fv.source != "reviewer" and ts is not None and float(r.fv.confidence or 0) < ts.confidence_threshold


def _name_changes(normalize: str, readings: list[Reading], pages: _Pages, reader, engine: str,
                  budget: list[int]) -> list[Change]:
    from .validation.confusions import ocr_difference

    keys = {_key(normalize, r.fv.value) for r in readings}
    if len(keys) < 2:
        return []
    # only an OCR-sized difference, or one resting on a doubtful reading (below its review
    # threshold), is worth a second reading: two confident readings of two organizations stay a mismatch
    for i, a in enumerate(readings):
        for b in readings[i + 1:]:
            if _key(normalize, a.fv.value) != _key(normalize, b.fv.value) and not (
                    ocr_difference(str(a.fv.value), str(b.fv.value)) or _doubtful(a) or _doubtful(b)):
                return []
    # a label read into the value (受托人：欧阳佳  性别：女 read as 欧阳佳性别): no OCR needed
    trimmed = [label_trimmed(str(r.fv.value)) for r in readings]
    changes = converge_names(normalize, readings, trimmed)
    if changes or budget[0] < len(readings):
        return changes
    budget[0] -= len(readings)
    rereads = [t + _reread(r, pages, reader, engine, "name") for r, t in zip(readings, trimmed)]
    return converge_names(normalize, readings, rereads)


def label_trimmed(value: str) -> list[tuple[str, float, str]]:
    """The value without a common form label read into it, after it (``欧阳佳性别``) or before it
    (``法定代表人张伟``): readings of the same print with the neighbour cut off."""
    from .validation.confusions import clean, labels

    s, out = clean(value), []
    for label in labels():
        at = s.find(label)
        if at >= 2 and s[:at] not in [v for v, _, _ in out]:
            out.append((s[:at], 1.0, f"label-trimmed:“{label}”"))
        if s.startswith(label) and len(s) - len(label) >= 2:
            rest = s[len(label):].lstrip(":：")
            if rest not in [v for v, _, _ in out]:
                out.append((rest, 1.0, f"label-trimmed:“{label}”"))
    return out


# --- money ------------------------------------------------------------------------------------

def printed_amounts(text: str) -> set[Decimal]:
    """Amounts in figures printed on a page (1,234.00 or 1234.00): a document's runner-ups."""
    out = set()
    for m in _MONEY_ON_PAGE.finditer(text or ""):
        v = _money(m.group(0))
        if v is not None and v > 0:
            out.add(v)
    return out


def money_change(readings: list[Reading], page_text: dict[int, str],
                 rereads: dict[int, list[tuple[str, float, str]]]) -> Change | None:
    """When every reading but one agrees on an amount and the odd one's crop read again, or its
    page, gives that amount: the change to it; else None (several disagree, or the odd one's
    page does not print the agreed amount: a real mismatch).  Pure; ``page_text`` and
    ``rereads`` are by the odd reading's index."""
    amounts = [_money(r.fv.value) for r in readings]
    if None in amounts or len(set(amounts)) != 2 or len(readings) < 3:
        return None
    counts = {a: amounts.count(a) for a in set(amounts)}
    agreed = max(counts, key=counts.get)
    if counts[agreed] < 2 or counts[agreed] == len(readings) - counts[agreed]:
        return None
    odd = [i for i, a in enumerate(amounts) if a != agreed]
    if len(odd) != 1:
        return None
    i = odd[0]
    r = readings[i]
    if r.fv.source == "reviewer":
        return None
    agreeing = [f"{x.doc.type}.{x.key}" for x, a in zip(readings, amounts) if a == agreed]
    conf = _agreed(r.fv, [x.fv for x, a in zip(readings, amounts) if a == agreed])
    for value, _conf, how in rereads.get(i, []):
        if _money(value) == agreed:
            return Change(r, f"{agreed:.2f}", f"second reading of the crop ({how}) gives {agreed:.2f}, "
                          f"as {', '.join(agreeing)}", [str(r.fv.value), f"{agreed:.2f}"], conf)
    if agreed in printed_amounts(page_text.get(i, "")):
        return Change(r, f"{agreed:.2f}", f"{agreed:.2f} is printed on the page (a runner-up), as "
                      f"{', '.join(agreeing)} give it; first read {r.fv.value}", [str(r.fv.value), f"{agreed:.2f}"], conf)
    return None


def doubtful_money_changes(readings: list[Reading], doubtful: list[bool], page_text: dict[int, str],
                           rereads: dict[int, list[tuple[str, float, str]]]) -> list[Change]:
    """With no agreed amount: each doubtful reading whose own crop re-read or page shows exactly
    one of the confident amounts, changed to it.  Pure; ``doubtful``, ``page_text`` and
    ``rereads`` are by reading index."""
    amounts = [_money(r.fv.value) for r in readings]
    if None in amounts:
        return []
    confident = {a for a, d in zip(amounts, doubtful) if not d}
    out = []
    for i, r in enumerate(readings):
        if not doubtful[i] or r.fv.source == "reviewer":
            continue
        by_crop = {_money(v): how for v, _c, how in rereads.get(i, [])}
        printed = printed_amounts(page_text.get(i, ""))
        shown = {a for a in confident - {amounts[i]} if a in by_crop or a in printed}
        if len(shown) != 1:
            continue  # nothing shown, or two confident amounts: no reason to prefer one
        target = shown.pop()
        agreeing = [x for x, a in zip(readings, amounts) if a == target]
        names = ", ".join(f"{x.doc.type}.{x.key}" for x in agreeing)
        why = (f"second reading of the crop ({by_crop[target]}) gives {target:.2f}" if target in by_crop
               else f"{target:.2f} is printed on the page (a runner-up)")
        out.append(Change(r, f"{target:.2f}", f"{why}, as {names} (confident) give it; first read {r.fv.value} "
                          "below the review threshold", [str(r.fv.value), f"{target:.2f}"],
                          _agreed(r.fv, [x.fv for x in agreeing])))
    return out


# --- applying ---------------------------------------------------------------------------------

def _apply(db, sid: int, ch: Change) -> None:
    fv, doc = ch.reading.fv, ch.reading.doc
    conf = ch.confidence or float(fv.confidence or 0)
    why = f"{ch.why}; confidence {float(fv.confidence or 0):.2f} → {conf:.2f}"
    note = f"{fv.raw} ⇒ 复核：{why}" if fv.raw else f"复核：{why}"
    db.conn.execute("UPDATE fields SET value = ?, value_json = ?, confidence = ?, strategy = ?, raw = ?, updated_at = ? "
                    "WHERE document_id = ? AND key = ? AND source = 'extractor'",
                    [ch.value, json.dumps(ch.value, ensure_ascii=False), conf, (fv.strategy or "") + "+reconciled",
                     note, now(), doc.document_id, ch.reading.key])
    log_event(db, "reconcile", json.dumps({"document": doc.type, "field": ch.reading.key, "from": fv.value,
                                           "to": ch.value, "confidence": conf, "why": why}, ensure_ascii=False), sid)
    fv.value, fv.confidence = ch.value, conf


def _no_majority(amounts: list) -> bool:
    """No amount is given by more documents than any other (every one different, or a tie)."""
    counts = sorted((amounts.count(a) for a in set(amounts)), reverse=True)
    return len(counts) < 2 or counts[0] == counts[1]


def _doubtful_money(readings: list[Reading], pages: _Pages, reader, engine: str, budget: list[int]) -> list[Change]:
    doubtful = [_doubtful(r) for r in readings]
    if all(doubtful) or not any(doubtful):
        return []  # nothing confident to take, or nothing in doubt: the rule decides
    page_text, rereads = {}, {}
    for i, r in enumerate(readings):
        if doubtful[i]:
            page_text[i] = pages.text(r.doc)
            if budget[0] > 0:
                budget[0] -= 1
                rereads[i] = _reread(r, pages, reader, engine, "money")
    return doubtful_money_changes(readings, doubtful, page_text, rereads)


def reconcile_submission(db, runner, sid: int) -> list[Change]:
    """Re-read and reconcile the submission's cross-document disagreements (module docstring);
    the changes made.  Never raises for a reading problem: the decision then sees the first readings."""
    from .errors import DatabaseError, EngineError

    try:
        return _reconcile(db, runner, sid)
    except (DatabaseError, EngineError):
        raise  # not the submission's fault: the caller stops as for any other step
    except Exception:  # noqa: BLE001 - reconciling is an improvement, never a reason to fail intake
        log.warning("reconcile: submission %s left as first read", sid, exc_info=True)
        return []


def _reconcile(db, runner, sid: int) -> list[Change]:
    from . import store
    from .reader import OcrReader

    documents = store.load_documents(db, sid)
    text_groups, money_groups = _groups(documents)
    if not text_groups and not money_groups:
        return []
    pages, reader, budget, changes = _Pages(db), OcrReader(runner, db), [MAX_CROPS], []
    for normalize, readings in text_groups:
        changes += _name_changes(normalize, readings, pages, reader, runner.engine, budget)
    for readings in money_groups:
        amounts = [_money(r.fv.value) for r in readings]
        if None in amounts or len(set(amounts)) < 2:
            continue
        if _no_majority(amounts):
            changes += _doubtful_money(readings, pages, reader, runner.engine, budget)
            continue
        if len(set(amounts)) != 2 or len(readings) < 3:
            continue
        odd = [i for i, a in enumerate(amounts) if amounts.count(a) == 1]
        if len(odd) != 1:
            continue
        i = odd[0]
        page_text = {i: pages.text(readings[i].doc)}
        rereads = {i: _reread(readings[i], pages, reader, runner.engine, "money")} if budget[0] > 0 else {}
        budget[0] -= 1
        ch = money_change(readings, page_text, rereads)
        if ch is not None:
            changes.append(ch)
    if changes:
        with transaction(db):
            for ch in changes:
                _apply(db, sid, ch)
        log.info("reconciled %d field(s) of submission %s", len(changes), sid)
    return changes
