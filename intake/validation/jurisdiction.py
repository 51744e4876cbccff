"""Is an organization registered in Xuchang (许昌市)?  (guide 二; 细则 第四条)

Two independent sources:

* the USCC's region code (pos 3-8, the *registering office*): any ``4110xx`` is Xuchang;
* the address: a small table of Xuchang divisions, townships and zones
  (``intake/data/xuchang_divisions.json``) plus a list of provinces and prefecture-level
  cities, so that "another province or city named first" wins over a street that happens
  to be called 许昌路.  Every place name found in the address is located; the one that
  occurs first decides.  Bare names (``许昌``, ``禹州``, ``郑州`` without 市) that are
  followed by a street suffix (路, 街, 大道 …) are streets, not places.  A bare ``东城区``
  is ambiguous (Beijing's 110101 or 许昌's 东城区管委会) and proves nothing either way.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .formats import compact

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "xuchang_divisions.json"

XUCHANG = "xuchang"
OUTSIDE = "outside"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Place:
    text: str  # as matched in the address
    kind: str  # xuchang | other | henan | ambiguous
    label: str  # full name for messages
    code: str | None = None
    bare: bool = False


@dataclass
class Verdict:
    status: str  # xuchang | outside | unknown
    place: str | None = None  # the deciding place's full name
    code: str | None = None
    note: str = ""
    evidence: dict = field(default_factory=dict)


@lru_cache(maxsize=1)
def table() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def _short(name: str) -> str:
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@lru_cache(maxsize=1)
def places() -> tuple[Place, ...]:
    t = table()
    out: list[Place] = []
    for code, name in t["provinces"].items():
        kind = "henan" if code == "41" else "other"
        out.append(Place(name, kind, name, code))
        out.append(Place(_short(name), kind, name, code, bare=True))
    for code, name in t["henan_cities"].items():
        if code == "4110":
            continue
        out.append(Place(name, "other", "河南省" + name, code))
        out.append(Place(_short(name), "other", "河南省" + name, code, bare=True))
    for name in t["other_cities"]:
        out.append(Place(name, "other", name))
        out.append(Place(_short(name), "other", name, bare=True))
    for d in t["divisions"]:
        full = d["name"] if d["code"] == "411000" else "许昌市" + d["name"]
        for alias in d.get("aliases", []):
            out.append(Place(alias, XUCHANG, full, d["code"]))
        for alias in d.get("bare", []):
            out.append(Place(alias, XUCHANG, full, d["code"], bare=True))
        for township in d.get("townships", []):
            out.append(Place(township, XUCHANG, full + township, d["code"]))
    for z in t["zones"]:
        for alias in z.get("aliases", []):
            out.append(Place(alias, XUCHANG, z["name"], z["code"]))
        q = z.get("qualified")
        if q:
            for prefix in q["after"]:
                out.append(Place(prefix + q["name"], XUCHANG, z["name"], z["code"]))
    for a in t["ambiguous"]:
        out.append(Place(a["name"], "ambiguous", a["name"], None))
    return tuple(out)


def _is_street(address: str, end: int) -> bool:
    rest = address[end:]
    return any(rest.startswith(s) for s in table()["street_suffixes"])


def find_places(address: str) -> list[tuple[int, Place]]:
    """Every place name in the (compacted) address, in order of position, longest first."""
    found: list[tuple[int, int, Place]] = []
    for p in places():
        start = address.find(p.text)
        while start >= 0:
            if not (p.bare and _is_street(address, start + len(p.text))):
                found.append((start, -len(p.text), p))
            start = address.find(p.text, start + 1)
    found.sort(key=lambda x: (x[0], x[1]))
    return [(pos, p) for pos, _, p in found]


def classify_address(address: str | None) -> Verdict | None:
    """``None`` when there is no address; otherwise where it is, as far as the table tells."""
    if not address or not isinstance(address, str):
        return None
    a = compact(address)
    covered_to = 0
    for pos, p in find_places(a):
        if pos < covered_to:
            continue  # inside a longer name already passed (e.g. 许昌 inside 河南省许昌市)
        if p.kind == "henan":
            covered_to = pos + len(p.text)
            continue
        ev = {"address": address, "matched": p.text, "position": pos}
        if p.kind == XUCHANG:
            return Verdict(XUCHANG, p.label, p.code, evidence=ev)
        if p.kind == "other":
            return Verdict(OUTSIDE, p.label, p.code, evidence=ev)
        return Verdict(UNKNOWN, p.label, None, note=f"地址中的“{p.text}”未注明所属城市，无法据此判断", evidence=ev)
    return Verdict(UNKNOWN, None, None, note="地址中未找到可识别的市、县（区）名称",
                   evidence={"address": address})


def region_name(code: str) -> str | None:
    """A readable name for a GB/T 2260 code (Xuchang ones in full, others by province/city)."""
    t = table()
    for d in t["divisions"]:
        if d["code"] == code:
            return d["name"] if code == "411000" else "许昌市" + d["name"]
    for h in t["historical_codes"]:
        if h["code"] == code:
            return h["name"]
    if code.startswith("4110"):
        return "许昌市"
    if code[:4] in t["henan_cities"]:
        return "河南省" + t["henan_cities"][code[:4]]
    return t["provinces"].get(code[:2])


def region_in_xuchang(code: str | None) -> bool | None:
    """Region code (6 digits) in today's Xuchang: any 4110xx, or a 许昌地区 code of before 1986."""
    if not code or len(code) != 6 or not code.isdigit():
        return None
    if code.startswith(table()["uscc_region_prefix"]):
        return True
    return any(h["code"] == code for h in table()["historical_codes"])


def classify_region(code: str | None) -> Verdict | None:
    inside = region_in_xuchang(code)
    if inside is None:
        return None
    return Verdict(XUCHANG if inside else OUTSIDE, region_name(code), code, evidence={"region": code})


def describe_region(code: str) -> str:
    name = region_name(code)
    return f"{code}（{name}）" if name else code


def shorten(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
