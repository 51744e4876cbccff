"""Masking of personal data for the `viewer` role (same rule as the SQL views of m0002/m0008).

Free text is masked by `intake.masking.mask_text` with the submission's personal values
(`personal_values`), so that a value a reviewer typed, or a second occurrence of an extracted
one, is masked wherever it appears: page text, OCR lines, findings, comments, file names.
Page images are redacted over the personal fields' boxes and over every OCR word (or line)
whose text is masked (`redaction_boxes`).
"""
from __future__ import annotations

from intake.masking import MASK, mask_number, mask_text, personal_spans  # noqa: F401  (one rule everywhere)

from .schema_info import KEEP, is_personal


def mask_value(value, key: str = "") -> str | None:
    if value is None:
        return None
    head, tail = KEEP.get(key, (3, 4))
    return mask_number(str(value), head, tail)


def mask_field(dtype: str, key: str, value):
    return mask_value(value, key) if is_personal(dtype, key) else value


def personal_values(db, submission_id: int | None) -> list[tuple[str, int, int]]:
    """(value, keep_head, keep_tail) of every personal field of the submission: as extracted,
    as a reviewer typed it, and the earlier values the audit trail remembers."""
    if submission_id is None:
        return []
    out = set()
    for dtype, key, value in db.execute(
        "SELECT d.type, f.key, f.value FROM fields f JOIN documents d ON d.id = f.document_id "
        "WHERE d.submission_id = ? AND f.value IS NOT NULL", [submission_id]
    ).fetchall():
        if is_personal(dtype, key):
            out.add((str(value), *KEEP.get(key, (3, 4))))
    for dtype, key, old, new in db.execute(
        "SELECT document_type, field, old_value, new_value FROM audit WHERE submission_id = ? AND field IS NOT NULL",
        [submission_id],
    ).fetchall():
        if dtype and is_personal(dtype, key):
            out |= {(str(v), *KEEP.get(key, (3, 4))) for v in (old, new) if v}
    return sorted(out)


def redaction_boxes(db, page_id: int, field_boxes: list[tuple]) -> list[tuple[int, int, int, int]]:
    """Boxes to black out on a page for viewers: the personal fields' boxes, every OCR word whose
    text holds something masked, and the whole line when the masked part cannot be placed on
    its words (fails closed)."""
    row = db.execute("SELECT f.submission_id FROM pages p JOIN files f ON f.id = p.file_id WHERE p.id = ?",
                     [page_id]).fetchone()
    values = personal_values(db, row[0] if row else None)
    boxes = [tuple(b) for b in field_boxes]
    words: dict[int, list[tuple]] = {}
    for line_idx, text, x0, y0, x1, y1 in db.execute(
        "SELECT line_idx, text, x0, y0, x1, y1 FROM ocr_words WHERE page_id = ? ORDER BY id", [page_id]
    ).fetchall():
        words.setdefault(line_idx, []).append((text or "", (x0, y0, x1, y1)))
        if personal_spans(text, values):
            boxes.append((x0, y0, x1, y1))
    for idx, text, x0, y0, x1, y1 in db.execute(
        "SELECT idx, text, x0, y0, x1, y1 FROM ocr_lines WHERE page_id = ? ORDER BY idx", [page_id]
    ).fetchall():
        spans = personal_spans(text, values)
        if not spans:
            continue
        placed, pos, covered = True, 0, []
        for wtext, box in words.get(idx, []):
            at = text.find(wtext, pos) if wtext else -1
            if at < 0:
                placed = False
                break
            if any(at < e and s < at + len(wtext) for s, e, _ in spans):
                covered.append(box)
            pos = at + len(wtext)
        if placed and covered:
            boxes += covered
        else:
            boxes.append((x0, y0, x1, y1))
    return [b for b in boxes if None not in b]
