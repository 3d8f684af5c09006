"""The price engine: Decimal money throughout, explicit rounding.

:func:`quote_price` is pure (the rate is passed in); :func:`price_listing`
looks the rate up with :func:`export_hub.pricing.rates.rate_on`. Rounding:
the floor is rounded *up* to the currency's minor unit (never below the
margin), the price *up* to the next price ending (23.41 -> 23.99).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.errors import ExportHubError
from export_hub.pricing.config import CurrencyRule, PricingConfig
from export_hub.pricing.rates import rate_on

HUNDRED = Decimal(100)
ONE = Decimal(1)


class PricingError(ExportHubError):
    """A price cannot be computed (no shipping band, no currency rule, ...)."""


@dataclass(frozen=True)
class PriceQuote:
    """A marketplace price and how it was made."""

    price: Decimal
    currency: str
    #: The lowest acceptable price (cost + margin floor + shipping + fee).
    floor: Decimal
    #: The sanity ceiling for the currency.
    cap: Decimal
    rate: Decimal
    rate_date: dt.date | None
    #: The company's explicit target price was used.
    explicit: bool
    breakdown: dict[str, Decimal] = field(default_factory=dict)


def minor_unit(rule: CurrencyRule) -> Decimal:
    return ONE.scaleb(-rule.decimals)


def apply_ending(amount: Decimal, rule: CurrencyRule) -> Decimal:
    """The smallest price >= ``amount`` that ends in ``rule.ending``.

    ``.99``: 23.41 -> 23.99, 23.99 -> 23.99, 24.00 -> 24.99. Without an
    ending, ``amount`` is rounded up to the minor unit.
    """
    unit = minor_unit(rule)
    rounded = amount.quantize(unit, rounding=ROUND_CEILING)
    if rule.ending == 0:
        return rounded
    whole = rounded.to_integral_value(rounding="ROUND_FLOOR")
    candidate = whole + rule.ending
    if candidate < rounded:
        candidate += ONE
    return candidate.quantize(unit)


def shipping_krw(config: PricingConfig, weight_g: int) -> int:
    """International shipping cost for a parcel of ``weight_g`` grams."""
    for band in config.shipping:
        if weight_g <= band.max_weight_g:
            return band.cost_krw
    raise PricingError(
        f"no shipping band for {weight_g} g (heaviest band: "
        f"{config.shipping[-1].max_weight_g} g) — add one to config/pricing.toml"
    )


def quote_price(
    config: PricingConfig,
    *,
    marketplace: str,
    currency: str,
    rate: Decimal,
    price_krw: int,
    cost_krw: int,
    weight_g: int,
    margin_floor_percent: Decimal,
    target_price: Decimal | None = None,
    rate_date: dt.date | None = None,
    marketplace_id: str = "",
) -> PriceQuote:
    """The price for one listing. ``rate`` is ``1 KRW = rate currency``.

    The fee is ``fees[marketplace_id]`` when configured (a site with other
    fees, e.g. ``EBAY_DE``), else ``fees[marketplace]``.
    """
    if rate <= 0:
        raise PricingError(f"exchange rate must be positive, got {rate}")
    try:
        rule = config.currency[currency]
        fee_percent = config.fees[
            marketplace_id if marketplace_id in config.fees else marketplace
        ]
    except KeyError as exc:
        raise PricingError(f"no pricing rule for {exc.args[0]!r}") from None
    keep = ONE - fee_percent / HUNDRED
    ship = Decimal(shipping_krw(config, weight_g))
    margin = ONE + Decimal(margin_floor_percent) / HUNDRED
    floor_exact = (Decimal(cost_krw) * margin + ship) * rate / keep
    list_exact = (Decimal(price_krw) + ship) * rate / keep
    floor = floor_exact.quantize(minor_unit(rule), rounding=ROUND_CEILING)
    if target_price is not None:
        price = target_price.quantize(minor_unit(rule), rounding=ROUND_HALF_UP)
    else:
        price = apply_ending(max(list_exact, floor_exact), rule)
    unit = minor_unit(rule)
    return PriceQuote(
        price=price,
        currency=currency,
        floor=floor,
        cap=rule.cap,
        rate=rate,
        rate_date=rate_date,
        explicit=target_price is not None,
        breakdown={
            "shipping": (ship * rate).quantize(unit, rounding=ROUND_HALF_UP),
            "fee_percent": fee_percent,
            "converted_price": (Decimal(price_krw) * rate).quantize(
                unit, rounding=ROUND_HALF_UP
            ),
            "list_before_ending": list_exact.quantize(unit, rounding=ROUND_HALF_UP),
        },
    )


async def price_listing(
    session: AsyncSession,
    config: PricingConfig,
    *,
    marketplace: str,
    marketplace_id: str,
    price_krw: int,
    cost_krw: int,
    weight_g: int,
    margin_floor_percent: float | Decimal,
    target_price_usd: Decimal | None,
    on: dt.date,
) -> PriceQuote:
    """Look up the rate in force ``on`` and quote. Raises ``NoExchangeRate``.

    ``target_price_usd`` applies only where the marketplace sells in USD.
    """
    currency = config.currency_for(marketplace_id)
    rate = await rate_on(session, "KRW", currency, on)
    target = target_price_usd if currency == "USD" else None
    return quote_price(
        config,
        marketplace=marketplace,
        marketplace_id=marketplace_id,
        currency=currency,
        rate=rate.rate,
        rate_date=rate.effective_on,
        price_krw=price_krw,
        cost_krw=cost_krw,
        weight_g=weight_g,
        margin_floor_percent=Decimal(str(margin_floor_percent)),
        target_price=Decimal(target) if target is not None else None,
    )


def should_resend(
    old: Decimal | None, new: Decimal, threshold: Decimal = Decimal("0.01")
) -> bool:
    """Whether a price moved by more than ``threshold`` (a fraction) since sent."""
    if old is None or old <= 0:
        return old != new
    return abs(new - old) / old > threshold
