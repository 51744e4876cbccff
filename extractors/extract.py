"""From read pages to documents with fields: classify, split, extract, re-read the doubtful.

``extract_pages(pages, images, file_name, engine_name)`` is what the pipeline
calls; ``explain(documents)`` says, per field, which label, strategy, raw text
and normalized value produced it (``docintake extract --explain``).
"""
from __future__ import annotations

import functools
import logging
import os
from collections import Counter
from typing import Iterable, Sequence

from PIL import Image

from intake.model import Document, FieldValue, Page, RegionReader, box_intersection

from .classify import classify_page, split_documents
from .layout import PageView, nk
from .pageimages import PageImages
from .registry import DocType, Registry, load_registry
from .strategies import STRATEGIES, Candidate, Context

log = logging.getLogger(__name__)

# What re-reading changed, for the accuracy benchmark ("measure each change").
STATS: Counter = Counter()

_TEXT_STRATEGIES = {"label", "regex", "table"}


def _reread_enabled() -> bool:
    return os.environ.get("DOCINTAKE_REREAD", "1") != "0"


def _red_reocr_enabled() -> bool:
    return os.environ.get("DOCINTAKE_RED_REOCR", "1") != "0"


# ---------------------------------------------------------------------------
# Fields
# ---------------------------------------------------------------------------


def _run_spec(spec: dict, fs, ctx: Context) -> Candidate | None:
    fn = STRATEGIES[spec["strategy"]]
    try:
        return fn(spec, fs, ctx)
    except Exception:  # one broken field must not lose the document
        log.exception("strategy %s failed on field %s", spec.get("strategy"), fs.key)
        STATS["strategy_error"] += 1
        return None


def extract_field(fs, ctx: Context) -> Candidate | None:
    """Every candidate of every spec, ranked (extractors/candidates.py); the winner carries its evidence.

    Expensive strategies (seal text, checkboxes, seals, signatures) run only while no cheap
    candidate has passed its type check."""
    best, _ = extract_field_ranked(fs, ctx)
    return best


def extract_field_ranked(fs, ctx: Context):
    from .candidates import choose
    from .text_strategies import MULTI

    found: list[tuple[int, dict, Candidate]] = []
    for i, spec in enumerate(fs.extract):
        name = spec["strategy"]
        if found and name not in _CHEAP and _good_enough(fs, found):
            continue
        if name in MULTI:
            try:
                cands = MULTI[name](spec, fs, ctx)
            except Exception:  # one broken field must not lose the document
                log.exception("strategy %s failed on field %s", name, fs.key)
                STATS["strategy_error"] += 1
                cands = []
        else:
            c = _run_spec(spec, fs, ctx)
            cands = [c] if c is not None else []
        _distinct_from(fs, cands, ctx)
        found += [(i, spec, c) for c in cands]
    if not found:
        return None, []
    best, ranked = choose(fs, found)
    if best is not None and best is not found[0][2]:
        STATS["overruled_by_ranking"] += 1
    if best is not None and any(s.agree for s in ranked[:1]):
        STATS["confirmed_by_second_strategy"] += 1
    return best, ranked


_CHEAP = {"label", "regex", "table", "qr"}


def _good_enough(fs, found) -> bool:
    from .value_types import check, kind_of

    return any(c.certainty >= 1.0 and check(kind_of(fs, spec), c.value)[0] >= 1.0 for _, spec, c in found)


def _distinct_from(fs, cands: list[Candidate], ctx: Context) -> None:
    """``x-distinct-from``: a value that is (part of) another field's value is that field's digits
    (an invoice number taken from the 发票代码 or the machine code)."""
    others = [ctx.values[k] for k in fs.schema.get("x-distinct-from", []) if k in ctx.values]
    for c in cands:
        v = str(c.value)
        for o in others:
            ov = str(o.value)
            if v and ov and v in ov:
                c.notes.append(f"printed after another label “{o.label or 'another field'}”: same digits as it")


def _same(a, b) -> bool:
    from .normalize import compare_key

    return compare_key(a) == compare_key(b)


def _reread(fs, cand: Candidate, ctx: Context, threshold: float) -> Candidate:
    """Re-read a doubtful value's crop: upscaled, binarized, and with the other engine."""
    if cand.strategy not in _TEXT_STRATEGIES or cand.bbox is None or cand.view is None:
        return cand
    if cand.confidence >= threshold or not _reread_enabled():
        return cand
    img = ctx.image_of(cand.view)
    if img is None:
        return cand
    from .reread import reread_value

    spec = getattr(cand, "spec", None) or fs.extract[0]
    STATS["reread_attempted"] += 1
    if ctx.reader is None:
        return cand
    new = reread_value(img, cand, spec, ctx.engine_name, ctx.reader)
    if new is None:
        STATS["reread_no_reading"] += 1
        return cand
    value, certainty, conf, how = new
    if _same(value, cand.value):
        STATS["reread_confirmed"] += 1
        cand.confidence = max(cand.confidence, min(0.97, 0.5 + conf / 2))
        cand.strategy = f"{cand.strategy}+reread"
        return cand
    if certainty > cand.certainty or (certainty >= cand.certainty and conf > cand.confidence + 0.15):
        STATS["reread_changed"] += 1
        STATS[f"reread_changed_{fs.format or fs.key}"] += 1
        cand.raw = f"{cand.raw} → {how}"
        cand.value = value
        cand.certainty = certainty
        cand.confidence = min(0.95, conf * certainty)
        cand.strategy = f"{cand.strategy}+reread"
        return cand
    STATS["reread_kept"] += 1
    return cand


class _CellAsLine:
    """A blank value's cell as one text line: the recogniser alone, no detector (`RegionReader` with `line`).

    The cell is one band of print, the label's height. With the detector RapidOCR pads so wide a crop
    and scales it to 736 px on its short side, a detector input the size of a whole page: the cell's
    two readings cost 3.7-4.3 CPU-s against 0.2-0.3 as lines (one cell of the pipeline_speed run)."""

    def __init__(self, reader: RegionReader):
        self.reader = reader

    def read(self, image, engine=None, keep_red=False, line=False):
        return self.reader.read(image, engine=engine, keep_red=keep_red, line=True)


def _has_ink(img: Image.Image, box) -> bool:
    """Whether the cell holds any dark print once red seal ink is removed (an empty cell is not read:
    the recogniser would make something up from the background)."""
    import numpy as np

    from intake.imaging import remove_red

    x0, y0, x1, y1 = (int(v) for v in box)
    cell = np.asarray(remove_red(img.crop((x0, y0, x1, y1)).convert("RGB")).convert("L"))
    return int((cell < 110).sum()) >= 8


def _read_blank(fs, ctx: Context) -> Candidate | None:
    """A required value whose label was read but not the value (a seal stamped across it):
    read the space right of the label on its own, red removed. Never trusted without review."""
    if not _reread_enabled() or ctx.reader is None:
        return None
    from .hits import _candidate_hits

    spec = next((s for s in fs.extract if s.get("strategy") == "label"
                 and s.get("direction", "right-or-below") in ("right", "right-or-below")), None)
    if spec is None:
        return None
    for view, hit in _candidate_hits(spec, ctx, spec.get("labels", []))[:1]:
        img = ctx.image_of(view)
        if img is None or view.page.source != "ocr":
            return None
        lab_h = max(1, hit.bbox[3] - hit.bbox[1])
        x0 = hit.bbox[2] + 0.3 * lab_h
        x1 = view.page.width * 0.95
        # the value's space ends where the next label of the row begins
        rest = view.rows[hit.row].chars[hit.end :]
        keys = [nk(c.text) for c in rest]
        for j, c in enumerate(rest):
            if c.bbox[0] > x0 + 3 * lab_h and any(sk and "".join(keys[j : j + len(sk)]) == sk for sk in ctx.stop_keys):
                x1 = min(x1, c.bbox[0] - 0.3 * lab_h)
                break
        if x1 - x0 < 3 * lab_h:
            return None
        from .reread import read_region

        STATS["blank_reread_attempted"] += 1
        box = (x0, hit.bbox[1], x1, hit.bbox[3])
        if not _has_ink(img, box):
            STATS["blank_reread_no_ink"] += 1
            return None
        got = read_region(img, box, float(lab_h), spec, ctx.engine_name, _CellAsLine(ctx.reader))
        if got is None:
            return None
        value, certainty, conf, how = got
        STATS["blank_reread_filled"] += 1
        bbox = (int(x0), int(hit.bbox[1]), int(x1), int(hit.bbox[3]))
        return Candidate(value, min(0.8, conf * certainty), view.number, bbox, "label+blank_reread", how,
                         hit.label, certainty, view, [])
    return None


def _distinct_after(dt: DocType, chosen: dict[str, Candidate]) -> None:
    """A field read before the one it must differ from (invoice_code before invoice_number) is
    checked once both are known: the code of a 数电票 is absent, and the first digits of its
    20-digit number found where codes are printed are not a code."""
    for fs in dt.fields:
        a = chosen.get(fs.key)
        if a is None:
            continue
        for other in fs.schema.get("x-distinct-from", []):
            b = chosen.get(other)
            if b is None or str(a.value) == str(b.value) or str(a.value) not in str(b.value):
                continue
            if a.strategy.split("+")[0] in ("regex",) and b.strategy.split("+")[0] in ("label", "qr"):
                STATS["dropped_as_part_of_another_field"] += 1
                del chosen[fs.key]
                break
            a.confidence = min(a.confidence, 0.8)
            a.notes.append(f"same digits as {other} {b.value}")


def extract_document(dt: DocType, views: list[PageView], images, engine_name: str,
                     reader: RegionReader | None = None) -> tuple[dict[str, FieldValue], Context]:
    from .calibration import final_confidence
    from .candidates import ExplainedValue, evidence, keep_doubt, why_text
    from .crosschecks import apply as cross_check, printed_figures

    ctx = Context(dt, views, images, engine_name, reader)
    threshold = dt.confidence_threshold
    chosen: dict[str, Candidate] = {}
    ranked_of: dict[str, list] = {}
    for fs in dt.fields:
        cand, ranked = extract_field_ranked(fs, ctx)
        if cand is None and fs.required and fs.type == "string":
            cand = _read_blank(fs, ctx)
        if cand is None:
            continue
        cand = _reread(fs, cand, ctx, threshold)
        keep_doubt(cand)
        chosen[fs.key] = cand
        ranked_of[fs.key] = ranked
        ctx.values[fs.key] = cand
    _distinct_after(dt, chosen)
    figures = functools.cache(lambda: printed_figures(views))  # read off the pages once, only if a sum needs them
    for line in cross_check(dt.schema.get("x-cross-checks", []), chosen, ranked_of, figures):
        STATS[f"crosscheck {line.split(' ')[0]}"] += 1
    out: dict[str, FieldValue] = {}
    for key, cand in chosen.items():
        out[key] = ExplainedValue(
            value=cand.value,
            confidence=final_confidence(dt.field(key), cand),  # before notes: a cap adds one
            page=cand.page,
            bbox=tuple(int(v) for v in cand.bbox) if cand.bbox else None,
            strategy=cand.strategy,
            raw=cand.raw,
            label=cand.label,
            evidence=evidence(ranked_of.get(key, [])),
            notes=list(dict.fromkeys(cand.notes)),
            why=why_text(ranked_of.get(key, [])),
        )
    return out, ctx


# ---------------------------------------------------------------------------
# Pages -> documents
# ---------------------------------------------------------------------------


def _colour(images, k: int) -> bool:
    return images.mode(k) in ("RGB", "RGBA")


# The reader used when a caller passes none (tests and benchmarks set one; the pipeline always passes its own).
# Without any, extraction reads nothing again: no second readings, no seal-ring text.
default_reader: RegionReader | None = None


def _reocr_keep_red(page: Page, img: Image.Image, engine_name: str, reader: RegionReader) -> Page:
    """Read the page again with red print kept (as gray): red/brown labels (invoices) are erased by seal removal.

    The page's own lines go along as known: the reader then recognises only the text boxes they
    lack or read unsure (most of an invoice's lines are read already; model.RegionReader)."""
    from dataclasses import replace

    STATS["red_reocr"] += 1
    known = list(page.lines) if page.engine in (engine_name, "") else None  # another engine's boxes differ
    lines = reader.read(img, engine=engine_name, keep_red=True, known=known)
    return replace(page, lines=tuple(lines))


def _shift_line(line, dx: int, dy: int):
    from dataclasses import replace

    b = line.bbox
    words = tuple(replace(w, bbox=(w.bbox[0] + dx, w.bbox[1] + dy, w.bbox[2] + dx, w.bbox[3] + dy))
                  for w in line.words)
    return replace(line, bbox=(b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy), words=words)


def _covered(b, lines) -> bool:
    """Whether most of box b is already covered by a line the page reading has."""
    area = max(1, (b[2] - b[0]) * (b[3] - b[1]))
    return any(box_intersection(ln.bbox, b) >= 0.5 * area for ln in lines)


def _reocr_seal_bands(page: Page, img: Image.Image, seals, reader: RegionReader) -> Page | None:
    """Read again the bands of the page a seal is stamped across, each on its own.

    At page scale the text detector often loses a whole line a seal overlaps (单位名称（加盖公章）：
    许昌…有限公司 with the seal centred on the name), label and all, though the line reads well
    in a crop of its own. Lines found in a band that the page reading does not have are added;
    None when nothing was added."""
    from dataclasses import replace

    added = []
    for seal in seals:
        x0, y0, x1, y1 = (int(v) for v in seal.bbox)
        pad = max(8, (y1 - y0) // 10)
        top, bottom = max(0, y0 - pad), min(img.height, y1 + pad)
        if bottom - top < 16:
            continue
        band = img.crop((0, top, img.width, bottom))
        STATS["seal_band_reocr"] += 1
        lines = reader.read(band)
        for ln in lines:
            ln = _shift_line(ln, 0, top)
            if ln.text.strip() and not _covered(ln.bbox, list(page.lines) + added):
                added.append(ln)
    if not added:
        return None
    STATS["seal_band_lines_added"] += len(added)
    return replace(page, lines=tuple(sorted(list(page.lines) + added, key=lambda ln: (ln.bbox[1], ln.bbox[0]))))


def _engine_pages(dt: DocType, pages: list[Page], images, engine_name: str,
                  reader: RegionReader | None) -> tuple[list[Page], str]:
    """Honour a schema's x-ocr-engine: re-read its pages with that engine."""
    want = dt.ocr_engine
    if not want or want == engine_name or reader is None:
        return pages, engine_name
    from dataclasses import replace

    out = []
    for k, p in enumerate(pages):
        if p.source == "ocr" and images.mode(k) is not None:
            p = replace(p, lines=tuple(reader.read(images[k], engine=want)), engine=want)
        out.append(p)
    return out, want


def _keep_red_pages(pages: list[Page], images, engine_name: str, reader: RegionReader) -> list[Page]:
    return [_reocr_keep_red(p, images[k], engine_name, reader) if p.source == "ocr" and _colour(images, k) else p
            for k, p in enumerate(pages)]


def extract_pages(
    pages: list[Page],
    images: Sequence,
    file_name: str,
    engine_name: str = "rapidocr",
    registry: Registry | None = None,
    reader: RegionReader | None = None,
) -> list[Document]:
    """One Document per logical document in page order, with fields and seals.

    `images` holds, per page, a decoded image or the path of the page image (opened only
    while extraction needs its pixels, a few at a time: see pageimages.py). `reader` reads
    regions again (model.RegionReader); `default_reader` when None.
    """
    reg = registry or load_registry()
    reader = reader if reader is not None else default_reader
    pages = list(pages)
    images = PageImages.of(list(images) + [None] * max(0, len(pages) - len(images)))
    views = [PageView(p, images.held(i)) for i, p in enumerate(pages)]
    classes = [classify_page(v, reg) for v in views]
    # pages that match nothing in a colour scan: red print may have been erased before OCR
    for i, (pc, p) in enumerate(zip(classes, pages)):
        if pc.type == "unknown" and p.source == "ocr" and reader is not None and _colour(images, i) \
                and _red_reocr_enabled():
            try:
                p2 = _reocr_keep_red(p, images[i], engine_name, reader)
            except Exception:
                log.exception("re-reading page %s with red kept failed", p.number)
                continue
            v2 = PageView(p2, images.held(i))
            pc2 = classify_page(v2, reg)
            if pc2.type != "unknown":
                pages[i], views[i], classes[i] = p2, v2, pc2
    by_number = {p.number: i for i, p in enumerate(pages)}
    docs: list[Document] = []
    for type_name, numbers, conf in split_documents(classes, reg):
        idx = [by_number[n] for n in numbers]
        doc = Document(type=type_name, pages=list(numbers), confidence=conf, file=file_name,
                       file_sha256=pages[idx[0]].file_sha256 if idx else "")
        if type_name == "unknown":
            docs.append(doc)
            continue
        dt = reg.get(type_name)
        dpages = [pages[i] for i in idx]
        dimgs = images.subset(idx)
        dpages, eng = _engine_pages(dt, dpages, dimgs, engine_name, reader)
        red_ok = _red_reocr_enabled() and reader is not None
        if dt.schema.get("x-ocr-keep-red") and red_ok:
            dpages = _keep_red_pages(dpages, dimgs, eng, reader)
        dviews = [views[i] if dpages[k] is pages[idx[k]] else PageView(dpages[k], dimgs.held(k))
                  for k, i in enumerate(idx)]
        fields, ctx = extract_document(dt, dviews, dimgs, eng, reader)
        missing = [f.key for f in dt.fields if f.required and f.key not in fields and f.type != "boolean"]
        if missing and red_ok and not dt.schema.get("x-ocr-keep-red") and any(
                p.source == "ocr" and _colour(dimgs, k) for k, p in enumerate(dpages)):
            # required labels may be printed in red (erased with the seals): read again keeping red
            try:
                rpages = _keep_red_pages(dpages, dimgs, eng, reader)
                rviews = [PageView(p, dimgs.held(k)) for k, p in enumerate(rpages)]
                rfields, _ = extract_document(dt, rviews, dimgs, eng, reader)
                for k, fv in rfields.items():
                    if k not in fields:
                        fields[k] = fv
                        STATS["field_from_red_reocr"] += 1
            except Exception:
                log.exception("re-reading with red kept failed")
        missing = [f.key for f in dt.fields if f.required and f.key not in fields and f.type != "boolean"]
        if missing and _reread_enabled() and reader is not None:
            _fill_from_seal_bands(dt, fields, dpages, dimgs, dviews, ctx, eng, reader)
        doc.fields = fields
        doc.seals = ctx.all_seals()
        docs.append(doc)
    images.release()
    return docs


def _fill_from_seal_bands(dt: DocType, fields: dict, dpages, dimgs, dviews, ctx: Context, eng: str,
                          reader: RegionReader) -> None:
    """Required fields still missing on pages with seals: read the seals' bands again and take
    the missing fields from the page with the recovered lines (a value found only there is
    marked, and never above 0.95: the page reading lost it once)."""
    try:
        bpages, changed = [], False
        for p, im, v in zip(dpages, dimgs, dviews):
            seals = ctx.seals(v) if (p.source == "ocr" and im is not None) else []
            p2 = _reocr_seal_bands(p, im, seals, reader) if seals else None
            changed |= p2 is not None
            bpages.append(p2 or p)
        if not changed:
            return
        bviews = [PageView(p, im) for p, im in zip(bpages, dimgs)]
        bfields, _ = extract_document(dt, bviews, dimgs, eng, reader)
        for k, fv in bfields.items():
            if k not in fields:
                fv.confidence = min(fv.confidence, 0.95)
                if hasattr(fv, "notes"):
                    fv.notes.append("read from a line under a seal that the page reading lost (band re-read)")
                fields[k] = fv
                STATS["field_from_seal_band"] += 1
    except Exception:
        log.exception("re-reading the bands under seals failed")


# ---------------------------------------------------------------------------
# explain
# ---------------------------------------------------------------------------


def explain(documents: Iterable[Document]) -> str:
    """A human-readable account of how every field was found."""
    reg = load_registry()
    out: list[str] = []
    for i, doc in enumerate(documents, 1):
        title = reg.get(doc.type).title_zh if doc.type in reg else "未知"
        out.append(f"[{i}] {doc.file} pages {','.join(map(str, doc.pages))}: {doc.type} ({title}) "
                   f"confidence {doc.confidence:.2f}")
        if doc.type in reg:
            for fs in reg.get(doc.type).fields:
                fv = doc.fields.get(fs.key)
                if fv is None:
                    out.append(f"    {fs.key:<24} {fs.label_zh}: — not found")
                    continue
                where = f"p{fv.page} {list(fv.bbox) if fv.bbox else ''}"
                out.append(
                    f"    {fs.key:<24} {fs.label_zh}: {fv.value!r}  conf {fv.confidence:.2f}  "
                    f"via {fv.strategy}" + (f" at label “{fv.label}”" if fv.label else "")
                    + f"  raw “{fv.raw}”  {where}"
                )
                out += _explain_candidates(fv)
        for s in doc.seals:
            out.append(f"    seal p{s.page} {list(s.bbox)} {s.color} {s.shape} {s.confidence:.2f} {s.text}")
    return "\n".join(out)


def _explain_candidates(fv) -> list[str]:
    """Every candidate considered for a field, its score, and why the winner won."""
    lines: list[str] = []
    why = getattr(fv, "why", "")
    if why:
        lines.append(f"        chosen: {why}")
    for note in getattr(fv, "notes", []):
        lines.append(f"        note: {note}")
    for i, e in enumerate(getattr(fv, "evidence", [])):
        mark = "*" if i == 0 else " "
        label = f" label “{e['label']}”" if e["label"] else ""
        extra = f"  [{'; '.join(e['notes'])}]" if e["notes"] else ""
        lines.append(
            f"       {mark} {e['score']:.2f}  {e['value']!r:<28} {e['strategy']}#{e['spec']}.{e['rank']}{label}"
            f"  conf {e['confidence']:.2f}  {e['type']} {e['type_score']:.2f}"
            + (f" ({e['type_reason']})" if e["type_reason"] else "")
            + (f"  agree {e['agree']}" if e["agree"] else "") + f"  raw “{e['raw']}”{extra}"
        )
    return lines
