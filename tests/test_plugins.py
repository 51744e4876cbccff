"""One plugin mechanism (pluggy): a site package registers an OCR engine, a strategy, a
normalizer, a rule kind and an export format, and the product uses each by name."""
from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image

from intake.errors import ConfigError
from intake.plugins import install, manager
from tests.intake.conftest import insert_verified


@pytest.fixture
def site_plugins():
    from extractors.normbase import NORMALIZERS
    from extractors.strategies import STRATEGIES
    from intake import export
    from intake.ocr import base
    from intake.validation.kinds import KINDS
    from tests.plugins_site import hooks

    saved = [dict(r) for r in (base._BUILTIN, STRATEGIES, NORMALIZERS, KINDS, export.WRITERS)]
    pm = manager(load_entry_points=False)  # the site's entry point, registered directly
    pm.register(hooks)
    added = install(pm)
    yield added
    for reg, old in zip((base._BUILTIN, STRATEGIES, NORMALIZERS, KINDS, export.WRITERS), saved):
        reg.clear()
        reg.update(old)
    base._instances.pop("site_fixed", None)
    from schemas.registry import clear_cache

    clear_cache()


def test_each_kind_is_registered_and_used(site_plugins, db):
    from extractors.normalize import NORMALIZERS
    from extractors.strategies import STRATEGIES
    from intake.export import export
    from intake.model import Document, FieldValue
    from intake.ocr.base import available_engines, get_engine
    from intake.validation import decide

    assert site_plugins == {"docintake_ocr_engines": ["site_fixed"], "docintake_strategies": ["site_first_line"],
                            "docintake_normalizers": ["site_plate"], "docintake_rule_kinds": ["site_field_present"],
                            "docintake_export_formats": ["tsv"]}
    # OCR engine: listed and read through the same lookup as the built-in ones.
    assert "site_fixed" in available_engines()
    assert get_engine("site_fixed").recognize(Image.new("L", (40, 20), 255))[0].text == "豫K12345"
    # Strategy and normalizer: by name, as a schema's x-extract names them.
    assert "site_first_line" in STRATEGIES
    assert NORMALIZERS["site_plate"]("车牌 豫k 12345").value == "豫K12345"
    # Rule kind: a packet entry naming it runs it.
    packets = {"rule": "schema.required", "source": "site", "site_field_present": [["business_license", "uscc"]],
               "message": "营业执照缺少统一社会信用代码"}
    from intake.validation.context import PacketContext, PacketSpec
    from intake.validation.history import NoHistory
    from intake.validation.kinds import KINDS

    doc = Document("business_license", [1], 0.9, {"name": FieldValue("许昌某公司", 0.9)})
    spec = PacketSpec("site", "site", "site", (), (packets,), {})
    ctx = PacketContext(spec, [doc], date(2026, 11, 20), NoHistory())
    (f,) = KINDS["site_field_present"](ctx, packets, packets["site_field_present"])
    assert f.message == "营业执照缺少统一社会信用代码" and f.source == "site"
    # Export format: `export(fmt=...)` writes it.
    insert_verified(db, 2)
    buf = io.BytesIO()
    assert export(db, buf, fmt="tsv") == 2
    assert buf.getvalue().decode("utf-8").splitlines()[0].startswith("submission_id\tsubmission\t")


def test_a_taken_name_is_refused(site_plugins):
    from tests.plugins_site import hooks

    pm = manager(load_entry_points=False)

    class Clash:
        @staticmethod
        @__import__("intake.plugins", fromlist=["hookimpl"]).hookimpl
        def docintake_normalizers():
            return {"money": hooks.plate}  # a built-in's name

    pm.register(Clash)
    with pytest.raises(ConfigError):
        install(pm)


def test_no_plugins_touch_nothing():
    assert install(manager(load_entry_points=False)) == {}
