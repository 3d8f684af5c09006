"""Loading what the planner needs for one seller account, in a few queries.

Query functions take a session and never commit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import Company
from export_hub.brand.prepare import ExchangeRates, currencies_of, load_rates
from export_hub.catalog.models import Product, ProductImage, ReviewState
from export_hub.listings.models import Listing
from export_hub.listings.sync.plan import Candidate
from export_hub.marketplaces.ebay_legacy import trading_items
from export_hub.marketplaces.models import SellerAccount
from export_hub.pricing.config import PricingConfig
from export_hub.pricing.rates import RateInForce
from export_hub.stock import ledger


class RateBook:
    """Exchange rates in force on ``on``, each looked up once for a whole run."""

    def __init__(self, config: PricingConfig, on: dt.date):
        self.config = config
        self.on = on
        self._rates: dict[str, RateInForce] = {}
        self._looked_up: set[str] = set()

    async def rates(self, db: AsyncSession, account: SellerAccount) -> ExchangeRates:
        """The rates ``account`` is priced with."""
        wanted = currencies_of(self.config, [account])
        missing = wanted - self._looked_up
        if missing:
            loaded = await load_rates(db, missing, self.on)
            self._rates.update(loaded.krw_to)
            self._looked_up |= missing
        return ExchangeRates(
            self.on, {c: self._rates[c] for c in wanted if c in self._rates}
        )


def offered_quantity(
    default_buffer: int, company: Company | None, product: Product
) -> int:
    """What every channel offers of ``product``: on hand − reserved − the
    safety buffer that applies (the product's, else the company's, else
    ``default_buffer``, the brand's ``sync.safety_buffer``); never below 0.

    The sync and the staff preview both call this, so what staff see is what
    is sent."""
    buffer = ledger.safety_buffer(
        default_buffer,
        company.stock_buffer if company is not None else None,
        product.stock_buffer,
    )
    return ledger.available(product.quantity, product.reserved, buffer)


async def load_candidates(
    db: AsyncSession,
    account: SellerAccount,
    rates_book: RateBook,
    *,
    safety_buffer: int,
) -> list[Candidate]:
    """Every product of the account's company that is approved or already has
    a listing on this account, with its images, listing, the quantity to
    offer (:func:`offered_quantity`; ``safety_buffer`` is the brand's
    default) and the exchange rates in force. A listing still managed through
    eBay's Trading API carries its ItemID (``trading_item``)."""
    company = await db.get_one(Company, account.company_id)
    trading = trading_items(account)
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
    rates = await rates_book.rates(db, account)
    return [
        Candidate(
            product=product,
            company=company,
            account=account,
            images=images.get(product.id, ()),
            listing=listing,
            quantity=offered_quantity(safety_buffer, company, product),
            rates=rates,
            trading_item=trading.get(listing.sku) if listing is not None else None,
        )
        for product in products
        for listing in (listings.get(product.id),)
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
