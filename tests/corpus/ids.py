"""Identifier generators: USCC (GB 32100 + GB 11714), resident ID (GB 11643), phones, accounts.

Each generator can deliberately break its check so defect packets carry realistic bad codes.
"""
from __future__ import annotations

import random
from datetime import date

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

XUCHANG_REGIONS = ("411002", "411003", "411023", "411024", "411025", "411081", "411082", "411000", "411071")
# Out-of-town registration offices used for jurisdiction defects and for providers elsewhere.
OTHER_REGIONS = {"310110": "上海市杨浦区", "110101": "北京市东城区", "410105": "郑州市金水区",
                 "410102": "郑州市中原区", "440305": "深圳市南山区"}


def org_code_check(body8: str) -> str:
    total = sum(_ORG_CHARS.index(c) * w for c, w in zip(body8, _ORG_WEIGHTS))
    v = 11 - total % 11
    return "X" if v == 10 else "0" if v == 11 else str(v)


def uscc_check(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def make_uscc(rng: random.Random, region: str = "411002", kind: str = "91", valid: bool = True) -> str:
    # The organization-code body must also be a valid USCC character, so draw from the
    # intersection of both alphabets; real post-2015 codes look like MA3X4K5L.
    body_chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    while True:
        if rng.random() < 0.7:
            body = "MA" + "".join(rng.choice(body_chars) for _ in range(6))
        else:
            body = "".join(rng.choice("0123456789") for _ in range(8))
        inner = org_code_check(body)
        if inner in USCC_ALPHABET:
            break
    first17 = kind + region + body + inner
    check = uscc_check(first17)
    if not valid:
        check = rng.choice([c for c in USCC_ALPHABET if c != check])
    return first17 + check


def id_check(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def make_id_number(rng: random.Random, region: str, birth: date, sex: str, valid: bool = True) -> str:
    seq = rng.randrange(0, 100) * 10 + rng.randrange(0, 10)
    seq = seq - seq % 2 + (1 if sex == "男" else 0)
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    check = id_check(first17)
    if not valid:
        check = rng.choice([c for c in "0123456789X" if c != check])
    return first17 + check


def make_mobile(rng: random.Random) -> str:
    prefix = rng.choice(["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "155",
                         "158", "159", "166", "176", "177", "180", "181", "186", "187", "188", "189", "199"])
    return prefix + "".join(rng.choice("0123456789") for _ in range(8))


def make_landline(rng: random.Random, area: str = "0374") -> str:
    return f"{area}-{rng.choice('2345678')}" + "".join(rng.choice("0123456789") for _ in range(6))


BANK_ACCOUNT_PREFIX = {"中国银行": "2", "中国工商银行": "17", "中国建设银行": "4105", "中国农业银行": "16",
                       "许昌农商银行": "7", "中原银行": "4110", "交通银行": "41", "兴业银行": "4"}


def make_bank_account(rng: random.Random, bank: str) -> str:
    prefix = BANK_ACCOUNT_PREFIX.get(bank, "6")
    length = {"中国工商银行": 19, "中国建设银行": 20, "中国农业银行": 17, "中国银行": 12}.get(bank, 18)
    return prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix)))


def digits(rng: random.Random, n: int, first_nonzero: bool = True) -> str:
    s = "".join(rng.choice("0123456789") for _ in range(n))
    if first_nonzero and s[0] == "0":
        s = rng.choice("123456789") + s[1:]
    return s
