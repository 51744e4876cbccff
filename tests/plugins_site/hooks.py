"""What a site would ship as its ``docintake`` entry point: one plugin of every kind."""
from __future__ import annotations

import re

from extractors.normbase import Normalized
from intake.model import Line
from intake.plugins import hookimpl
from intake.validation.rules import finding

PLATE = re.compile(r"[\u4e00-\u9fff][A-Z][A-Z0-9]{5}")


class FixedEngine:
    """An OCR engine that reads every page as one fixed line (a site's own recognizer)."""

    name = "site_fixed"

    def settings_key(self) -> str:
        return "site_fixed-1"

    def recognize(self, image):
        return [Line("豫K12345", (0, 0, image.width, image.height), 0.99)]

    def detect_rotation(self, image) -> int:
        return 0


def plate(raw: str):
    m = PLATE.search((raw or "").replace(" ", "").upper())
    return Normalized(m.group(0)) if m else None


def first_line(ctx, spec):
    """A strategy: the page's first line as the value (enough to show it is called)."""
    return []


def field_present(ctx, entry, params):
    """A rule kind: error when none of the referenced fields has a value."""
    if not any(ctx.refs(*ref) for ref in params):
        yield finding(entry["rule"], entry.get("message", "缺少字段"), source=entry.get("source"))


def write_tsv(records, columns, out) -> int:
    n = 0
    out.write(("\t".join(columns) + "\n").encode("utf-8"))
    for rec in records:
        out.write(("\t".join(str(rec.get(c, "") or "") for c in columns) + "\n").encode("utf-8"))
        n += 1
    return n


@hookimpl
def docintake_ocr_engines():
    return {"site_fixed": FixedEngine}


@hookimpl
def docintake_strategies():
    return {"site_first_line": first_line}


@hookimpl
def docintake_normalizers():
    return {"site_plate": plate}


@hookimpl
def docintake_rule_kinds():
    return {"site_field_present": field_present}


@hookimpl
def docintake_export_formats():
    return {"tsv": write_tsv}
