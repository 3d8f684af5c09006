"""Consultation reports for staff: counts per office, per company and by
outcome, and a server-rendered SVG bar chart (no JavaScript needed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import Company
from export_hub.consultations.models import Booking, BookingStatus, Office
from export_hub.labels import label

STATUSES = tuple(BookingStatus)
COLOURS = {
    BookingStatus.PENDING: "#d08a00",
    BookingStatus.CONFIRMED: "#1b7f3a",
    BookingStatus.DECLINED: "#b00020",
    BookingStatus.CANCELLED: "#5b6775",
    BookingStatus.EXPIRED: "#9a6fb0",
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


def bar_chart(rows: list[ReportRow], *, title: str, lang: str = "ko") -> Markup:
    """A horizontal stacked bar per row, one colour per status, as inline SVG."""
    label_width, bar_width, row_height = 220, 420, 26
    top = 30
    height = top + row_height * max(len(rows), 1) + 40
    most = max((r.total for r in rows), default=0) or 1
    names = {s: escape(label(lang, "booking_status", s)) for s in STATUSES}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {label_width + bar_width + 60} {height}" '
        f'aria-label="{escape(title)}">',
        f'<text x="0" y="16" font-weight="700">{escape(title)}</text>',
    ]
    for index, row in enumerate(rows):
        y = top + index * row_height
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="12">{escape(row.label)}</text>'
        )
        x = float(label_width)
        for status in STATUSES:
            count = row.counts.get(status, 0)
            if not count:
                continue
            width = bar_width * count / most
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{width:.1f}" height="18" '
                f'fill="{COLOURS[status]}">'
                f"<title>{names[status]}: {count}</title></rect>"
            )
            x += width
        parts.append(
            f'<text x="{x + 6:.1f}" y="{y + 16}" font-size="12">{row.total}</text>'
        )
    legend_y = top + row_height * max(len(rows), 1) + 20
    for index, status in enumerate(STATUSES):
        x = label_width + index * 90
        parts.append(
            f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" '
            f'fill="{COLOURS[status]}"/>'
            f'<text x="{x + 16}" y="{legend_y}" font-size="12">{names[status]}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part is escaped above
