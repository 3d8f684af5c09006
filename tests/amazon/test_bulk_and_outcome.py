"""The JSON_LISTINGS_FEED bulk path, and recording Amazon's listing outcomes
through the sync's own recorder: ACCEPTED is not listed until a GET says so."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.amazon.bulk import feed_document, results_from_report
from connectors.amazon.client import AmazonListingsClient
from connectors.base import ListingStatus, SubmissionStatus
from emulators.amazon import AmazonEmulator
from export_hub.catalog.models import Product
from export_hub.db import utcnow
from export_hub.listings.models import Listing, ListingEvent, ListingIssue
from export_hub.listings.sync.plan import Action, Work
from export_hub.listings.sync.record import apply_state, record_result
from export_hub.marketplaces.models import SellerAccount
from tests.amazon.conftest import OTHER_REFRESH, OTHER_SELLER, MakeClient, payload
from tests.foundation.helpers import make_company_user


async def test_mixed_batch_maps_issues_back_by_message_id(
    client: AmazonListingsClient, emulator: AmazonEmulator
) -> None:
    batch = [
        payload(sku="BULK-1"),
        payload(sku="BULK-2", gtin=None),  # refused before sending
        payload(sku="BULK-3", name="Tea Ω – “quoted” 茶"),  # UTF-8 survives
        payload(sku="BULK-4"),
    ]
    # One the emulator refuses although our schema copy accepted it: a
    # product type Amazon does not know (its definition came from TEA).
    definition = await client.definition("TEA")
    client.product_types._definitions[("NOT_A_TYPE", "ATVPDKIKX0DER", "")] = (
        float("inf"),
        definition,
    )
    batch.append(payload(sku="BULK-5", product_type="NOT_A_TYPE"))

    results = await client.bulk_put_listings(batch)

    assert [r.sku for r in results] == [item.sku for item in batch]
    assert [r.status for r in results] == [
        SubmissionStatus.ACCEPTED,
        SubmissionStatus.INVALID,
        SubmissionStatus.ACCEPTED,
        SubmissionStatus.ACCEPTED,
        SubmissionStatus.INVALID,
    ]
    assert results[1].issues[0].code == "90220"
    assert results[4].issues[0].code == "4000003"
    assert results[0].submission_id  # the feed id
    ops = [op for op, _ in emulator.state.calls]
    assert ops.count("createFeed") == 1
    assert "putListingsItem" not in ops
    stored = emulator.state.listings[
        (client.account.seller_id, "ATVPDKIKX0DER", "BULK-3")
    ]
    assert stored.attributes["item_name"][0]["value"] == "Tea Ω – “quoted” 茶"
    state = None
    for _ in range(100):
        state = await client.get_listing("BULK-4")
        if state is not None and state.status is ListingStatus.LIVE:
            break
        await asyncio.sleep(0.05)
    assert state is not None
    assert state.status is ListingStatus.LIVE


async def test_uncompressed_reports_work_too(
    client: AmazonListingsClient, emulator: AmazonEmulator
) -> None:
    emulator.config.gzip_reports = False
    (result,) = await client.bulk_put_listings([payload(sku="PLAIN-1")])
    assert result.status is SubmissionStatus.ACCEPTED


def test_report_without_issues_accepts_everything() -> None:
    listings = [payload(sku="A"), payload(sku="B")]
    document = feed_document("A1SELLER", listings)
    assert [m["messageId"] for m in document["messages"]] == [1, 2]
    report = {
        "header": {"sellerId": "A1SELLER", "version": "2.0", "feedId": "77"},
        "issues": [
            {
                "messageId": 2,
                "sku": "B",
                "code": "18",
                "severity": "WARNING",
                "message": "w",
            }
        ],
        "summary": {},
    }
    first, second = results_from_report(report, listings)
    assert first.status is SubmissionStatus.ACCEPTED
    assert second.status is SubmissionStatus.ACCEPTED  # a warning is not a failure
    assert second.issues[0].severity == "WARNING"
    assert second.submission_id == "77"


async def _listing(
    sessions: async_sessionmaker[AsyncSession], sku: str, seller_id: str
) -> int:
    company, _ = await make_company_user(sessions)
    async with sessions.begin() as db:
        product = Product(
            company_id=company.id, sku=sku, name_ko="국화차", brand="Onsen Lab"
        )
        account = SellerAccount(
            company_id=company.id,
            marketplace="amazon",
            marketplace_id="ATVPDKIKX0DER",
            region="na",
            seller_id=seller_id,
            approved_brands=[],
            setup={},
        )
        db.add_all([product, account])
        await db.flush()
        listing = Listing(
            product_id=product.id,
            seller_account_id=account.id,
            marketplace="amazon",
            sku=sku,
            sent_hashes={},
        )
        db.add(listing)
        await db.flush()
        return listing.id


async def record_submission(db, listing: Listing, result) -> None:
    """Record a create's answer as the sync does."""
    work = Work(
        action=Action.CREATE,
        account_id=listing.seller_account_id,
        product_id=listing.product_id,
        sku=listing.sku,
        marketplace="amazon",
        listing_row_id=listing.id,
        hashes={"content": "c1"},
    )
    await record_result(
        db, listing, work, result, now=utcnow(), run_id=None, pause_hours=24
    )


async def poll_listing(db, listing: Listing, client: AmazonListingsClient) -> str:
    """One status follow-up step, as ``sync.follow_up`` takes it."""
    state = await client.get_listing(listing.sku)
    return await apply_state(
        db, listing, state, now=utcnow(), run_id=None, pause_hours=24
    )


async def test_accepted_then_polled_to_needs_action_with_issues(
    sessions: async_sessionmaker[AsyncSession], make_client: MakeClient
) -> None:
    client = make_client(seller=OTHER_SELLER, refresh=OTHER_REFRESH)
    listing_id = await _listing(sessions, "YC-CRM-050", OTHER_SELLER)
    result = await client.put_listing(payload(sku="YC-CRM-050", brand="Onsen Lab"))
    async with sessions.begin() as db:
        listing = await db.get_one(Listing, listing_id)
        await record_submission(db, listing, result)
    async with sessions() as db:
        listing = await db.get_one(Listing, listing_id)
        assert listing.status == "submitted"  # ACCEPTED is not listed
        assert listing.submission_id == result.submission_id

    status = "submitted"
    for _ in range(100):
        async with sessions.begin() as db:
            listing = await db.get_one(Listing, listing_id)
            status = await poll_listing(db, listing, client)
        if status != "submitted":
            break
        await asyncio.sleep(0.05)
    assert status == "needs_action"
    async with sessions() as db:
        issues = list(await db.scalars(select(ListingIssue)))
        events = list(await db.scalars(select(ListingEvent).order_by(ListingEvent.id)))
    (issue,) = issues
    assert (issue.code, issue.severity, issue.attribute_names) == (
        "5665",
        "ERROR",
        ["brand"],
    )
    assert issue.categories == ["INVALID_ATTRIBUTE"]
    assert issue.action_owner == "staff"  # brand approval or branding mode
    assert "Onsen Lab" in issue.message
    assert [(e.action, e.outcome) for e in events] == [
        ("create", "ok"),
        ("status", "needs_action"),
    ]
    async with sessions() as db:
        listing = await db.get_one(Listing, listing_id)
    # Refused content is sent again after a fix (or the pause), not trusted.
    assert "content" not in listing.sent_hashes
    assert listing.paused_until is not None
    assert listing.paused_until > utcnow() + dt.timedelta(hours=23)
    assert events[0].request_id == result.request_id


async def test_polled_to_live_with_the_asin(
    sessions: async_sessionmaker[AsyncSession], client: AmazonListingsClient
) -> None:
    listing_id = await _listing(sessions, "HB-TEA-001", client.account.seller_id)
    result = await client.put_listing(payload())
    async with sessions.begin() as db:
        await record_submission(db, await db.get_one(Listing, listing_id), result)
    status = "submitted"
    for _ in range(100):
        async with sessions.begin() as db:
            status = await poll_listing(
                db, await db.get_one(Listing, listing_id), client
            )
        if status != "submitted":
            break
        await asyncio.sleep(0.05)
    assert status == "live"
    async with sessions() as db:
        listing = await db.get_one(Listing, listing_id)
        assert listing.listing_id
        assert listing.listing_id.startswith("B0")
        assert list(await db.scalars(select(ListingIssue))) == []
