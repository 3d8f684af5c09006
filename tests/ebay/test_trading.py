"""Legacy listings through ebaysdk against the emulator's Trading API, and
their import, sync and migration with a real database through the paths
production takes (the staff actions and the sync's connector)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.base import ListingStatus, PriceQuantityUpdate, SubmissionStatus
from connectors.ebay.account import SellerSetup
from connectors.ebay.inventory import EbayInventoryClient
from connectors.ebay.trading import EbayTradingClient, translate_ebaysdk
from connectors.transport import CallContext
from emulators.ebay import EbayEmulator
from export_hub.accounts.models import Company
from export_hub.catalog.models import Product
from export_hub.db import utcnow
from export_hub.errors import (
    AuthorizationError,
    OutcomeUnknown,
    SkippableError,
    TransientError,
)
from export_hub.listings.models import Listing
from export_hub.marketplaces.adapters import Grant
from export_hub.marketplaces.ebay import EbayOAuthAdapter, adapter_from_settings
from export_hub.marketplaces.ebay_legacy import import_legacy, migrate_legacy
from export_hub.marketplaces.models import EbayListingLink, SellerAccount
from export_hub.marketplaces.registry import ConnectorRegistry
from export_hub.marketplaces.service import save_grant
from export_hub.security import SecretBox
from export_hub.settings import Settings
from tests.ebay.conftest import SELLER, MakeTransport, listing


def add_legacy(emulator: EbayEmulator, count: int, prefix: str = "L") -> list[str]:
    return [
        emulator.state.add_legacy_item(
            SELLER,
            sku=f"{prefix}-{i}",
            title=f"Daejeon ginseng tea {i}",
            price="12.00",
            currency="USD",
            quantity=5,
            category_id="183440",
        ).item_id
        for i in range(count)
    ]


def trading_calls(emulator: EbayEmulator, call: str) -> list[bytes]:
    return [
        body for _, path, _, body in emulator.state.log if path == f"/ws/api.dll#{call}"
    ]


async def test_active_listings_are_read_page_by_page(
    make_transport: MakeTransport, emulator: EbayEmulator
) -> None:
    ids = add_legacy(emulator, 205)
    trading = EbayTradingClient(make_transport())
    found = await trading.active_listings()
    assert [f.item_id for f in found] == sorted(ids)
    assert found[0].sku == "L-0"
    assert found[0].price == Decimal("12.00")
    assert len(trading_calls(emulator, "GetMyeBaySelling")) == 2
    item = await trading.get_item(ids[3])
    assert (item.sku, item.category_id, item.currency) == ("L-3", "183440", "USD")
    with pytest.raises(SkippableError):
        await trading.get_item("999")


async def test_revise_inventory_status_sends_four_per_call_and_settles_each(
    make_transport: MakeTransport, emulator: EbayEmulator
) -> None:
    ids = add_legacy(emulator, 10)
    emulator.state.sellers[SELLER].legacy[ids[5]].status = "Ended"
    trading = EbayTradingClient(make_transport())
    updates = [
        PriceQuantityUpdate(f"L-{i}", Decimal("15.5"), quantity=i, listing_id=item_id)
        for i, item_id in enumerate(ids)
    ]
    results = await trading.revise_inventory_status(updates)
    bodies = trading_calls(emulator, "ReviseInventoryStatus")
    assert [b.count(b"<InventoryStatus>") for b in bodies] == [4, 4, 2]
    assert results[5].status is SubmissionStatus.INVALID
    assert results[5].issues[0].code == "21916750"
    assert all(
        r.status is SubmissionStatus.DONE for i, r in enumerate(results) if i != 5
    )
    legacy = emulator.state.sellers[SELLER].legacy
    assert (legacy[ids[7]].price, legacy[ids[7]].quantity) == ("15.50", 7)


async def test_an_ended_single_item_is_settled_not_raised(
    make_transport: MakeTransport, emulator: EbayEmulator
) -> None:
    [item_id] = add_legacy(emulator, 1)
    emulator.state.sellers[SELLER].legacy[item_id].status = "Ended"
    trading = EbayTradingClient(make_transport())
    [result] = await trading.revise_inventory_status(
        [PriceQuantityUpdate("L-0", quantity=1, listing_id=item_id)]
    )
    assert result.status is SubmissionStatus.INVALID
    assert result.issues[0].code == "21916750"


@pytest.mark.parametrize("kind", ["503", "500", "drop"])
async def test_ebaysdk_failures_are_retried(
    make_transport: MakeTransport, emulator: EbayEmulator, kind: str
) -> None:
    [item_id] = add_legacy(emulator, 1)
    trading = EbayTradingClient(make_transport())
    emulator.state.script_fault("/ws/api.dll", kind, times=2)
    assert (await trading.get_item(item_id)).item_id == item_id


def test_ebaysdk_failure_kinds_are_translated() -> None:
    ctx = CallContext("ebay", "trading.GetItem", "seller")
    assert isinstance(translate_ebaysdk(AttributeError("Ack"), ctx), TransientError)
    assert isinstance(
        translate_ebaysdk(requests.ConnectionError(), ctx), TransientError
    )
    assert isinstance(translate_ebaysdk(requests.ReadTimeout(), ctx), OutcomeUnknown)
    assert translate_ebaysdk(KeyError("bug"), ctx) is None


async def test_expired_token_is_refreshed_for_trading_calls(
    make_transport: MakeTransport, emulator: EbayEmulator
) -> None:
    [item_id] = add_legacy(emulator, 1)
    transport = make_transport()
    trading = EbayTradingClient(transport)
    await trading.get_item(item_id)
    emulator.state.expire_access_tokens()
    assert (await trading.get_item(item_id)).item_id == item_id
    assert transport.tokens.refresh_count == 2


async def test_revoked_consent_is_an_authorization_error(
    make_transport: MakeTransport, emulator: EbayEmulator
) -> None:
    [item_id] = add_legacy(emulator, 1)
    trading = EbayTradingClient(make_transport())
    await trading.get_item(item_id)
    emulator.state.revoke_refresh_tokens(SELLER)
    with pytest.raises(AuthorizationError):
        await trading.get_item(item_id)


async def test_daily_quota_518_is_transient_with_retry_after_and_not_retried(
    make_transport: MakeTransport, emulator: EbayEmulator
) -> None:
    [item_id] = add_legacy(emulator, 1)
    emulator.config.daily_quota = 1
    trading = EbayTradingClient(make_transport())
    await trading.get_item(item_id)
    with pytest.raises(TransientError) as caught:
        await trading.get_item(item_id)
    assert caught.value.code == "518"
    assert caught.value.retry_after
    assert caught.value.retry_after > 60
    assert len(trading_calls(emulator, "GetItem")) == 1


async def _connected_company(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    emulator: EbayEmulator,
    skus: list[str],
) -> SellerAccount:
    """A company with these products and a connected eBay account (the
    refresh token stored encrypted, as after onboarding)."""
    emulator.state.add_seller(SELLER, opted_in=True)
    async with sessions.begin() as db:
        company = Company(name_ko="한밭차", name_en="Hanbat Tea", brn="3148123456")
        db.add(company)
        await db.flush()
        for sku in skus:
            db.add(
                Product(
                    company_id=company.id, sku=sku, name_ko="녹차", name_en="Green tea"
                )
            )
        return await save_grant(
            db,
            SecretBox.from_settings(settings),
            company_id=company.id,
            user_id=None,
            marketplace="ebay",
            marketplace_id="EBAY_US",
            grant=Grant(
                seller_id=SELLER,
                refresh_token=emulator.state.issue_refresh_token(SELLER),
                refresh_token_expires_at=utcnow() + dt.timedelta(days=540),
            ),
        )


@pytest.fixture
async def adapter(settings: Settings) -> AsyncIterator[EbayOAuthAdapter]:
    """The staff actions' adapter, as the web app and the CLI build it."""
    made = adapter_from_settings(settings)
    yield made
    await made.aclose()


async def _stored(
    sessions: async_sessionmaker[AsyncSession], account: SellerAccount
) -> SellerAccount:
    async with sessions() as db:
        found = await db.get(SellerAccount, account.id)
    assert found is not None
    return found


async def test_import_links_by_sku_syncs_and_migrates_without_two_paths(
    emulator: EbayEmulator,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    adapter: EbayOAuthAdapter,
) -> None:
    """The staff actions import and migrate; the sync's connector (from the
    registry, with the account's stored set-up) then revises each listing
    through the one path that manages it."""
    ids = add_legacy(emulator, 6)
    emulator.state.add_legacy_item(
        SELLER,
        sku="",
        title="No SKU",
        price="3.00",
        currency="USD",
        quantity=1,
        category_id="183440",
    )
    account = await _connected_company(
        sessions, settings, emulator, ["L-0", "L-1", "L-2", "L-3", "L-4"]
    )
    box = SecretBox.from_settings(settings)
    report = await import_legacy(sessions, adapter, box, account)
    assert (report.imported, report.linked) == (7, 5)
    no_sku = [i for i in emulator.state.sellers[SELLER].legacy if i not in ids]
    assert set(report.unmatched) == {"L-5", *no_sku}
    again = await import_legacy(sessions, adapter, box, account)
    async with sessions() as db:
        listings = (await db.scalars(select(Listing))).all()
    assert again.linked == 5
    assert len(listings) == 5
    assert {lst.listing_id for lst in listings} == set(ids[:5])

    updates = [
        PriceQuantityUpdate(f"L-{i}", Decimal("20.00"), quantity=3) for i in range(6)
    ]
    async with ConnectorRegistry(settings, box=box) as registry:
        connector = registry.connector_for(await _stored(sessions, account))
        synced = await connector.update_price_quantity(updates)
    assert [r.status for r in synced] == [SubmissionStatus.DONE] * 6
    assert [
        b.count(b"<InventoryStatus>")
        for b in trading_calls(emulator, "ReviseInventoryStatus")
    ] == [4, 2]
    assert emulator.state.sellers[SELLER].legacy[ids[5]].price == "20.00"

    migrated = await migrate_legacy(sessions, adapter, box, account, [*ids[:2], "404"])
    assert [r.status for r in migrated] == [
        SubmissionStatus.DONE,
        SubmissionStatus.DONE,
        SubmissionStatus.INVALID,
    ]
    assert migrated[2].issues[0].code == "25718"
    async with sessions() as db:
        link = await db.scalar(
            select(EbayListingLink).where(EbayListingLink.item_id == ids[0])
        )
        listing = await db.get(Listing, link.listing_id) if link else None
    assert link is not None
    assert link.managed_by == "inventory"
    assert link.offer_id == migrated[0].submission_id
    assert listing is not None
    assert listing.offer_id == migrated[0].submission_id

    async with ConnectorRegistry(settings, box=box) as registry:
        connector = registry.connector_for(await _stored(sessions, account))
        resynced = await connector.update_price_quantity(updates[:3])
        state = await connector.get_listing("L-0")
    assert [r.status for r in resynced] == [SubmissionStatus.DONE] * 3
    # Only L-2 is still a Trading listing; L-0 and L-1 went to the Inventory API.
    assert [
        b.count(b"<InventoryStatus>")
        for b in trading_calls(emulator, "ReviseInventoryStatus")
    ] == [4, 2, 1]
    bulk = emulator.state.requests_to("bulk_update_price_quantity")
    assert [[r["sku"] for r in body["requests"]] for *_, body in bulk] == [
        ["L-0", "L-1"]
    ]
    assert state is not None
    assert (state.status, state.listing_id) == (ListingStatus.LIVE, ids[0])


async def test_the_connector_keeps_trading_listings_on_the_trading_path(
    make_transport: MakeTransport,
    emulator: EbayEmulator,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    adapter: EbayOAuthAdapter,
) -> None:
    ids = add_legacy(emulator, 6)
    account = await _connected_company(
        sessions, settings, emulator, [f"L-{i}" for i in range(6)]
    )
    box = SecretBox.from_settings(settings)
    await import_legacy(sessions, adapter, box, account)
    await migrate_legacy(sessions, adapter, box, account, [ids[0]])
    setup = SellerSetup.from_dict((await _stored(sessions, account)).setup)
    assert setup is not None
    assert dict(setup.trading_items) == {f"L-{i}": ids[i] for i in range(1, 6)}

    transport = make_transport()
    client = EbayInventoryClient(transport, known_setup=setup)
    created = await client.put_listing(listing("NEW-1"))
    assert created.status is SubmissionStatus.DONE
    updates = [
        PriceQuantityUpdate(f"L-{i}", Decimal("30.00"), quantity=9) for i in range(6)
    ]
    updates.append(PriceQuantityUpdate("NEW-1", quantity=2))
    results = await client.update_price_quantity(updates)
    assert [r.status for r in results] == [SubmissionStatus.DONE] * 7
    assert [
        b.count(b"<InventoryStatus>")
        for b in trading_calls(emulator, "ReviseInventoryStatus")
    ] == [4, 1]
    bulk = emulator.state.requests_to("bulk_update_price_quantity")
    assert [[r["sku"] for r in body["requests"]] for *_, body in bulk] == [
        ["L-0", "NEW-1"]
    ]
    legacy = emulator.state.sellers[SELLER].legacy
    assert legacy[ids[3]].price == "30.00"

    refused = await client.put_listing(listing("L-2"))
    assert refused.issues[0].code == "managed_by_trading"
    assert not emulator.state.sellers[SELLER].offers_for("L-2")
    bulk_refused = await client.bulk_put_listings([listing("L-3"), listing("NEW-2")])
    assert [r.status for r in bulk_refused] == [
        SubmissionStatus.INVALID,
        SubmissionStatus.DONE,
    ]
    state = await client.get_listing("L-4")
    assert state is not None
    assert (state.status, state.listing_id, state.price) == (
        ListingStatus.LIVE,
        ids[4],
        Decimal("30.00"),
    )
    assert (await client.delete_listing("L-5")).status is SubmissionStatus.DONE
    assert legacy[ids[5]].status == "Ended"
    assert (await client.delete_listing("L-5")).status is SubmissionStatus.DONE


async def test_get_seller_list_pages_like_ebay(
    make_transport: MakeTransport, emulator: EbayEmulator
) -> None:
    ids = add_legacy(emulator, 5)
    trading = EbayTradingClient(make_transport())
    seen: list[str] = []
    for page in (1, 2, 3):
        reply = await trading.execute(
            "GetSellerList",
            {
                "Pagination": {"EntriesPerPage": 2, "PageNumber": page},
                "GranularityLevel": "Coarse",
            },
        )
        assert reply["Ack"] == "Success"
        assert reply["PaginationResult"]["TotalNumberOfPages"] == "3"
        items = reply["ItemArray"]["Item"]
        seen += [i["ItemID"] for i in (items if isinstance(items, list) else [items])]
    assert seen == sorted(ids)
