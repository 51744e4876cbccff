"""Document-level validation: the type's JSON Schema (2020-12) plus docintake's keywords.

The instance validated is the document's values, ``{key: value}``.  Custom keywords
(registered with `jsonschema.validators.extend`, so `ValidationError.validator` names the
keyword and maps onto a rule id):

* ``format``: ``uscc``, ``idno``, ``date``, ``date-or-long``, ``money`` through a private
  `FormatChecker` (a USCC or ID number with the right shape but a failed check gives
  ``uscc.checksum`` / ``id.checksum``, anything else ``schema.format``);
* ``x-jurisdiction`` ``{"uscc": f, "address": f, "name": f}`` → ``jurisdiction.xuchang``;
* ``x-not-expired`` ``{"field": f, "rule": "license.expired"|"id.expired"}`` (or a list);
* ``x-seal`` / ``x-signature`` ``[f, …]`` → ``seal.missing`` / ``signature.missing``;
* ``x-review`` ``{"confidence_threshold": 0.85}`` is read by `decide`, not validated;
* ``x-seal-name`` ``[f, …]`` (optional) names the fields a seal's text must match.

The keywords need more than the plain values (the submission date, a field's ``raw``
marker ``not_verifiable``): they read them from a context variable set for the call.
"""
from __future__ import annotations

import contextvars
import json
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Iterator

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators

from ..errors import SchemaError
from ..model import Document, Finding
from schemas.registry import clear_cache, doc_source, field_label, type_schema
from schemas.registry import doc_title as doc_label

from . import checks
from .formats import date_or_long_valid, date_valid, idno_problem, money_valid, uscc_problem
from .rules import finding
from .settle import settle as settle_findings

_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


@dataclass
class _Context:
    doc: Document
    as_of: date
    schema: dict


_CTX: contextvars.ContextVar[_Context] = contextvars.ContextVar("docintake_validation_ctx")


class _Carrier(Exception):
    """Carries a ready Finding (or a format failure's rule) through jsonschema's errors."""

    def __init__(self, finding: Finding | None = None, rule: str | None = None, reason: str = ""):
        super().__init__(reason)
        self.finding = finding
        self.rule = rule
        self.reason = reason


# --- formats ----------------------------------------------------------------------------

FORMATS = FormatChecker(formats=())


@FORMATS.checks("uscc", raises=_Carrier)
def _fmt_uscc(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    problem = uscc_problem(value)
    if problem:
        raise _Carrier(rule=problem[0], reason=problem[1])
    return True


@FORMATS.checks("idno", raises=_Carrier)
def _fmt_idno(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    ctx = _CTX.get(None)
    problem = idno_problem(value, ctx.as_of if ctx else None)
    if problem:
        raise _Carrier(rule=problem[0], reason=problem[1])
    return True


@FORMATS.checks("date")
def _fmt_date(value: Any) -> bool:
    return not isinstance(value, str) or date_valid(value)


@FORMATS.checks("date-or-long")
def _fmt_date_or_long(value: Any) -> bool:
    return not isinstance(value, str) or date_or_long_valid(value)


@FORMATS.checks("email")
def _fmt_email(value: Any) -> bool:
    return not isinstance(value, str) or bool(_EMAIL.match(value.strip()))


@FORMATS.checks("money")
def _fmt_money(value: Any) -> bool:
    return not isinstance(value, str) or money_valid(value)


# --- keywords ---------------------------------------------------------------------------

def _carry(f: Finding | None) -> Iterator[ValidationError]:
    if f is not None:
        yield ValidationError(f.message, cause=_Carrier(finding=f))


def _x_jurisdiction(validator, spec, instance, schema):
    if not validator.is_type(instance, "object") or not isinstance(spec, dict):
        return
    ctx = _CTX.get()
    fields = [spec[k] for k in ("uscc", "address", "name") if spec.get(k) and spec[k] in instance]
    yield from _carry(checks.jurisdiction_finding(
        uscc=instance.get(spec.get("uscc")) if spec.get("uscc") else None,
        address=instance.get(spec.get("address")) if spec.get("address") else None,
        name=instance.get(spec.get("name")) if spec.get("name") else None,
        fields=fields, documents=[ctx.doc.type]))


def _x_not_expired(validator, spec, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    ctx = _CTX.get()
    for item in spec if isinstance(spec, list) else [spec]:
        key = item.get("field")
        if key in instance:
            yield from _carry(checks.expiry_finding(
                rule=item.get("rule", "license.expired"), doc_type=ctx.doc.type, field=key,
                value=instance[key], as_of=ctx.as_of, schema=schema, source=doc_source(ctx.doc.type, schema)))


def _flag_keyword(rule: str):
    def keyword(validator, spec, instance, schema):
        if not validator.is_type(instance, "object"):
            return
        ctx = _CTX.get()
        for key in spec if isinstance(spec, list) else [spec]:
            yield from _carry(checks.flag_finding(
                rule=rule, doc_type=ctx.doc.type, field=key, fv=ctx.doc.fields.get(key), schema=schema,
                source=doc_source(ctx.doc.type, schema) if rule == "seal.missing" else None))
    return keyword


def _ignore(validator, spec, instance, schema):
    return iter(())


KEYWORDS = {
    "x-jurisdiction": _x_jurisdiction,
    "x-not-expired": _x_not_expired,
    "x-seal": _flag_keyword("seal.missing"),
    "x-signature": _flag_keyword("signature.missing"),
    "x-review": _ignore,
    "x-seal-name": _ignore,
}

DocintakeValidator = validators.extend(Draft202012Validator, KEYWORDS)


# --- schemas ----------------------------------------------------------------------------
# `type_schema` is the schema registry's (schemas/registry.py): one reader, one cache.


def reset_schema_cache() -> None:
    clear_cache()
    _validator_for.cache_clear()


@lru_cache(maxsize=64)
def _validator_for(schema_json: str):
    schema = json.loads(schema_json)
    try:
        DocintakeValidator.check_schema(schema)
    except Exception as exc:  # jsonschema.SchemaError
        raise SchemaError(f"模式无效：{exc}。Invalid schema: {exc}") from exc
    return DocintakeValidator(schema, format_checker=FORMATS)


# --- validate_document ------------------------------------------------------------------

def _field_of(error: ValidationError) -> str | None:
    path = list(error.absolute_path)
    return str(path[0]) if path else None


def _to_findings(error: ValidationError, doc: Document, schema: dict, instance: dict) -> list[Finding]:
    source = doc_source(doc.type, schema)
    dl = doc_label(doc.type)
    if isinstance(error.cause, _Carrier) and error.cause.finding is not None:
        return [error.cause.finding]
    if error.validator == "required":
        owner = instance if not error.absolute_path else None
        missing = [k for k in error.validator_value if not isinstance(owner, dict) or k not in owner]
        return [finding("schema.required", f"{dl}缺少“{field_label(doc.type, k, schema)}”", fields=[k],
                        documents=[doc.type], source=source, evidence={"field": k})
                for k in missing]
    key = _field_of(error)
    label = field_label(doc.type, key, schema) if key else "内容"
    value = error.instance
    if error.validator == "format" and isinstance(error.cause, _Carrier):
        rule, reason = error.cause.rule or "schema.format", error.cause.reason
        what = "格式不正确" if rule == "schema.format" else "未通过校验"
        return [finding(rule, f"{dl}的{label} {value} {what}：{reason}", fields=[key] if key else [],
                        documents=[doc.type], source=None if rule != "schema.format" else source,
                        evidence={"field": key, "value": value, "format": error.validator_value, "reason": reason})]
    expected = f"（应为 {error.validator_value} 格式）" if error.validator == "format" else ""
    return [finding("schema.format", f"{dl}的“{label}”格式不正确：{value!r}{expected}",
                    fields=[key] if key else [], documents=[doc.type], source=source,
                    evidence={"field": key, "value": value, "keyword": error.validator,
                              "detail": error.message})]


def validate_document(doc: Document, as_of: date, *, schema: dict | None = None,
                      schemas: dict[str, dict] | None = None, settle: bool = True) -> list[Finding]:
    """Findings for one document on its own (no packet context); ``documents`` = ``[doc.type]``.

    ``schema`` (one schema) or ``schemas`` (by type) replace the registry, for tests.
    A type without a schema (``unknown``) has no document findings.  ``settle=False`` leaves
    severities as the rules set them (`decide` settles them once with the whole packet in view).
    """
    if schema is None:
        ts = type_schema(doc.type, schemas)
        if ts is None:
            return []
        schema = ts.schema
    validator = _validator_for(json.dumps(schema, sort_keys=True, ensure_ascii=False))
    instance = {k: fv.value for k, fv in doc.fields.items()}
    token = _CTX.set(_Context(doc, as_of, schema))
    try:
        errors = sorted(validator.iter_errors(instance), key=lambda e: (list(e.absolute_path), e.validator))
        out: list[Finding] = []
        seen: set[tuple] = set()
        for error in errors:
            for f in _to_findings(error, doc, schema, instance):
                k = (f.rule, f.message)
                if k not in seen:
                    seen.add(k)
                    out.append(f)
        out.extend(checks.seal_name_findings(doc, schema))
        if settle:
            overrides = dict(schemas or {}, **({doc.type: schema} if schema is not None else {}))
            out = settle_findings(out, [doc], overrides or None)
        return out
    finally:
        _CTX.reset(token)
