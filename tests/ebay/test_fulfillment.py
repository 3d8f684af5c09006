"""EbayFulfillmentClient against the eBay emulator on a real socket: offset
pagination, status mapping (cancellations, partial shipment, refunds), no
buyer personal data, shipping fulfillments and their refusals, throttling,
unreadable pages, and the seeded buyer simulation."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest

from connectors.base import (
    Order,
    OrderStatus,
    ShipmentLine,
    ShipmentRequest,
    UnreadableAnswer,
)
from connectors.ebay.fulfillment import EbayFulfillmentClient
from emulators.ebay import EbayEmulator
from emulators.ebay.fulfillment import available
from emulators.ebay.state import Offer
from export_hub.errors import NeedsHumanError
from tests.ebay.conftest import SELLER, MakeTransport

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
EARLIER = NOW - dt.timedelta(minutes=30)
AFTER = EARLIER - dt.timedelta(minutes=1)
BEFORE = NOW - dt.timedelta(minutes=1)
SKU = "DJ-TEA-001"


def live_offer(emulator: EbayEmulator, quantity: int = 1000, sku: str = SKU) -> Offer:
    seller = emulator.state.add_seller(SELLER, opted_in=True)
    seller.items[sku] = {
        "product": {"title": "Daejeon Green Tea, Organic Sejak Leaf, 100 g"},
        "availability": {"shipToLocationAvailability": {"quantity": quantity}},
    }
    offer = Offer(
        offer_id=f"9{len(seller.offers):08d}",
        sku=sku,
        marketplace_id="EBAY_US",
        format="FIXED_PRICE",
        body={
            "availableQuantity": quantity,
            "pricingSummary": {"price": {"value": "24.90", "currency": "USD"}},
        },
        status="PUBLISHED",
        listing_id="110012345678",
        listing_status="ACTIVE",
    )
    seller.offers[offer.offer_id] = offer
    return offer


@pytest.fixture
def orders(make_transport: MakeTransport) -> EbayFulfillmentClient:
    return EbayFulfillmentClient(make_transport())


async def pull(client: EbayFulfillmentClient) -> list[Order]:
    return [o async for o in client.orders_updated(after=AFTER, before=BEFORE)]


async def collect(client: EbayFulfillmentClient, into: list[Order]) -> None:
    async for order in client.orders_updated(after=AFTER, before=BEFORE):
        into.append(order)


def order_requests(emulator: EbayEmulator) -> int:
    return sum(
        1
        for method, path, *_ in emulator.state.log
        if method == "GET" and path == "/sell/fulfillment/v1/order"
    )


async def test_pages_of_200_cover_every_order(
    emulator: EbayEmulator, orders: EbayFulfillmentClient
) -> None:
    live_offer(emulator)
    book = emulator.state.orders
    placed = [book.place_order(SELLER, SKU, 2, at=EARLIER) for _ in range(450)]

    found = await pull(orders)

    assert sorted(o.order_id for o in found) == sorted(o.order_id for o in placed)
    assert order_requests(emulator) == 3  # 200 + 200 + 50
    first = found[0]
    assert first.status is OrderStatus.UNSHIPPED
    assert first.lines[0].sku == SKU
    assert first.lines[0].quantity == 2
    assert first.lines[0].amount == Decimal("49.80")
    assert first.total == Decimal("49.80")
    assert first.ship_by is not None
    assert first.marketplace_id == "EBAY_US"


async def test_only_country_and_region_of_the_buyer_are_kept(
    emulator: EbayEmulator, orders: EbayFulfillmentClient
) -> None:
    live_offer(emulator)
    emulator.state.orders.place_order(SELLER, SKU, 1, at=EARLIER)

    [order] = await pull(orders)

    assert order.ship_to_country
    text = repr(order)
    for personal in ("Example Street", "@members", "Buyer buyer_", "5555550100"):
        assert personal not in text


async def test_cancellation_partial_shipment_and_refund(
    emulator: EbayEmulator, orders: EbayFulfillmentClient
) -> None:
    offer = live_offer(emulator, quantity=10)
    book = emulator.state.orders
    dropped = book.place_order(SELLER, SKU, 2, at=EARLIER)
    kept = book.place_order(SELLER, SKU, 3, at=EARLIER)
    assert available(offer) == 5
    book.cancel(dropped.order_id, at=EARLIER + dt.timedelta(minutes=1))
    assert available(offer) == 7  # the buyer's units are offered again
    line = kept.lines[0].line_item_id

    at_shipment(emulator)
    first = await orders.confirm_shipment(
        shipment(kept.order_id, line, 1, "RR123456789KR")
    )
    emulator.state.wall_clock = time.time
    assert first.shipment_id == "RR123456789KR"
    by_id = {o.order_id: o for o in await pull(orders)}
    cancelled = by_id[dropped.order_id]
    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.lines[0].quantity_cancelled == 2
    assert cancelled.refunded == Decimal("49.80")
    assert by_id[kept.order_id].status is OrderStatus.PARTIALLY_SHIPPED

    at_shipment(emulator)
    await orders.confirm_shipment(shipment(kept.order_id, line, 2, "RR123456790KR"))
    emulator.state.wall_clock = time.time
    [shipped] = [o for o in await pull(orders) if o.order_id == kept.order_id]
    assert shipped.status is OrderStatus.SHIPPED
    assert shipped.lines[0].quantity_shipped == 3

    book.refund(kept.order_id, at=EARLIER + dt.timedelta(minutes=20))  # a return
    [refunded] = [o for o in await pull(orders) if o.order_id == kept.order_id]
    assert refunded.status is OrderStatus.REFUNDED
    assert refunded.refunded == Decimal("74.70")
    assert refunded.lines[0].quantity_cancelled == 0  # shipped units stay shipped


def at_shipment(emulator: EbayEmulator) -> None:
    """eBay's clock when the seller ships (before the pull's window ends)."""
    shipped = (EARLIER + dt.timedelta(minutes=10)).timestamp()
    emulator.state.wall_clock = lambda: shipped


def shipment(
    order_id: str, line: str, quantity: int, tracking: str, carrier: str = "KoreaPost"
) -> ShipmentRequest:
    return ShipmentRequest(
        order_id=order_id,
        lines=(ShipmentLine(line, quantity),),
        carrier_code=carrier,
        tracking_number=tracking,
        shipped_at=EARLIER + dt.timedelta(minutes=5),
    )


async def test_shipment_refusals(
    emulator: EbayEmulator, orders: EbayFulfillmentClient
) -> None:
    live_offer(emulator)
    book = emulator.state.orders
    cancelled = book.place_order(SELLER, SKU, 1, at=EARLIER)
    book.cancel(cancelled.order_id)
    done = book.place_order(SELLER, SKU, 1, at=EARLIER)
    line = done.lines[0].line_item_id
    await orders.confirm_shipment(shipment(done.order_id, line, 1, "RR100000001KR"))

    with pytest.raises(NeedsHumanError, match="cancelled") as on_cancelled:
        await orders.confirm_shipment(
            shipment(
                cancelled.order_id,
                cancelled.lines[0].line_item_id,
                1,
                "RR100000002KR",
            )
        )
    assert on_cancelled.value.status == 400
    assert on_cancelled.value.code == "32600"
    with pytest.raises(NeedsHumanError, match="quantity"):
        await orders.confirm_shipment(shipment(done.order_id, line, 1, "RR100000003KR"))
    fresh = book.place_order(SELLER, SKU, 1, at=EARLIER)
    fresh_line = fresh.lines[0].line_item_id
    with pytest.raises(NeedsHumanError, match="32300"):
        await orders.confirm_shipment(
            shipment(fresh.order_id, fresh_line, 1, "no tracking!")
        )
    sent = len(emulator.state.requests_to("shipping_fulfillment"))
    with pytest.raises(NeedsHumanError, match="carrier code"):
        await orders.confirm_shipment(
            shipment(done.order_id, line, 1, "RR100000004KR", carrier="Pigeon")
        )
    assert len(emulator.state.requests_to("shipping_fulfillment")) == sent


async def test_unknown_order_is_refused(
    emulator: EbayEmulator, orders: EbayFulfillmentClient
) -> None:
    with pytest.raises(NeedsHumanError, match="32100"):
        await orders.confirm_shipment(
            shipment("12-34567-89012", "100000000001", 1, "RR100000005KR")
        )


async def test_throttling_is_retried(
    emulator: EbayEmulator, orders: EbayFulfillmentClient
) -> None:
    live_offer(emulator)
    for _ in range(5):
        emulator.state.orders.place_order(SELLER, SKU, 1, at=EARLIER)
    emulator.state.script_fault("/sell/fulfillment/v1/order", "429", times=2)

    found = await pull(orders)

    assert len(found) == 5
    assert emulator.state.injected["429"] == 2
    assert orders._t.stats["fulfillment"].throttled == 2


async def test_an_unreadable_page_yields_nothing(
    emulator: EbayEmulator, orders: EbayFulfillmentClient
) -> None:
    live_offer(emulator)
    for _ in range(3):
        emulator.state.orders.place_order(SELLER, SKU, 1, at=EARLIER)
    emulator.state.orders.malformed_pages = 1

    seen: list[Order] = []
    with pytest.raises(UnreadableAnswer) as unreadable:
        await collect(orders, seen)
    assert seen == []
    assert unreadable.value.operation == "getOrders"


def test_buyers_never_buy_more_than_offered(emulator: EbayEmulator) -> None:
    offer = live_offer(emulator, quantity=5)
    book = emulator.state.orders
    book.simulate_buyers(seed=3, rate=30.0, max_units=4, cancel_share=0.0)
    start = NOW - dt.timedelta(hours=3)
    for minute in range(121):
        book.tick(start + dt.timedelta(minutes=minute))

    sold = sum(x.quantity for o in book.orders.values() for x in o.lines)
    assert sold == 5
    assert available(offer) == 0
    item = emulator.state.sellers[SELLER].items[SKU]
    assert item["availability"]["shipToLocationAvailability"]["quantity"] == 0


def test_buyer_cancellations_are_seeded(emulator: EbayEmulator) -> None:
    def run() -> list[tuple[dt.datetime, int, str]]:
        emulator.state.orders.orders.clear()
        live_offer(emulator, quantity=50, sku=f"DJ-TEA-{len(runs)}")
        book = emulator.state.orders
        book.simulate_buyers(seed=11, rate=6.0, cancel_share=0.5)
        start = NOW - dt.timedelta(hours=2)
        for minute in range(0, 120, 5):
            book.tick(start + dt.timedelta(minutes=minute))
        return [
            (o.created, o.lines[0].quantity, o.cancel_state)
            for o in book.orders.values()
        ]

    runs: list[list[tuple[dt.datetime, int, str]]] = []
    runs.append(run())
    emulator.state.sellers[SELLER].offers.clear()
    runs.append(run())
    assert runs[0] == runs[1]
    assert any(state == "CANCELED" for _, _, state in runs[0])
