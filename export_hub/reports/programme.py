"""The printable programme report: one calendar year of the programme's
figures for the agency's annual report.

Everything is aggregated in the database or taken from the existing
reports: companies onboarded per marketplace and listings at each month end
(:func:`export_hub.listings.report.programme_report`), export results by
month, ship-to country and marketplace
(:func:`export_hub.reports.results.export_results`), and consultations held
in the year with the outcomes the offices recorded. Days and months are UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.consultations.models import (
    Booking,
    BookingStatus,
    ConsultationOutcome,
    Office,
    OutcomeKind,
)
from export_hub.errors import FieldErrors
from export_hub.listings.report import ReportRow, programme_report
from export_hub.marketplaces.models import SellerAccount
from export_hub.reports.results import GroupBy, Results, ResultsQuery, export_results

FIRST_YEAR = 2000


@dataclass(frozen=True)
class OfficeLine:
    """Consultations one office held in the year, and the deals reported."""

    code: str
    name: str
    held: int
    deals: int
    deal_value_usd: Decimal


@dataclass(frozen=True)
class ProgrammeReport:
    year: int
    #: The last day the figures cover (31 December, or today in the year).
    until: dt.date
    #: Marketplace → companies whose account was connected in the year.
    onboarded: dict[str, int]
    #: The listings report's row at each month end of the year so far.
    month_ends: list[ReportRow]
    by_month: Results
    by_country: Results
    by_marketplace: Results
    offices: list[OfficeLine]
    #: Outcome kind → consultations of the year with that outcome.
    outcomes: dict[OutcomeKind, int]

    @property
    def held(self) -> int:
        return sum(o.held for o in self.offices)

    @property
    def deals(self) -> int:
        return sum(o.deals for o in self.offices)

    @property
    def deal_value_usd(self) -> Decimal:
        return sum((o.deal_value_usd for o in self.offices), Decimal(0))


def parse_year(raw: str | None, today: dt.date) -> int:
    """``?year=`` → a year from 2000 to this one (default this one); raises
    :class:`~export_hub.errors.ValidationFailed` (400) otherwise."""
    if not raw:
        return today.year
    if raw.isdigit() and len(raw) == 4 and FIRST_YEAR <= int(raw) <= today.year:
        return int(raw)
    errors = FieldErrors()
    errors.add(
        "year",
        f"연도는 {FIRST_YEAR}년부터 {today.year}년 사이여야 합니다.",
        f"year must be between {FIRST_YEAR} and {today.year}.",
    )
    errors.raise_if_any()
    raise AssertionError("unreachable")  # pragma: no cover


def _month_ends(year: int, until: dt.date) -> list[dt.date]:
    ends = []
    for month in range(1, 13):
        nxt = dt.date(year + month // 12, month % 12 + 1, 1)
        last = nxt - dt.timedelta(days=1)
        ends.append(min(last, until))
        if last >= until:
            break
    return ends


async def _onboarded(
    db: AsyncSession, start: dt.datetime, end: dt.datetime
) -> dict[str, int]:
    rows = await db.execute(
        select(
            SellerAccount.marketplace,
            func.count(func.distinct(SellerAccount.company_id)),
        )
        .where(SellerAccount.connected_at >= start, SellerAccount.connected_at < end)
        .group_by(SellerAccount.marketplace)
    )
    return {marketplace: int(n) for marketplace, n in rows}


async def _offices(
    db: AsyncSession, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> list[OfficeLine]:
    held = (
        select(Booking.office_id, func.count(Booking.id).label("held"))
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at >= start,
            Booking.start_at < end,
            Booking.end_at < now,
        )
        .group_by(Booking.office_id)
        .subquery()
    )
    deals = (
        select(
            Booking.office_id,
            func.count(ConsultationOutcome.id).label("deals"),
            func.coalesce(func.sum(ConsultationOutcome.deal_value_usd), 0).label(
                "value"
            ),
        )
        .join(ConsultationOutcome, ConsultationOutcome.booking_id == Booking.id)
        .where(
            ConsultationOutcome.kind == OutcomeKind.DEAL,
            Booking.start_at >= start,
            Booking.start_at < end,
        )
        .group_by(Booking.office_id)
        .subquery()
    )
    rows = await db.execute(
        select(
            Office.code,
            Office.name_en,
            func.coalesce(held.c.held, 0),
            func.coalesce(deals.c.deals, 0),
            func.coalesce(deals.c.value, 0),
        )
        .outerjoin(held, held.c.office_id == Office.id)
        .outerjoin(deals, deals.c.office_id == Office.id)
        .order_by(Office.code)
    )
    return [
        OfficeLine(code, name, int(n), int(d), Decimal(str(v)))
        for code, name, n, d, v in rows
    ]


async def _outcomes(
    db: AsyncSession, start: dt.datetime, end: dt.datetime
) -> dict[OutcomeKind, int]:
    rows = await db.execute(
        select(ConsultationOutcome.kind, func.count(ConsultationOutcome.id))
        .join(Booking, Booking.id == ConsultationOutcome.booking_id)
        .where(Booking.start_at >= start, Booking.start_at < end)
        .group_by(ConsultationOutcome.kind)
    )
    found = {OutcomeKind(kind): int(n) for kind, n in rows}
    return {kind: found.get(kind, 0) for kind in OutcomeKind}


async def programme_year(
    db: AsyncSession, year: int, now: dt.datetime
) -> ProgrammeReport:
    """The programme's figures for ``year`` (UTC), up to ``now`` in the
    current year."""
    first = dt.date(year, 1, 1)
    until = min(dt.date(year, 12, 31), now.date())
    end_day = until + dt.timedelta(days=1)
    start = dt.datetime.combine(first, dt.time(), dt.UTC)
    end = dt.datetime.combine(end_day, dt.time(), dt.UTC)
    days = await programme_report(db, until=until, days=(until - first).days + 1)
    by_day = {row.day: row for row in days}

    async def results(group: GroupBy) -> Results:
        return await export_results(db, ResultsQuery(first, end_day, group))

    return ProgrammeReport(
        year=year,
        until=until,
        onboarded=await _onboarded(db, start, end),
        month_ends=[by_day[day] for day in _month_ends(year, until)],
        by_month=await results(GroupBy.MONTH),
        by_country=await results(GroupBy.COUNTRY),
        by_marketplace=await results(GroupBy.MARKETPLACE),
        offices=await _offices(db, start, end, now),
        outcomes=await _outcomes(db, start, end),
    )
