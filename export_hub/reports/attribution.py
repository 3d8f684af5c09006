"""What the video consultations led to: deals the offices reported and the
sales of the products discussed, per office and per country.

The consultations counted are confirmed meetings that ended in
``[start, end)`` (UTC days) and before ``now``. A group's country is the
buyer's, or the office's when no buyer (or no buyer country) was named.

An order line is *attributed* to a consultation when its product was
discussed there (the outcome's products), the order is the consultation's
company's, and it was purchased from the meeting's end until
``attribution_days`` later (``consultations.attribution_days``). Lines are
netted exactly as in the export results (cancelled units and refunds out,
cancelled and refunded orders count nothing; see :func:`line_sales`). A line
that falls in two windows of the same group counts once for that group.
Sales are per currency, and in KRW at the rate of each purchase day.

Everything is aggregated in the database: the Python side only labels the
groups and applies one KRW rate per group, currency and day.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from export_hub.consultations.models import (
    Booking,
    BookingStatus,
    Buyer,
    ConsultationOutcome,
    Office,
    OutcomeKind,
    OutcomeProduct,
)
from export_hub.orders.models import Order, OrderLine
from export_hub.reports.buckets import day_of
from export_hub.reports.rates import KRW, krw_rates
from export_hub.reports.results import VOID_STATUSES, line_sales

CENT = Decimal("0.01")
SCOPES = ("office", "country")


class in_window(FunctionElement[bool]):
    """``start <= instant < start + days`` for instant columns, on both backends.

    Arguments: the instant, the window's start, the number of days (a bound
    integer).
    """

    type = Boolean()
    inherit_cache = True


@compiles(in_window)
def _window_sqlite(element: in_window, compiler: Any, **kw: Any) -> str:
    # SQLite keeps instants as text; julianday() reads any fractional seconds.
    instant, start, days = (compiler.process(c, **kw) for c in element.clauses)
    return (
        f"(julianday({instant}) >= julianday({start}) AND "
        f"julianday({instant}) < julianday({start}) + {days})"
    )


@compiles(in_window, "postgresql")
def _window_pg(element: in_window, compiler: Any, **kw: Any) -> str:
    instant, start, days = (compiler.process(c, **kw) for c in element.clauses)
    return (
        f"({instant} >= {start} AND "
        f"{instant} < {start} + CAST({days} AS integer) * INTERVAL '1 day')"
    )


@dataclass
class AttributionRow:
    """One office or country: consultations, what they led to, and the
    attributed sales (``sales`` per currency; KRW where a rate existed)."""

    scope: str
    key: str
    label: str
    held: int = 0
    outcomes: int = 0
    deals: int = 0
    deal_value_usd: Decimal = Decimal(0)
    orders: int = 0
    units: int = 0
    sales: dict[str, Decimal] = field(default_factory=dict)
    sales_krw: Decimal = Decimal(0)
    #: Attributed sales on days without a KRW rate (not in ``sales_krw``).
    unconverted: bool = False

    @property
    def sales_label(self) -> str:
        """``EUR 30.00; USD 120.00`` or ``-``."""
        return "; ".join(f"{c} {v:,.2f}" for c, v in sorted(self.sales.items())) or "-"


@dataclass(frozen=True)
class Attribution:
    start: dt.date
    end: dt.date
    days: int
    by_office: list[AttributionRow]
    by_country: list[AttributionRow]

    @property
    def rows(self) -> list[AttributionRow]:
        return self.by_office + self.by_country


def _key(scope: str) -> ColumnElement[Any]:
    if scope == "office":
        return Office.__table__.c.code
    return func.coalesce(func.nullif(Buyer.country, ""), Office.country)


def _held(start: dt.date, end: dt.date, now: dt.datetime) -> tuple[Any, ...]:
    return (
        Booking.status == BookingStatus.CONFIRMED,
        Booking.end_at >= dt.datetime.combine(start, dt.time(), dt.UTC),
        Booking.end_at < dt.datetime.combine(end, dt.time(), dt.UTC),
        Booking.end_at <= now,
    )


async def _counts(
    db: AsyncSession, scope: str, held: tuple[Any, ...]
) -> dict[str, AttributionRow]:
    key = _key(scope).label("key")
    is_deal = ConsultationOutcome.kind == OutcomeKind.DEAL
    rows = await db.execute(
        select(
            key,
            func.count(Booking.id),
            func.count(ConsultationOutcome.id),
            func.sum(case((is_deal, 1), else_=0)),
            func.sum(case((is_deal, ConsultationOutcome.deal_value_usd), else_=0)),
        )
        .select_from(Booking)
        .join(Office, Office.id == Booking.office_id)
        .outerjoin(Buyer, Buyer.id == Booking.buyer_id)
        .outerjoin(ConsultationOutcome, ConsultationOutcome.booking_id == Booking.id)
        .where(*held)
        .group_by(key)
    )
    return {
        str(k): AttributionRow(
            scope,
            str(k),
            str(k),
            int(n),
            int(recorded),
            int(deals or 0),
            Decimal(str(value or 0)).quantize(CENT),
        )
        for k, n, recorded, deals, value in rows
    }


def _attributed_lines(scope: str, held: tuple[Any, ...], days: int) -> Any:
    """One row per (group, order line) attributed to a consultation of it."""
    o, line = Order.__table__.c, OrderLine.__table__.c
    key = _key(scope).label("key")
    return (
        select(key, line.id.label("line_id"))
        .select_from(Booking)
        .join(Office, Office.id == Booking.office_id)
        .outerjoin(Buyer, Buyer.id == Booking.buyer_id)
        .join(ConsultationOutcome, ConsultationOutcome.booking_id == Booking.id)
        .join(OutcomeProduct, OutcomeProduct.outcome_id == ConsultationOutcome.id)
        .join(OrderLine.__table__, line.product_id == OutcomeProduct.product_id)
        .join(Order.__table__, o.id == line.order_id)
        .where(
            *held,
            o.company_id == Booking.company_id,
            o.status.not_in(VOID_STATUSES),
            in_window(o.purchased_at, Booking.end_at, literal(days)),
        )
        .distinct()
        .subquery("attributed")
    )


async def _sales(
    db: AsyncSession,
    scope: str,
    held: tuple[Any, ...],
    days: int,
    groups: dict[str, AttributionRow],
) -> None:
    o, line = Order.__table__.c, OrderLine.__table__.c
    attributed = _attributed_lines(scope, held, days)
    units = line.quantity - line.cancelled
    day = day_of(o.purchased_at)
    rows = (
        await db.execute(
            select(
                attributed.c.key,
                line.currency,
                day,
                func.count(func.distinct(case((units > 0, o.id)))),
                func.sum(units),
                func.sum(line_sales()),
            )
            .select_from(attributed)
            .join(OrderLine.__table__, line.id == attributed.c.line_id)
            .join(Order.__table__, o.id == line.order_id)
            .group_by(attributed.c.key, line.currency, day)
        )
    ).all()
    if not rows:
        return
    days_seen = [dt.date.fromisoformat(str(r[2])) for r in rows]
    rates = {
        (r.currency, r.day): r.rate
        for r in await krw_rates(
            db, min(days_seen), max(days_seen) + dt.timedelta(days=1)
        )
    }
    for (key, currency, _, orders, units_sum, sales), on in zip(
        rows, days_seen, strict=True
    ):
        row = groups.setdefault(str(key), AttributionRow(scope, str(key), str(key)))
        amount = Decimal(str(sales or 0))
        row.orders += int(orders or 0)
        row.units += int(units_sum or 0)
        row.sales[currency] = (row.sales.get(currency, Decimal(0)) + amount).quantize(
            CENT
        )
        rate = Decimal(1) if currency == KRW else rates.get((currency, on))
        if rate is None:
            row.unconverted = row.unconverted or amount != 0
        else:
            row.sales_krw += (amount * rate).quantize(Decimal(1))


async def _office_labels(db: AsyncSession) -> dict[str, str]:
    rows = await db.execute(select(Office.code, Office.name_ko, Office.name_en))
    return {code: f"{code} · {ko} ({en})" for code, ko, en in rows}


async def consultation_attribution(
    db: AsyncSession, start: dt.date, end: dt.date, now: dt.datetime, days: int
) -> Attribution:
    """Deals and attributed sales of the consultations held in ``[start, end)``,
    per office and per country, each list by deal value then sales."""
    held = _held(start, end, now)
    labels = await _office_labels(db)
    out: dict[str, list[AttributionRow]] = {}
    for scope in SCOPES:
        groups = await _counts(db, scope, held)
        await _sales(db, scope, held, days, groups)
        for row in groups.values():
            if scope == "office":
                row.label = labels.get(row.key, row.key)
        out[scope] = sorted(
            groups.values(),
            key=lambda r: (-r.deal_value_usd, -r.sales_krw, r.label),
        )
    return Attribution(start, end, days, out["office"], out["country"])


CSV_COLUMNS = (
    ("scope", "구분 / Scope"),
    ("key", "코드 / Code"),
    ("label", "이름 / Name"),
    ("held", "진행한 상담 / Consultations held"),
    ("outcomes", "기록된 결과 / Outcomes recorded"),
    ("deals", "계약 / Deals"),
    ("deal_value_usd", "계약 예상 금액(USD) / Expected deal value (USD)"),
    ("orders", "귀속 주문 / Attributed orders"),
    ("units", "귀속 수량 / Attributed units"),
    ("sales", "귀속 매출(통화별) / Attributed sales (per currency)"),
    ("sales_krw", "귀속 매출(원) / Attributed sales (KRW)"),
    ("unconverted", "환율 없는 매출 / Sales without a KRW rate"),
)


def attribution_csv(result: Attribution) -> str:
    """The report as CSV (UTF-8 with BOM for spreadsheet programs)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(
        [f"# {result.start} ~ {result.end - dt.timedelta(days=1)}, "
         f"attribution_days={result.days}"]
    )  # fmt: skip
    writer.writerow([title for _, title in CSV_COLUMNS])
    for row in result.rows:
        values: dict[str, Any] = {
            "scope": row.scope, "key": row.key, "label": row.label,
            "held": row.held, "outcomes": row.outcomes, "deals": row.deals,
            "deal_value_usd": f"{row.deal_value_usd:.2f}", "orders": row.orders,
            "units": row.units, "sales": row.sales_label,
            "sales_krw": f"{row.sales_krw:.0f}",
            "unconverted": "yes" if row.unconverted else "",
        }  # fmt: skip
        values["label"] = _safe(row.label)
        writer.writerow([values[name] for name, _ in CSV_COLUMNS])
    return buffer.getvalue()


def _safe(value: str) -> str:
    """Spreadsheet programs run a cell starting with = + - @ as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
