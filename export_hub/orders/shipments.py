"""Confirming a shipment on the marketplace, safely.

The company names the carrier (one of the codes the marketplace accepts), the
tracking number, the lines and quantities in the package and the day it
left. Everything is checked before anything is sent: an order that is not
the caller's is "not found"; a cancelled, refunded or fully shipped order, an
unknown carrier, a malformed tracking number or more units than are open are
refused in Korean and English, and nothing is sent.

Crash safety: the shipment is recorded as ``sending`` (and the order row
locked while open quantities are checked) before the marketplace is called,
and updated after. A shipment still ``sending`` — the process died, or the
answer was lost (:class:`~export_hub.errors.OutcomeUnknown`) — blocks another
confirmation of the same order until the order import has looked at what the
marketplace shows (:func:`settle_in_doubt`): it is never sent twice blindly.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from connectors.base import Order as MarketOrder
from connectors.base import ShipmentLine, ShipmentRequest, ShipmentResult
from export_hub.accounts.models import User
from export_hub.db import transaction
from export_hub.errors import (
    Conflict,
    FieldErrors,
    MarketplaceError,
    NotFound,
    OutcomeUnknown,
    Text,
)
from export_hub.marketplaces.models import SellerAccount
from export_hub.orders import lines as line_state
from export_hub.orders.connect import OrdersConnectorFactory
from export_hub.orders.models import Order, Shipment, ShipmentStatus

Sessions = async_sessionmaker[AsyncSession]
#: A ``sending`` shipment older than this, when an import has read past it,
#: is settled from what the marketplace shows.
IN_DOUBT_AFTER = dt.timedelta(minutes=10)
TRACKING_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{3,59}$")


@dataclass(frozen=True)
class ShipmentInput:
    """What the company entered. ``lines`` maps the marketplace line id to
    units; ``None`` ships every open unit of the order."""

    carrier: str
    tracking_number: str
    shipped_at: dt.datetime
    lines: Mapping[str, int] | None = None
    shipping_method: str = ""


async def order_for(db: AsyncSession, user: User, order_id: int) -> Order:
    """The order with its lines if ``user`` may see it (staff: any; a company:
    its own), else :class:`NotFound` (404: the same for "not yours")."""
    order = await db.scalar(
        select(Order).where(Order.id == order_id).options(selectinload(Order.lines))
    )
    if order is None or (not user.is_staff and order.company_id != user.company_id):
        raise NotFound(Text("주문을 찾을 수 없습니다.", "Order not found."))
    return order


async def carriers_for(
    factory: OrdersConnectorFactory, account: SellerAccount
) -> list[str]:
    """The carrier codes the account's marketplace accepts, most used first."""
    async with factory(account) as connector:
        return list(connector.carriers())


def _refuse_state(order: Order, pending: Sequence[Shipment]) -> None:
    if order.status in line_state.CLOSED_STATUSES:
        raise Conflict(
            Text(
                "취소되었거나 환불된 주문은 발송할 수 없습니다.",
                "This order was cancelled or refunded; it cannot be shipped.",
            )
        )
    if all(line.open_quantity == 0 for line in order.lines):
        raise Conflict(
            Text(
                "이미 모두 발송된 주문입니다.",
                "This order has already shipped in full.",
            )
        )
    if any(s.status == ShipmentStatus.SENDING for s in pending):
        raise Conflict(
            Text(
                "앞선 발송 확인의 결과를 아직 모릅니다. 다음 주문 가져오기(몇 분)"
                " 뒤에 다시 확인해 주세요.",
                "The outcome of an earlier shipment confirmation is not known yet."
                " Check again after the next order import (a few minutes).",
            )
        )


def _check_input(
    order: Order,
    data: ShipmentInput,
    carriers: Sequence[str],
    now: dt.datetime,
) -> dict[str, int]:
    """The units to ship per marketplace line id, or every problem at once."""
    errors = FieldErrors()
    if data.carrier not in carriers:
        errors.add(
            "carrier",
            "이 마켓플레이스가 받는 운송사를 골라 주세요.",
            "Choose a carrier this marketplace accepts.",
        )
    if not TRACKING_RE.match(data.tracking_number):
        errors.add(
            "tracking_number",
            "운송장 번호는 영문·숫자·하이픈 4~60자입니다.",
            "A tracking number is 4 to 60 letters, digits or hyphens.",
        )
    if data.shipped_at.tzinfo is None or not (
        order.purchased_at - dt.timedelta(days=1)
        <= data.shipped_at
        <= now + dt.timedelta(days=1)
    ):
        errors.add(
            "shipped_at",
            "발송일은 주문일과 오늘 사이여야 합니다.",
            "The shipping date must lie between the order date and today.",
        )
    open_units = {line.line_id: line.open_quantity for line in order.lines}
    wanted = (
        dict(data.lines)
        if data.lines is not None
        else {k: v for k, v in open_units.items() if v}
    )
    wanted = {k: v for k, v in wanted.items() if v != 0}
    for line_id, units in wanted.items():
        if line_id not in open_units:
            errors.add(
                "lines", "주문에 없는 품목입니다.", "No such line in this order."
            )
        elif isinstance(units, bool) or not isinstance(units, int) or units < 0:
            errors.add(
                "lines", "수량은 양의 정수입니다.", "Quantities are whole numbers."
            )
        elif units > open_units[line_id]:
            errors.add(
                "lines",
                f"발송할 수 있는 수량({open_units[line_id]})보다 많습니다.",
                f"More than the {open_units[line_id]} unit(s) still to ship.",
            )
    if not wanted:
        errors.add(
            "lines", "발송할 품목을 골라 주세요.", "Choose what is in the package."
        )
    errors.raise_if_any()
    return wanted


async def confirm_shipment(
    sessions: Sessions,
    user: User,
    order_id: int,
    data: ShipmentInput,
    *,
    factory: OrdersConnectorFactory,
    now: dt.datetime,
) -> Shipment:
    """Confirm one package of ``order_id`` on the marketplace and record it.

    Raises :class:`NotFound`, :class:`~export_hub.errors.ValidationFailed`
    (input) or :class:`Conflict` (the order's state, an in-doubt or refused
    confirmation). On success the lines' shipped units rise and their
    reserved units are consumed from stock at once.
    """
    data = ShipmentInput(
        carrier=data.carrier.strip(),
        tracking_number=data.tracking_number.strip().replace(" ", ""),
        shipped_at=data.shipped_at,
        lines=data.lines,
        shipping_method=data.shipping_method.strip()[:60],
    )
    async with sessions() as db:
        order = await order_for(db, user, order_id)
        account = await db.get_one(SellerAccount, order.seller_account_id)
    carriers = await carriers_for(factory, account)
    shipment_id, wanted = await _record_sending(sessions, user, order_id, data,
                                                carriers, now)  # fmt: skip
    request = ShipmentRequest(
        order_id=order.marketplace_order_id,
        lines=tuple(ShipmentLine(k, v) for k, v in sorted(wanted.items())),
        carrier_code=data.carrier,
        tracking_number=data.tracking_number,
        shipped_at=data.shipped_at,
        shipping_method=data.shipping_method,
    )
    try:
        async with factory(account) as connector:
            result = await connector.confirm_shipment(request)
    except OutcomeUnknown:
        raise Conflict(
            Text(
                "마켓플레이스의 답을 받지 못했습니다. 다음 주문 가져오기 때 발송 여부를"
                " 확인합니다. 다시 보내지 마세요.",
                "The marketplace did not answer. The next order import checks"
                " whether it took the shipment; do not send it again.",
            )
        ) from None
    except MarketplaceError as exc:
        await _record_failure(sessions, shipment_id, exc, now)
        raise Conflict(
            Text(
                f"마켓플레이스가 발송 확인을 받지 않았습니다: {exc.message}",
                f"The marketplace did not accept the shipment: {exc.message}",
            )
        ) from exc
    return await _record_confirmed(sessions, shipment_id, result, now)


async def _record_sending(
    sessions: Sessions,
    user: User,
    order_id: int,
    data: ShipmentInput,
    carriers: Sequence[str],
    now: dt.datetime,
) -> tuple[int, dict[str, int]]:
    async with transaction(sessions) as db:
        await db.execute(select(Order.id).where(Order.id == order_id).with_for_update())
        order = await order_for(db, user, order_id)
        earlier = list(
            await db.scalars(select(Shipment).where(Shipment.order_id == order.id))
        )
        _refuse_state(order, earlier)
        wanted = _check_input(order, data, carriers, now)
        same = next(
            (s for s in earlier if s.tracking_number == data.tracking_number), None
        )
        if same is not None and same.status == ShipmentStatus.CONFIRMED:
            raise Conflict(
                Text(
                    "이 운송장 번호로 이미 발송 확인되었습니다.",
                    "A shipment with this tracking number is already confirmed.",
                )
            )
        shipment = same or Shipment(order_id=order.id, created_at=now)
        shipment.carrier = data.carrier
        shipment.tracking_number = data.tracking_number
        shipment.shipping_method = data.shipping_method
        shipment.shipped_at = data.shipped_at
        shipment.lines = [{"line_id": k, "quantity": v} for k, v in wanted.items()]
        shipment.status = ShipmentStatus.SENDING
        shipment.error = ""
        shipment.actor_user_id = user.id
        shipment.updated_at = now
        db.add(shipment)
        await db.flush()
        return shipment.id, wanted


async def _record_failure(
    sessions: Sessions, shipment_id: int, exc: MarketplaceError, now: dt.datetime
) -> None:
    async with transaction(sessions) as db:
        shipment = await db.get_one(Shipment, shipment_id)
        shipment.status = ShipmentStatus.FAILED
        shipment.error = str(exc)[:1000]
        shipment.request_id = exc.request_id
        shipment.updated_at = now


async def _record_confirmed(
    sessions: Sessions, shipment_id: int, result: ShipmentResult, now: dt.datetime
) -> Shipment:
    async with transaction(sessions) as db:
        shipment = await db.get_one(Shipment, shipment_id)
        order = (
            await db.scalars(
                select(Order)
                .where(Order.id == shipment.order_id)
                .options(selectinload(Order.lines))
                .with_for_update()
            )
        ).one()
        shipment.status = ShipmentStatus.CONFIRMED
        shipment.marketplace_shipment_id = result.shipment_id
        shipment.request_id = result.request_id
        shipment.updated_at = now
        await _ship_lines(db, order, shipment, now)
        return shipment


async def _ship_lines(
    db: AsyncSession, order: Order, shipment: Shipment, now: dt.datetime
) -> None:
    by_id = {line.line_id: line for line in order.lines}
    for item in shipment.lines:
        line = by_id[item["line_id"]]
        line_state.set_quantities(
            db, order, line,
            quantity=line.quantity, shipped=line.shipped + int(item["quantity"]),
            cancelled=line.cancelled, at=now, source="shipment",
        )  # fmt: skip
        await line_state.settle_stock(db, order, line)
    status = line_state.derived_status(order.status, order.lines)
    line_state.record(db, order, "shipment", "", shipment.tracking_number,
                      at=now, source="shipment")  # fmt: skip
    if status != order.status:
        line_state.record(db, order, "status", order.status, status, at=now,
                          source="shipment")  # fmt: skip
        order.status = status


async def orders_in_doubt(db: AsyncSession, seller_account_id: int) -> set[int]:
    """Orders of the account with a shipment still ``sending``."""
    rows = await db.scalars(
        select(Shipment.order_id)
        .join(Order, Order.id == Shipment.order_id)
        .where(
            Order.seller_account_id == seller_account_id,
            Shipment.status == ShipmentStatus.SENDING,
        )
    )
    return set(rows)


async def settle_in_doubt(
    db: AsyncSession,
    order: Order,
    incoming: MarketOrder,
    *,
    now: dt.datetime,
) -> int:
    """Decide the order's ``sending`` shipments older than
    :data:`IN_DOUBT_AFTER` from what the marketplace shows now: confirmed when
    its shipped units cover them, else failed (the company may send again).
    Returns how many were settled."""
    shipments = list(
        await db.scalars(
            select(Shipment)
            .where(Shipment.order_id == order.id)
            .order_by(Shipment.created_at, Shipment.id)
        )
    )
    marketplace_shipped = {i.line_id: i.quantity_shipped for i in incoming.lines}
    covered: dict[str, int] = {}
    for s in shipments:
        if s.status == ShipmentStatus.CONFIRMED:
            for item in s.lines:
                key = item["line_id"]
                covered[key] = covered.get(key, 0) + int(item["quantity"])
    settled = 0
    for s in shipments:
        if s.status != ShipmentStatus.SENDING or s.updated_at > now - IN_DOUBT_AFTER:
            continue
        seen = all(
            marketplace_shipped.get(item["line_id"], 0)
            >= covered.get(item["line_id"], 0) + int(item["quantity"])
            for item in s.lines
        )
        if seen:
            s.status = ShipmentStatus.CONFIRMED
            for item in s.lines:
                key = item["line_id"]
                covered[key] = covered.get(key, 0) + int(item["quantity"])
        else:
            s.status = ShipmentStatus.FAILED
            s.error = "not seen on the marketplace after the confirmation was sent"
        s.updated_at = now
        line_state.record(db, order, "shipment", "sending", s.status, at=now,
                          source="import")  # fmt: skip
        settled += 1
    return settled
