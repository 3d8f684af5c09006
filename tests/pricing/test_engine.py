"""Pricing math with exact Decimals (no I/O)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from export_hub.pricing.config import (
    CurrencyRule,
    PricingConfigError,
    load_pricing,
    parse_pricing,
)
from export_hub.pricing.engine import (
    PricingError,
    apply_ending,
    quote_price,
    shipping_krw,
    should_resend,
)

ROOT = Path(__file__).resolve().parents[2]
D = Decimal


@pytest.fixture(scope="module")
def config():
    return load_pricing(ROOT / "config" / "pricing.toml")


def quote(config, **kw):
    args = {
        "marketplace": "amazon",
        "currency": "USD",
        "rate": D("0.00072"),
        "price_krw": 39000,
        "cost_krw": 20000,
        "weight_g": 120,
        "margin_floor_percent": D("10"),
    }
    args.update(kw)
    return quote_price(config, **args)


def test_krw_price_to_usd_with_fee_shipping_and_ending(config) -> None:
    q = quote(config)
    # (39000 + 9000 shipping) x 0.00072 / 0.85 = 40.6588... -> 40.99
    assert q.price == D("40.99")
    # (20000 x 1.10 + 9000) x 0.00072 / 0.85 = 26.2588... -> up to 26.26
    assert q.floor == D("26.26")
    assert q.cap == D("5000")
    assert q.currency == "USD"
    assert not q.explicit
    assert q.breakdown["shipping"] == D("6.48")
    assert q.breakdown["converted_price"] == D("28.08")
    assert q.breakdown["list_before_ending"] == D("40.66")


def test_margin_floor_wins_over_a_low_price(config) -> None:
    q = quote(config, price_krw=20000)
    # list (20000 + 9000) x 0.00072 / 0.85 = 24.56 < floor 26.2588 -> 26.99
    assert q.price == D("26.99")
    assert q.price >= q.floor
    assert quote(config, price_krw=20000, margin_floor_percent=D("0")).price == D(
        "24.99"
    )


def test_explicit_target_price_wins(config) -> None:
    q = quote(config, target_price=D("25.005"))
    assert q.price == D("25.01")  # half-up to cents, no ending applied
    assert q.explicit
    assert (
        q.price < q.floor
    )  # the pre-flight check reports it, the engine does not hide it


def test_ebay_fee_and_other_currencies(config) -> None:
    # 34.56 / 0.864 = 40.00 exactly; the next .99 at or above it
    assert quote(config, marketplace="ebay").price == D("40.99")
    jpy = quote(config, currency="JPY", rate=D("0.11"))
    # 48000 x 0.11 / 0.85 = 6211.76 -> whole yen, rounded up
    assert jpy.price == D("6212")
    assert jpy.floor == D("4012")  # 31000 x 0.11 / 0.85 = 4011.76
    aud = quote(config, currency="AUD", rate=D("0.0011"), marketplace="ebay")
    assert str(aud.price).endswith(".95")


def test_apply_ending() -> None:
    usd = CurrencyRule(decimals=2, ending=D("0.99"), cap=D(1000))
    assert apply_ending(D("23.41"), usd) == D("23.99")
    assert apply_ending(D("23.99"), usd) == D("23.99")
    assert apply_ending(D("24.00"), usd) == D("24.99")
    assert apply_ending(D("23.991"), usd) == D("24.99")
    plain = CurrencyRule(decimals=2, ending=D("0"), cap=D(1000))
    assert apply_ending(D("23.411"), plain) == D("23.42")
    assert str(apply_ending(D("23.4"), usd)) == "23.99"


def test_shipping_bands(config) -> None:
    assert shipping_krw(config, 1) == 9000
    assert shipping_krw(config, 250) == 9000
    assert shipping_krw(config, 251) == 13000
    assert shipping_krw(config, 30000) == 190000
    with pytest.raises(PricingError, match="no shipping band for 30001 g"):
        shipping_krw(config, 30001)


def test_bad_inputs_are_clear(config) -> None:
    with pytest.raises(PricingError, match="positive"):
        quote(config, rate=D("0"))
    with pytest.raises(PricingError, match="'XYZ'"):
        quote(config, currency="XYZ")
    with pytest.raises(PricingConfigError, match="no currency configured"):
        config.currency_for("NOWHERE")


def test_should_resend_threshold() -> None:
    assert not should_resend(D("10.00"), D("10.10"))  # exactly 1 %: not more
    assert should_resend(D("10.00"), D("10.11"))
    assert should_resend(D("10.00"), D("9.89"))
    assert not should_resend(D("10.00"), D("10.00"))
    assert should_resend(None, D("10.00"))
    assert should_resend(D("10.00"), D("10.30"), threshold=D("0.02"))
    assert not should_resend(D("10.00"), D("10.20"), threshold=D("0.02"))


def test_pricing_config_validation(config) -> None:
    import tomllib

    data = tomllib.loads((ROOT / "config" / "pricing.toml").read_text("utf-8"))
    data["currencies"]["EBAY_XX"] = "CHF"
    with pytest.raises(PricingConfigError, match=r"currencies.EBAY_XX"):
        parse_pricing(data)
    data = tomllib.loads((ROOT / "config" / "pricing.toml").read_text("utf-8"))
    data["shipping"].reverse()
    with pytest.raises(PricingConfigError, match="increasing"):
        parse_pricing(data)
    data = tomllib.loads((ROOT / "config" / "pricing.toml").read_text("utf-8"))
    data["currency"]["USD"]["ending"] = "0.999"
    with pytest.raises(PricingConfigError, match="decimals"):
        parse_pricing(data)
    data = tomllib.loads((ROOT / "config" / "pricing.toml").read_text("utf-8"))
    data["rates_source"] = {"enabled": True, "url": ""}
    with pytest.raises(PricingConfigError, match="URL"):
        parse_pricing(data)


def test_fee_override_per_marketplace_id() -> None:
    import tomllib

    data = tomllib.loads((ROOT / "config" / "pricing.toml").read_text("utf-8"))
    data["fees"]["EBAY_DE"] = "0"
    config = parse_pricing(data)
    base = {
        "marketplace": "ebay",
        "currency": "EUR",
        "rate": D("0.00065"),
        "price_krw": 39000,
        "cost_krw": 20000,
        "weight_g": 120,
        "margin_floor_percent": D("10"),
    }
    # No fee on EBAY_DE: 48000 x 0.00065 = 31.20 -> 31.99; EBAY_GB keeps 13.6 %.
    assert quote_price(config, marketplace_id="EBAY_DE", **base).price == D("31.99")
    assert quote_price(config, marketplace_id="EBAY_GB", **base).price == D("36.99")
