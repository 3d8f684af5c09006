"""Loading what the planner needs for one seller account, in a few queries.

Query functions take a session and never commit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import Company
from export_hub.brand.preflight import PriceBounds
from export_hub.catalog.models import Product, ProductImage, ReviewState
from export_hub.listings.models import Listing
from export_hub.listings.sync.plan import Candidate, Quote
from export_hub.marketplaces.models import SellerAccount
from export_hub.pricing.config import PricingConfig, PricingConfigError
from export_hub.pricing.engine import PricingError, quote_price
from export_hub.pricing.rates import NoExchangeRate, RateInForce, rate_on


class RateBook:
    """Exchange rates looked up once per currency for a whole run."""

    def __init__(self, config: PricingConfig, on: dt.date):
        self.config = config
        self.on = on
        self._rates: dict[str, RateInForce | str] = {}

    async def rate(self, db: AsyncSession, currency: str) -> RateInForce | str:
        found = self._rates.get(currency)
        if found is None:
            try:
                found = await rate_on(db, "KRW", currency, self.on)
            except NoExchangeRate as exc:
                found = exc.text.en
            self._rates[currency] = found
        return found

    async def quote(
        self,
        db: AsyncSession,
        product: Product,
        company: Company,
        account: SellerAccount,
    ) -> Quote:
        try:
            currency = self.config.currency_for(account.marketplace_id)
        except PricingConfigError as exc:
            return Quote(None, "USD", problem=str(exc))
        rate = await self.rate(db, currency)
        if isinstance(rate, str):
            return Quote(None, currency, problem=rate)
        target = product.target_price_usd if currency == "USD" else None
        try:
            quote = quote_price(
                self.config,
                marketplace=account.marketplace,
                currency=currency,
                rate=rate.rate,
                rate_date=rate.effective_on,
                price_krw=product.price_krw,
                cost_krw=product.cost_krw,
                weight_g=product.weight_g,
                margin_floor_percent=Decimal(str(company.margin_floor_percent)),
                target_price=Decimal(target) if target is not None else None,
            )
        except PricingError as exc:
            return Quote(None, currency, problem=str(exc))
        return Quote(quote.price, currency, PriceBounds(quote.floor, quote.cap))


async def load_candidates(
    db: AsyncSession, account: SellerAccount, rates: RateBook
) -> list[Candidate]:
    """Every product of the account's company that is approved or already has
    a listing on this account, with its images, listing and price."""
    company = await db.get_one(Company, account.company_id)
    listings = {
        row.product_id: row
        for row in await db.scalars(
            select(Listing).where(Listing.seller_account_id == account.id)
        )
    }
    products = list(
        await db.scalars(
            select(Product)
            .where(
                Product.company_id == account.company_id,
                or_(
                    Product.state == ReviewState.APPROVED,
                    Product.id.in_(
                        select(Listing.product_id).where(
                            Listing.seller_account_id == account.id
                        )
                    ),
                ),
            )
            .order_by(Product.id)
        )
    )
    images = await images_by_product(db, account.company_id)
    return [
        Candidate(
            product=product,
            company=company,
            account=account,
            images=images.get(product.id, ()),
            listing=listings.get(product.id),
            quote=await rates.quote(db, product, company, account),
        )
        for product in products
    ]


async def images_by_product(
    db: AsyncSession, company_id: int
) -> dict[int, Sequence[ProductImage]]:
    rows = await db.scalars(
        select(ProductImage)
        .join(Product, Product.id == ProductImage.product_id)
        .where(Product.company_id == company_id)
        .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id)
    )
    out: dict[int, list[ProductImage]] = defaultdict(list)
    for image in rows:
        out[image.product_id].append(image)
    return dict(out)


async def seller_accounts(
    db: AsyncSession,
    *,
    company_brn: str | None = None,
    marketplace: str | None = None,
    account_id: int | None = None,
) -> list[SellerAccount]:
    """Connected seller accounts in scope, oldest first."""
    query = select(SellerAccount).where(SellerAccount.status == "connected")
    if company_brn:
        query = query.join(Company, Company.id == SellerAccount.company_id).where(
            Company.brn == company_brn
        )
    if marketplace:
        query = query.where(SellerAccount.marketplace == marketplace)
    if account_id is not None:
        query = query.where(SellerAccount.id == account_id)
    return list(await db.scalars(query.order_by(SellerAccount.id)))
