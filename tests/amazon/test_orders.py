"""AmazonOrdersClient against the SP-API emulator over HTTPS on a real socket:
pagination, the two-minute rule, status mapping, shipment confirmation and its
refusals, throttling, unreadable pages, and the seeded buyer simulation."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.amazon.orders import AmazonOrdersClient
from connectors.amazon.transport import AmazonTransport
from connectors.base import (
    Marketplace,
    Order,
    OrderStatus,
    SellerAccount,
    ShipmentLine,
    ShipmentRequest,
    UnreadableAnswer,
)
from emulators.amazon import AmazonEmulator, EmulatorConfig
from emulators.amazon.orders import offered_quantity
from emulators.amazon.state import ListingRecord
from export_hub.errors import NeedsHumanError
from tests.amazon.conftest import REFRESH, SELLER, US, amazon_settings, attributes

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
EARLIER = NOW - dt.timedelta(minutes=30)
AFTER = EARLIER - dt.timedelta(minutes=1)
BEFORE = NOW - dt.timedelta(minutes=3)
PII_WORDS = ("name", "address", "email", "phone", "postal")

MakeOrders = Callable[..., AmazonOrdersClient]


@pytest.fixture
async def make_orders(
    emulator: AmazonEmulator, ca_file: Path
) -> AsyncIterator[MakeOrders]:
    made: list[AmazonOrdersClient] = []

    def make(**overrides: Any) -> AmazonOrdersClient:
        clock = overrides.pop("clock", None)
        transport = AmazonTransport(amazon_settings(emulator, ca_file, **overrides))
        account = SellerAccount(Marketplace.AMAZON, SELLER, US, "na")
        client = AmazonOrdersClient(transport, account, REFRESH, clock=clock)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


def live_listing(
    emulator: AmazonEmulator, sku: str = "HB-TEA-001", quantity: int = 500
) -> ListingRecord:
    record = ListingRecord(
        seller_id=SELLER,
        marketplace_id=US,
        sku=sku,
        product_type="TEA",
        requirements="LISTING",
        attributes=attributes(quantity=quantity),
        asin="B0TEA00001",
        status=["BUYABLE", "DISCOVERABLE"],
    )
    emulator.state.listings[(SELLER, US, sku)] = record
    return record


async def pull(client: AmazonOrdersClient, **window: dt.datetime) -> list[Order]:
    after = window.get("after", AFTER)
    before = window.get("before", BEFORE)
    return [o async for o in client.orders_updated(after=after, before=before)]


async def collect(client: AmazonOrdersClient, into: list[Order]) -> None:
    async for order in client.orders_updated(after=AFTER, before=BEFORE):
        into.append(order)


def calls(emulator: AmazonEmulator, operation: str) -> int:
    return sum(1 for name, _ in emulator.state.calls if name == operation)


async def test_pages_of_100_cover_every_order_with_items(
    emulator: AmazonEmulator, make_orders: MakeOrders
) -> None:
    live_listing(emulator)
    placed = [
        emulator.state.orders.place_order(SELLER, "HB-TEA-001", 2, at=EARLIER)
        for _ in range(150)
    ]

    orders = await pull(make_orders())

    assert sorted(o.order_id for o in orders) == sorted(o.order_id for o in placed)
    assert emulator.state.orders.pages_served == 2  # 100 + 50, items included
    first = orders[0]
    assert first.status is OrderStatus.PENDING
    assert first.raw_status == "PENDING"
    assert first.lines[0].sku == "HB-TEA-001"
    assert first.lines[0].quantity == 2
    assert first.lines[0].amount == Decimal("25.80")
    assert first.total == Decimal("25.80")
    assert first.ship_to_country == "US"
    assert first.ship_to_region
    assert first.ship_by is not None
    assert first.ship_by > first.purchased_at
    assert first.updated_at == EARLIER


async def test_no_buyer_personal_data_reaches_the_records(
    emulator: AmazonEmulator, make_orders: MakeOrders
) -> None:
    live_listing(emulator)
    emulator.state.orders.place_order(SELLER, "HB-TEA-001", 1, at=EARLIER)
    emulator.state.orders.authorise_payments(at=EARLIER)

    [order] = await pull(make_orders())

    fields = {name.lower() for name in vars(order)}
    assert not [f for f in fields for word in PII_WORDS if word in f]
    assert order.ship_to_country == "US"


async def test_before_must_be_two_minutes_old(
    emulator: AmazonEmulator, make_orders: MakeOrders
) -> None:
    client = make_orders()
    with pytest.raises(ValueError, match="two minutes"):
        await pull(client, before=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30))
    assert calls(emulator, "searchOrders") == 0

    # A client whose clock runs late sends it; Amazon (the emulator) refuses.
    late = make_orders(clock=lambda: dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))
    with pytest.raises(NeedsHumanError) as refused:
        await pull(late, before=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30))
    assert refused.value.status == 400
    assert refused.value.request_id


async def test_statuses_follow_the_order(
    emulator: AmazonEmulator, make_orders: MakeOrders
) -> None:
    record = live_listing(emulator, quantity=10)
    book = emulator.state.orders
    kept = book.place_order(SELLER, "HB-TEA-001", 3, at=EARLIER)
    dropped = book.place_order(SELLER, "HB-TEA-001", 2, at=EARLIER)
    assert offered_quantity(record) == 5
    client = make_orders()

    pending = {o.order_id: o for o in await pull(client)}
    assert {o.status for o in pending.values()} == {OrderStatus.PENDING}

    book.authorise_payments(at=EARLIER + dt.timedelta(minutes=5))
    book.cancel(dropped.order_id, at=EARLIER + dt.timedelta(minutes=6))
    assert offered_quantity(record) == 7  # the buyer's units are offered again
    after = {o.order_id: o for o in await pull(client)}
    assert after[kept.order_id].status is OrderStatus.UNSHIPPED
    cancelled = after[dropped.order_id]
    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.lines[0].quantity_cancelled == 2


async def test_partial_then_full_shipment(
    emulator: AmazonEmulator, make_orders: MakeOrders
) -> None:
    live_listing(emulator)
    book = emulator.state.orders
    order = book.place_order(SELLER, "HB-TEA-001", 2, at=EARLIER)
    book.authorise_payments(at=EARLIER)
    line = order.items[0].order_item_id
    client = make_orders()

    book.wall = lambda: NOW - dt.timedelta(minutes=20)  # Amazon's clock at shipment
    await client.confirm_shipment(shipment(order.order_id, line, 1, "EK123456789KR"))
    book.wall = lambda: dt.datetime.now(dt.UTC)
    [partial] = await pull(client)
    assert partial.status is OrderStatus.PARTIALLY_SHIPPED
    assert partial.lines[0].quantity_shipped == 1

    second = shipment(order.order_id, line, 1, "EK123456790KR", seconds=60)
    result = await client.confirm_shipment(second)
    assert result.request_id
    assert book.orders[order.order_id].status == "SHIPPED"
    body = emulator.state.bodies[-1][1]
    assert body["packageDetail"]["carrierCode"] == "Korea Post"
    assert body["marketplaceId"] == US


def shipment(
    order_id: str,
    line: str,
    quantity: int,
    tracking: str,
    *,
    carrier: str = "Korea Post",
    seconds: int = 0,
) -> ShipmentRequest:
    return ShipmentRequest(
        order_id=order_id,
        lines=(ShipmentLine(line, quantity),),
        carrier_code=carrier,
        tracking_number=tracking,
        shipped_at=EARLIER + dt.timedelta(minutes=5, seconds=seconds),
        shipping_method="EMS",
    )


async def test_confirmation_refusals(
    emulator: AmazonEmulator, make_orders: MakeOrders
) -> None:
    live_listing(emulator)
    book = emulator.state.orders
    cancelled = book.place_order(SELLER, "HB-TEA-001", 1, at=EARLIER)
    shipped = book.place_order(SELLER, "HB-TEA-001", 1, at=EARLIER)
    book.authorise_payments(at=EARLIER)
    book.cancel(cancelled.order_id)
    client = make_orders()
    line = shipped.items[0].order_item_id
    await client.confirm_shipment(shipment(shipped.order_id, line, 1, "EK100000001KR"))

    with pytest.raises(NeedsHumanError, match="cancelled") as on_cancelled:
        await client.confirm_shipment(
            shipment(
                cancelled.order_id,
                cancelled.items[0].order_item_id,
                1,
                "EK100000002KR",
            )
        )
    assert on_cancelled.value.status == 400
    with pytest.raises(NeedsHumanError, match="already been shipped"):
        await client.confirm_shipment(
            shipment(shipped.order_id, line, 1, "EK100000003KR", seconds=5)
        )
    sent = calls(emulator, "confirmShipment")
    with pytest.raises(NeedsHumanError, match="carrier code"):
        await client.confirm_shipment(
            shipment(shipped.order_id, line, 1, "EK100000004KR", carrier="Pigeon")
        )
    assert calls(emulator, "confirmShipment") == sent  # refused before sending


async def test_bad_tracking_number_is_refused_by_amazon(
    emulator: AmazonEmulator, make_orders: MakeOrders
) -> None:
    live_listing(emulator)
    order = emulator.state.orders.place_order(SELLER, "HB-TEA-001", 1, at=EARLIER)
    emulator.state.orders.authorise_payments(at=EARLIER)
    request = shipment(order.order_id, order.items[0].order_item_id, 1, "no tracking!")
    with pytest.raises(NeedsHumanError, match="trackingNumber"):
        await make_orders().confirm_shipment(request)
    assert emulator.state.orders.orders[order.order_id].status == "UNSHIPPED"


@pytest.fixture
def emulator_config(emulator_config: EmulatorConfig) -> EmulatorConfig:
    # Amazon grants a smaller burst than documented: the client must cope.
    emulator_config.rates["searchOrders"] = (0.05, 2)
    return emulator_config


async def test_throttling_is_absorbed(
    emulator: AmazonEmulator, make_orders: MakeOrders
) -> None:
    live_listing(emulator)
    for _ in range(3):
        emulator.state.orders.place_order(SELLER, "HB-TEA-001", 1, at=EARLIER)
    client = make_orders()
    ids = set()
    for _ in range(4):  # more pulls than the granted burst of 2
        ids |= {o.order_id for o in await pull(client)}
    assert len(ids) == 3
    assert emulator.state.throttled >= 1
    assert client.transport.stats.throttled >= 1


async def test_an_unreadable_page_yields_nothing(
    emulator: AmazonEmulator, make_orders: MakeOrders
) -> None:
    live_listing(emulator)
    book = emulator.state.orders
    for _ in range(3):
        book.place_order(SELLER, "HB-TEA-001", 1, at=EARLIER)
    broken = next(iter(book.orders.values()))
    broken.status = "MISPLACED"  # not a FulfillmentStatus

    seen: list[Order] = []
    with pytest.raises(UnreadableAnswer) as unreadable:
        await collect(make_orders(), seen)
    assert seen == []
    assert unreadable.value.request_id


def test_buyers_never_buy_more_than_offered(emulator: AmazonEmulator) -> None:
    record = live_listing(emulator, quantity=7)
    book = emulator.state.orders
    book.simulate_buyers(seed=42, rate=30.0, max_units=3, cancel_share=0.0)
    start = NOW - dt.timedelta(hours=3)
    book.tick(start)
    for minute in range(1, 121):
        book.tick(start + dt.timedelta(minutes=minute))

    sold = sum(i.quantity for o in book.orders.values() for i in o.items)
    assert sold == 7
    assert offered_quantity(record) == 0
    assert "BUYABLE" not in record.status
    assert all(o.status == "UNSHIPPED" for o in book.orders.values())


def test_the_simulation_is_deterministic(emulator: AmazonEmulator) -> None:
    def run() -> list[tuple[dt.datetime, int, str]]:
        emulator.state.orders.orders.clear()
        live_listing(emulator, quantity=40)
        book = emulator.state.orders
        book.simulate_buyers(seed=7, rate=6.0, cancel_share=0.5)
        start = NOW - dt.timedelta(hours=2)
        for minute in range(0, 120, 5):
            book.tick(start + dt.timedelta(minutes=minute))
        return [
            (o.created, o.items[0].quantity, o.status) for o in book.orders.values()
        ]

    first = run()
    assert first == run()
    assert any(status == "CANCELLED" for _, _, status in first)


async def test_buyers_run_on_the_wall_clock(emulator: AmazonEmulator) -> None:
    record = live_listing(emulator, quantity=3)
    book = emulator.state.orders
    book.simulate_buyers(seed=1, rate=3_600_000.0, cancel_share=0.0)
    runner = asyncio.create_task(book.run(every_seconds=0.01))
    try:
        for _ in range(100):
            await asyncio.sleep(0.01)
            if offered_quantity(record) == 0:
                break
    finally:
        runner.cancel()
    assert offered_quantity(record) == 0
    assert sum(o.items[0].quantity for o in book.orders.values()) == 3


async def test_orders_bought_in_the_window_and_changed_after_it_come_by_creation(
    emulator: AmazonEmulator, make_orders: MakeOrders
) -> None:
    live_listing(emulator)
    book = emulator.state.orders
    seen = book.place_order(SELLER, "HB-TEA-001", 1, at=EARLIER)
    book.authorise_payments(at=EARLIER)
    # Bought in the window, paid after its end: Amazon's last-updated filter
    # leaves it out of the search.
    late = book.place_order(SELLER, "HB-TEA-001", 2, at=EARLIER)
    book.authorise_payments(at=BEFORE + dt.timedelta(seconds=30))

    orders = {o.order_id: o for o in await pull(make_orders())}

    assert set(orders) == {seen.order_id, late.order_id}
    found = orders[late.order_id]
    assert (found.status, found.raw_status) == (OrderStatus.UNSHIPPED, "UNSHIPPED")
    assert found.updated_at > BEFORE
    assert [(line.sku, line.quantity) for line in found.lines] == [("HB-TEA-001", 2)]
    assert found.lines[0].line_id == late.items[0].order_item_id
    assert found.ship_to_country == "US"
    # One page of each listing; items only for the order the search left out.
    assert (calls(emulator, "searchOrders"), calls(emulator, "getOrders")) == (1, 1)
    assert calls(emulator, "getOrderItems") == 1
