"""Amazon's Pending orders reserve their units at once, end to end: the
Amazon emulator on a real socket, the real orders connector and the real
import, on one controlled clock (the emulator's order book, the connector's
two-minute rule and the import's ``now``).

An order placed Pending at ``t`` is imported, as pending, by the first pull
whose window reaches ``t`` (``now − lag ≥ t``), not five minutes later when
Amazon authorises the payment; the authorisation then moves no stock; a
Pending order the buyer cancels gives its units back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.base import OrdersConnector
from emulators.amazon import AmazonEmulator
from emulators.amazon.orders import offered_quantity
from emulators.amazon.state import ListingRecord
from emulators.ebay import EbayEmulator
from export_hub.catalog.models import Product
from export_hub.marketplaces.models import SellerAccount
from export_hub.marketplaces.registry import ConnectorRegistry
from export_hub.orders.connect import OrdersConnectorFactory
from export_hub.orders.importer import ImportReport, import_orders
from export_hub.orders.models import Order
from export_hub.settings import Settings
from export_hub.stock import ledger
from export_hub.stock.models import StockMovement
from tests.amazon.conftest import attributes
from tests.orders.e2e import amazon_emulator, e2e_settings, ebay_emulator, on_hand
from tests.sync.conftest import COMPANIES, US, seed

HANBIT = COMPANIES[0]
SKU = "HB-00000"
#: Amazon authorises the payment this long after the purchase (the emulator's
#: default, as in the benchmark).
PENDING = dt.timedelta(seconds=300)


class Clock:
    """One instant for the emulator, the connector and the import; moved by hand."""

    def __init__(self, start: dt.datetime):
        self.instant = start

    def now(self) -> dt.datetime:
        return self.instant

    def at(self, offset: dt.timedelta) -> dt.datetime:
        self.instant = START + offset
        return self.instant


START = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture
async def amazon() -> AsyncIterator[AmazonEmulator]:
    async for emu in amazon_emulator():
        yield emu


@pytest.fixture
async def ebay() -> AsyncIterator[EbayEmulator]:
    async for emu in ebay_emulator():
        yield emu


@pytest.fixture
def clock(amazon: AmazonEmulator) -> Clock:
    made = Clock(START)
    book = amazon.state.orders
    book.wall = made.now
    # No simulated buyers: only the orders a test places.
    book.simulate_buyers(rate=0.0, pending_seconds=PENDING.total_seconds())
    return made


@pytest.fixture
def settings(
    database_url: str, tmp_path: Path, amazon: AmazonEmulator, ebay: EbayEmulator
) -> Settings:
    return e2e_settings(database_url, tmp_path, amazon, ebay)


def clocked_factory(settings: Settings, clock: Clock) -> OrdersConnectorFactory:
    """The app's order connectors with the two-minute rule on ``clock``."""

    @asynccontextmanager
    async def open_connector(account: SellerAccount) -> AsyncIterator[OrdersConnector]:
        registry = ConnectorRegistry(settings)
        try:
            yield registry.orders_connector_for(account, clock=clock.now)
        finally:
            await registry.aclose()

    return open_connector


async def hanbit(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    amazon: AmazonEmulator,
    ebay: EbayEmulator,
) -> tuple[int, int]:
    """(Amazon seller account id, product id): 10 units on hand, the product
    live on Amazon offering 9."""
    world = await seed(sessions, settings, ebay, [HANBIT], products=1)
    product_id = world.products[SKU]
    await on_hand(sessions, product_id, 10)
    amazon.state.listings[(HANBIT.amazon_seller, US, SKU)] = ListingRecord(
        seller_id=HANBIT.amazon_seller,
        marketplace_id=US,
        sku=SKU,
        product_type="TEA",
        requirements="LISTING",
        attributes=attributes(quantity=9),
        asin="B0HANBIT01",
        status=["BUYABLE", "DISCOVERABLE"],
    )
    return world.accounts[(HANBIT.brn, "amazon")], product_id


async def pull_at(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    amazon: AmazonEmulator,
    clock: Clock,
    account_id: int,
    offset: dt.timedelta,
) -> ImportReport:
    """Amazon's time moves to ``START + offset`` (payments authorised when
    due), then one import runs at that instant."""
    now = clock.at(offset)
    amazon.state.orders.tick(now)
    return await import_orders(
        sessions,
        settings,
        account_id,
        factory=clocked_factory(settings, clock),
        now=now,
    )


async def reserved(sessions: async_sessionmaker[AsyncSession], product_id: int) -> int:
    async with sessions() as db:
        await ledger.verify(db, product_id)
        product = await db.get_one(Product, product_id)
        return product.reserved


async def stored(
    sessions: async_sessionmaker[AsyncSession], order_id: str
) -> tuple[str, str] | None:
    """(status, raw status) of the imported order, None if not imported."""
    async with sessions() as db:
        row = (
            await db.execute(
                select(Order.status, Order.raw_status).where(
                    Order.marketplace_order_id == order_id
                )
            )
        ).one_or_none()
    return None if row is None else (row[0], row[1])


async def movements(sessions: async_sessionmaker[AsyncSession], product_id: int) -> int:
    async with sessions() as db:
        return int(
            await db.scalar(
                select(func.count(StockMovement.id)).where(
                    StockMovement.product_id == product_id
                )
            )
            or 0
        )


def seconds(n: int) -> dt.timedelta:
    return dt.timedelta(seconds=n)


@pytest.mark.backend("sqlite", "postgresql")
async def test_a_pending_order_reserves_at_the_first_pull_that_reaches_it(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    amazon: AmazonEmulator,
    ebay: EbayEmulator,
    clock: Clock,
) -> None:
    account_id, product_id = await hanbit(sessions, settings, amazon, ebay)
    lag = seconds(settings.orders.amazon_lag_seconds)
    assert lag < PENDING  # a pull can see the order while it is still pending
    book = amazon.state.orders
    order = book.place_order(HANBIT.amazon_seller, SKU, 2, at=clock.at(seconds(0)))
    assert order.status == "PENDING"

    # Too early: the window ends before the purchase.
    report = await pull_at(
        sessions, settings, amazon, clock, account_id, lag - seconds(30)
    )
    assert report.before is not None
    assert report.before < order.created
    assert await stored(sessions, order.order_id) is None
    assert await reserved(sessions, product_id) == 0

    # The first pull whose window reaches the purchase: imported as pending,
    # its units reserved at once.
    report = await pull_at(sessions, settings, amazon, clock, account_id, lag)
    assert report.before is not None
    assert report.before >= order.created
    assert book.orders[order.order_id].status == "PENDING"
    assert await stored(sessions, order.order_id) == ("pending", "PENDING")
    assert report.orders_new == 1
    assert await reserved(sessions, product_id) == 2
    moved = await movements(sessions, product_id)

    # Amazon authorises the payment; the pull that sees it moves no stock,
    # nor does any later one.
    report = await pull_at(
        sessions, settings, amazon, clock, account_id, PENDING + seconds(1)
    )
    assert book.orders[order.order_id].status == "UNSHIPPED"
    assert report.orders_changed == 1
    assert await stored(sessions, order.order_id) == ("unshipped", "UNSHIPPED")
    report = await pull_at(
        sessions, settings, amazon, clock, account_id, PENDING + lag + seconds(60)
    )
    assert (report.orders_new, report.orders_changed) == (0, 0)
    assert await reserved(sessions, product_id) == 2
    assert await movements(sessions, product_id) == moved


@pytest.mark.backend("sqlite", "postgresql")
async def test_an_order_authorised_before_the_pull_that_reaches_it_reserves_there(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    amazon: AmazonEmulator,
    ebay: EbayEmulator,
    clock: Clock,
) -> None:
    """Amazon filters ``lastUpdatedAfter/Before`` on an order's latest
    update: an order placed inside a pull's window whose payment was
    authorised after the window's end is not in that window's answer. The
    pull must still find it (it was bought inside the window), not one
    interval later."""
    account_id, product_id = await hanbit(sessions, settings, amazon, ebay)
    lag = seconds(settings.orders.amazon_lag_seconds)
    interval = seconds(settings.orders.pull_interval_seconds)
    book = amazon.state.orders
    order = book.place_order(HANBIT.amazon_seller, SKU, 2, at=clock.at(seconds(0)))

    # One pull just before the window reaches the purchase, the next one an
    # interval later: by then Amazon has authorised the payment (at 300 s),
    # after that pull's window ends (lag + 290 − lag = 290 s).
    first = lag - seconds(10)
    await pull_at(sessions, settings, amazon, clock, account_id, first)
    assert await stored(sessions, order.order_id) is None
    report = await pull_at(
        sessions, settings, amazon, clock, account_id, first + interval
    )
    assert report.before is not None
    assert order.created <= report.before < book.orders[order.order_id].updated
    assert book.orders[order.order_id].status == "UNSHIPPED"

    assert await stored(sessions, order.order_id) == ("unshipped", "UNSHIPPED")
    assert report.orders_new == 1
    assert await reserved(sessions, product_id) == 2
    moved = await movements(sessions, product_id)

    # Later pulls read it again (idempotent): nothing moves.
    report = await pull_at(
        sessions, settings, amazon, clock, account_id, first + 2 * interval
    )
    assert (report.orders_new, report.orders_changed) == (0, 0)
    assert await reserved(sessions, product_id) == 2
    assert await movements(sessions, product_id) == moved


@pytest.mark.backend("sqlite", "postgresql")
async def test_a_pending_order_cancelled_by_the_buyer_releases_its_units(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    amazon: AmazonEmulator,
    ebay: EbayEmulator,
    clock: Clock,
) -> None:
    account_id, product_id = await hanbit(sessions, settings, amazon, ebay)
    lag = seconds(settings.orders.amazon_lag_seconds)
    book = amazon.state.orders
    record = amazon.state.listing(HANBIT.amazon_seller, US, SKU)
    assert record is not None
    order = book.place_order(HANBIT.amazon_seller, SKU, 3, at=clock.at(seconds(0)))
    assert offered_quantity(record) == 6

    await pull_at(sessions, settings, amazon, clock, account_id, lag)
    assert await stored(sessions, order.order_id) == ("pending", "PENDING")
    assert await reserved(sessions, product_id) == 3

    # The buyer cancels before the payment is authorised.
    book.cancel(order.order_id, at=clock.at(lag + seconds(30)))
    assert offered_quantity(record) == 9
    report = await pull_at(
        sessions, settings, amazon, clock, account_id, 2 * lag + seconds(60)
    )
    assert report.orders_changed == 1
    assert await stored(sessions, order.order_id) == ("cancelled", "CANCELLED")
    assert await reserved(sessions, product_id) == 0
    async with sessions() as db:
        level = await ledger.level(db, product_id)
    assert level.on_hand == 10
