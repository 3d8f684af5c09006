from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from export_hub.brand.config import (
    BrandConfigError,
    BrandingMode,
    OutOfStock,
    load_brand,
    parse_brand,
)
from tests.brand.factories import ROOT


def _shipped() -> dict:
    return tomllib.loads((ROOT / "config" / "brand.toml").read_text("utf-8"))


def test_shipped_config_loads() -> None:
    config = load_brand(ROOT / "config" / "brand.toml")
    assert config.name == "IT's Daejeon"
    assert config.brand.default_mode is BrandingMode.DUAL
    assert config.limits["ebay"].title_chars == 80
    assert config.sync.out_of_stock is OutOfStock.ZERO
    assert config.sync.price_change_threshold == Decimal("0.01")
    assert config.amazon.defaults_for("BRACELET")["item_type_keyword"] == [
        {"value": "bracelets"}
    ]
    assert "item_type_keyword" not in config.amazon.defaults_for("HOME")


def test_mode_override_per_company() -> None:
    config = load_brand(ROOT / "config" / "brand.toml")
    assert config.mode_for("") is BrandingMode.DUAL
    assert config.mode_for("co-brand") is BrandingMode.CO_BRAND
    with pytest.raises(BrandConfigError, match="unknown branding mode"):
        config.mode_for("solo")


def test_name_is_configuration() -> None:
    data = _shipped()
    data["brand"]["name"] = "Daejeon is U"
    assert parse_brand(data).name == "Daejeon is U"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["templates"]["ebay"]["dual"].update(title="$nmae x"),
            "unknown placeholder",
        ),
        (lambda d: d["templates"]["amazon"].pop("co-brand"), "lacks mode"),
        (lambda d: d["brand"].update(name="잇츠 대전"), "English only"),
        (lambda d: d["brand"].update(default_mode="solo"), "brand.default_mode"),
        (lambda d: d["limits"].pop("ebay"), "limits.ebay"),
        (lambda d: d["brand"].update(gs1_company_prefixes=["88x"]), "GS1"),
        (lambda d: d["templates"]["amazon"]["dual"].update(title="$"), "malformed"),
    ],
)
def test_bad_config_names_the_problem(mutate, message: str) -> None:
    data = _shipped()
    mutate(data)
    with pytest.raises(BrandConfigError, match=message):
        parse_brand(data)


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(BrandConfigError, match="cannot be read"):
        load_brand(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[brand\nname=", "utf-8")
    with pytest.raises(BrandConfigError, match="not valid TOML"):
        load_brand(bad)


def test_sync_rules_decide_the_listing_action() -> None:
    data = _shipped()
    rules = parse_brand(data).sync
    assert rules.listing_action("approved", 5) == "list"
    assert rules.listing_action("approved", 0) == "zero"
    assert rules.listing_action("withdrawn", 5) == "end"
    assert rules.listing_action("rejected", 0) == "end"
    data["sync"]["out_of_stock"] = "end"
    assert parse_brand(data).sync.listing_action("approved", 0) == "end"
