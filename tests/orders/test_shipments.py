"""Shipment confirmation: refusals change nothing and send nothing; a
confirmed package consumes stock; an in-doubt one is never sent twice."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from connectors.base import OrderStatus
from export_hub.errors import (
    Conflict,
    NeedsHumanError,
    NotFound,
    OutcomeUnknown,
    ValidationFailed,
)
from export_hub.orders.models import Order, Shipment
from export_hub.orders.shipments import ShipmentInput, confirm_shipment
from tests.orders.conftest import NOW, pull, stock
from tests.orders.fakes import connectors_for, line, order

SELLER = "A1HANBIT"


def package(**changes) -> ShipmentInput:
    values = {
        "carrier": "USPS",
        "tracking_number": "EZ1000000001",
        "shipped_at": NOW,
        "lines": None,
    } | changes
    return ShipmentInput(**values)


async def imported(
    sessions, settings, world, market, *lines, status=OrderStatus.UNSHIPPED
):
    market.put(
        SELLER,
        order("114-1", *lines, status=status, updated=NOW - dt.timedelta(minutes=10)),
    )
    await pull(sessions, settings, world.amazon, market)
    async with sessions() as db:
        return await db.scalar(
            select(Order.id).where(Order.marketplace_order_id == "114-1")
        )


async def ship(sessions, world, market, order_id, data=None, user=None, now=NOW):
    return await confirm_shipment(
        sessions,
        user or world.user,
        order_id,
        data or package(),
        factory=connectors_for(market),
        now=now,
    )


async def test_partial_then_full_shipment_consumes_stock(
    sessions, settings, world, market
):
    order_id = await imported(
        sessions,
        settings,
        world,
        market,
        line("L1", "AMZ-MUG-1", 3),
        line("L2", "ZZZ", 1),
    )
    first = await ship(
        sessions,
        world,
        market,
        order_id,
        package(lines={"L1": 1}, shipping_method="EMS"),
    )
    assert first.status == "confirmed"
    assert first.marketplace_shipment_id == "F-1"
    sent = market.confirmed[-1]
    assert (sent.order_id, sent.carrier_code, sent.tracking_number) == (
        "114-1",
        "USPS",
        "EZ1000000001",
    )
    assert [(x.line_id, x.quantity) for x in sent.lines] == [("L1", 1)]
    level = await stock(sessions, world.mug)
    assert (level.on_hand, level.reserved) == (9, 2)
    async with sessions() as db:
        assert (await db.get_one(Order, order_id)).status == "partially_shipped"
    await ship(
        sessions, world, market, order_id, package(tracking_number="EZ1000000002")
    )
    level = await stock(sessions, world.mug)
    assert (level.on_hand, level.reserved) == (7, 0)
    async with sessions() as db:
        assert (await db.get_one(Order, order_id)).status == "shipped"
    # The marketplace then reports the same shipped units: nothing moves again.
    market.update(
        SELLER,
        "114-1",
        status=OrderStatus.SHIPPED,
        updated=NOW + dt.timedelta(minutes=5),
        lines=(line("L1", "AMZ-MUG-1", 3, shipped=3), line("L2", "ZZZ", 1, shipped=1)),
    )
    await pull(sessions, settings, world.amazon, market, NOW + dt.timedelta(minutes=10))
    level = await stock(sessions, world.mug)
    assert (level.on_hand, level.reserved) == (7, 0)


@pytest.mark.parametrize(
    ("status", "data", "error"),
    [
        (OrderStatus.CANCELLED, {}, Conflict),
        (OrderStatus.SHIPPED, {}, Conflict),
        (OrderStatus.UNSHIPPED, {"carrier": "Pigeon"}, ValidationFailed),
        (OrderStatus.UNSHIPPED, {"tracking_number": "<script>"}, ValidationFailed),
        (OrderStatus.UNSHIPPED, {"lines": {"L1": 4}}, ValidationFailed),
        (OrderStatus.UNSHIPPED, {"lines": {"NOPE": 1}}, ValidationFailed),
        (OrderStatus.UNSHIPPED, {"lines": {"L1": 0}}, ValidationFailed),
        (
            OrderStatus.UNSHIPPED,
            {"shipped_at": NOW + dt.timedelta(days=5)},
            ValidationFailed,
        ),
    ],
)
async def test_refusals_send_nothing(
    sessions, settings, world, market, status, data, error
):
    shipped = 3 if status is OrderStatus.SHIPPED else 0
    order_id = await imported(
        sessions,
        settings,
        world,
        market,
        line("L1", "AMZ-MUG-1", 3, shipped=shipped),
        status=status,
    )
    before = await stock(sessions, world.mug)
    with pytest.raises(error) as caught:
        await ship(sessions, world, market, order_id, package(**data))
    assert caught.value.message.ko
    assert caught.value.message.en
    assert market.confirmed == []
    async with sessions() as db:
        assert list(await db.scalars(select(Shipment))) == []
    assert await stock(sessions, world.mug) == before


async def test_other_companys_order_is_not_found(sessions, settings, world, market):
    order_id = await imported(
        sessions, settings, world, market, line("L1", "AMZ-MUG-1", 1)
    )
    with pytest.raises(NotFound):
        await ship(sessions, world, market, order_id, user=world.other_user)
    assert market.confirmed == []


async def test_marketplace_refusal_is_recorded_and_can_be_retried(
    sessions, settings, world, market
):
    order_id = await imported(
        sessions, settings, world, market, line("L1", "AMZ-MUG-1", 1)
    )
    market.confirm_error = NeedsHumanError(
        "InvalidInput: carrier", marketplace="amazon", operation="confirmShipment"
    )
    with pytest.raises(Conflict) as caught:
        await ship(sessions, world, market, order_id)
    assert "carrier" in caught.value.message.en
    async with sessions() as db:
        [failed] = list(await db.scalars(select(Shipment)))
    assert failed.status == "failed"
    assert (await stock(sessions, world.mug)).reserved == 1
    retried = await ship(sessions, world, market, order_id)
    assert retried.id == failed.id
    assert retried.status == "confirmed"


async def test_in_doubt_shipment_is_not_sent_twice_and_is_settled_by_import(
    sessions, settings, world, market
):
    order_id = await imported(
        sessions, settings, world, market, line("L1", "AMZ-MUG-1", 2)
    )
    market.confirm_error = OutcomeUnknown(
        "timeout", marketplace="amazon", operation="confirmShipment"
    )
    with pytest.raises(Conflict):
        await ship(sessions, world, market, order_id)
    with pytest.raises(Conflict) as caught:
        await ship(sessions, world, market, order_id, package(tracking_number="EZ2"))
    assert "outcome" in caught.value.message.en
    assert market.confirmed == []
    # The marketplace did take it: the next import (10+ minutes on) sees it.
    market.update(
        SELLER,
        "114-1",
        status=OrderStatus.SHIPPED,
        updated=NOW + dt.timedelta(minutes=12),
        lines=(line("L1", "AMZ-MUG-1", 2, shipped=2),),
    )
    await pull(sessions, settings, world.amazon, market, NOW + dt.timedelta(minutes=20))
    async with sessions() as db:
        [settled] = list(await db.scalars(select(Shipment)))
    assert settled.status == "confirmed"
    level = await stock(sessions, world.mug)
    assert (level.on_hand, level.reserved) == (8, 0)
