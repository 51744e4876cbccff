"""Layout families per document type, and the held-out split that measures generalization.

Each type has the layout the generator always drew ("classic") and further families modelled on
other real templates: other label wording, line structure (one field per line, several on a line,
tables, running sentences), rulings, fonts and page shapes. One non-classic family per type is
held out, chosen by HOLDOUT_SEED: extraction is developed and golden-tested on the other families
only, and benchmarks report the held-out families beside the developed ones, so the gap between
the two says how well extraction generalizes to layouts nobody tuned it on.
"""
from __future__ import annotations

import hashlib

FAMILIES: dict[str, tuple[str, ...]] = {
    "business_license": ("classic", "pre2019", "landscape", "branch"),
    "commitment_letter": ("classic", "sign_right", "sign_table", "compact", "bare_signoff", "stacked_signoff",
                          "two_column_signoff", "underline_signoff"),
    "id_card": ("classic", "certified_copy", "enlarged", "tilted", "toner_copy"),
    "authorization_letter": ("classic", "running_letter", "inline_fields", "org_agent"),
    "service_contract": ("classic", "cover_page", "party_table", "entrust_form", "clause_amount", "payment_schedule"),
    "invoice": ("classic", "paper_multiline", "etax_print", "etax_stacked", "etax_mono"),
    "bank_receipt": ("classic", "line_list", "side_by_side", "voucher_grid"),
    "application_form": ("classic", "printed_glyphs", "pair_grid", "open_lines", "two_column"),
}
# Fixed for good: changing it moves a family that extraction was developed on into the held-out set.
HOLDOUT_SEED = 20261201
# The held-out family is drawn from the first HOLDOUT_POOL non-classic families of each type (those that
# existed when HOLDOUT_SEED was fixed): a family appended later is always developed, so widening the
# developed side never moves the held-out choice (a modulo over a longer tuple would).
HOLDOUT_POOL = 3
SPLITS = ("developed", "held_out", "all")


def held_out(doc_type: str, seed: int = HOLDOUT_SEED) -> str:
    """The held-out family of a type: a stable hash of (seed, type) over its non-classic families
    (a hash, not random.Random, so the choice never depends on Python's RNG implementation)."""
    names = [f for f in FAMILIES[doc_type] if f != "classic"][:HOLDOUT_POOL]
    digest = hashlib.sha256(f"holdout:{seed}:{doc_type}".encode()).digest()
    return names[int.from_bytes(digest[:8], "big") % len(names)]


def families(doc_type: str, split: str = "all") -> tuple[str, ...]:
    if doc_type not in FAMILIES:
        raise ValueError(f"unknown document type {doc_type!r}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    if split == "all":
        return FAMILIES[doc_type]
    h = held_out(doc_type)
    if split == "held_out":
        return (h,)
    return tuple(f for f in FAMILIES[doc_type] if f != h)


def split_of(doc_type: str, family: str) -> str:
    if family not in FAMILIES[doc_type]:
        raise ValueError(f"{doc_type} has no layout family {family!r}; known: {FAMILIES[doc_type]}")
    return "held_out" if family == held_out(doc_type) else "developed"
