"""A linked legacy (Trading) listing is synced like every other listing:
the sync plans it as existing, never creates it, and sends its price and
quantity through ReviseInventoryStatus — against the emulator's Trading API,
through the staff import and the sync's real connector registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from emulators.ebay import EbayEmulator
from export_hub.accounts.models import Company
from export_hub.catalog.models import Product, ReviewState
from export_hub.db import transaction, utcnow
from export_hub.listings.models import Listing, ListingIssue
from export_hub.listings.sync.run import run_sync
from export_hub.marketplaces.adapters import Grant
from export_hub.marketplaces.ebay import EbayOAuthAdapter, adapter_from_settings
from export_hub.marketplaces.ebay_legacy import import_legacy
from export_hub.marketplaces.models import SellerAccount
from export_hub.marketplaces.registry import ConnectorRegistry
from export_hub.marketplaces.service import save_grant
from export_hub.pricing.models import ExchangeRate
from export_hub.security import SecretBox
from export_hub.settings import Settings
from export_hub.stock import ledger
from tests.ebay.conftest import SELLER

SKU = "HT-GREEN-1"


@pytest.fixture
async def adapter(settings: Settings) -> AsyncIterator[EbayOAuthAdapter]:
    made = adapter_from_settings(settings)
    yield made
    await made.aclose()


async def company_with_legacy_listing(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    emulator: EbayEmulator,
) -> tuple[SellerAccount, int, str]:
    """An approved product (10 on hand, 2 reserved) whose eBay listing the
    company made itself (Trading, 5 units at 12.00 USD)."""
    emulator.state.add_seller(SELLER, opted_in=True)
    item = emulator.state.add_legacy_item(
        SELLER,
        sku=SKU,
        title="Hanbat green tea",
        price="12.00",
        currency="USD",
        quantity=5,
        category_id="183440",
    )
    async with transaction(sessions) as db:
        db.add(
            ExchangeRate(
                base_currency="KRW",
                quote_currency="USD",
                rate=Decimal("0.00075"),
                effective_on=dt.date(2026, 1, 1),
                source="test",
            )
        )
        company = Company(
            name_ko="한밭차",
            name_en="Hanbat Tea",
            brn="3148123456",
            own_brand="Hanbat",
            margin_floor_percent=10.0,
        )
        db.add(company)
        await db.flush()
        product = Product(
            company_id=company.id,
            sku=SKU,
            name_ko="녹차",
            name_en="Hanbat Organic Green Tea",
            description_en="Green tea from Daejeon.",
            bullets_en=["Organic"],
            category="test",
            ebay_category_id="183440",
            brand="Hanbat",
            gtin_exempt=True,
            price_krw=30000,
            cost_krw=9000,
            weight_g=200,
            reserved=0,
            state=ReviewState.APPROVED,
            reviewed_at=utcnow(),
        )
        db.add(product)
        await db.flush()
        await ledger.set_on_hand(db, product.id, 10)
        product_id = product.id
        account = await save_grant(
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
    return account, product_id, item.item_id


async def test_a_linked_legacy_listing_gets_stock_and_price_by_revise_inventory_status(
    emulator: EbayEmulator,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    adapter: EbayOAuthAdapter,
) -> None:
    account, product_id, item_id = await company_with_legacy_listing(
        sessions, settings, emulator
    )
    box = SecretBox.from_settings(settings)
    report = await import_legacy(sessions, adapter, box, account)
    assert report.linked == 1

    async with ConnectorRegistry(settings, box=box) as registry:
        synced = await run_sync(sessions, settings, connectors=registry)

    counts = synced.as_counts()
    assert "create" not in counts, counts
    assert "update_content" not in counts, counts
    assert counts["update_quantity"] == {"ok": 1}
    assert counts["update_price"] == {"ok": 1}
    legacy = emulator.state.sellers[SELLER].legacy[item_id]
    assert legacy.quantity == 10 - 0 - 1  # on hand - reserved - buffer
    assert legacy.price != "12.00"
    assert not emulator.state.sellers[SELLER].offers_for(SKU)  # never listed twice
    async with sessions() as db:
        listing = await db.scalar(select(Listing).where(Listing.sku == SKU))
        issues = list(await db.scalars(select(ListingIssue)))
    assert listing is not None
    assert (listing.status, listing.paused_until, listing.sent_quantity) == (
        "live",
        None,
        9,
    )
    assert listing.listing_id == item_id
    assert issues == []
    assert Decimal(legacy.price) == Decimal(listing.sent_price or "0")

    # A sale elsewhere reserves 4: the next sync revises the quantity only.
    async with transaction(sessions) as db:
        product = await db.get_one(Product, product_id)
        product.reserved = 4
    async with ConnectorRegistry(settings, box=box) as registry:
        again = await run_sync(sessions, settings, connectors=registry)
    assert again.as_counts() == {"update_quantity": {"ok": 1}}
    assert legacy.quantity == 10 - 4 - 1
