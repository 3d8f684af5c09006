"""The programme report: companies onboarded per marketplace and listings
live / needing action, day by day (UTC), as rows, CSV and a server-rendered
SVG chart (no script needed).

Listing history comes from the listing events: each records the listing's
status after it, so the status of every listing at the end of any day is the
status after its last event that day or before.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.listings.models import ListingEvent
from export_hub.marketplaces.models import SellerAccount

SERIES = (
    ("companies_amazon", "#e47911", ("아마존 연결 기업", "Companies on Amazon")),
    ("companies_ebay", "#0064d2", ("이베이 연결 기업", "Companies on eBay")),
    ("listings_live", "#2e7d32", ("판매 중 리스팅", "Listings live")),
    (
        "listings_needs_action",
        "#c62828",
        ("조치 필요 리스팅", "Listings needing action"),
    ),
)


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
    writer.writerow(["date", *(name for name, _, _ in SERIES)])
    for row in rows:
        writer.writerow([row.day.isoformat(), *(row.value(n) for n, _, _ in SERIES)])
    return out.getvalue()


def report_svg(
    rows: list[ReportRow], lang: str = "ko", *, width: int = 760, height: int = 280
) -> str:
    """A line chart of every series, with axes, a legend and a title per point."""
    left, right, top, bottom = 48, 16, 16, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([1, *(row.value(n) for row in rows for n, _, _ in SERIES)])
    n = max(len(rows) - 1, 1)

    def x(i: int) -> float:
        return left + plot_w * i / n

    def y(v: int) -> float:
        return top + plot_h * (1 - v / peak)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" class="chart" width="100%">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" '
        f'y2="{top + plot_h}" stroke="#888"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#888"/>',
    ]
    for tick in sorted({0, peak // 2, peak}):
        parts.append(
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" '
            f'font-size="11">{tick}</text>'
        )
    if rows:
        for i in sorted({0, len(rows) // 2, len(rows) - 1}):
            parts.append(
                f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                f'font-size="11">{rows[i].day.isoformat()}</text>'
            )
    for index, (name, colour, label) in enumerate(SERIES):
        text = label[1] if lang == "en" else label[0]
        points = " ".join(
            f"{x(i):.1f},{y(r.value(name)):.1f}" for i, r in enumerate(rows)
        )
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
            f'points="{points}"><title>{escape(text)}</title></polyline>'
        )
        lx = left + index * (plot_w // len(SERIES))
        parts.append(
            f'<rect x="{lx}" y="{height - 18}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{height - 9}" font-size="11">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
