"""Voucher configuration: the yearly caps and the enterprises entitled to the higher one.

细则 第十六条: 50,000 yuan a year; 100,000 for innovation-leading (创新龙头企业) and gazelle
(瞪羚企业) enterprises.  Which enterprises those are is configuration: the shipped file
``intake/data/voucher_enterprises.json``, replaced by the file named in the environment
variable ``DOCINTAKE_VOUCHER_CONFIG`` or by an argument to `decide`.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .formats import compact
from .normalize import org_name

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "data" / "voucher_enterprises.json"
ENV = "DOCINTAKE_VOUCHER_CONFIG"


@dataclass
class Enterprise:
    uscc: str | None
    name: str | None
    category: str
    cap: Decimal


@dataclass
class VoucherConfig:
    default_cap: Decimal = Decimal("50000.00")
    enterprises: list[Enterprise] = field(default_factory=list)
    source: str = ""
    leading_cap: Decimal = Decimal("100000.00")  # the cap of an imported leading-enterprise list

    def cap_for(self, uscc: str | None, name: str | None) -> tuple[Decimal, Enterprise | None]:
        u = compact(uscc).upper() if uscc else None
        n = org_name(name) if name else None
        for e in self.enterprises:
            if (u and e.uscc and compact(e.uscc).upper() == u) or (n and e.name and org_name(e.name) == n):
                return e.cap, e
        return self.default_cap, None


def _money(value: Any, what: str, path: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ConfigError(f"创新券配置 {path} 中 {what} 不是金额：{value!r}。{what} in {path} is not an amount.") from exc


def load_voucher_config(source: VoucherConfig | str | Path | dict | None = None) -> VoucherConfig:
    if isinstance(source, VoucherConfig):
        return source
    if isinstance(source, dict):
        data, path = source, "<dict>"
    else:
        path = str(source or os.environ.get(ENV) or DEFAULT_FILE)
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"无法读取创新券配置 {path}：{exc}。Cannot read the voucher configuration {path}.") from exc
        except json.JSONDecodeError as exc:
            raise ConfigError(f"创新券配置 {path} 不是有效的 JSON：{exc}。The voucher configuration {path} is not valid JSON.") from exc
    default_cap = _money(data.get("default_cap", "50000.00"), "default_cap", path)
    leading_cap = _money(data.get("leading_cap", "100000.00"), "leading_cap", path)
    enterprises = []
    for i, e in enumerate(data.get("enterprises", [])):
        if not isinstance(e, dict) or not (e.get("uscc") or e.get("name")):
            raise ConfigError(f"创新券配置 {path} 第 {i + 1} 家企业缺少 uscc 或 name。Enterprise {i + 1} in {path} needs a uscc or a name.")
        cap = _money(e["cap"], f"enterprises[{i}].cap", path) if "cap" in e else leading_cap
        enterprises.append(Enterprise(e.get("uscc"), e.get("name"), e.get("category", "创新龙头企业"), cap))
    return VoucherConfig(default_cap, enterprises, path, leading_cap)
