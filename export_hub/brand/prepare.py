"""One listing made ready to send: price, quantity, rendering and pre-flight.

:func:`prepare_listing` is the one path from a product to what a marketplace
receives. The staff's preview (:mod:`export_hub.brand.web`) and the sync
planner (:mod:`export_hub.listings.sync.plan`) both call it, so what staff see
is what the connector is sent.

It is pure (no I/O, no clock): callers load the records, the exchange rates in
force (:func:`load_rates`) and the quantity available to sell, and pass them
in. It prices the product, applies the brand's sync rules to the quantity,
renders the marketplace body and runs the pre-flight check with the price
bounds. A missing exchange rate or pricing rule becomes a pre-flight issue,
not an exception.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from connectors.base import ListingPayload
from export_hub.accounts.models import Company
from export_hub.brand.base import ListingInput, preflight_issue
from export_hub.brand.config import BrandConfig
from export_hub.brand.preflight import (
    PreflightResult,
    PriceBounds,
    SchemaValidator,
    preflight,
)
from export_hub.catalog.models import Product, ProductImage
from export_hub.errors import MarketplaceIssue
from export_hub.marketplaces.models import SellerAccount
from export_hub.pricing.config import PricingConfig, PricingConfigError
from export_hub.pricing.engine import PriceQuote, PricingError, quote_price
from export_hub.pricing.rates import NoExchangeRate, RateInForce, rate_on

PRICE_MISSING = "PREFLIGHT_PRICE_MISSING"


@dataclass(frozen=True)
class ExchangeRates:
    """The KRW exchange rates in force on ``on``, by quote currency.

    A currency absent from ``krw_to`` had no rate in force that day.
    """

    on: dt.date
    #: quote currency -> ``1 KRW = rate currency``.
    krw_to: Mapping[str, RateInForce]

    def rate(self, currency: str) -> RateInForce:
        """The rate for ``currency``; raises :class:`NoExchangeRate`."""
        found = self.krw_to.get(currency)
        if found is None:
            raise NoExchangeRate("KRW", currency, self.on)
        return found


@dataclass(frozen=True)
class PreparedListing:
    """Everything decided about one listing before anything is sent."""

    product: Product
    seller: SellerAccount
    #: ``list``, ``zero`` or ``end`` (the brand's sync rules).
    action: str
    quote: PriceQuote | None
    result: PreflightResult

    @property
    def ok(self) -> bool:
        """True when nothing blocks sending (warnings do not)."""
        return self.result.ok

    @property
    def payload(self) -> ListingPayload | None:
        """Exactly what the connector receives, or ``None`` when unrenderable."""
        rendered = self.result.rendered
        return rendered.payload() if rendered is not None else None


def prepare_listing(
    brand: BrandConfig,
    pricing: PricingConfig,
    *,
    product: Product,
    company: Company,
    seller: SellerAccount,
    images: Sequence[ProductImage],
    quantity: int,
    rates: ExchangeRates,
    public_base_url: str,
    schema: Mapping[str, Any] | None = None,
    validator: SchemaValidator | None = None,
) -> PreparedListing:
    """Price, render and pre-flight ``product`` for ``seller``. Pure.

    ``quantity`` is what is available to sell (the product's own count today);
    the brand's sync rules turn it into the listed quantity (0 unless the
    action is ``list``). ``images`` are the product's images, in any order:
    they are listed by position, then id. ``product``, ``company`` and
    ``seller`` are read as records (columns only; no relationship is loaded).
    Never raises for bad data: every problem is a pre-flight issue in
    ``result``.
    """
    action = brand.sync.listing_action(str(product.state), quantity)
    priced = price_for(pricing, rates, product=product, company=company, seller=seller)
    quote = priced if isinstance(priced, PriceQuote) else None
    listing = ListingInput(
        product=product,
        company=company,
        seller=seller,
        images=sorted(images, key=lambda i: (i.position, i.id or 0)),
        price=quote.price if quote else Decimal(0),
        currency=quote.currency
        if quote
        else pricing.currencies.get(seller.marketplace_id, "USD"),
        quantity=quantity if action == "list" else 0,
    )
    result = preflight(
        brand,
        listing,
        public_base_url=public_base_url,
        bounds=PriceBounds(quote.floor, quote.cap) if quote else None,
        schema=schema,
        validator=validator,
    )
    if isinstance(priced, MarketplaceIssue):
        # Why there is no price replaces the generic "no price".
        others = tuple(i for i in result.issues if i.code != PRICE_MISSING)
        result = PreflightResult(result.rendered, (priced, *others))
    return PreparedListing(product, seller, action, quote, result)


def price_for(
    pricing: PricingConfig,
    rates: ExchangeRates,
    *,
    product: Product,
    company: Company,
    seller: SellerAccount,
) -> PriceQuote | MarketplaceIssue:
    """The price quote for ``product`` on ``seller``'s marketplace, or the
    pre-flight issue saying why there is none. Pure.

    ``target_price_usd`` applies only where the marketplace sells in USD.
    """
    try:
        currency = pricing.currency_for(seller.marketplace_id)
        rate = rates.rate(currency)
        target = product.target_price_usd if currency == "USD" else None
        return quote_price(
            pricing,
            marketplace=seller.marketplace,
            marketplace_id=seller.marketplace_id,
            currency=currency,
            rate=rate.rate,
            rate_date=rate.effective_on,
            price_krw=product.price_krw,
            cost_krw=product.cost_krw,
            weight_g=product.weight_g,
            margin_floor_percent=Decimal(str(company.margin_floor_percent)),
            target_price=Decimal(target) if target is not None else None,
        )
    except NoExchangeRate as exc:
        return preflight_issue(PRICE_MISSING, exc.text.en, "purchasable_offer")
    except (PricingConfigError, PricingError) as exc:
        return preflight_issue(PRICE_MISSING, str(exc), "purchasable_offer")


async def load_rates(
    session: AsyncSession, currencies: Iterable[str], on: dt.date
) -> ExchangeRates:
    """The KRW rates in force ``on`` for ``currencies`` (two small queries
    each). Reads only."""
    found: dict[str, RateInForce] = {}
    for currency in sorted(set(currencies)):
        try:
            found[currency] = await rate_on(session, "KRW", currency, on)
        except NoExchangeRate:
            continue
    return ExchangeRates(on, found)


def currencies_of(
    pricing: PricingConfig, accounts: Iterable[SellerAccount]
) -> set[str]:
    """The currencies ``accounts`` sell in (unconfigured sites have none)."""
    return {
        pricing.currencies[a.marketplace_id]
        for a in accounts
        if a.marketplace_id in pricing.currencies
    }


async def load_product(session: AsyncSession, product_id: int) -> Product | None:
    """The product with its company and images loaded."""
    return await session.scalar(
        select(Product)
        .where(Product.id == product_id)
        .options(selectinload(Product.images), selectinload(Product.company))
    )
