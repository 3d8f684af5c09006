"""End to end against both emulators over real sockets: first sync, delta
sync, brand not approved, follow-up to live."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import select, update

from emulators.amazon import AmazonEmulator
from emulators.ebay import EbayEmulator
from export_hub.catalog.models import Product, ReviewState
from export_hub.db import transaction
from export_hub.listings.models import Listing, ListingEvent, ListingIssue
from export_hub.listings.sync.follow import follow_submitted
from export_hub.listings.sync.options import SyncOptions
from export_hub.listings.sync.run import run_sync
from export_hub.marketplaces.models import SellerAccount
from export_hub.marketplaces.registry import ConnectorRegistry
from tests.sync.conftest import (
    COMPANIES,
    UNAPPROVED,
    amazon_skus,
    ebay_offers,
    listings,
    seed,
)


async def settle(sessions, settings, tries: int = 50) -> None:
    """Follow submitted listings until none is left submitted."""
    for _ in range(tries):
        await follow_submitted(sessions, settings)
        if not any(row.status == "submitted" for row in await listings(sessions)):
            return
        await asyncio.sleep(0.1)


async def test_first_sync_lists_everything_live_under_the_brand(
    sessions, settings, amazon: AmazonEmulator, ebay: EbayEmulator
) -> None:
    world = await seed(sessions, settings, ebay)
    report = await run_sync(sessions, settings)
    assert report.counts["create"] == Counter({"ok": 12}), report.as_counts()
    await settle(sessions, settings)
    rows = await listings(sessions)
    assert len(rows) == 12
    assert Counter(r.status for r in rows) == {"live": 12}
    for company in COMPANIES:
        skus = sorted(s for s in world.products if s.startswith(company.prefix + "-"))
        assert amazon_skus(amazon, company.amazon_seller) == skus
        offers = ebay_offers(ebay, company.ebay_user)
        assert sorted(o.sku for o in offers) == skus
        assert all(o.status == "PUBLISHED" for o in offers)
        for (seller, _, _sku), record in amazon.state.listings.items():
            if seller == company.amazon_seller:
                title = record.attributes["item_name"][0]["value"]
                assert "IT's Daejeon" in title, title
                assert record.attributes["brand"][0]["value"] == company.brand
        item = ebay.state.sellers[company.ebay_user].items[skus[0]]
        assert "IT's Daejeon" in item["product"]["title"]
    # A second sync finds nothing to send.
    calls_before = len(amazon.state.calls), len(ebay.state.log)
    again = await run_sync(sessions, settings)
    assert again.planned == 0, again.as_counts()
    assert (len(amazon.state.calls), len(ebay.state.log)) == calls_before


async def test_only_changed_parts_are_sent(
    sessions, settings, amazon: AmazonEmulator, ebay: EbayEmulator
) -> None:
    world = await seed(sessions, settings, ebay, COMPANIES[:1])
    await run_sync(sessions, settings)
    await settle(sessions, settings)
    price_sku, quantity_sku = "HB-00000", "HB-00001"
    async with transaction(sessions) as db:
        await db.execute(
            update(Product)
            .where(Product.id == world.products[price_sku])
            .values(price_krw=40000)
        )
        await db.execute(
            update(Product)
            .where(Product.id == world.products[quantity_sku])
            .values(quantity=3)
        )
        # A 0.5 % move stays under the 1 % threshold: not re-sent.
        await db.execute(
            update(Product)
            .where(Product.id == world.products["HB-00002"])
            .values(price_krw=20002 + 100)
        )
    amazon_before, ebay_before = len(amazon.state.calls), len(ebay.state.log)
    report = await run_sync(sessions, settings)
    assert report.as_counts() == {
        "update_price": {"ok": 2},
        "update_quantity": {"ok": 2},
        "skip": {"in_sync": 2},
    }
    amazon_ops = Counter(op for op, _ in amazon.state.calls[amazon_before:])
    assert amazon_ops == {"patchListingsItem": 2}, amazon_ops
    ebay_paths = Counter(path for _, path, _, _ in ebay.state.log[ebay_before:])
    assert ebay_paths == {"/sell/inventory/v1/bulk_update_price_quantity": 2}, (
        ebay_paths
    )
    async with sessions() as db:
        price_row = await db.scalar(
            select(Listing).where(
                Listing.sku == price_sku, Listing.marketplace == "ebay"
            )
        )
    offer = next(o for o in ebay_offers(ebay, "hanbit_foods") if o.sku == price_sku)
    assert offer.body["pricingSummary"]["price"]["value"] == price_row.sent_price
    quantity_offer = next(
        o for o in ebay_offers(ebay, "hanbit_foods") if o.sku == quantity_sku
    )
    # On hand 3, the brand's safety buffer of 1 held back.
    assert quantity_offer.body["availableQuantity"] == 3 - 1


async def test_brand_not_approved_needs_action_in_korean(
    sessions, settings, amazon: AmazonEmulator, ebay: EbayEmulator
) -> None:
    await seed(sessions, settings, ebay, [UNAPPROVED])
    await run_sync(sessions, settings, SyncOptions(marketplace="amazon"))
    await settle(sessions, settings)
    async with sessions() as db:
        row = await db.scalar(select(Listing).where(Listing.marketplace == "amazon"))
        issues = list(
            await db.scalars(
                select(ListingIssue).where(ListingIssue.listing_id == row.id)
            )
        )
        events = list(
            await db.scalars(
                select(ListingEvent).where(ListingEvent.listing_id == row.id)
            )
        )
    assert row.status == "needs_action"
    assert row.paused_until is not None
    assert issues
    assert issues[0].severity == "ERROR"
    explained = [e for e in events if e.action == "status"][-1].details["issues"][0]
    assert (
        "브랜드" in explained["what"]["ko"] or "마켓플레이스" in explained["what"]["ko"]
    )
    # Paused: the next sync leaves it alone without a call.
    calls = len(amazon.state.calls)
    report = await run_sync(sessions, settings, SyncOptions(marketplace="amazon"))
    assert report.counts["skip"]["paused"] == 1
    assert len(amazon.state.calls) == calls


async def test_withdrawn_product_ends_its_listings(
    sessions, settings, amazon: AmazonEmulator, ebay: EbayEmulator
) -> None:
    world = await seed(sessions, settings, ebay, COMPANIES[:1], products=2)
    await run_sync(sessions, settings)
    await settle(sessions, settings)
    async with transaction(sessions) as db:
        await db.execute(
            update(Product)
            .where(Product.id == world.products["HB-00000"])
            .values(state=ReviewState.WITHDRAWN)
        )
    report = await run_sync(sessions, settings)
    assert report.counts["end"] == Counter({"ok": 2}), report.as_counts()
    assert "HB-00000" not in amazon_skus(amazon, COMPANIES[0].amazon_seller)
    assert [o.sku for o in ebay_offers(ebay, COMPANIES[0].ebay_user)] == ["HB-00001"]
    ended = [r for r in await listings(sessions) if r.sku == "HB-00000"]
    assert {r.status for r in ended} == {"ended"}
    again = await run_sync(sessions, settings)
    assert again.planned == 0


async def test_revoked_authorization_asks_for_reconnection(
    sessions, settings, amazon: AmazonEmulator, ebay: EbayEmulator
) -> None:
    world = await seed(sessions, settings, ebay, COMPANIES[:1], products=2)
    amazon.state.revoke(f"Atzr|test-{COMPANIES[0].amazon_seller}")
    report = await run_sync(sessions, settings)
    assert report.counts["seller"]["reauthorize"] == 1, report.as_counts()
    assert report.counts["create"]["ok"] == 2  # eBay went on
    async with sessions() as db:
        account = await db.get_one(
            SellerAccount, world.accounts[(COMPANIES[0].brn, "amazon")]
        )
        amazon_rows = list(
            await db.scalars(select(Listing).where(Listing.marketplace == "amazon"))
        )
    assert account.status == "revoked"
    assert "다시 연결" in account.last_check_message
    assert all(r.in_doubt_operation is None for r in amazon_rows)
    # Not connected any more: the next sync leaves it alone.
    calls = len(amazon.state.calls)
    await run_sync(sessions, settings)
    assert len(amazon.state.calls) == calls


async def test_large_amazon_batches_go_as_one_feed(
    sessions, settings, amazon: AmazonEmulator, ebay: EbayEmulator
) -> None:
    world = await seed(sessions, settings, ebay, COMPANIES[:1], products=8)
    async with ConnectorRegistry(settings) as connectors:
        connectors.builder("amazon").feed_threshold = 5  # type: ignore[misc]
        report = await run_sync(
            sessions, settings, SyncOptions(marketplace="amazon"), connectors=connectors
        )
    assert report.counts["create"] == Counter({"ok": 8}), report.as_counts()
    ops = Counter(op for op, _ in amazon.state.calls)
    assert ops["createFeed"] == 1
    assert ops["putListingsItem"] == 0
    await settle(sessions, settings)
    rows = await listings(sessions)
    assert Counter(r.status for r in rows) == {"live": 8}
    assert amazon_skus(amazon, COMPANIES[0].amazon_seller) == sorted(world.products)
