"""Submission packets with one known defect each, and their expected outcome.

A packet is drawn from one scenario rng; defects are applied afterwards from a separate rng, so
``generate_packet(kind, seed, defect=X)`` differs from its twin ``generate_packet(kind, seed)``
only in what the defect touches (listed in ``truth["defect_fields"]``).

Defects that need the bureau's configuration (``STATE_DEFECTS``: reference lists, the year's
budget, the packet file's ``require_service_result`` setting) carry it in ``truth["state"]``
(``{"lists": {kind: [{uscc, name, year}]}, "budgets": {"YYYY": "amount"}, "settings": {name: bool}}``);
whoever decides the packet sets that state up first (bench/decisions.py: `apply_state`).  They are
kept out of ``PACKET_DEFECTS`` so a decision without that state (the demo inbox, the golden
truth test) is never judged against them.

Defects that need history (``voucher.duplicate_contract``, ``voucher.cap_exceeded``,
``voucher.budget_exhausted``) come as a series: ``generate_packet_series(kind, seed, defect)`` returns the packets to ingest in order into
one empty database; the earlier ones are valid and the last carries the defect.
``generate_packet`` alone returns that last packet (its truth assumes the earlier ones were ingested).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from . import ids, money, names
from .documents import build_values, render_values, truth_json
from .entities import make_org, make_person, validity_years
from .dates import add_years
from .layouts import application_form, business_license, id_card, invoice, service_contract, service_result

MEMBERSHIP = "membership_application"
VOUCHER = "voucher_redemption"
KINDS = (MEMBERSHIP, VOUCHER)
MEMBERSHIP_DOCS = ("application_form", "business_license", "commitment_letter", "id_card", "authorization_letter")
VOUCHER_DOCS = ("service_contract", "invoice", "bank_receipt")

PACKET_DEFECTS = {
    "schema.required": MEMBERSHIP, "schema.format": MEMBERSHIP, "uscc.checksum": MEMBERSHIP,
    "id.checksum": MEMBERSHIP, "id.expired": MEMBERSHIP, "jurisdiction.xuchang": MEMBERSHIP,
    "license.expired": MEMBERSHIP, "seal.missing": MEMBERSHIP, "signature.missing": MEMBERSHIP,
    "packet.missing_document": MEMBERSHIP, "consistency.name": MEMBERSHIP, "consistency.agent": MEMBERSHIP,
    "consistency.uscc": VOUCHER, "invoice.parties": VOUCHER, "amount.mismatch": VOUCHER,
    "voucher.affiliated": VOUCHER, "voucher.duplicate_contract": VOUCHER, "voucher.cap_exceeded": VOUCHER,
    "voucher.year": VOUCHER, "voucher.statutory_testing": VOUCHER,
}
# defect -> the rule it must raise (with its severity); the state it needs is in truth["state"]
STATE_DEFECTS = {
    "voucher.budget_exhausted": ("voucher.budget_exhausted", "error"),     # 细则 第十五条, nothing left
    "voucher.budget_partly_left": ("voucher.budget_exhausted", "warning"),  # part left: voucher reduced
    "voucher.provincial_subsidy": ("voucher.provincial_subsidy", "error"),  # 细则 第六条
    "voucher.provider_not_member": ("voucher.provider_not_member", "error"),  # 细则 第十八条
    "voucher.missing_service_result": ("packet.missing_document", "error"),  # 第二十条, setting on
    "service_result.mismatch": ("service_result.mismatch", "error"),  # result contradicts the contract
}
WARNINGS = {"voucher.statutory_testing"}
SERIES_DEFECTS = ("voucher.duplicate_contract", "voucher.cap_exceeded", "voucher.budget_exhausted")
YEARLY_CAP = Decimal("50000.00")
VOUCHER_RATE = Decimal("0.3")


@dataclass
class GeneratedPacket:
    name: str
    documents: list
    truth: dict
    kind: str = ""
    stack: bool = field(default=False)

    def file_names(self) -> list[str]:
        return [f"{i:02d}_{d.type}{d.suffix}" for i, d in enumerate(self.documents, 1)]

    def write(self, inbox_dir) -> Path:
        """Writes INBOX/<name>/NN_<type>.<ext> and INBOX/.truth/<name>/{<file>.json, packet.json}."""
        inbox = Path(inbox_dir)
        folder, truth_dir = inbox / self.name, inbox / ".truth" / self.name
        folder.mkdir(parents=True, exist_ok=True)
        truth_dir.mkdir(parents=True, exist_ok=True)
        files = []
        for fname, doc in zip(self.file_names(), self.documents):
            (folder / fname).write_bytes(doc.encode())
            (truth_dir / f"{fname}.json").write_text(truth_json(doc.truth), "utf-8")
            files.append({"file": fname, "type": doc.type})
        (truth_dir / "packet.json").write_text(truth_json(dict(self.truth, documents=files)), "utf-8")
        return folder


SPLITS = ("developed", "held_out", "all")


def _render(doc_type: str, v: dict, doc_seed: int, quality: str, split, family):
    """Render one of the packet's documents in the layout ``family`` asks for (one family name,
    or a dict by type), else one of ``split``'s families (picked by `documents.pick_family` with
    the document's seed); neither: the classic layout, byte for byte as before families existed."""
    if isinstance(family, dict):
        family = family.get(doc_type)
    if family is None and split is None:
        return render_values(doc_type, v, doc_seed, quality)
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    return render_values(doc_type, v, doc_seed, quality, family=family, split=split)


def _layout_truth(truth: dict, documents, split, family) -> dict:
    if split is None and family is None:
        return truth
    fams = {}
    for d in documents:
        fams.setdefault(d.type, d.truth.get("family"))
    return dict(truth, split=split, families=fams)


def voucher_amount(fee, already_granted=Decimal("0")) -> str:
    wanted = money.to_decimal(money.to_decimal(fee) * VOUCHER_RATE)
    left = max(Decimal("0"), YEARLY_CAP - already_granted)
    return money.norm(min(wanted, left))


def _status(rules_with_severity: dict) -> str:
    if any(s == "error" for s in rules_with_severity.values()):
        return "rejected"
    return "needs_review" if rules_with_severity else "ready"


# Characters an OCR engine reads one for another (letter for digit): a wrong check character
# drawn from these could be a misreading, not a confident defect.
_LOOKALIKE = {"0": "DQUO", "D": "0", "Q": "0", "U": "0", "1": "LI", "L": "1", "8": "B", "B": "8", "6": "G",
              "G": "6", "2": "Z", "5": "S"}


def _bad_check(rng: random.Random, code: str, alphabet: str) -> str:
    wrong = rng.choice([c for c in alphabet if c != code[-1]])
    if wrong in _LOOKALIKE.get(code[-1], ""):
        # drawn again from the code's own rng, so the scenario's later draws stay as they were
        wrong = random.Random(f"bad-check:{code}").choice(
            [c for c in alphabet if c != code[-1] and c not in _LOOKALIKE.get(code[-1], "")])
    return code[:-1] + wrong


def _other_trade(rng: random.Random, name: str) -> str:
    """Another company's name: the trade name replaced by one sharing no character with it
    (宏达 → 瑞达 would differ by one character, which could be an OCR misreading, not a
    confident defect; such a draw is drawn again, so other seeds keep their names)."""
    for t in sorted(names.TRADE_NAMES, key=len, reverse=True):
        if t in name:
            choices = [x for x in names.TRADE_NAMES if x != t and x not in name]
            other = rng.choice(choices)
            if set(other) & set(t):
                other = random.Random(f"other-trade:{name}").choice([x for x in choices if not set(x) & set(t)])
            return name.replace(t, other, 1)
    return name.replace("有限公司", "有限责任公司")


def _expired_validity(rng: random.Random, birth: date, as_of: date):
    for _ in range(500):
        issued = as_of - timedelta(days=rng.randint(365 * 5, 365 * 21))
        age = issued.year - birth.year - ((issued.month, issued.day) < (birth.month, birth.day))
        if age < 0:
            continue
        years = validity_years(age)
        if years is not None and add_years(issued, years) < as_of - timedelta(days=20):
            return issued, add_years(issued, years)
    raise RuntimeError("no expired validity found")


# --- membership ----------------------------------------------------------------------------------
def _membership(seed: int, defect: str | None, quality: str, as_of: date | None = None, split=None, family=None):
    rng = random.Random(f"membership:{seed}")
    alt = random.Random(f"membership-alt:{seed}")
    drawn = date(2026, rng.randint(1, 12), rng.randint(1, 28))
    as_of = as_of or drawn
    org = make_org(rng, as_of)
    handler = make_person(rng, as_of)
    signed = as_of - timedelta(days=rng.randint(0, 10))
    af = application_form.values(rng, org, handler, as_of)
    bl = business_license.org_values(org, rng)
    cl = {"organization_name": org.name, "legal_representative": org.legal_rep, "signed_on": signed.isoformat(),
          "signature_present": True, "seal_present": True}
    ic = id_card.person_values(handler)
    al = {"principal_name": org.name, "principal_address": org.address, "legal_representative": org.legal_rep,
          "agent_name": handler.name, "agent_sex": handler.sex, "agent_id_number": handler.id_number,
          "agent_mobile": handler.mobile, "signed_on": signed.isoformat(), "seal_present": True}
    # alternatives for defects are always drawn, so the twin's draws never depend on the defect
    outside = make_org(alt, as_of, region=alt.choice(sorted(names.OUTSIDE)))
    other_person = make_person(alt, as_of)
    bad_uscc = _bad_check(alt, org.uscc, ids.USCC_ALPHABET)
    bad_id = _bad_check(alt, handler.id_number, "0123456789X")
    exp_from, exp_to = _expired_validity(alt, handler.birth, as_of)
    lic_end = as_of - timedelta(days=alt.randint(10, 300))
    missing = alt.choice(["commitment_letter", "authorization_letter"])
    renamed = _other_trade(alt, org.name)
    values = {"application_form": af, "business_license": bl, "commitment_letter": cl, "id_card": ic,
              "authorization_letter": al}
    touched: dict[str, list[str]] = {}
    docs = list(MEMBERSHIP_DOCS)

    def setv(doc, key, value, field_key=None):
        values[doc][key] = value
        if field_key is not False:
            touched.setdefault(doc, []).append(field_key or key)

    if defect == "schema.required":
        setv("commitment_letter", "signed_on", None)
    elif defect == "schema.format":
        setv("application_form", "email", af["email"].replace("@", ""))
    elif defect == "uscc.checksum":
        setv("business_license", "uscc", bad_uscc)
    elif defect == "id.checksum":
        setv("id_card", "id_number", bad_id)
        setv("authorization_letter", "agent_id_number", bad_id)
    elif defect == "id.expired":
        setv("id_card", "valid_from", exp_from.isoformat())
        setv("id_card", "valid_to", exp_to.isoformat())
    elif defect == "jurisdiction.xuchang":
        nv = business_license.org_values(outside, random.Random(0))
        for k in ("name", "uscc", "address", "registration_authority", "company_type", "legal_representative",
                  "registered_capital", "established_on", "term_start", "term_end", "issued_on", "business_scope"):
            setv("business_license", k, nv[k])
        setv("application_form", "unit_name", outside.name)
        setv("application_form", "address", outside.address)
        setv("application_form", "legal_representative", outside.legal_rep)
        setv("application_form", "phone", outside.phone)
        setv("commitment_letter", "organization_name", outside.name)
        setv("commitment_letter", "legal_representative", outside.legal_rep, False)
        setv("authorization_letter", "principal_name", outside.name)
        setv("authorization_letter", "legal_representative", outside.legal_rep, False)
        setv("authorization_letter", "principal_address", outside.address, False)
    elif defect == "license.expired":
        setv("business_license", "term_end", lic_end.isoformat())
        setv("business_license", "term_style", "range", False)
        if date.fromisoformat(bl["issued_on"]) > lic_end - timedelta(days=30):
            setv("business_license", "issued_on", max(date.fromisoformat(bl["established_on"]),
                                                      lic_end - timedelta(days=400)).isoformat())
        touched["business_license"].append("term_start")  # appears once the term is printed as a range
    elif defect == "seal.missing":
        setv("commitment_letter", "seal_present", False)
    elif defect == "signature.missing":
        setv("commitment_letter", "signature_present", False)
    elif defect == "packet.missing_document":
        docs.remove(missing)
        touched[missing] = ["*"]
    elif defect == "consistency.name":
        setv("commitment_letter", "organization_name", renamed)
    elif defect == "consistency.agent":
        setv("authorization_letter", "agent_name", other_person.name)
        setv("authorization_letter", "agent_id_number", other_person.id_number)
        setv("authorization_letter", "agent_sex", other_person.sex, False)
        setv("authorization_letter", "agent_mobile", other_person.mobile, False)
    elif defect is not None:
        raise ValueError(f"{defect} is not a membership defect")
    documents = []
    for i, t in enumerate(docs):
        v = build_values(t, seed * 10 + i, as_of, **values[t])
        documents.append(_render(t, v, seed * 10 + i, quality, split, family))
    rules = {defect: "error"} if defect else {}
    truth = {"packet": MEMBERSHIP, "status": _status(rules), "rules": sorted(rules), "voucher_amount": None,
             "as_of": as_of.isoformat(), "defect": defect, "client_uscc": values["business_license"]["uscc"],
             "year": as_of.year, "defect_fields": touched}
    truth = _layout_truth(truth, documents, split, family)
    name = f"{as_of.isoformat()} {values['business_license']['name']}"
    return GeneratedPacket(name=name, documents=documents, truth=truth, kind=MEMBERSHIP)


# --- voucher -------------------------------------------------------------------------------------
def _entry(org, year=None) -> dict:
    return {"uscc": org.uscc, "name": org.name, "year": year}


def _unlike(alt: random.Random, as_of: date, org, provider: bool) -> list:
    """Two other organizations whose names share little with ``org``'s (a near name could be read
    as this one misread, which only warns)."""
    out = []
    while len(out) < 2:
        o = make_org(alt, as_of, provider=provider)
        if len(set(o.name) ^ set(org.name)) >= 8 and o.uscc[8:16] != org.uscc[8:16]:
            out.append(o)
    return out


def _voucher(seed: int, defect: str | None, quality: str, as_of: date | None = None, client=None,
             fee: str | None = None, granted: Decimal = Decimal("0"), cap_variant: str | None = None,
             stack: bool = False, split=None, family=None, granted_all: Decimal = Decimal("0"),
             with_result: bool = False):
    rng = random.Random(f"voucher:{seed}")
    alt = random.Random(f"voucher-alt:{seed}")
    drawn = date(2026, rng.randint(4, 12), rng.randint(1, 28))
    as_of = as_of or drawn
    base_client = make_org(rng, as_of)
    client = client or base_client
    provider = make_org(rng, as_of, provider=True)
    signed = max(date(as_of.year, 1, 5), as_of - timedelta(days=rng.randint(30, 80)))
    issued = signed + timedelta(days=rng.randint(3, max(3, min(20, (as_of - signed).days - 16))))
    paid = issued + timedelta(days=rng.randint(0, 3))
    drawn_fee = money.norm(rng.choice([3180, 5300, 8480, 10600, 12720, 15900, 21200, 31800, 42400, 53000]))
    fee = fee or drawn_fee
    statutory_items = [list(rng.choice(service_contract.STATUTORY_ITEMS))]
    sc = service_contract.values(rng, client, provider, signed, fee)
    variant = rng.choice(["special", "normal", "digital", "digital"])
    inv = invoice.values(rng, client, provider, fee, issued, variant)
    from .layouts import bank_receipt
    br = bank_receipt.values(rng, client, provider, fee, paid)
    # defect alternatives
    other_uscc = ids.make_uscc(alt, client.region)
    other_seller = make_org(alt, as_of, provider=True)
    branch = client.name + alt.choice(["检测分公司", "技术中心", "检测中心"])
    branch_org = make_org(alt, as_of, region=client.region).with_(name=branch)
    last_year_sign = date(as_of.year - 1, 12, alt.randint(1, 28))
    values = {"service_contract": sc, "invoice": inv, "bank_receipt": br}
    touched: dict[str, list[str]] = {}
    # the service result and the state defects draw from their own rngs: the packets above stay as they were
    rrng = random.Random(f"voucher-result:{seed}")
    srng = random.Random(f"voucher-state:{seed}")
    result_on = min(as_of, signed + timedelta(days=rrng.randint(5, 25)))
    values["service_result"] = service_result.values(rrng, client, provider, sc["items"], result_on)
    doc_types = list(VOUCHER_DOCS) + (["service_result"] if with_result or defect == "service_result.mismatch" else [])
    state: dict = {}

    def setv(doc, key, value, field_key=None):
        values[doc][key] = value
        if field_key is not False:
            touched.setdefault(doc, []).append(field_key or key)

    rules: dict[str, str] = {}
    if defect == "consistency.uscc":
        setv("invoice", "buyer_tax_id", other_uscc)
        if not sc["print_uscc"]:
            # the mismatch is only visible when the contract prints the parties' codes
            setv("service_contract", "print_uscc", True, "client_uscc")
            touched["service_contract"].append("provider_uscc")
    elif defect == "invoice.parties":
        setv("invoice", "seller_name", other_seller.name)
        setv("invoice", "seller_tax_id", other_seller.uscc)
        setv("invoice", "seller_addr_tel", f"{other_seller.address} {other_seller.phone}", False)
        setv("invoice", "seller_bank", f"{other_seller.bank}许昌支行 {other_seller.account}", False)
    elif defect == "amount.mismatch":
        setv("bank_receipt", "amount", inv["amount"])  # paid the amount before tax
    elif defect == "voucher.affiliated":
        for doc, nk, uk in (("service_contract", "provider_name", "provider_uscc"), ("invoice", "seller_name", "seller_tax_id")):
            setv(doc, nk, branch_org.name)
            setv(doc, uk, branch_org.uscc)
        setv("service_contract", "provider_address", branch_org.address, False)
        setv("service_contract", "provider_rep", branch_org.legal_rep, False)
        setv("invoice", "seller_addr_tel", f"{branch_org.address} {branch_org.phone}", False)
        setv("bank_receipt", "payee_name", branch_org.name)
        setv("bank_receipt", "payee_account", branch_org.account)
    elif defect == "voucher.year":
        setv("service_contract", "signed_on", last_year_sign.isoformat())
        setv("service_contract", "contract_number", sc["contract_number"].replace(f"-{as_of.year}-", f"-{as_of.year - 1}-"))
    elif defect == "voucher.statutory_testing":
        setv("service_contract", "items", statutory_items, False)
        touched.setdefault("service_contract", []).append("extra.testing_items")
    elif defect == "voucher.cap_exceeded":
        if cap_variant == "partial":
            for doc, key in (("service_contract", "testing_fee"), ("service_contract", "total_amount"),
                             ("invoice", "total"), ("bank_receipt", "amount")):
                setv(doc, key, fee)
            a, t = invoice.split_total(fee, inv["rate"])
            setv("invoice", "amount", a)
            setv("invoice", "tax", t)
            touched["invoice"].append("total_in_words")
    elif defect == "voucher.provincial_subsidy":
        state["lists"] = {"provincial_subsidy": [_entry(o, as_of.year) for o in _unlike(srng, as_of, client, False)]
                          + [_entry(client, as_of.year)]}
    elif defect == "voucher.provider_not_member":
        state["lists"] = {"platform_members": [_entry(o) for o in _unlike(srng, as_of, provider, True)]}
    elif defect == "voucher.missing_service_result":
        state["settings"] = {"require_service_result": True}
    elif defect == "service_result.mismatch":
        how = srng.choice(["client", "date"])
        if how == "client":  # a report made out to another company
            setv("service_result", "client_name", _other_trade(srng, client.name))
        else:  # issued before the contract was signed
            setv("service_result", "issued_on", (signed - timedelta(days=srng.randint(3, 30))).isoformat())
            setv("service_result", "report_number",
                 values["service_result"]["report_number"].replace(f"{result_on.year}{result_on.month:02d}-",
                 f"{(signed - timedelta(days=1)).year}{(signed - timedelta(days=1)).month:02d}-"), False)
        state["mismatch"] = how
    elif defect not in (None, "voucher.duplicate_contract", "voucher.budget_exhausted", "voucher.budget_partly_left"):
        raise ValueError(f"{defect} is not a voucher defect")
    documents = []
    for i, t in enumerate(doc_types):
        if t == "service_result":  # one layout (classic), no split families
            v = build_values(t, seed * 10 + i, as_of, **values[t])
            documents.append(_render(t, v, seed * 10 + i, quality, None, None))
            continue
        v = build_values(t, seed * 10 + i, as_of, **values[t])
        # a 数电票 is handed in as its PDF, unless the whole packet was printed and scanned
        q = "clean" if t == "invoice" and v["invoice_variant"] == "digital" and not stack else quality
        doc = _render(t, v, seed * 10 + i, q, split, family)
        if defect == "consistency.uscc" and t == "service_contract" and "client_uscc" not in doc.truth["fields"]:
            # this family prints no codes (a one-page entrust form): draw the contract in the first
            # family of the split that does, or the mismatch could not be seen at all
            from .families import families
            for fam in families(t, split or "all"):
                doc = _render(t, v, seed * 10 + i, q, None, fam)
                if "client_uscc" in doc.truth["fields"]:
                    break
        documents.append(doc)
    amount = voucher_amount(values["service_contract"]["testing_fee"], granted)
    if defect == "voucher.budget_exhausted":  # the earlier vouchers of the year took the whole budget
        state["budgets"] = {str(as_of.year): money.norm(granted_all)}
        amount = money.norm(0)
    elif defect == "voucher.budget_partly_left":  # less is left than this voucher: it is reduced
        left = money.to_decimal(int(Decimal(amount) * Decimal(srng.choice(["0.25", "0.4", "0.6"]))))
        state["budgets"] = {str(as_of.year): money.norm(left)}
        amount = money.norm(left)
    if defect == "voucher.cap_exceeded":
        rules[defect] = "error" if Decimal(amount) == 0 else "warning"
    elif defect in STATE_DEFECTS:
        rule, severity = STATE_DEFECTS[defect]
        rules[rule] = severity
    elif defect:
        rules[defect] = "warning" if defect in WARNINGS else "error"
    truth = {"packet": VOUCHER, "status": _status(rules), "rules": sorted(rules), "voucher_amount": amount,
             "as_of": as_of.isoformat(), "defect": defect, "client_uscc": client.uscc, "year": as_of.year,
             "defect_fields": touched}
    if cap_variant:
        truth["cap_variant"] = cap_variant
    if state:
        truth["state"] = state
    truth = _layout_truth(truth, documents, split, family)
    name = f"{as_of.isoformat()} {client.name}"
    return GeneratedPacket(name=name, documents=documents, truth=truth, kind=VOUCHER)


def generate_packet_series(kind: str, seed: int = 0, defect: str | None = None, quality: str = "scan",
                           as_of: date | None = None, *, split: str | None = None, family=None) -> list:
    """Packets to ingest in this order into one database; only the last carries ``defect``.
    ``as_of`` dates the (last) submission instead of the seed's drawn date; ``split`` /
    ``family`` as in `generate_packet`."""
    lay = {"split": split, "family": family}
    if defect not in SERIES_DEFECTS:
        return [generate_packet(kind, seed, defect, quality, as_of=as_of, **lay)]
    if kind != VOUCHER:
        raise ValueError(f"{defect} applies to {VOUCHER}")
    rng = random.Random(f"voucher:{seed}")
    drawn = date(2026, rng.randint(4, 12), rng.randint(1, 28))
    as_of = as_of or drawn
    client = make_org(rng, as_of)  # the same draws _voucher(seed) makes for its client
    if defect == "voucher.budget_exhausted":
        # another client's voucher earlier that year took what was left of the budget
        prior = _voucher(seed * 1000 + 301, None, quality, as_of=as_of - timedelta(days=12), **lay)
        last = _voucher(seed, defect, quality, as_of=as_of, granted_all=Decimal(prior.truth["voucher_amount"]), **lay)
        return [prior, last]
    if defect == "voucher.duplicate_contract":
        twin = _voucher(seed, None, quality, as_of=as_of, **lay)
        # the very same contract, invoice and receipt handed in again a little later
        later = min(as_of + timedelta(days=random.Random(f"dup:{seed}").randint(5, 20)), date(as_of.year, 12, 31))
        granted = Decimal(twin.truth["voucher_amount"])
        truth = dict(twin.truth, as_of=later.isoformat(), defect=defect, rules=[defect], status="rejected",
                     voucher_amount=voucher_amount(twin.documents[0].truth["fields"]["testing_fee"], granted),
                     defect_fields={})
        truth = _layout_truth(truth, twin.documents, split, family)
        last = GeneratedPacket(name=f"{later.isoformat()} {client.name}", documents=twin.documents, truth=truth,
                               kind=VOUCHER)
        return [twin, last]
    variant = random.Random(f"cap:{seed}").choice(["partial", "none"])
    fees = ["150000.00"] if variant == "partial" else ["100000.00", "66666.67"]
    series, granted = [], Decimal("0")
    for k, fee in enumerate(fees):
        p = _voucher(seed * 1000 + 101 + k, None, quality, as_of=as_of - timedelta(days=10 * (len(fees) - k)),
                     client=client, fee=fee, granted=granted, **lay)
        granted += Decimal(p.truth["voucher_amount"])
        series.append(p)
    last = _voucher(seed, defect, quality, as_of=as_of, client=client,
                    fee="31800.00" if variant == "partial" else None, granted=granted, cap_variant=variant, **lay)
    series.append(last)
    return series


def generate_packet(kind: str, seed: int = 0, defect: str | None = None, quality: str = "scan", *,
                    stack: bool = False, as_of: date | None = None, split: str | None = None,
                    family=None) -> GeneratedPacket:
    """``stack=True``: every page goes through ``quality`` (for a submission scanned as one PDF).
    ``as_of``: the submission date (default: a date drawn from the seed).
    ``split`` (``developed`` / ``held_out`` / ``all``): each document is drawn in a layout family
    of that split (tests/corpus/families.py), picked by the document's seed; ``family`` forces
    one family name (or ``{doc_type: family}``).  Neither: the classic layouts, byte for byte
    as before.  Golden tests use only ``developed``; ``held_out`` is for benchmarks."""
    if defect is not None and PACKET_DEFECTS.get(defect, VOUCHER if defect in STATE_DEFECTS else None) != kind:
        raise ValueError(f"defect {defect!r} does not apply to {kind!r} (see PACKET_DEFECTS, STATE_DEFECTS)")
    if kind == MEMBERSHIP:
        return _membership(seed, defect, quality, as_of=as_of, split=split, family=family)
    if kind == VOUCHER:
        if defect in SERIES_DEFECTS:
            return generate_packet_series(kind, seed, defect, quality, as_of=as_of, split=split, family=family)[-1]
        return _voucher(seed, defect, quality, as_of=as_of, stack=stack, split=split, family=family)
    raise ValueError(f"kind must be one of {KINDS}")
