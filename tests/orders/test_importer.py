"""The order import: idempotent, every transition recorded, stock through the
ledger, unmanaged SKUs kept, cursor with overlap, all or nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from connectors.base import OrderStatus
from export_hub.db import utcnow
from export_hub.errors import TransientError
from export_hub.listings.models import Listing
from export_hub.mail import OutboxMessage
from export_hub.orders import restock
from export_hub.orders.importer import UnreadableOrders
from export_hub.orders.models import ImportCursor, Order, OrderEvent, OrderLine
from export_hub.stock.models import StockMovement
from tests.orders.conftest import NOW, pull, stock
from tests.orders.fakes import line, order

SELLER = "A1HANBIT"


def at(minutes: int) -> dt.datetime:
    """A pull ``minutes`` after NOW."""
    return NOW + dt.timedelta(minutes=minutes)


def seen_by(minutes: int) -> dt.datetime:
    """An update instant the pull at ``at(minutes)`` reads (and no earlier
    pull did)."""
    return at(minutes) - dt.timedelta(minutes=5)


async def snapshot(sessions):
    async with sessions() as db:
        orders = [
            (o.marketplace_order_id, o.status, o.refunded, o.marketplace_updated_at)
            for o in await db.scalars(select(Order).order_by(Order.id))
        ]
        lines = [
            (
                ln.line_id,
                ln.product_id,
                ln.quantity,
                ln.shipped,
                ln.cancelled,
                ln.stock_reserved,
                ln.stock_consumed,
                ln.stock_revision,
            )
            for ln in await db.scalars(select(OrderLine).order_by(OrderLine.id))
        ]
        events = await db.scalar(select(func.count(OrderEvent.id)))
        moves = [
            (m.product_id, m.delta_on_hand, m.delta_reserved, m.cause, m.cause_key)
            for m in await db.scalars(select(StockMovement).order_by(StockMovement.id))
        ]
        mails = await db.scalar(select(func.count(OutboxMessage.id)))
    return orders, lines, events, moves, mails


async def events_of(sessions, order_id: str) -> list[tuple[str, str, str]]:
    async with sessions() as db:
        rows = await db.execute(
            select(OrderEvent.kind, OrderEvent.from_value, OrderEvent.to_value)
            .join(Order, Order.id == OrderEvent.order_id)
            .where(Order.marketplace_order_id == order_id)
            .order_by(OrderEvent.id)
        )
        return [tuple(r) for r in rows]


async def test_import_twice_changes_nothing(sessions, settings, world, market):
    # Updated inside the next read's overlap window, so it is read twice.
    late = NOW - dt.timedelta(minutes=10)
    market.put(SELLER, order("111-1", line("L1", "AMZ-MUG-1", 2), updated=late))
    market.put(
        SELLER,
        order("111-2", line("L1", "CUP-1", 1), line("L2", "ZZZ", 4), updated=late),
    )
    first = await pull(sessions, settings, world.amazon, market)
    assert (first.orders_new, first.stock_moves, first.lines_unmanaged) == (2, 2, 1)
    before = await snapshot(sessions)
    again = await pull(
        sessions, settings, world.amazon, market, NOW + dt.timedelta(minutes=1)
    )
    assert (again.orders_read, again.orders_new, again.orders_changed) == (2, 0, 0)
    assert again.stock_moves == 0
    assert await snapshot(sessions) == before
    mug = await stock(sessions, world.mug)
    assert (mug.on_hand, mug.reserved) == (10, 2)


async def test_every_transition_is_recorded_with_its_stock_effect(
    sessions, settings, world, market
):
    market.put(
        SELLER, order("111-9", line("L1", "AMZ-MUG-1", 3), status=OrderStatus.PENDING)
    )
    await pull(sessions, settings, world.amazon, market)
    # Amazon's Pending reserves the units too.
    assert (await stock(sessions, world.mug)).reserved == 3
    steps = [
        (OrderStatus.UNSHIPPED, 0, (10, 3)),
        (OrderStatus.PARTIALLY_SHIPPED, 1, (9, 2)),
        (OrderStatus.SHIPPED, 3, (7, 0)),
    ]
    for i, (status, shipped, (on_hand, reserved)) in enumerate(steps, start=1):
        market.update(
            SELLER,
            "111-9",
            status=status,
            updated=seen_by(10 * i),
            lines=(line("L1", "AMZ-MUG-1", 3, shipped=shipped),),
        )
        await pull(sessions, settings, world.amazon, market, at(10 * i))
        level = await stock(sessions, world.mug)
        assert (level.on_hand, level.reserved) == (on_hand, reserved), status
    assert await events_of(sessions, "111-9") == [
        ("status", "", "pending"),
        ("quantity", "0", "3"),
        ("status", "pending", "unshipped"),
        ("status", "unshipped", "partially_shipped"),
        ("shipped", "0", "1"),
        ("status", "partially_shipped", "shipped"),
        ("shipped", "1", "3"),
    ]
    # A refund after shipping puts nothing back on the shelf.
    market.update(
        SELLER,
        "111-9",
        status=OrderStatus.REFUNDED,
        updated=seen_by(40),
        refunded=Decimal("37.50"),
    )
    await pull(sessions, settings, world.amazon, market, at(40))
    level = await stock(sessions, world.mug)
    assert (level.on_hand, level.reserved) == (7, 0)
    assert ("refunded", "0.00", "37.50") in await events_of(sessions, "111-9")


async def test_cancellation_releases_and_line_cancel_releases_part(
    sessions, settings, world, market
):
    market.put(SELLER, order("111-3", line("L1", "AMZ-MUG-1", 4)))
    await pull(sessions, settings, world.amazon, market)
    market.update(
        SELLER,
        "111-3",
        updated=seen_by(5),
        lines=(line("L1", "AMZ-MUG-1", 4, cancelled=1),),
    )
    await pull(sessions, settings, world.amazon, market, at(5))
    assert (await stock(sessions, world.mug)).reserved == 3
    market.update(SELLER, "111-3", status=OrderStatus.CANCELLED, updated=seen_by(10))
    await pull(sessions, settings, world.amazon, market, at(10))
    level = await stock(sessions, world.mug)
    assert (level.on_hand, level.reserved, level.available) == (10, 0, 10)
    async with sessions() as db:
        causes = list(
            await db.scalars(
                select(StockMovement.cause)
                .where(StockMovement.product_id == world.mug.id)
                .order_by(StockMovement.id)
            )
        )
    assert causes == ["edit", "order", "cancellation", "cancellation"]


async def test_unmanaged_sku_is_kept_and_moves_no_stock(
    sessions, settings, world, market
):
    market.put(SELLER, order("111-4", line("L1", "NOT-OURS", 2), line("L2", None, 1)))
    report = await pull(sessions, settings, world.amazon, market)
    assert report.lines_unmanaged == 2
    assert report.stock_moves == 0
    async with sessions() as db:
        lines = list(await db.scalars(select(OrderLine).order_by(OrderLine.id)))
        moves = await db.scalar(
            select(func.count(StockMovement.id)).where(StockMovement.cause != "edit")
        )
    assert [(ln.sku, ln.product_id, ln.quantity) for ln in lines] == [
        ("NOT-OURS", None, 2),
        (None, None, 1),
    ]
    assert moves == 0


async def test_sku_of_another_company_is_not_ours(sessions, settings, world, market):
    market.put(SELLER, order("111-5", line("L1", "VASE-1", 1)))
    await pull(sessions, settings, world.amazon, market)
    assert (await stock(sessions, world.other_product)).reserved == 0


async def test_cursor_overlap_and_lag(sessions, settings, world, market):
    await pull(sessions, settings, world.amazon, market)
    first_after, first_before = market.windows[-1]
    assert first_before == NOW - dt.timedelta(seconds=180)
    assert first_after == NOW - dt.timedelta(days=30)
    later = NOW + dt.timedelta(minutes=5)
    await pull(sessions, settings, world.amazon, market, later)
    after, before = market.windows[-1]
    assert after == first_before - dt.timedelta(minutes=15)
    assert before == later - dt.timedelta(seconds=180)
    # eBay has no two-minute rule; its own lag applies.
    await pull(sessions, settings, world.ebay, market)
    assert market.windows[-1][1] == NOW - dt.timedelta(seconds=60)
    # An order updated late inside the overlap is still read.
    market.put(
        SELLER,
        order(
            "111-6",
            line("L1", "CUP-1", 1),
            updated=first_before - dt.timedelta(minutes=1),
        ),
    )
    report = await pull(
        sessions, settings, world.amazon, market, later + dt.timedelta(minutes=5)
    )
    assert report.orders_new == 1


@pytest.mark.parametrize("fail_after", [0, 1])
async def test_unreadable_answer_writes_nothing(
    sessions, settings, world, market, fail_after
):
    market.put(SELLER, order("111-7", line("L1", "AMZ-MUG-1", 1)))
    await pull(sessions, settings, world.amazon, market)
    async with sessions() as db:
        cursor_before = (await db.get_one(ImportCursor, world.amazon.id)).imported_until
    before = await snapshot(sessions)
    market.put(SELLER, order("111-8", line("L1", "CUP-1", 2), updated=seen_by(60)))
    market.update(
        SELLER,
        "111-7",
        status=OrderStatus.CANCELLED,
        updated=seen_by(60) - dt.timedelta(minutes=1),
    )
    market.read_error = TransientError(
        "page 2 unreadable", marketplace="amazon", operation="getOrders"
    )
    market.fail_after = fail_after
    with pytest.raises(TransientError):
        await pull(
            sessions, settings, world.amazon, market, NOW + dt.timedelta(hours=1)
        )
    assert await snapshot(sessions) == before
    async with sessions() as db:
        cursor = await db.get_one(ImportCursor, world.amazon.id)
    assert cursor.imported_until == cursor_before
    assert "page 2 unreadable" in cursor.last_error
    # A record that makes no sense is unreadable too.
    market.update(SELLER, "111-8", lines=(line("L1", "CUP-1", -1),))
    with pytest.raises(UnreadableOrders):
        await pull(
            sessions, settings, world.amazon, market, NOW + dt.timedelta(hours=1)
        )
    assert await snapshot(sessions) == before


async def test_stale_answer_does_not_roll_back(sessions, settings, world, market):
    market.put(
        SELLER,
        order(
            "111-10",
            line("L1", "AMZ-MUG-1", 2),
            updated=seen_by(0),
            status=OrderStatus.CANCELLED,
        ),
    )
    await pull(sessions, settings, world.amazon, market)
    # A slower read that started earlier delivers an older version.
    market.update(
        SELLER,
        "111-10",
        status=OrderStatus.UNSHIPPED,
        updated=seen_by(0) - dt.timedelta(minutes=2),
    )
    report = await pull(sessions, settings, world.amazon, market)
    assert report.orders_stale == 1
    assert (await stock(sessions, world.mug)).reserved == 0


async def test_sale_marks_other_channels_for_a_quantity_push(
    sessions, settings, world, market
):
    market.put(SELLER, order("111-11", line("L1", "AMZ-MUG-1", 1)))
    since = utcnow()  # the ledger stamps movements with the real clock
    report = await pull(sessions, settings, world.amazon, market)
    assert report.products_changed == {world.mug.id}
    assert report.listings_marked == 1
    async with sessions() as db:
        rows = {
            (ln.product_id, ln.seller_account_id): ln
            for ln in await db.scalars(select(Listing))
        }
        accounts = await restock.accounts_to_push(db)
        changed = await restock.products_with_stock_changes_since(db, since)
    ebay_mug = rows[(world.mug.id, world.ebay.id)]
    assert ebay_mug.last_quantity_assert_at == restock.PUSH_DUE
    assert ebay_mug.pending_since == NOW
    # The channel that sold is not marked; nor other products.
    assert (
        rows[(world.mug.id, world.amazon.id)].last_quantity_assert_at
        != restock.PUSH_DUE
    )
    assert (
        rows[(world.cup.id, world.ebay.id)].last_quantity_assert_at != restock.PUSH_DUE
    )
    assert accounts == [world.ebay.id]
    assert changed == [world.mug.id]


async def test_new_open_orders_mail_the_company_once_in_each_language(
    sessions, settings, world, market
):
    market.put(SELLER, order("111-12", line("L1", "AMZ-MUG-1", 1)))
    market.put(
        SELLER,
        order("111-13", line("L1", "AMZ-MUG-1", 1), status=OrderStatus.CANCELLED),
    )
    report = await pull(sessions, settings, world.amazon, market)
    await pull(sessions, settings, world.amazon, market, NOW + dt.timedelta(hours=1))
    assert report.mails == 2
    async with sessions() as db:
        mails = list(await db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [(m.to_address, m.language) for m in mails] == [
        ("kim@hanbit.example", "ko"),
        ("jo@hanbit.example", "en"),
    ]
    assert "새 주문" in mails[0].subject
    assert "111-12" in mails[0].subject
    assert "New order" in mails[1].subject
    body = mails[1].parsed().get_content()
    assert "KST" in body
    assert "/company/orders/" in body
