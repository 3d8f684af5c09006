"""The figures of the first page after log-in, per role.

Each dashboard is a handful of aggregate queries, whatever the number of
companies: counts with ``GROUP BY`` and the export-results query; nothing
is loaded row by row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import OrderStatus
from export_hub.accounts.models import Company
from export_hub.catalog.models import Product, ReviewState
from export_hub.consultations.models import (
    Booking,
    BookingStatus,
    ConsultationOutcome,
    OutcomeKind,
)
from export_hub.listings.models import Listing
from export_hub.marketplaces.models import SellerAccount
from export_hub.orders.models import Order
from export_hub.reports.results import (
    VOID_STATUSES,
    GroupBy,
    Results,
    ResultsQuery,
    export_results_batch,
)

OPEN_ORDER = (OrderStatus.UNSHIPPED.value, OrderStatus.PARTIALLY_SHIPPED.value)


@dataclass
class StaffDashboard:
    companies: int
    approved: int
    connected: dict[str, int]
    live: int
    first_sale: int
    listings: dict[str, int]
    todo: dict[str, int]
    consultations_held: int
    deals: int
    deal_value_usd: Decimal
    this_month: Results
    this_year: Results
    last_year: Results
    monthly: Results
    countries: Results
    products: Results
    funnel: list[tuple[str, int]] = field(default_factory=list)


def _year_start(day: dt.date) -> dt.date:
    return day.replace(month=1, day=1)


async def _counts(db: AsyncSession) -> tuple[int, int, dict[str, int], int, int]:
    companies = await db.scalar(select(func.count(Company.id))) or 0
    approved = (
        await db.scalar(
            select(func.count(func.distinct(Product.company_id))).where(
                Product.state == ReviewState.APPROVED
            )
        )
        or 0
    )
    connected = dict(
        (
            await db.execute(
                select(
                    SellerAccount.marketplace,
                    func.count(func.distinct(SellerAccount.company_id)),
                )
                .where(SellerAccount.status == "connected")
                .group_by(SellerAccount.marketplace)
            )
        ).all()
    )
    live = (
        await db.scalar(
            select(func.count(func.distinct(Product.company_id)))
            .join(Listing, Listing.product_id == Product.id)
            .where(Listing.status == "live")
        )
        or 0
    )
    first_sale = (
        await db.scalar(
            select(func.count(func.distinct(Order.company_id))).where(
                Order.status.not_in(VOID_STATUSES)
            )
        )
        or 0
    )
    return companies, approved, connected, live, first_sale


async def staff_dashboard(
    db: AsyncSession, today: dt.date, now: dt.datetime
) -> StaffDashboard:
    """Every company's figures (staff). ``today`` is the UTC date of ``now``."""
    companies, approved, connected, live, first_sale = await _counts(db)
    listings = dict(
        (
            await db.execute(
                select(Listing.status, func.count(Listing.id)).group_by(Listing.status)
            )
        ).all()
    )
    reviews = await db.scalar(
        select(func.count(Product.id)).where(Product.state == ReviewState.SUBMITTED)
    )
    late = await db.scalar(
        select(func.count(Order.id)).where(
            Order.status.in_(OPEN_ORDER), Order.ship_by < now
        )
    )
    waiting = await db.scalar(
        select(func.count(Booking.id)).where(Booking.status == BookingStatus.PENDING)
    )
    held = await db.scalar(
        select(func.count(Booking.id)).where(
            Booking.status == BookingStatus.CONFIRMED, Booking.end_at < now
        )
    )
    deals, deal_value = (
        await db.execute(
            select(
                func.count(ConsultationOutcome.id),
                func.coalesce(func.sum(ConsultationOutcome.deal_value_usd), 0),
            ).where(ConsultationOutcome.kind == OutcomeKind.DEAL)
        )
    ).one()
    tomorrow = today + dt.timedelta(days=1)
    year_start = _year_start(today)
    last_year_same_day = tomorrow.replace(year=tomorrow.year - 1)
    twelve = today.replace(day=1).replace(year=today.year - 1)
    # One pass over the order lines for the tiles, months and countries, one
    # for the products (see export_results_batch).
    (
        this_month,
        this_year,
        last_year,
        monthly,
        countries,
        products,
    ) = await export_results_batch(
        db,
        [
            ResultsQuery(today.replace(day=1), tomorrow, GroupBy.MARKETPLACE),
            ResultsQuery(year_start, tomorrow, GroupBy.MARKETPLACE),
            ResultsQuery(
                year_start.replace(year=year_start.year - 1),
                last_year_same_day,
                GroupBy.MARKETPLACE,
            ),
            ResultsQuery(twelve, tomorrow, GroupBy.MONTH),
            ResultsQuery(twelve, tomorrow, GroupBy.COUNTRY),
            ResultsQuery(twelve, tomorrow, GroupBy.PRODUCT),
        ],
    )
    connected_any = max(connected.values(), default=0)
    return StaffDashboard(
        companies=companies,
        approved=approved,
        connected=connected,
        live=live,
        first_sale=first_sale,
        listings=listings,
        todo={
            "reviews": reviews or 0,
            "listings": listings.get("needs_action", 0),
            "late_shipments": late or 0,
            "requests": waiting or 0,
        },
        consultations_held=held or 0,
        deals=deals or 0,
        deal_value_usd=Decimal(str(deal_value or 0)),
        this_month=this_month,
        this_year=this_year,
        last_year=last_year,
        monthly=monthly,
        countries=countries,
        products=products,
        funnel=[
            ("signed_up", companies),
            ("approved", approved),
            ("connected", connected_any),
            ("live", live),
            ("first_sale", first_sale),
        ],
    )


@dataclass
class CompanyDashboard:
    todo: dict[str, int]
    listings: dict[str, int]
    monthly: Results
    by_marketplace: Results
    outcomes: list[tuple[Booking, ConsultationOutcome]]


async def company_dashboard(
    db: AsyncSession, company_id: int, today: dt.date
) -> CompanyDashboard:
    """One company's to-dos, sales by month and marketplace, listing status."""
    listings = dict(
        (
            await db.execute(
                select(Listing.status, func.count(Listing.id))
                .join(Product, Product.id == Listing.product_id)
                .where(Product.company_id == company_id)
                .group_by(Listing.status)
            )
        ).all()
    )
    to_ship = await db.scalar(
        select(func.count(Order.id)).where(
            Order.company_id == company_id, Order.status.in_(OPEN_ORDER)
        )
    )
    pending = await db.scalar(
        select(func.count(Booking.id)).where(
            Booking.company_id == company_id, Booking.status == BookingStatus.PENDING
        )
    )
    tomorrow = today + dt.timedelta(days=1)
    twelve = today.replace(day=1).replace(year=today.year - 1)
    monthly, by_marketplace = await export_results_batch(
        db,
        [
            ResultsQuery(twelve, tomorrow, GroupBy.MONTH, company_id),
            ResultsQuery(twelve, tomorrow, GroupBy.MARKETPLACE, company_id),
        ],
    )
    outcomes = [
        (booking, outcome)
        for booking, outcome in (
            await db.execute(
                select(Booking, ConsultationOutcome)
                .join(ConsultationOutcome, ConsultationOutcome.booking_id == Booking.id)
                .where(Booking.company_id == company_id)
                .order_by(Booking.start_at.desc())
                .limit(10)
            )
        ).all()
    ]
    return CompanyDashboard(
        todo={
            "listings": listings.get("needs_action", 0),
            "orders": to_ship or 0,
            "consultations": pending or 0,
        },
        listings=listings,
        monthly=monthly,
        by_marketplace=by_marketplace,
        outcomes=outcomes,
    )
