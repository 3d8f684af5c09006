"""Loading what the planner needs for one seller account, in a few queries.

:func:`load_candidates` loads every product in full (records, images) for
rendering. :func:`load_plan_inputs`, what a sync run uses, first reads each
product's few columns that its fingerprint covers
(:mod:`export_hub.listings.sync.fingerprint`) and loads in full only the
products whose listing is not settled with those inputs; the settled ones
are planned from their listing alone (:class:`~.plan.Settled`).

Query functions take a session and never commit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import Company
from export_hub.brand.config import BrandConfig
from export_hub.brand.prepare import ExchangeRates, currencies_of, load_rates
from export_hub.catalog.models import Product, ProductImage, ReviewState
from export_hub.listings.models import Listing
from export_hub.listings.sync.fingerprint import (
    account_context,
    image_stamp,
    listing_fingerprint,
)
from export_hub.listings.sync.plan import Candidate, Settled, is_settled
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
    listings = await listings_by_product(db, account)
    products = list(
        await db.scalars(select(Product).where(_in_scope(account)).order_by(Product.id))
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


async def load_plan_inputs(
    db: AsyncSession,
    account: SellerAccount,
    rates_book: RateBook,
    brand: BrandConfig,
    pricing: PricingConfig,
    *,
    public_base_url: str,
    force: bool = False,
) -> list[Candidate | Settled]:
    """What :func:`load_candidates` loads, with fingerprints; products whose
    listing is settled with today's inputs (and not ``force``) come as
    :class:`Settled`, without loading the product or its images. In product
    id order."""
    company = await db.get_one(Company, account.company_id)
    trading = trading_items(account)
    # Rows, not records: most listings are settled and only read.
    listings = {
        row.product_id: row
        for row in await db.execute(
            select(*LISTING_VIEW).where(Listing.seller_account_id == account.id)
        )
    }
    stamps = (
        await db.execute(
            select(
                Product.id,
                Product.version,
                Product.updated_at,
                Product.state,
                Product.quantity,
                Product.reserved,
                Product.stock_buffer,
            )
            .where(_in_scope(account))
            .order_by(Product.id)
        )
    ).all()
    image_rows = (
        await db.execute(
            select(
                ProductImage.product_id,
                ProductImage.id,
                ProductImage.stored_name,
                ProductImage.position,
                ProductImage.sha256,
                ProductImage.width,
                ProductImage.height,
            )
            .join(Product, Product.id == ProductImage.product_id)
            .where(Product.company_id == account.company_id)
        )
    ).all()
    images: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in image_rows:
        images[row[0]].append(image_stamp(row))
    rates = await rates_book.rates(db, account)
    context = account_context(
        brand,
        pricing,
        account=account,
        company=company,
        rates=rates,
        public_base_url=public_base_url,
    )
    company_buffer = company.stock_buffer
    default_buffer = brand.sync.safety_buffer
    out: dict[int, Candidate | Settled] = {}
    full: dict[int, tuple[int, str]] = {}
    for pid, version, updated_at, state, on_hand, reserved, buffer in stamps:
        quantity = ledger.available(
            on_hand,
            reserved,
            ledger.safety_buffer(default_buffer, company_buffer, buffer),
        )
        state_text = str(state.value if hasattr(state, "value") else state)
        fingerprint = listing_fingerprint(
            context,
            product_id=pid,
            version=version,
            updated_at=updated_at,
            state=state_text,
            quantity=quantity,
            images=images.get(pid, ()),
        )
        listing = listings.get(pid)
        if (
            not force
            and listing is not None
            and listing.sku not in trading
            and is_settled(listing, fingerprint)
        ):
            out[pid] = Settled(pid, state_text, quantity, account, listing, fingerprint)
        else:
            full[pid] = (quantity, fingerprint)
    for chunk in _chunks(list(full), 500):
        chunk_images = await images_of(db, chunk)
        records = {
            row.product_id: row
            for row in await db.scalars(
                select(Listing).where(
                    Listing.seller_account_id == account.id,
                    Listing.product_id.in_(chunk),
                )
            )
        }
        for product in await db.scalars(select(Product).where(Product.id.in_(chunk))):
            record = records.get(product.id)
            quantity, fingerprint = full[product.id]
            out[product.id] = Candidate(
                product=product,
                company=company,
                account=account,
                images=chunk_images.get(product.id, ()),
                listing=record,
                quantity=quantity,
                rates=rates,
                trading_item=trading.get(record.sku) if record is not None else None,
                fingerprint=fingerprint,
            )
    return [out[pid] for pid in sorted(out)]


#: The listing columns the planner reads of a settled listing
#: (:class:`~export_hub.listings.sync.plan.ListingView`).
LISTING_VIEW = (
    Listing.id,
    Listing.product_id,
    Listing.sku,
    Listing.status,
    Listing.sent_hashes,
    Listing.sent_quantity,
    Listing.sent_currency,
    Listing.sent_fingerprint,
    Listing.in_doubt_operation,
    Listing.paused_until,
    Listing.last_quantity_assert_at,
    Listing.last_submitted_at,
    Listing.pending_since,
    Listing.offer_id,
)


def _in_scope(account: SellerAccount) -> ColumnElement[bool]:
    """The account's company's products that are approved or listed on it."""
    return (Product.company_id == account.company_id) & or_(
        Product.state == ReviewState.APPROVED,
        Product.id.in_(
            select(Listing.product_id).where(Listing.seller_account_id == account.id)
        ),
    )


async def listings_by_product(
    db: AsyncSession, account: SellerAccount
) -> dict[int, Listing]:
    """The account's listings by product id."""
    return {
        row.product_id: row
        for row in await db.scalars(
            select(Listing).where(Listing.seller_account_id == account.id)
        )
    }


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def images_of(
    db: AsyncSession, product_ids: list[int]
) -> dict[int, Sequence[ProductImage]]:
    """The images of ``product_ids``, by product, in display order."""
    rows = await db.scalars(
        select(ProductImage)
        .where(ProductImage.product_id.in_(product_ids))
        .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id)
    )
    out: dict[int, list[ProductImage]] = defaultdict(list)
    for image in rows:
        out[image.product_id].append(image)
    return dict(out)


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
