"""Companies that already sell on eBay: import, link, sync, migrate.

* :func:`import_legacy_listings` reads the seller's active listings (Trading
  GetMyeBaySelling, then GetItem each), records them as
  :class:`~connectors.ebay.models.EbayListingLink` rows and links each to the
  company's product with the same SKU (creating the Export Hub ``Listing``).
* :func:`sync_legacy_price_quantity` keeps linked listings' price and quantity
  in step through ReviseInventoryStatus (four per call).
* :func:`migrate_to_inventory` converts listings staff chose to the Inventory
  model with ``bulk_migrate_listing`` (five per call).

One listing is managed through one path only: ``EbayListingLink.managed_by``
says which, the Trading path refuses ``inventory`` links, and a product that
already has an Inventory-API listing on the account is not linked to a legacy
one. Functions take a session and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import PriceQuantityUpdate, SubmissionResult, SubmissionStatus
from connectors.ebay.account import TRADING_ITEMS
from connectors.ebay.errors import rest_errors
from connectors.ebay.models import EbayListingLink
from connectors.ebay.trading import EbayTradingClient, LegacyListing, TradingListings
from connectors.ebay.transport import EbayTransport
from export_hub.catalog.models import Product
from export_hub.db import utcnow
from export_hub.errors import MarketplaceIssue, SkippableError
from export_hub.listings.models import Listing
from export_hub.marketplaces.models import SellerAccount

TRADING = "trading"
INVENTORY = "inventory"
MIGRATE_BATCH = 5


@dataclass
class ImportReport:
    """What an import found: counts and the SKUs that could not be linked."""

    imported: int = 0
    linked: int = 0
    unmatched: list[str] = field(default_factory=list)
    #: SKUs whose product is already listed through the Inventory API.
    conflicts: list[str] = field(default_factory=list)


async def import_legacy_listings(
    db: AsyncSession, account: SellerAccount, trading: EbayTradingClient
) -> ImportReport:
    """Record the seller's active Trading listings and link them by SKU.

    Every eBay call happens before the first statement on ``db``, so a caller
    that opens the transaction lazily holds no lock while eBay answers.
    Idempotent: running it again refreshes titles, prices and quantities."""
    return await record_legacy_listings(
        db, account, await fetch_legacy_listings(trading)
    )


async def fetch_legacy_listings(trading: EbayTradingClient) -> list[LegacyListing]:
    """Active listings (GetMyeBaySelling, every page), each read in full (GetItem)."""
    found = []
    for summary in await trading.active_listings():
        try:
            found.append(await trading.get_item(summary.item_id))
        except SkippableError:
            continue  # ended between the two calls
    return found


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


async def remember_trading_items(db: AsyncSession, account: SellerAccount) -> None:
    """Copy the Trading-managed SKUs into ``account.setup`` so the connector
    (which has no database) routes them through Trading and never lists them
    a second time through the Inventory API."""
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


async def links_by_sku(
    db: AsyncSession, account: SellerAccount
) -> dict[str, EbayListingLink]:
    rows = await db.scalars(
        select(EbayListingLink).where(EbayListingLink.seller_account_id == account.id)
    )
    return {row.sku: row for row in rows if row.sku}


async def sync_legacy_price_quantity(
    db: AsyncSession,
    account: SellerAccount,
    trading: EbayTradingClient,
    updates: Sequence[PriceQuantityUpdate],
) -> list[SubmissionResult]:
    """ReviseInventoryStatus for linked Trading listings, four a call, within
    the 250-revisions-a-day budget; the links remember what was sent. One
    result per update, in order (migrated or unknown SKUs are refused)."""
    links = await links_by_sku(db, account)
    path = TradingListings(
        trading,
        {
            sku: link.item_id
            for sku, link in links.items()
            if link.managed_by == TRADING
        },
    )
    owned = [u for u in updates if path.owns(u.sku)]
    done = iter(await path.update(owned) if owned else [])
    results = []
    for update in updates:
        if not path.owns(update.sku):
            issue = _refusal(links.get(update.sku))
            results.append(
                SubmissionResult(update.sku, SubmissionStatus.INVALID, (issue,))
            )
            continue
        result = next(done)
        if result.ok:
            link = links[update.sku]
            link.price = update.price if update.price is not None else link.price
            link.quantity = (
                update.quantity if update.quantity is not None else link.quantity
            )
        results.append(result)
    await db.flush()
    return results


def _refusal(link: EbayListingLink | None) -> MarketplaceIssue:
    if link is None:
        return MarketplaceIssue("not_linked", "No imported eBay listing has this SKU.")
    return MarketplaceIssue(
        "managed_by_inventory",
        "This listing was migrated to the Inventory API; revise it there.",
    )


async def migrate_to_inventory(
    db: AsyncSession,
    account: SellerAccount,
    transport: EbayTransport,
    item_ids: Sequence[str],
) -> list[SubmissionResult]:
    """``bulk_migrate_listing`` for the chosen listings, five a call; migrated
    links switch to the Inventory path (offer id recorded on the listing).
    eBay is called before the first statement on ``db``."""
    answers = await migrate_listings(transport, item_ids)
    return await record_migrations(db, account, item_ids, answers)


async def migrate_listings(
    transport: EbayTransport, item_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """eBay's per-listing answers to ``bulk_migrate_listing``, by item id."""
    answers: dict[str, dict[str, Any]] = {}
    for start in range(0, len(item_ids), MIGRATE_BATCH):
        batch = item_ids[start : start + MIGRATE_BATCH]
        resp = await transport.request(
            "POST",
            "/sell/inventory/v1/bulk_migrate_listing",
            api="inventory",
            operation="inventory.bulk_migrate_listing",
            json={"requests": [{"listingId": item_id} for item_id in batch]},
        )
        for answer in (resp.body or {}).get("responses") or []:
            answers[str(answer.get("listingId"))] = answer
    return answers


async def record_migrations(
    db: AsyncSession,
    account: SellerAccount,
    item_ids: Sequence[str],
    answers: dict[str, dict[str, Any]],
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
        await _settle_migration(
            db, links.get(item_id), item_id, answers.get(item_id, {})
        )
        for item_id in item_ids
    ]
    await db.flush()
    await remember_trading_items(db, account)
    return results


async def _settle_migration(
    db: AsyncSession,
    link: EbayListingLink | None,
    item_id: str,
    answer: dict[str, object],
) -> SubmissionResult:
    sku = link.sku if link is not None else ""
    status = int(str(answer.get("statusCode", 500)))
    if not 200 <= status < 300:
        errors = rest_errors(answer.get("errors"))  # type: ignore[arg-type]
        issues = tuple(e.issue() for e in errors) or (
            MarketplaceIssue(str(status), "eBay did not migrate the listing."),
        )
        return SubmissionResult(
            sku, SubmissionStatus.INVALID, issues, listing_id=item_id
        )
    items = answer.get("inventoryItems") or []
    offer_id = str(items[0].get("offerId")) if items else None  # type: ignore[index]
    if link is not None:
        link.managed_by = INVENTORY
        link.offer_id = offer_id
        link.migrated_at = utcnow()
        if link.listing_id is not None:
            listing = await db.get(Listing, link.listing_id)
            if listing is not None:
                listing.offer_id = offer_id
                listing.listing_id = item_id
    return SubmissionResult(
        sku, SubmissionStatus.DONE, submission_id=offer_id, listing_id=item_id
    )
