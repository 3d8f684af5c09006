"""One stock across Amazon and eBay, end to end against both emulators over
real sockets, through the real order connectors (the default factory):

a company with 10 units listed on both; a buyer buys 3 on eBay; the import
reserves them and the next sync sends Amazon 10 − 3 − buffer before any
other work; the buyer cancels and the units come back on Amazon within the
pull that saw it; the company ships an order and on hand drops to 7. An
order for a SKU Export Hub does not manage is kept and moves no stock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from emulators.amazon import AmazonEmulator
from emulators.ebay import EbayEmulator
from emulators.ebay.state import Offer
from export_hub.accounts.models import Company, Role, User
from export_hub.accounts.service import create_user
from export_hub.catalog.models import Product
from export_hub.db import transaction, utcnow
from export_hub.listings.models import Listing, ListingEvent
from export_hub.listings.sync.follow import follow_submitted
from export_hub.listings.sync.options import SyncOptions
from export_hub.listings.sync.run import run_sync
from export_hub.orders import restock, shipments
from export_hub.orders.connect import connector_factory
from export_hub.orders.importer import import_orders
from export_hub.orders.models import Order
from export_hub.settings import Settings
from export_hub.stock import ledger
from export_hub.stock.models import StockMovement
from jobs import orders as order_jobs
from tests.orders.e2e import (
    amazon_emulator,
    amazon_offers,
    e2e_settings,
    ebay_emulator,
    ebay_offers_units,
    on_hand,
)
from tests.sync.conftest import COMPANIES, World, listings, seed

HANBIT = COMPANIES[0]
MUG, OTHER = "HB-00000", "HB-00001"


@pytest.fixture
async def amazon() -> AsyncIterator[AmazonEmulator]:
    async for emu in amazon_emulator():
        yield emu


@pytest.fixture
async def ebay() -> AsyncIterator[EbayEmulator]:
    async for emu in ebay_emulator():
        yield emu


@pytest.fixture
def settings(
    database_url: str, tmp_path: Path, amazon: AmazonEmulator, ebay: EbayEmulator
) -> Settings:
    return e2e_settings(database_url, tmp_path, amazon, ebay)


async def listed(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, ebay: EbayEmulator
) -> World:
    """Hanbit with two products, 10 units of the first, live on both."""
    world = await seed(sessions, settings, ebay, [HANBIT], products=2)
    await on_hand(sessions, world.products[MUG], 10)
    await on_hand(sessions, world.products[OTHER], 11)
    await run_sync(sessions, settings)
    for _ in range(50):
        await follow_submitted(sessions, settings)
        if all(row.status == "live" for row in await listings(sessions)):
            break
    assert {row.status for row in await listings(sessions)} == {"live"}
    return world


async def stock(
    sessions: async_sessionmaker[AsyncSession], product_id: int
) -> tuple[int, int]:
    async with sessions() as db:
        product = await db.get_one(Product, product_id)
        await ledger.verify(db, product_id)
        return product.quantity, product.reserved


async def events_since(
    sessions: async_sessionmaker[AsyncSession], after_id: int
) -> list[tuple[str, str, str, Any]]:
    """(marketplace, sku, action, sent) of each listing event, in order."""
    async with sessions() as db:
        rows = await db.execute(
            select(
                Listing.marketplace,
                Listing.sku,
                ListingEvent.action,
                ListingEvent.details,
            )
            .join(Listing, Listing.id == ListingEvent.listing_id)
            .where(ListingEvent.id > after_id)
            .order_by(ListingEvent.id)
        )
        return [(m, s, a, (d or {}).get("sent")) for m, s, a, d in rows]


async def last_event_id(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as db:
        return int(await db.scalar(select(func.max(ListingEvent.id))) or 0)


async def company_user(
    sessions: async_sessionmaker[AsyncSession], company_id: int
) -> User:
    async with transaction(sessions) as db:
        company = await db.get_one(Company, company_id)
        return await create_user(
            db,
            email="ship@hanbit.example.kr",
            password="correct-horse-1",
            role=Role.COMPANY,
            company=company,
        )


async def test_a_sale_on_ebay_reaches_amazon_first_and_stock_follows_the_order(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    amazon: AmazonEmulator,
    ebay: EbayEmulator,
) -> None:
    world = await listed(sessions, settings, ebay)
    mug = world.products[MUG]
    ebay_account = world.accounts[(HANBIT.brn, "ebay")]
    seller, user = HANBIT.amazon_seller, HANBIT.ebay_user
    assert amazon_offers(amazon, seller, MUG) == 10 - 0 - 1
    assert ebay_offers_units(ebay, user, MUG) == 10 - 0 - 1
    # Other work waits: the second product's price moves on both channels.
    async with transaction(sessions) as db:
        await db.execute(
            update(Product)
            .where(Product.id == world.products[OTHER])
            .values(price_krw=40000)
        )
    t0 = utcnow()
    book = ebay.state.orders
    sold = book.place_order(user, MUG, 3, at=t0 - dt.timedelta(minutes=10))

    report = await import_orders(
        sessions, settings, ebay_account, factory=connector_factory(settings), now=t0
    )
    assert report.orders_new == 1
    assert await stock(sessions, mug) == (10, 3)
    async with sessions() as db:
        assert await restock.accounts_to_push(db) == [
            world.accounts[(HANBIT.brn, "amazon")]
        ]

    # The next sync (one seller at a time, so the order is the run's order):
    # Amazon's quantity goes out before any price work of either seller.
    before = await last_event_id(sessions)
    await run_sync(sessions, settings, SyncOptions(max_parallel_sellers=1))
    events = await events_since(sessions, before)
    assert events[0] == (
        "amazon",
        MUG,
        "update_quantity",
        {"parts": ["quantity"], "quantity": 10 - 3 - 1},
    )
    actions = [a for _, _, a, _ in events]
    assert actions.index("update_price") > 0
    assert amazon_offers(amazon, seller, MUG) == 6
    assert ebay_offers_units(ebay, user, MUG) == 6

    # The buyer cancels: the pull job releases the units and pushes them to
    # Amazon itself — no sync run needed.
    book.cancel(sold.order_id, at=t0 - dt.timedelta(minutes=5))
    counts = await order_jobs.pull(
        sessions, settings, now=utcnow(), seller_account_id=ebay_account
    )
    assert counts["orders"]["changed"] == 1
    assert counts["update_quantity"] == {"ok": 1}
    assert await stock(sessions, mug) == (10, 0)
    assert amazon_offers(amazon, seller, MUG) == 9

    # Another buyer, and this time the company ships.
    kept = book.place_order(user, MUG, 3, at=t0 - dt.timedelta(minutes=4))
    await order_jobs.pull(
        sessions, settings, now=utcnow(), seller_account_id=ebay_account
    )
    assert await stock(sessions, mug) == (10, 3)
    assert amazon_offers(amazon, seller, MUG) == 6
    async with sessions() as db:
        order = await db.scalar(
            select(Order).where(Order.marketplace_order_id == kept.order_id)
        )
    assert order is not None
    shipper = await company_user(sessions, world.companies[HANBIT.brn])
    await shipments.confirm_shipment(
        sessions,
        shipper,
        order.id,
        shipments.ShipmentInput(
            carrier="KoreaPost",
            tracking_number="RR123456789KR",
            shipped_at=utcnow() - dt.timedelta(minutes=1),
        ),
        factory=connector_factory(settings),
        now=utcnow(),
    )
    assert await stock(sessions, mug) == (7, 0)
    assert book.orders[kept.order_id].fulfillment_status == "FULFILLED"
    async with sessions() as db:
        shipped = await db.scalar(
            select(Order).where(Order.id == order.id).options(selectinload(Order.lines))
        )
    assert shipped is not None
    assert shipped.status == "shipped"
    assert [line.stock_reserved for line in shipped.lines] == [0]
    # 7 on hand, none reserved, 1 held back: Amazon still offers 6.
    await run_sync(sessions, settings)
    assert amazon_offers(amazon, seller, MUG) == 6


async def test_an_order_for_a_sku_export_hub_does_not_manage_is_kept_and_moves_no_stock(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    amazon: AmazonEmulator,
    ebay: EbayEmulator,
) -> None:
    world = await listed(sessions, settings, ebay)
    user = HANBIT.ebay_user
    seller = ebay.state.sellers[user]
    # A listing the company made on eBay itself, unknown to Export Hub.
    seller.items["OWN-1"] = {"product": {"title": "Hand-painted fan"}}
    seller.offers["900000001"] = Offer(
        offer_id="900000001",
        sku="OWN-1",
        marketplace_id="EBAY_US",
        format="FIXED_PRICE",
        body={
            "availableQuantity": 5,
            "pricingSummary": {"price": {"value": "30.00", "currency": "USD"}},
        },
        status="PUBLISHED",
        listing_id="110099999999",
        listing_status="ACTIVE",
    )
    async with sessions() as db:
        moves = await db.scalar(select(func.count(StockMovement.id)))
    placed = ebay.state.orders.place_order(
        user, "OWN-1", 2, at=utcnow() - dt.timedelta(minutes=5)
    )

    report = await import_orders(
        sessions,
        settings,
        world.accounts[(HANBIT.brn, "ebay")],
        factory=connector_factory(settings),
        now=utcnow(),
    )

    assert (report.orders_new, report.lines_unmanaged, report.stock_moves) == (1, 1, 0)
    async with sessions() as db:
        order = await db.scalar(
            select(Order)
            .where(Order.marketplace_order_id == placed.order_id)
            .options(selectinload(Order.lines))
        )
        assert await db.scalar(select(func.count(StockMovement.id))) == moves
        assert await restock.accounts_to_push(db) == []
    assert order is not None
    assert [(line.sku, line.product_id, line.quantity) for line in order.lines] == [
        ("OWN-1", None, 2)
    ]
    for product_id in world.products.values():
        _, reserved = await stock(sessions, product_id)
        assert reserved == 0
