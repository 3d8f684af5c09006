"""Consultation reports for staff: counts per office, per company and by
outcome, and their stacked bar charts (the one chart component of
:mod:`export_hub.reports.charts`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import Company
from export_hub.consultations.models import Booking, BookingStatus, Office
from export_hub.errors import Text
from export_hub.reports.charts import ChartView, Series, chart

STATUSES = tuple(BookingStatus)
STATUS_LABELS = {
    BookingStatus.PENDING: Text("대기", "Pending"),
    BookingStatus.CONFIRMED: Text("확정", "Confirmed"),
    BookingStatus.DECLINED: Text("거절", "Declined"),
    BookingStatus.CANCELLED: Text("취소", "Cancelled"),
    BookingStatus.EXPIRED: Text("만료", "Expired"),
}


@dataclass
class ReportRow:
    label: str
    counts: dict[BookingStatus, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Report:
    by_office: list[ReportRow]
    by_company: list[ReportRow]
    outcomes: ReportRow


async def build_report(
    db: AsyncSession, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> Report:
    """Bookings whose meeting starts in ``[start, end)`` (all when None)."""
    conditions = []
    if start is not None:
        conditions.append(Booking.start_at >= start)
    if end is not None:
        conditions.append(Booking.start_at < end)
    offices: dict[int, ReportRow] = {
        o.id: ReportRow(f"{o.name_ko} ({o.code})")
        for o in await db.scalars(select(Office).order_by(Office.code))
    }
    companies: dict[int, ReportRow] = {}
    outcomes = ReportRow("전체 / All")
    keys = (Booking.office_id, Booking.company_id, Company.name_ko, Booking.status)
    rows = await db.execute(
        select(*keys, func.count(Booking.id))
        .join(Company, Company.id == Booking.company_id)
        .where(*conditions)
        .group_by(*keys)
    )
    for office_id, company_id, company_name, status, count in rows:
        for row in (
            offices[office_id],
            companies.setdefault(company_id, ReportRow(company_name)),
            outcomes,
        ):
            row.counts[status] = row.counts.get(status, 0) + count
    return Report(
        by_office=list(offices.values()),
        by_company=sorted(companies.values(), key=lambda r: (-r.total, r.label)),
        outcomes=outcomes,
    )


def status_chart(rows: list[ReportRow], *, title: str, lang: str) -> ChartView:
    """A horizontal stacked bar per row, one series per booking status, drawn
    by the one chart component."""
    names = [STATUS_LABELS[status].get(lang) for status in STATUSES]
    return chart(
        "bars",
        title=title,
        desc="; ".join(
            f"{row.label}: "
            + ", ".join(
                f"{name} {row.counts.get(status, 0)}"
                for status, name in zip(STATUSES, names, strict=True)
            )
            for row in rows
        )
        or "-",
        categories=[row.label for row in rows],
        series=[
            Series(name, [row.counts.get(status, 0) for row in rows])
            for status, name in zip(STATUSES, names, strict=True)
        ],
        unit=Text("건", "bookings").get(lang),
        empty_text=Text("예약 없음", "No bookings").get(lang),
    )
