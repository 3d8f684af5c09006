"""Changing an order line's quantities: the events and the stock it holds.

The import and the shipment service both change lines through here, so a
line's stock always follows :func:`export_hub.stock.ledger.line_stock` of its
quantities, recorded in the ledger under the line's own cause key. Functions
take a session and never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import OrderStatus
from export_hub.orders.models import Order, OrderEvent, OrderLine
from export_hub.stock import ledger
from export_hub.stock.ledger import LineStock

#: Orders whose unshipped units will never ship.
CLOSED_STATUSES = frozenset({OrderStatus.CANCELLED, OrderStatus.REFUNDED})
#: Orders the company still has to ship (some or all of).
OPEN_STATUSES = frozenset(
    {OrderStatus.PENDING, OrderStatus.UNSHIPPED, OrderStatus.PARTIALLY_SHIPPED}
)


def record(
    db: AsyncSession,
    order: Order,
    kind: str,
    before: object,
    after: object,
    *,
    at: dt.datetime,
    source: str,
    line: OrderLine | None = None,
) -> None:
    """Append one event (``before`` → ``after``) to the order's history."""
    db.add(
        OrderEvent(
            order_id=order.id,
            order_line_id=line.id if line is not None else None,
            at=at,
            kind=kind,
            from_value="" if before is None else str(before)[:60],
            to_value="" if after is None else str(after)[:60],
            source=source,
        )
    )


def set_quantities(
    db: AsyncSession,
    order: Order,
    line: OrderLine,
    *,
    quantity: int,
    shipped: int,
    cancelled: int,
    at: dt.datetime,
    source: str,
) -> bool:
    """Give ``line`` these absolute quantities, recording each change.

    Shipped units never go back down (a shipment confirmed here may show on
    the marketplace only later). Returns whether anything changed.
    """
    quantity = max(0, quantity)
    shipped = min(quantity, max(line.shipped, shipped, 0))
    cancelled = min(quantity - shipped, max(0, cancelled))
    changed = False
    for kind, old, new in (
        ("quantity", line.quantity, quantity),
        ("shipped", line.shipped, shipped),
        ("cancelled", line.cancelled, cancelled),
    ):
        if old != new:
            record(db, order, kind, old, new, at=at, source=source, line=line)
            changed = True
    line.quantity, line.shipped, line.cancelled = quantity, shipped, cancelled
    return changed


async def settle_stock(db: AsyncSession, order: Order, line: OrderLine) -> bool:
    """Move stock so that a managed line holds what its quantities say.

    Idempotent: a line already holding its target moves nothing. Each change
    raises ``stock_revision``; the ledger's UNIQUE cause key
    (``order-line:<id>:<revision>:…``) makes a concurrent replay of the same
    transition fail instead of counting twice. Returns whether stock moved.
    """
    if line.product_id is None:
        return False
    target = ledger.line_stock(
        quantity=line.quantity,
        shipped=line.shipped,
        cancelled=line.cancelled,
        order_cancelled=order.status in CLOSED_STATUSES,
    )
    held = LineStock(reserved=line.stock_reserved, consumed=line.stock_consumed)
    if target == held:
        return False
    revision = line.stock_revision + 1
    await ledger.apply_line(
        db,
        line.product_id,
        line_key=f"order-line:{line.id}",
        revision=revision,
        before=held,
        after=target,
    )
    line.stock_reserved, line.stock_consumed = target.reserved, target.consumed
    line.stock_revision = revision
    return True


def derived_status(current: str, lines: Iterable[OrderLine]) -> str:
    """The order's status after a shipment confirmed here: ``shipped`` when
    nothing is open any more, ``partially_shipped`` when some units left."""
    items = list(lines)
    if current in CLOSED_STATUSES or not items:
        return current
    if all(line.open_quantity == 0 for line in items) and any(
        line.shipped for line in items
    ):
        return OrderStatus.SHIPPED.value
    if any(line.shipped for line in items):
        return OrderStatus.PARTIALLY_SHIPPED.value
    return current
