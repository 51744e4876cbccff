"""Rule kinds: the Python functions packet rules name (``"equal": […]``).

Each kind is ``fn(ctx: PacketContext, entry: dict, params) -> Iterable[Finding]``; register
a new one with `@kind("name")` (and describe its parameters in ``_packet.schema.json`` and
``schemas/packets/README.md``).
"""
from __future__ import annotations

import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Iterable

from ..model import Finding
from . import checks
from .config import load_voucher_config
from .context import PacketContext, Ref
from .history import ContractQuery
from .formats import compact, parse_date
from .normalize import NORMALIZERS, org_core, org_name, parent_name, person
from .confusions import CODE as OCR_CODE, MONEY as OCR_MONEY, TEXT as OCR_TEXT, ocr_difference
from .lists import LIST_LABELS, listed, with_leading_list
from .rules import ERROR, WARNING, finding
from .settle import reading

KINDS: dict[str, Callable[..., Iterable[Finding]]] = {}
FEN = Decimal("0.01")


def kind(name: str):
    def register(fn):
        KINDS[name] = fn
        return fn
    return register


class _Missing(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def render(template: str | None, default: str, **values: Any) -> str:
    return (template or default).format_map(_Missing(values))


def _docs(refs: Iterable[Ref]) -> list[str]:
    return list(dict.fromkeys(r.doc_type for r in refs))  # first-seen order, each once


def _fields(refs: Iterable[Ref]) -> list[str]:
    return list(dict.fromkeys(r.key for r in refs))


def _show(refs: list[Ref], show=lambda v: v) -> str:
    return "；".join(f"{r.label()}“{show(r.value)}”" for r in refs)


def _emit(ctx: PacketContext, entry: dict, message: str, refs: list[Ref], evidence: dict,
          severity: str | None = None) -> Finding:
    evidence = dict(evidence)
    evidence.setdefault("readings", [reading(r.doc_type, r.key, r.fv) for r in refs])
    return finding(entry["rule"], message, severity=severity or entry.get("severity"), fields=_fields(refs),
                   documents=_docs(refs), source=entry.get("source"), evidence=evidence)


_COMPARE_KIND = {"uscc": OCR_CODE, "idno": OCR_CODE, "code": OCR_CODE, "money": OCR_MONEY}


def _group(refs: list[Ref], normalize: str, offset: int = 0) -> dict:
    """What `settle` compares: each distinct normalized value and the readings behind it."""
    norm = NORMALIZERS[normalize]
    items: dict[str, dict] = {}
    for k, r in enumerate(refs):
        v = norm(r.value)
        key = str(v)
        item = items.setdefault(key, {"key": key, "value": key, "readings": []})
        item["readings"].append(offset + k)
    return {"kind": _COMPARE_KIND.get(normalize, OCR_TEXT), "normalize": normalize, "items": list(items.values())}


# --- generic kinds ----------------------------------------------------------------------

@kind("equal")
def equal(ctx: PacketContext, entry: dict, params: list) -> Iterable[Finding]:
    """All present values of the referenced fields are equal after ``normalize``."""
    norm = NORMALIZERS[entry.get("normalize", "text")]
    refs = [r for ref in params for r in ctx.refs(*ref)]
    if len({norm(r.value) for r in refs}) > 1:
        normalize = entry.get("normalize", "text")
        yield _emit(ctx, entry, render(entry.get("message"), "字段值不一致：{values}", values=_show(refs)), refs,
                    {"values": {f"{r.doc_type}.{r.key}": r.value for r in refs}, "normalize": normalize,
                     "compare": {"groups": [_group(refs, normalize)]}})


@kind("equal_person")
def equal_person(ctx: PacketContext, entry: dict, params: dict) -> Iterable[Finding]:
    """The same person: names equal (``person``) and ID numbers equal, where present."""
    diffs, used, groups = [], [], []
    for part, norm, what, normalize in (("name", person, "姓名", "person"),
                                        ("id_number", NORMALIZERS["idno"], "身份证号码", "idno")):
        refs = [r for ref in params[part] for r in ctx.refs(*ref)]
        groups.append(_group(refs, normalize, offset=len(used)))
        used += refs
        if len({norm(r.value) for r in refs}) > 1:
            diffs.append(f"{what}：{_show(refs)}")
    if diffs:
        yield _emit(ctx, entry, render(entry.get("message"), "人员信息不一致：{differences}", differences="；".join(diffs)),
                    used, {"values": {f"{r.doc_type}.{r.key}": r.value for r in used}, "compare": {"groups": groups}})


@kind("amount_agree")
def amount_agree(ctx: PacketContext, entry: dict, params: list) -> Iterable[Finding]:
    """Money fields agree; several documents of one type (two invoices) are summed."""
    sums: dict[tuple[str, str], Decimal] = {}
    refs_by: dict[tuple[str, str], list[Ref]] = defaultdict(list)
    for ref in params:
        for r in ctx.refs(*ref):
            v = NORMALIZERS["money"](r.value)
            if v is None:
                continue
            key = (ref[0], ref[1])
            sums[key] = sums.get(key, Decimal("0")) + v
            refs_by[key].append(r)
    if len(set(sums.values())) > 1:
        shown = "；".join(f"{refs_by[k][0].label()}{'（合计）' if len(refs_by[k]) > 1 else ''} {v.quantize(FEN)} 元"
                         for k, v in sums.items())
        refs = [r for k in sums for r in refs_by[k]]
        items, at = {}, 0
        for k, v in sums.items():
            item = items.setdefault(str(v.quantize(FEN)), {"key": str(v.quantize(FEN)), "value": str(v.quantize(FEN)),
                                                          "readings": []})
            item["readings"] += list(range(at, at + len(refs_by[k])))
            at += len(refs_by[k])
        yield _emit(ctx, entry, render(entry.get("message"), "金额不一致：{values}", values=shown), refs,
                    {"amounts": {f"{k[0]}.{k[1]}": str(v.quantize(FEN)) for k, v in sums.items()},
                     "compare": {"groups": [{"kind": OCR_MONEY, "normalize": "money", "items": list(items.values())}]}})


@kind("same_year")
def same_year(ctx: PacketContext, entry: dict, params: list) -> Iterable[Finding]:
    """Every referenced date lies in the calendar year of the submission date."""
    year = ctx.as_of.year
    bad = []
    for ref in params:
        for r in ctx.refs(*ref):
            d = parse_date(r.value)
            if d is not None and d.year != year:
                bad.append(r)
    if bad:
        yield _emit(ctx, entry, render(entry.get("message"), "日期不在 {year} 年：{offending}", year=year,
                                       offending=_show(bad)), bad,
                    {"year": year, "dates": {f"{r.doc_type}.{r.key}": r.value for r in bad}})


@kind("flag")
def flag(ctx: PacketContext, entry: dict, params: list) -> Iterable[Finding]:
    """A bool field (seal, signature) is true; not verifiable → warning."""
    for ref in params:
        for d in ctx.docs(ref[0]):
            f = checks.flag_finding(rule=entry["rule"], doc_type=d.type, field=ref[1], fv=d.fields.get(ref[1]),
                                    source=entry.get("source"))
            if f:
                yield f


@kind("not_expired")
def not_expired(ctx: PacketContext, entry: dict, params: list) -> Iterable[Finding]:
    """A term's end (date or 长期) is not before the submission date."""
    for ref in params:
        for r in ctx.refs(*ref):
            f = checks.expiry_finding(rule=entry["rule"], doc_type=r.doc_type, field=r.key, value=r.value,
                                      as_of=ctx.as_of, source=entry.get("source"))
            if f:
                yield f


@kind("jurisdiction")
def jurisdiction(ctx: PacketContext, entry: dict, params: dict) -> Iterable[Finding]:
    """Registered in Xuchang: first present USCC, address and name (see jurisdiction.py)."""
    u, a, n = (ctx.first(params.get(k)) for k in ("uscc", "address", "name"))
    present = [r for r in (u, a, n) if r is not None]
    if not present:
        return
    by_doc = {r.doc_type for r in present}
    f = checks.jurisdiction_finding(uscc=u.value if u else None, address=a.value if a else None,
                                    name=n.value if n else None, fields=_fields(present),
                                    documents=sorted(by_doc, key=[r.doc_type for r in present].index),
                                    source=entry.get("source"))
    if f:
        yield f


@kind("keyword_warning")
def keyword_warning(ctx: PacketContext, entry: dict, params: dict) -> Iterable[Finding]:
    """A keyword in a document's text (page text, else the fields' raw text).  A keyword after a
    negation (不属于, 非 …) earlier in the same clause (back to the last ，。；: or line break,
    at most 16 characters) does not count."""
    negations = params.get("negations", [])
    for doc_type in params["documents"]:
        for text in ctx.texts_of(doc_type):
            t = compact(re.sub(r"[\r\n]+", "。", text))
            for kw in params["keywords"]:
                start = t.find(kw)
                while start >= 0:
                    before = re.split(r"[，。；;,：:]", t[max(0, start - 16):start])[-1]
                    if not any(n in before for n in negations):
                        context = t[max(0, start - 12):start + len(kw) + 12]
                        yield finding(entry["rule"], render(entry.get("message"), "含关键词“{keyword}”",
                                                            keyword=kw, context=context),
                                      severity=entry.get("severity"), documents=[doc_type],
                                      source=entry.get("source"), evidence={"keyword": kw, "context": context})
                        return
                    start = t.find(kw, start + 1)


# --- voucher kinds ----------------------------------------------------------------------

def _party(ctx: PacketContext, spec: dict) -> tuple[Ref | None, Ref | None]:
    return ctx.first(spec.get("name")), ctx.first(spec.get("uscc"))


def affiliation(client_name: str | None, client_uscc: str | None,
                provider_name: str | None, provider_uscc: str | None) -> str | None:
    """Why two organizations count as the same or affiliated (细则 第二十六条), or None.

    Heuristic: the same USCC; the same name (org_name normalization); the same head
    organization (text up to 有限公司 etc., so ``X有限公司`` and ``X有限公司检测中心`` or
    ``X有限公司长葛分公司``); or one name containing the other's core name (`org_core`: the
    name without place prefixes, legal form and branch markers, at least 2 characters),
    e.g. ``许昌瑞达精密机械有限公司`` and ``许昌瑞达精密机械检测技术有限公司``.  Ownership
    ties that the names do not show (共建, 产权纽带) cannot be seen on these documents.
    """
    cu = compact(client_uscc).upper() if client_uscc else None
    pu = compact(provider_uscc).upper() if provider_uscc else None
    if cu and pu and cu == pu:
        return f"统一社会信用代码相同（{cu}）"
    if not client_name or not provider_name:
        return None
    cn, pn = org_name(client_name), org_name(provider_name)
    if cn == pn:
        return "名称相同"
    if parent_name(cn) == parent_name(pn):
        return f"同属“{parent_name(cn)}”"
    cc, pc = org_core(cn), org_core(pn)
    if len(cc) >= 2 and cc in pn:
        return f"名称包含用户的字号“{cc}”，疑为其分支或关联机构"
    if len(pc) >= 2 and pc in cn:
        return f"名称包含管理单位的字号“{pc}”，疑为其分支或关联机构"
    return None


@kind("not_affiliated")
def not_affiliated(ctx: PacketContext, entry: dict, params: dict) -> Iterable[Finding]:
    cn, cu = _party(ctx, params["client"])
    pn, pu = _party(ctx, params["provider"])
    reason = affiliation(cn.value if cn else None, cu.value if cu else None,
                         pn.value if pn else None, pu.value if pu else None)
    if reason:
        refs = [r for r in (cn, cu, pn, pu) if r is not None]
        yield _emit(ctx, entry, render(entry.get("message"), "用户与管理单位为同一或关联单位：{reason}",
                                       client=org_name(cn.value) if cn else "", provider=org_name(pn.value) if pn else "",
                                       reason=reason), refs,
                    {"client": cn.value if cn else None, "client_uscc": cu.value if cu else None,
                     "provider": pn.value if pn else None, "provider_uscc": pu.value if pu else None,
                     "reason": reason})


def _same_party(name_a, uscc_a, name_b, uscc_b) -> bool:
    """Same organization when the USCCs agree, else when the names agree; unknown counts as same."""
    if uscc_a and uscc_b:
        return compact(uscc_a).upper() == compact(uscc_b).upper()
    if name_a and name_b:
        return org_name(name_a) == org_name(name_b)
    return True


def _key_on(ctx: PacketContext, refs: list | None, types) -> str | None:
    """The field key of the first reference (role or type, key) that lies on one of ``types``."""
    roles = ctx.spec.role_types()
    for name, key in refs or []:
        if set(roles.get(name, (name,))) & set(types):
            return key
    return None


@kind("duplicate_contract")
def duplicate_contract(ctx: PacketContext, entry: dict, params: dict) -> Iterable[Finding]:
    """The same contract (number and parties) in another counted voucher submission."""
    num = ctx.first(params["contract_number"])
    if num is None:
        return
    cn, cu = _party(ctx, params["client"])
    pn, pu = _party(ctx, params["provider"])
    v = lambda r: r.value if r else None  # noqa: E731
    # Which fields of a prior contract to compare: the keys the parameters name on the
    # documents that hold the number (the prior submission has only its stored fields).
    types = ctx.spec.role_types().get(num.role, (num.role,))
    keys = {side: {what: _key_on(ctx, params[side].get(what), types) for what in ("name", "uscc")}
            for side in ("client", "provider")}
    query = ContractQuery(ctx.spec.packet, tuple(types), num.key,
                          tuple(k for side in keys.values() for k in side.values() if k))
    for prior in ctx.history.contracts_used(str(num.value), ctx.submission_id, query=query):
        f = prior.fields
        got = lambda side, what: f.get(keys[side][what]) if keys[side][what] else None  # noqa: E731
        if _same_party(v(cn), v(cu), got("client", "name"), got("client", "uscc") or prior.uscc) and \
                _same_party(v(pn), v(pu), got("provider", "name"), got("provider", "uscc")):
            yield _emit(ctx, entry, render(entry.get("message"), "合同 {contract_number} 已申请过创新券",
                                           contract_number=num.value, other=prior.submission or prior.submission_id,
                                           other_status=prior.status),
                        [num], {"contract_number": num.value, "other_submission_id": prior.submission_id,
                                "other_submission": prior.submission, "other_status": prior.status})
            return


def _fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


@kind("voucher_cap")
def voucher_cap(ctx: PacketContext, entry: dict, params: dict) -> Iterable[Finding]:
    """Sets the voucher amount: ``rate`` × fee (half-up to the fen), no more than what is left
    of the client's yearly cap after vouchers already granted (细则 第十五条, 第十六条)."""
    fee_ref = ctx.first(params["fee"])
    fee = NORMALIZERS["money"](fee_ref.value) if fee_ref else None
    if fee is None:
        return
    full = _fen(fee * Decimal(params["rate"]))
    cn, cu = _party(ctx, params["client"])
    config = load_voucher_config(ctx.voucher_config)
    get = getattr(ctx.history, "reference_list", None)
    config = with_leading_list(config, get("leading_enterprise") if get else None, ctx.as_of.year)
    cap, enterprise = config.cap_for(cu.value if cu else None, cn.value if cn else None)
    year = ctx.as_of.year
    granted = ctx.history.vouchers_granted(str(cu.value), year, ctx.submission_id) if cu else Decimal("0")
    left = max(_fen(cap - granted), Decimal("0.00"))
    amount = min(full, left)
    ctx.voucher_amount = str(_fen(amount))
    ctx.notes["voucher"] = {"fee": str(_fen(fee)), "full": str(full), "cap": str(_fen(cap)),
                            "granted": str(_fen(granted)), "left": str(left), "amount": ctx.voucher_amount,
                            "category": enterprise.category if enterprise else None}
    if full <= left:
        return
    who = org_name(cn.value) if cn else (cu.value if cu else "该用户")
    cap_text = f"{_fen(cap)} 元" + (f"（{enterprise.category}）" if enterprise else "")
    refs = [r for r in (fee_ref, cu, cn) if r is not None]
    ev = dict(ctx.notes["voucher"], year=year, client_uscc=cu.value if cu else None)
    yield _used_up_or_cut(ctx, entry, f"{who} {year} 年的创新券额度（{cap_text}）", granted, full, left, refs, ev)


def _used_up_or_cut(ctx, entry: dict, what: str, granted, full, left, refs, ev) -> Finding:
    """A cap's two findings: nothing `left` (error), or less than `full` (warning: the amount is cut)."""
    if left <= 0:
        return _emit(ctx, entry, f"{what}已用完（已兑付 {_fen(granted)} 元），本次 {full} 元不能兑付", refs, ev,
                     severity=ERROR)
    return _emit(ctx, entry, f"{what}仅剩 {left} 元（已兑付 {_fen(granted)} 元），本次应兑 {full} 元，核减为 {left} 元",
                 refs, ev, severity=WARNING)


# --- result kinds -----------------------------------------------------------------------

@kind("not_before")
def not_before(ctx: PacketContext, entry: dict, params: dict) -> Iterable[Finding]:
    """Each ``date`` lies on or after the first present ``reference`` date (a report issued
    before its contract was signed)."""
    ref = ctx.first(params["reference"])
    start = parse_date(ref.value) if ref else None
    if start is None:
        return
    bad = [r for spec in params["date"] for r in ctx.refs(*spec)
           if parse_date(r.value) is not None and parse_date(r.value) < start]
    if bad:
        yield _emit(ctx, entry, render(entry.get("message"), "{offending} 早于{reference}“{reference_date}”",
                                       offending=_show(bad), reference=ref.label(), reference_date=ref.value),
                    bad + [ref], {"reference": f"{ref.doc_type}.{ref.key}", "reference_date": ref.value,
                                  "dates": {f"{r.doc_type}.{r.key}": r.value for r in bad}})


_ITEM_SPLIT = r"[、，,；;/／\n\r]+|\s{2,}"
_ITEM_END = r"[。；;]|\n\n"


def _items(text: str, separators: str) -> list[str]:
    return [compact(x) for x in re.split(separators, text) if len(compact(x)) >= 2]


def _labelled_text(text: str, labels: list[str], span: int) -> str | None:
    """What follows the first label printed in ``text`` (up to the sentence end, ``span`` chars)."""
    for label in labels:
        at = text.find(label)
        if at >= 0:
            rest = text[at + len(label):at + len(label) + span].lstrip("：: \t（(）)")
            return re.split(_ITEM_END, rest, maxsplit=1)[0]
    return None


@kind("items_overlap")
def items_overlap(ctx: PacketContext, entry: dict, params: dict) -> Iterable[Finding]:
    """At least one of the ``items`` (split at 、，；/ and line breaks) is named in the other
    document's items: the text after one of ``labels`` on the pages of ``text_of``, or the
    fields in ``with``.  Nothing is said when either side lists no items."""
    separators = params.get("separators") or _ITEM_SPLIT
    mine = [(r, _items(str(r.value), separators)) for spec in params["items"] for r in ctx.refs(*spec)]
    mine = [(r, items) for r, items in mine if items]
    if not mine:
        return
    refs_theirs = [r for spec in params.get("with", []) for r in ctx.refs(*spec)]
    theirs = [i for r in refs_theirs for i in _items(str(r.value), separators)]
    for doc_type in params.get("text_of", []):
        for text in ctx.texts_of(doc_type):
            found = _labelled_text(text, params.get("labels", []), params.get("span", 120))
            if found:
                theirs += _items(found, separators)
    if not theirs:
        return
    listed = [i for _, items in mine for i in items]
    # One item named in the other (硬度 / 硬度测试) is enough: wording differs between documents.
    if any(a in b or b in a for a in listed for b in theirs):
        return
    shown = "、".join(listed)
    yield _emit(ctx, entry, render(entry.get("message"), "服务结果的项目“{items}”不在合同所列项目中（{other}）",
                                   items=shown, other="、".join(theirs)),
                [r for r, _ in mine] + refs_theirs, {"items": listed, "other_items": theirs})


# --- list and budget kinds (silent until the list is imported / the budget set) -------------

@kind("listed")
def listed_kind(ctx: PacketContext, entry: dict, params: dict) -> Iterable[Finding]:
    """The ``party`` is (``fires: "listed"``) or is not (``"unlisted"``) on the imported list
    ``list`` for the submission year (``years``: ``same`` or ``until``, see `lists.listed`)."""
    get = getattr(ctx.history, "reference_list", None)
    # ``list`` may name several kinds (the user lists): on none of the imported ones fires "unlisted".
    kinds_ = params["list"] if isinstance(params["list"], list) else [params["list"]]
    imported = [x for x in (get(k) for k in kinds_) if x is not None] if get else []
    if not imported:
        return
    entries = [e for x in imported for e in x]
    name, uscc = _party(ctx, params["party"])
    if name is None and uscc is None:
        return
    year = ctx.as_of.year
    hit = listed(entries, uscc.value if uscc else None, name.value if name else None, year,
                 params.get("years", "same"))
    fires = params.get("fires", "unlisted")
    if (hit is not None) != (fires == "listed"):
        return
    refs = [r for r in (name, uscc) if r is not None]
    who = org_name(name.value) if name else compact(uscc.value).upper()
    ev = {"list": params["list"], "year": year, "client": name.value if name else None,
          "uscc": uscc.value if uscc else None}
    severity = None
    if hit is None:
        # Not found, but an entry that could be this one misread: the reviewer decides.
        near = [e for e in entries if (uscc and e.uscc and ocr_difference(uscc.value, e.uscc, OCR_CODE))
                or (name and e.name and ocr_difference(org_name(name.value), org_name(e.name), OCR_TEXT))]
        if near:
            severity = WARNING
            ev["near"] = [{"uscc": e.uscc, "name": e.name, "year": e.year} for e in near[:3]]
    else:
        ev["entry"] = {"uscc": hit.uscc, "name": hit.name, "year": hit.year}
    message = render(entry.get("message"), "“{who}”" + ("在" if fires == "listed" else "不在") + "名单 {list} 中",
                     who=who, list="、".join(LIST_LABELS.get(k, k) for k in kinds_), year=year)
    if severity == WARNING:
        message += "（名单中有读法相近的单位，请人工核对）"
    yield _emit(ctx, entry, message, refs, ev, severity=severity)


@kind("voucher_budget")
def voucher_budget(ctx: PacketContext, entry: dict, params: dict) -> Iterable[Finding]:
    """The year's total budget (``docintake budget set``) minus the vouchers already granted to
    anyone that year: nothing left → error; less than this voucher → warning, the voucher reduced
    to what is left (细则 第十五条).  Runs after `voucher_cap`, which sets the amount."""
    get = getattr(ctx.history, "voucher_budget", None)
    year = ctx.as_of.year
    budget = get(year) if get else None
    if budget is None or ctx.voucher_amount is None:
        return
    amount = Decimal(ctx.voucher_amount)
    granted = ctx.history.vouchers_granted_all(year, ctx.submission_id)
    left = max(_fen(budget - granted), Decimal("0.00"))
    if amount <= left or amount <= 0:
        return
    refs = [r for r in (ctx.first(params.get("fee")),) if r is not None]
    ev = {"budget": str(_fen(budget)), "granted": str(_fen(granted)), "left": str(left), "amount": str(amount),
          "year": year}
    ctx.voucher_amount = str(left)
    ctx.notes.setdefault("voucher", {})["budget_left"] = str(left)
    yield _used_up_or_cut(ctx, entry, f"{year} 年科技创新券总额度（{_fen(budget)} 元）", granted, amount, left, refs, ev)
