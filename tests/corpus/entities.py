"""Coherent organizations and people: one draw gives every field the documents print."""
from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

from . import ids, names
from .dates import add_years


@dataclass
class Org:
    name: str
    uscc: str
    region: str
    address: str
    company_type: str
    business_scope: str
    legal_rep: str
    legal_rep_sex: str
    registered_capital: str
    established_on: date
    term_start: date
    term_end: date | None  # None = 长期
    authority: str
    issued_on: date
    phone: str
    bank: str
    account: str

    def with_(self, **kw) -> "Org":
        return replace(self, **kw)


@dataclass
class Person:
    name: str
    sex: str
    ethnicity: str
    birth: date
    address: str
    id_number: str
    authority: str
    valid_from: date
    valid_to: date | None  # None = 长期
    mobile: str


def _rand_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange(max(1, (end - start).days)))


def make_org(rng: random.Random, as_of: date, region: str | None = None, provider: bool = False,
             valid_uscc: bool = True) -> Org:
    region = region or rng.choice(ids.XUCHANG_REGIONS)
    if region in names.OUTSIDE:
        name, ctype, scope = names.company_name(rng, region)
        address = names.outside_address(rng, region)
        authority = names.OUTSIDE[region][1]
        area = {"310110": "021", "110101": "010", "410105": "0371", "440305": "0755"}[region]
    else:
        name, ctype, scope = names.provider_name(rng, region) if provider else names.company_name(rng, region)
        address = names.xuchang_address(rng, region)
        authority = names.XUCHANG[region][2]
        area = "0374"
    # 411023 (former 许昌县) only appears in codes issued before 2016
    established = _rand_date(rng, date(2003, 1, 1) if region == "411023" else date(2016, 6, 1),
                             date(2015, 12, 31) if region == "411023" else as_of - timedelta(days=400))
    long_term = rng.random() < 0.55
    term_end = None if long_term else add_years(established, rng.choice([20, 30, 50])) - timedelta(days=1)
    issued = _rand_date(rng, max(established, as_of - timedelta(days=365 * 5)), as_of - timedelta(days=30))
    legal_rep, sex = names.person_name(rng)
    bank = rng.choice(names.BANKS)
    capital = rng.choice([50, 100, 200, 300, 500, 800, 1000, 1200, 2000, 3000, 5000]) * 10000
    return Org(name=name, uscc=ids.make_uscc(rng, region, valid=valid_uscc), region=region, address=address,
               company_type=ctype, business_scope=scope, legal_rep=legal_rep, legal_rep_sex=sex,
               registered_capital=f"{capital}.00", established_on=established, term_start=established,
               term_end=term_end, authority=authority, issued_on=issued, phone=ids.make_landline(rng, area),
               bank=bank, account=ids.make_bank_account(rng, bank))


def validity_years(age_at_issue: int) -> int | None:
    if age_at_issue < 16:
        return 5
    if age_at_issue <= 25:
        return 10
    if age_at_issue <= 45:
        return 20
    return None


def make_person(rng: random.Random, as_of: date, expired: bool = False, valid_id: bool = True,
                sex: str | None = None) -> Person:
    name, sex = names.person_name(rng, sex)
    birth = _rand_date(rng, date(1968, 1, 1), date(2001, 12, 31))
    region = rng.choice(names.PERSON_REGIONS)
    base, streets, _ = names.XUCHANG.get(region, names.XUCHANG["411002"])
    address = names.street_address(rng, base, rng.choice(streets))
    authority = base.replace("河南省", "") + "公安局" if region in names.XUCHANG else "许昌市公安局魏都分局"
    # pick an issue date so the card is valid (or, for the defect, ended) at as_of
    for _ in range(200):
        if expired:
            issued = _rand_date(rng, add_years(as_of, -21), add_years(as_of, -5))
        else:
            issued = _rand_date(rng, add_years(as_of, -19), as_of - timedelta(days=60))
        age = issued.year - birth.year - ((issued.month, issued.day) < (birth.month, birth.day))
        if age < 16:
            continue
        years = validity_years(age)
        valid_to = None if years is None else add_years(issued, years)
        if expired and valid_to is not None and valid_to < as_of:
            break
        if not expired and (valid_to is None or valid_to > as_of + timedelta(days=30)):
            break
    else:  # pragma: no cover - the ranges above always find one
        raise RuntimeError("no consistent ID validity")
    return Person(name=name, sex=sex, ethnicity=rng.choice(names.ETHNICITIES), birth=birth, address=address,
                  id_number=ids.make_id_number(rng, region, birth, sex, valid=valid_id),
                  authority=authority, valid_from=issued, valid_to=valid_to, mobile=ids.make_mobile(rng))
