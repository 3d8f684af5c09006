"""Finding orders for the pages and the API: filters, paging, flags.

Open orders come first, the most urgent ship-by date at the top. An open
order is *late* once its ship-by date has passed and *at risk* when it falls
within ``orders.at_risk_hours``. Query functions take a session, never commit.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from connectors.base import OrderStatus
from export_hub.accounts.models import Company
from export_hub.accounts.picker import matches_company
from export_hub.errors import FieldErrors
from export_hub.orders.lines import OPEN_STATUSES
from export_hub.orders.models import Order

PER_PAGE = 50
STATUSES = tuple(s.value for s in OrderStatus)
MARKETPLACES = ("amazon", "ebay")
ORDER_PAGES = {
    "amazon": "https://sellercentral.amazon.com/orders-v3/order/{id}",
    "ebay": "https://www.ebay.com/sh/ord/details?orderid={id}",
}


def marketplace_order_url(order: Order) -> str:
    """Seller Central / Seller Hub's page of the order (the address is there)."""
    pattern = ORDER_PAGES.get(order.marketplace)
    return pattern.format(id=order.marketplace_order_id) if pattern else ""


def urgency(order: Order, now: dt.datetime, at_risk_hours: int) -> str:
    """``late``, ``at_risk`` or ``""`` for an order at ``now``."""
    if order.status not in OPEN_STATUSES or order.ship_by is None:
        return ""
    if order.ship_by < now:
        return "late"
    if order.ship_by <= now + dt.timedelta(hours=at_risk_hours):
        return "at_risk"
    return ""


@dataclass(frozen=True)
class OrderFilter:
    """What a list shows. ``company_id`` pins one company (a company user);
    ``company`` searches names and BRNs (staff); ``late`` keeps open orders
    past (``late``) or near (``at_risk``) their ship-by date; ``start`` and
    ``end`` bound the purchase instant (UTC, end exclusive)."""

    status: str = ""
    marketplace: str = ""
    company_id: int | None = None
    company: str = ""
    late: str = ""
    start: dt.datetime | None = None
    end: dt.datetime | None = None

    def check(self) -> OrderFilter:
        """Raise :class:`ValidationFailed` for values no list knows."""
        errors = FieldErrors()
        if self.status and self.status not in STATUSES:
            errors.add("status", "알 수 없는 상태입니다.", "Unknown status.")
        if self.marketplace and self.marketplace not in MARKETPLACES:
            errors.add(
                "marketplace", "알 수 없는 마켓플레이스입니다.", "Unknown marketplace."
            )
        if self.late not in ("", "late", "at_risk", "urgent"):
            errors.add("late", "late, at_risk, urgent 중 하나입니다.",
                       "One of late, at_risk, urgent.")  # fmt: skip
        errors.raise_if_any()
        return self


@dataclass
class OrderPage:
    items: list[tuple[Order, Company]] = field(default_factory=list)
    page: int = 1
    pages: int = 1
    total: int = 0
    per_page: int = PER_PAGE


def _filtered(
    query: Select[Order, Company],
    flt: OrderFilter,
    now: dt.datetime,
    at_risk_hours: int,
) -> Select[Order, Company]:
    if flt.status:
        query = query.where(Order.status == flt.status)
    if flt.marketplace:
        query = query.where(Order.marketplace == flt.marketplace)
    if flt.company_id is not None:
        query = query.where(Order.company_id == flt.company_id)
    if flt.company:
        query = query.where(matches_company(flt.company))
    if flt.start is not None:
        query = query.where(Order.purchased_at >= flt.start)
    if flt.end is not None:
        query = query.where(Order.purchased_at < flt.end)
    if flt.late:
        horizon = now + dt.timedelta(hours=at_risk_hours)
        query = query.where(
            Order.status.in_([s.value for s in OPEN_STATUSES]),
            Order.ship_by.is_not(None),
        )
        if flt.late == "late":
            query = query.where(Order.ship_by < now)
        elif flt.late == "at_risk":
            query = query.where(Order.ship_by >= now, Order.ship_by <= horizon)
        else:
            query = query.where(Order.ship_by <= horizon)
    return query


async def find_orders(
    db: AsyncSession,
    flt: OrderFilter,
    *,
    now: dt.datetime,
    at_risk_hours: int,
    page: int = 1,
) -> OrderPage:
    """One page of orders (with their lines and company), to ship first."""
    base = _filtered(
        select(Order, Company).join(Company, Company.id == Order.company_id),
        flt,
        now,
        at_risk_hours,
    )
    total = int(await db.scalar(select(func.count()).select_from(base.subquery())) or 0)
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(1, page), pages)
    is_open = case((Order.status.in_([s.value for s in OPEN_STATUSES]), 0), else_=1)
    no_date = case((Order.ship_by.is_(None), 1), else_=0)
    rows = await db.execute(
        base.options(selectinload(Order.lines))
        .order_by(
            is_open, no_date, Order.ship_by, Order.purchased_at.desc(), Order.id.desc()
        )
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    items = [(row[0], row[1]) for row in rows]
    return OrderPage(items=items, page=page, pages=pages, total=total)


def page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() else 1
