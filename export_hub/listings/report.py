"""The programme report: companies onboarded per marketplace and listings
live / needing action, day by day (UTC), as rows, CSV and a line chart drawn
by the one chart component (:mod:`export_hub.reports.charts`).

Listing history comes from the listing events: each records the listing's
status after it, so the status of every listing at the end of any day is the
status after its last event that day or before.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.listings.models import ListingEvent
from export_hub.marketplaces.models import SellerAccount
from export_hub.reports.charts import ChartView, Series, chart

SERIES = (
    ("companies_amazon", ("아마존 연결 기업", "Companies on Amazon")),
    ("companies_ebay", ("이베이 연결 기업", "Companies on eBay")),
    ("listings_live", ("판매 중 리스팅", "Listings live")),
    ("listings_needs_action", ("조치 필요 리스팅", "Listings needing action")),
)
TITLE = (
    "일별 연결 기업과 리스팅",
    "Companies connected and listings per day",
)
UNIT = ("개 (기업·리스팅)", "count (companies, listings)")


@dataclass(frozen=True)
class ReportRow:
    day: dt.date
    companies_amazon: int
    companies_ebay: int
    listings_live: int
    listings_needs_action: int

    def value(self, name: str) -> int:
        return int(getattr(self, name))


async def programme_report(
    db: AsyncSession, *, until: dt.date, days: int = 90
) -> list[ReportRow]:
    """One row per day from ``until - days + 1`` to ``until``."""
    start = until - dt.timedelta(days=days - 1)
    accounts = (
        await db.execute(
            select(
                SellerAccount.company_id,
                SellerAccount.marketplace,
                SellerAccount.connected_at,
            )
        )
    ).all()
    events = (
        await db.execute(
            select(
                ListingEvent.listing_id, ListingEvent.at, ListingEvent.details
            ).order_by(ListingEvent.at, ListingEvent.id)
        )
    ).all()
    rows: list[ReportRow] = []
    status: dict[int, str] = {}
    index = 0
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)
        while index < len(events) and events[index][1] < end:
            listing_id, _, details = events[index]
            after = (details or {}).get("status_after")
            if after:
                status[listing_id] = str(after)
            index += 1
        onboarded = {
            m: len({c for c, mk, at in accounts if mk == m and at < end})
            for m in ("amazon", "ebay")
        }
        values = list(status.values())
        rows.append(
            ReportRow(
                day=day,
                companies_amazon=onboarded["amazon"],
                companies_ebay=onboarded["ebay"],
                listings_live=values.count("live"),
                listings_needs_action=values.count("needs_action"),
            )
        )
    return rows


def report_csv(rows: list[ReportRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", *(name for name, _ in SERIES)])
    for row in rows:
        writer.writerow([row.day.isoformat(), *(row.value(n) for n, _ in SERIES)])
    return out.getvalue()


def report_chart(rows: list[ReportRow], lang: str = "ko") -> ChartView:
    """A line chart of every series over the report's days (x: the period)."""
    names = [(label[1] if lang == "en" else label[0]) for _, label in SERIES]
    last = rows[-1] if rows else None
    desc = (
        ", ".join(
            f"{label}: {last.value(name)}"
            for (name, _), label in zip(SERIES, names, strict=True)
        )
        + f" ({last.day.isoformat()})"
        if last
        else "-"
    )
    return chart(
        "lines",
        title=TITLE[1] if lang == "en" else TITLE[0],
        desc=desc,
        categories=[row.day.isoformat() for row in rows],
        series=[
            Series(label, [row.value(name) for row in rows])
            for (name, _), label in zip(SERIES, names, strict=True)
        ],
        unit=UNIT[1] if lang == "en" else UNIT[0],
        width=760,
    )
