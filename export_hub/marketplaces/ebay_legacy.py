"""Companies that already sell on eBay: import, link and migrate their listings.

* :func:`import_legacy` (staff action) reads the seller's active Trading
  listings, records them as :class:`~export_hub.marketplaces.models.EbayListingLink`
  rows and links each to the company's product with the same SKU (creating
  the Export Hub ``Listing``).
* :func:`migrate_legacy` (staff action) converts the listings staff chose to
  the Inventory model and records the outcome.

One listing is managed through one path only: ``EbayListingLink.managed_by``
says which, and the Trading-managed SKUs are copied into ``SellerAccount.setup``
so the connector (which has no database) routes their price and quantity
through ReviseInventoryStatus and never lists them a second time. A product
that already has an Inventory-API listing on the account is not linked to a
legacy one. eBay is always called before the transaction opens; the
``record_*`` functions take a session and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.base import SubmissionResult
from connectors.ebay.account import TRADING_ITEMS
from connectors.ebay.legacy import (
    INVENTORY,
    TRADING,
    fetch_legacy_listings,
    migrate_listings,
    migration_result,
)
from connectors.ebay.trading import EbayTradingClient, LegacyListing
from connectors.ebay.transport import EbayTransport
from export_hub.catalog.models import Product
from export_hub.db import utcnow
from export_hub.errors import Text
from export_hub.listings.models import Listing
from export_hub.marketplaces.adapters import OnboardingError
from export_hub.marketplaces.ebay import EbayOAuthAdapter
from export_hub.marketplaces.models import EbayListingLink, SellerAccount
from export_hub.marketplaces.service import account_ref
from export_hub.security import SecretBox


@dataclass
class ImportReport:
    """What an import found: counts and the SKUs that could not be linked."""

    imported: int = 0
    linked: int = 0
    unmatched: list[str] = field(default_factory=list)
    #: SKUs whose product is already listed through the Inventory API.
    conflicts: list[str] = field(default_factory=list)


async def import_legacy(
    sessions: async_sessionmaker[AsyncSession],
    adapter: EbayOAuthAdapter,
    box: SecretBox,
    account: SellerAccount,
) -> ImportReport:
    """Staff action: read the account's Trading listings from eBay, then
    record and link them in one short transaction (no lock held meanwhile).
    Idempotent: running it again refreshes titles, prices and quantities.
    Raises ``OnboardingError`` when the account is not connected."""
    trading = EbayTradingClient(_transport(adapter, box, account))
    listings = await fetch_legacy_listings(trading)
    async with sessions.begin() as db:
        return await record_legacy_listings(db, account, listings)


async def migrate_legacy(
    sessions: async_sessionmaker[AsyncSession],
    adapter: EbayOAuthAdapter,
    box: SecretBox,
    account: SellerAccount,
    item_ids: Sequence[str],
) -> list[SubmissionResult]:
    """Staff action: migrate the chosen listings at eBay (five a call), then
    record the outcome in one short transaction: migrated links switch to
    the Inventory path (offer id recorded on the listing). One result per
    item id, in order. Raises ``OnboardingError`` when not connected."""
    answers = await migrate_listings(_transport(adapter, box, account), item_ids)
    async with sessions.begin() as db:
        return await record_migrations(db, account, item_ids, answers)


def _transport(
    adapter: EbayOAuthAdapter, box: SecretBox, account: SellerAccount
) -> EbayTransport:
    if account.status != "connected" or not account.refresh_token_encrypted:
        raise OnboardingError(
            Text(
                "먼저 eBay 계정을 연결해 주세요.",
                "Please connect the eBay account first.",
            )
        )
    refresh = box.decrypt(account.refresh_token_encrypted)
    return adapter.transport_for(account_ref(account), refresh)


async def record_legacy_listings(
    db: AsyncSession, account: SellerAccount, listings: Sequence[LegacyListing]
) -> ImportReport:
    """Upsert the links and link new ones to products by SKU (no eBay calls)."""
    report = ImportReport()
    for detail in listings:
        link = await _upsert_link(db, account, detail)
        report.imported += 1
        if link.listing_id is None and link.managed_by == TRADING:
            await _link_product(db, account, link, report)
        if link.listing_id is not None:
            report.linked += 1
    await remember_trading_items(db, account)
    return report


def trading_items(account: SellerAccount) -> dict[str, str]:
    """SKU → eBay ItemID of the account's listings still managed through the
    Trading API (as :func:`remember_trading_items` stored them): the
    connector revises these with ReviseInventoryStatus, so the sync must
    never create or replace them, only send their price and quantity."""
    if account.marketplace != "ebay":
        return {}
    items = (account.setup or {}).get(TRADING_ITEMS) or {}
    return {str(sku): str(item) for sku, item in dict(items).items()}


async def remember_trading_items(db: AsyncSession, account: SellerAccount) -> None:
    """Copy the active Trading-managed SKUs into ``account.setup`` so the
    connector routes them through Trading and never lists them a second time
    through the Inventory API."""
    rows = await db.scalars(
        select(EbayListingLink).where(
            EbayListingLink.seller_account_id == account.id,
            EbayListingLink.managed_by == TRADING,
            EbayListingLink.ebay_status == "Active",
            EbayListingLink.sku != "",
        )
    )
    items = {row.sku: row.item_id for row in rows}
    stored = account if account in db else await db.get(SellerAccount, account.id)
    for target in (account, stored):
        if target is not None:
            target.setup = {**(target.setup or {}), TRADING_ITEMS: items}
    await db.flush()


async def _upsert_link(
    db: AsyncSession, account: SellerAccount, item: LegacyListing
) -> EbayListingLink:
    link = await db.scalar(
        select(EbayListingLink).where(
            EbayListingLink.seller_account_id == account.id,
            EbayListingLink.item_id == item.item_id,
        )
    )
    if link is None:
        link = EbayListingLink(seller_account_id=account.id, item_id=item.item_id)
        db.add(link)
    link.sku = item.sku
    link.title = item.title[:200]
    link.price = item.price
    link.currency = item.currency
    link.quantity = item.quantity
    link.ebay_status = item.status
    await db.flush()
    return link


async def _link_product(
    db: AsyncSession,
    account: SellerAccount,
    link: EbayListingLink,
    report: ImportReport,
) -> None:
    product = None
    if link.sku:
        product = await db.scalar(
            select(Product).where(
                Product.company_id == account.company_id, Product.sku == link.sku
            )
        )
    if product is None:
        report.unmatched.append(link.sku or link.item_id)
        return
    listing = await db.scalar(
        select(Listing).where(
            Listing.product_id == product.id, Listing.seller_account_id == account.id
        )
    )
    if listing is not None and listing.offer_id and listing.listing_id != link.item_id:
        report.conflicts.append(link.sku)
        return
    if listing is None:
        listing = Listing(
            product_id=product.id,
            seller_account_id=account.id,
            marketplace="ebay",
            sku=link.sku,
        )
        db.add(listing)
    listing.status = "live" if link.ebay_status == "Active" else "ended"
    listing.listing_id = link.item_id
    listing.sent_price = str(link.price) if link.price is not None else None
    listing.sent_currency = link.currency
    listing.sent_quantity = link.quantity
    await db.flush()
    link.listing_id = listing.id


async def record_migrations(
    db: AsyncSession,
    account: SellerAccount,
    item_ids: Sequence[str],
    answers: Mapping[str, Mapping[str, Any]],
) -> list[SubmissionResult]:
    """Settle each chosen listing from eBay's answer (no eBay calls)."""
    links = {
        link.item_id: link
        for link in await db.scalars(
            select(EbayListingLink).where(
                EbayListingLink.seller_account_id == account.id,
                EbayListingLink.item_id.in_(list(item_ids)),
            )
        )
    }
    results = [
        await _settle_migration(db, links.get(item_id), item_id, answers.get(item_id))
        for item_id in item_ids
    ]
    await db.flush()
    await remember_trading_items(db, account)
    return results


async def _settle_migration(
    db: AsyncSession,
    link: EbayListingLink | None,
    item_id: str,
    answer: Mapping[str, Any] | None,
) -> SubmissionResult:
    result = migration_result(item_id, link.sku if link else "", answer or {})
    if not result.ok or link is None:
        return result
    link.managed_by = INVENTORY
    link.offer_id = result.submission_id
    link.migrated_at = utcnow()
    if link.listing_id is not None:
        listing = await db.get(Listing, link.listing_id)
        if listing is not None:
            listing.offer_id = result.submission_id
            listing.listing_id = item_id
    return result
