"""The only functions that move stock. Each takes a session and never commits:
the caller's transaction records the movement with whatever caused it (the
order line, the edit, the import row), so a crash leaves both or neither.

Writers lock the product row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite
has one writer at a time) before reading the totals they change, so
concurrent orders, edits and imports never lose an update.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.catalog.models import Product
from export_hub.errors import NotFound, Text, ValidationFailed
from export_hub.stock.models import Cause, StockMovement

#: The most units one product may hold on hand (fits every marketplace's field).
MAX_ON_HAND = 1_000_000


@dataclass(frozen=True)
class StockLevel:
    """A product's stock at one moment."""

    on_hand: int
    reserved: int
    buffer: int

    @property
    def available(self) -> int:
        """What every channel offers: on hand − reserved − buffer, never < 0."""
        return available(self.on_hand, self.reserved, self.buffer)


@dataclass(frozen=True)
class LineStock:
    """What one order line holds of a product's stock: units reserved (ordered,
    neither shipped nor cancelled) and units consumed (shipped)."""

    reserved: int = 0
    consumed: int = 0


def available(on_hand: int, reserved: int, buffer: int) -> int:
    """Units to offer on every channel: ``on_hand − reserved − buffer``, at
    least 0 (a marketplace never gets a negative quantity)."""
    return max(0, on_hand - reserved - max(0, buffer))


def safety_buffer(
    default: int, company_buffer: int | None, product_buffer: int | None
) -> int:
    """The buffer that applies: the product's override, else the company's,
    else the brand configuration's default."""
    for value in (product_buffer, company_buffer):
        if value is not None:
            return max(0, value)
    return max(0, default)


def line_stock(
    *, quantity: int, shipped: int, cancelled: int, order_cancelled: bool
) -> LineStock:
    """What an order line should hold given the marketplace's quantities.

    Shipped units are consumed for good (a refund does not put goods back on
    the shelf); a cancelled order or line releases whatever was not shipped.
    """
    shipped = max(0, min(shipped, quantity))
    if order_cancelled:
        return LineStock(reserved=0, consumed=shipped)
    open_units = max(0, quantity - shipped - max(0, cancelled))
    return LineStock(reserved=open_units, consumed=shipped)


async def _move(
    session: AsyncSession,
    product_id: int,
    *,
    delta_on_hand: int,
    delta_reserved: int,
    cause: Cause,
    cause_key: str | None,
    actor_user_id: int | None,
    note: str,
) -> StockMovement | None:
    if delta_on_hand == 0 and delta_reserved == 0:
        return None
    row = (
        await session.execute(
            update(Product)
            .where(Product.id == product_id)
            .values(
                quantity=Product.quantity + delta_on_hand,
                reserved=Product.reserved + delta_reserved,
            )
            .returning(Product.quantity, Product.reserved)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(Text("상품을 찾을 수 없습니다.", "Product not found."))
    movement = StockMovement(
        product_id=product_id,
        delta_on_hand=delta_on_hand,
        delta_reserved=delta_reserved,
        cause=cause.value,
        cause_key=cause_key,
        on_hand_after=row[0],
        reserved_after=row[1],
        actor_user_id=actor_user_id,
        note=note,
    )
    session.add(movement)
    await session.flush()
    return movement


async def _locked_totals(session: AsyncSession, product_id: int) -> tuple[int, int]:
    row = (
        await session.execute(
            select(Product.quantity, Product.reserved)
            .where(Product.id == product_id)
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        raise NotFound(Text("상품을 찾을 수 없습니다.", "Product not found."))
    return int(row[0]), int(row[1])


async def set_on_hand(
    session: AsyncSession,
    product_id: int,
    quantity: int,
    *,
    cause: Cause = Cause.EDIT,
    actor_user_id: int | None = None,
    note: str = "",
) -> int:
    """Set the units on hand (a count of the shelf), recording the difference.

    Returns the change (0 when nothing changed; then nothing is recorded).
    Raises :class:`ValidationFailed` for a negative or absurd quantity.
    """
    if isinstance(quantity, bool) or not 0 <= quantity <= MAX_ON_HAND:
        raise ValidationFailed(
            {
                "quantity": Text(
                    f"재고 수량은 0에서 {MAX_ON_HAND:,} 사이여야 합니다.",
                    f"Quantity on hand must be between 0 and {MAX_ON_HAND:,}.",
                )
            }
        )
    on_hand, _ = await _locked_totals(session, product_id)
    delta = quantity - on_hand
    await _move(
        session,
        product_id,
        delta_on_hand=delta,
        delta_reserved=0,
        cause=cause,
        cause_key=None,
        actor_user_id=actor_user_id,
        note=note,
    )
    return delta


async def apply_line(
    session: AsyncSession,
    product_id: int,
    *,
    line_key: str,
    revision: int,
    before: LineStock,
    after: LineStock,
) -> LineStock:
    """Move stock so that an order line holds ``after`` instead of ``before``.

    The caller stores the returned state on its order line in the same
    transaction, with ``revision`` (the line's count of stock changes, raised
    by one for each call that changes something); calling again with the same
    states moves nothing. Each movement's ``cause_key`` is ``line_key`` and
    ``revision``, UNIQUE, so a replay of the same transition can never be
    recorded twice. Shipping more
    than is on hand consumes only what is there (on hand never goes below 0;
    the shortfall was an oversell, already visible on the order).
    """
    if after == before:
        return after
    shipped_now = max(0, after.consumed - before.consumed)
    released = before.reserved - after.reserved
    if shipped_now:
        on_hand, _ = await _locked_totals(session, product_id)
        take = min(shipped_now, max(0, on_hand))
        # Shipped units leave the reservation as well as the shelf.
        from_reserved = min(shipped_now, max(0, before.reserved - after.reserved))
        await _move(
            session,
            product_id,
            delta_on_hand=-take,
            delta_reserved=-from_reserved,
            cause=Cause.SHIPMENT,
            cause_key=f"{line_key}:{revision}:ship",
            actor_user_id=None,
            note="",
        )
        released -= from_reserved
    if released:
        await _move(
            session,
            product_id,
            delta_on_hand=0,
            delta_reserved=-released,
            cause=Cause.CANCELLATION if released > 0 else Cause.ORDER,
            cause_key=f"{line_key}:{revision}:reserve",
            actor_user_id=None,
            note="",
        )
    return after


async def level(
    session: AsyncSession, product_id: int, *, buffer: int = 0
) -> StockLevel:
    """The product's current totals (as kept on the product row)."""
    row = (
        await session.execute(
            select(Product.quantity, Product.reserved).where(Product.id == product_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(Text("상품을 찾을 수 없습니다.", "Product not found."))
    return StockLevel(on_hand=int(row[0]), reserved=int(row[1]), buffer=buffer)


async def verify(session: AsyncSession, product_id: int) -> tuple[int, int]:
    """Recompute on hand and reserved from the ledger alone and check them
    against the product's totals; returns the recomputed pair.

    Raises :class:`ValueError` on a mismatch (a bug, or a hand edit of the
    database)."""
    sums = (
        await session.execute(
            select(
                func.coalesce(func.sum(StockMovement.delta_on_hand), 0),
                func.coalesce(func.sum(StockMovement.delta_reserved), 0),
            ).where(StockMovement.product_id == product_id)
        )
    ).one()
    current = await level(session, product_id)
    recomputed = (int(sums[0]), int(sums[1]))
    if recomputed != (current.on_hand, current.reserved):
        raise ValueError(
            f"product {product_id}: ledger says on hand/reserved {recomputed}, "
            f"product row says {(current.on_hand, current.reserved)}"
        )
    return recomputed
