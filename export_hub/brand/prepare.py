"""One listing made ready to send: price, quantity, rendering and pre-flight.

:func:`prepare_listing` is what a sync (or the staff's preview) calls per
(product, seller account): it prices the product with the rate in force,
applies the brand's sync rules to the quantity, renders the marketplace body
and runs the pre-flight check with the price bounds. A missing exchange rate
or pricing rule becomes a pre-flight issue, not an exception. Reads only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from export_hub.accounts.models import Company
from export_hub.brand.base import ListingInput, preflight_issue
from export_hub.brand.config import BrandConfig
from export_hub.brand.preflight import (
    PreflightResult,
    PriceBounds,
    SchemaValidator,
    preflight,
)
from export_hub.catalog.models import Product
from export_hub.errors import ExportHubError
from export_hub.marketplaces.models import SellerAccount
from export_hub.pricing.config import PricingConfig, PricingConfigError
from export_hub.pricing.engine import PriceQuote, price_listing


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
        return self.result.ok


async def load_product(session: AsyncSession, product_id: int) -> Product | None:
    """The product with its company and images loaded."""
    return await session.scalar(
        select(Product)
        .where(Product.id == product_id)
        .options(selectinload(Product.images), selectinload(Product.company))
    )


async def prepare_listing(
    session: AsyncSession,
    brand: BrandConfig,
    pricing: PricingConfig,
    *,
    product: Product,
    company: Company,
    seller: SellerAccount,
    public_base_url: str,
    on: dt.date,
    schema: Mapping[str, Any] | None = None,
    validator: SchemaValidator | None = None,
) -> PreparedListing:
    """Price, render and pre-flight ``product`` for ``seller``.

    ``product.images`` must be loaded (see :func:`load_product`).
    """
    action = brand.sync.listing_action(str(product.state), product.quantity)
    quote: PriceQuote | None = None
    price_issue = None
    try:
        quote = await price_listing(
            session,
            pricing,
            marketplace=seller.marketplace,
            marketplace_id=seller.marketplace_id,
            price_krw=product.price_krw,
            cost_krw=product.cost_krw,
            weight_g=product.weight_g,
            margin_floor_percent=company.margin_floor_percent,
            target_price_usd=product.target_price_usd,
            on=on,
        )
    except (ExportHubError, PricingConfigError) as exc:  # NoExchangeRate, PricingError
        price_issue = preflight_issue("PREFLIGHT_PRICE_MISSING", str(exc), "price")
    listing = ListingInput(
        product=product,
        company=company,
        seller=seller,
        images=list(product.images),
        price=quote.price if quote else Decimal(0),
        currency=quote.currency
        if quote
        else pricing.currencies.get(seller.marketplace_id, "USD"),
        quantity=0 if action != "list" else product.quantity,
    )
    result = preflight(
        brand,
        listing,
        public_base_url=public_base_url,
        bounds=PriceBounds(quote.floor, quote.cap) if quote else None,
        schema=schema,
        validator=validator,
    )
    if price_issue is not None:
        others = tuple(i for i in result.issues if i.code != "PREFLIGHT_PRICE_MISSING")
        result = PreflightResult(result.rendered, (price_issue, *others))
    return PreparedListing(product, seller, action, quote, result)
