"""Export results: orders, units and sales per company, marketplace, ship-to
country, product or month, computed by SQL aggregation in the database.

The figures, for orders purchased in ``[start, end)`` (UTC days):

* An order cancelled or refunded as a whole counts nothing.
* ``units``: ordered minus cancelled units of each line.
* ``sales``: the line totals (gross of marketplace fees) in the line's
  currency, less the cancelled units' share, less the order's refund beyond
  what its cancellations already removed, spread over the lines by value.
* ``orders``: distinct orders with at least one unit left in the group; an
  order holding two products counts under each product.
* ``sales_krw``: each day's sales at the KRW rate in force on the order's
  purchase day (UTC) that the pricing module keeps (see :mod:`.rates`);
  sales on days without a rate stay out of it and are reported as
  ``unconverted``, so no figure silently mixes currencies.

One row per group and currency (sales in different currencies never add up);
the query aggregates per day first, joins the day's rate, then aggregates per
group, so Python only labels the rows.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Numeric,
    String,
    and_,
    case,
    func,
    literal,
    select,
    text,
)
from sqlalchemy import column as sa_column
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from connectors.base import OrderStatus
from export_hub.accounts.models import Company
from export_hub.catalog.models import Product
from export_hub.orders.models import Order, OrderLine
from export_hub.reports.buckets import day_of, month_of
from export_hub.reports.rates import KRW, DayRate, krw_rates

CENT = Decimal("0.01")
#: Orders that count nothing.
VOID_STATUSES = (OrderStatus.CANCELLED.value, OrderStatus.REFUNDED.value)
CURRENCY = re.compile(r"[A-Z]{3}")


class GroupBy(enum.StrEnum):
    COMPANY = "company"
    MARKETPLACE = "marketplace"
    COUNTRY = "country"
    PRODUCT = "product"
    MONTH = "month"


@dataclass(frozen=True)
class ResultsQuery:
    """What to report: a half-open day range, a grouping, and whose orders."""

    start: dt.date
    end: dt.date
    group_by: GroupBy
    #: ``None``: every company (staff).
    company_id: int | None = None

    @property
    def last_day(self) -> dt.date:
        """The last day included (``end`` is exclusive)."""
        return self.end - dt.timedelta(days=1)


@dataclass(frozen=True)
class ResultRow:
    """One group in one currency. Money is exact to the cent; KRW to the won."""

    key: str
    label: str
    currency: str
    orders: int
    units: int
    sales: Decimal
    sales_krw: Decimal
    #: Sales on days without a KRW rate (not in ``sales_krw``).
    unconverted: Decimal
    #: The rates used: first and last effective dates and lowest/highest rate.
    rate_from: dt.date | None
    rate_to: dt.date | None
    rate_min: Decimal | None
    rate_max: Decimal | None

    @property
    def no_rate(self) -> bool:
        return self.unconverted != 0

    @property
    def rate_label(self) -> str:
        """``1380.00 (2026-01-02)``, a range, ``identity`` or ``no rate``."""
        if self.currency == KRW:
            return "identity"
        if self.rate_from is None or self.rate_min is None or self.rate_max is None:
            return "no rate"
        text = (
            f"{self.rate_min:.2f} ({self.rate_from})"
            if self.rate_from == self.rate_to
            else f"{self.rate_min:.2f}–{self.rate_max:.2f} "
            f"({self.rate_from}–{self.rate_to})"
        )
        return f"{text}; no rate for part" if self.no_rate else text

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "currency": self.currency,
            "orders": self.orders,
            "units": self.units,
            "sales": str(self.sales),
            "sales_krw": str(self.sales_krw),
            "unconverted": str(self.unconverted),
            "no_rate": self.no_rate,
            "rate": {
                "from": self.rate_from.isoformat() if self.rate_from else None,
                "to": self.rate_to.isoformat() if self.rate_to else None,
                "min": None if self.rate_min is None else str(self.rate_min),
                "max": None if self.rate_max is None else str(self.rate_max),
                "label": self.rate_label,
            },
        }


@dataclass(frozen=True)
class Results:
    query: ResultsQuery
    rows: list[ResultRow]

    @property
    def total_krw(self) -> Decimal:
        return sum((r.sales_krw for r in self.rows), Decimal(0))

    @property
    def total_units(self) -> int:
        return sum(r.units for r in self.rows)


def _key_column(group_by: GroupBy) -> ColumnElement[Any]:
    o, line = Order.__table__.c, OrderLine.__table__.c
    if group_by is GroupBy.COMPANY:
        return o.company_id
    if group_by is GroupBy.MARKETPLACE:
        return o.marketplace
    if group_by is GroupBy.COUNTRY:
        return func.coalesce(o.ship_to_country, "")
    if group_by is GroupBy.PRODUCT:
        return func.coalesce(line.product_id, 0)
    return month_of(o.purchased_at)


def line_sales() -> ColumnElement[Any]:
    """A line's sales after its cancelled units and its share of the refund."""
    o, line = Order.__table__.c, OrderLine.__table__.c
    other = OrderLine.__table__.alias("other_line")
    amount = func.coalesce(line.amount, 0)
    kept = case(
        (line.quantity > 0, amount * (line.quantity - line.cancelled) / line.quantity),
        else_=literal(0),
    )
    other_amount = func.coalesce(other.c.amount, 0)
    gross = (
        select(func.sum(other_amount)).where(other.c.order_id == o.id).scalar_subquery()
    )
    order_kept = (
        select(
            func.sum(
                case(
                    (
                        other.c.quantity > 0,
                        other_amount
                        * (other.c.quantity - other.c.cancelled)
                        / other.c.quantity,
                    ),
                    else_=literal(0),
                )
            )
        )
        .where(other.c.order_id == o.id)
        .scalar_subquery()
    )
    # The subqueries run only for the few orders with a refund.
    refund_beyond_cancelled = case(
        (o.refunded > gross - order_kept, o.refunded - (gross - order_kept)),
        else_=literal(0),
    )
    refund_share = case(
        (
            and_(o.refunded > 0, order_kept > 0),
            kept * refund_beyond_cancelled / order_kept,
        ),
        else_=literal(0),
    )
    return kept - refund_share


async def export_results(session: AsyncSession, query: ResultsQuery) -> Results:
    """The export results for ``query``, one row per group and currency, the
    groups ordered by their KRW sales (months in calendar order)."""
    o, line = Order.__table__.c, OrderLine.__table__.c
    key = _key_column(query.group_by).label("key")
    start = dt.datetime.combine(query.start, dt.time(), dt.UTC)
    end = dt.datetime.combine(query.end, dt.time(), dt.UTC)
    units = line.quantity - line.cancelled
    conditions = [
        o.purchased_at >= start,
        o.purchased_at < end,
        o.status.not_in(VOID_STATUSES),
    ]
    if query.company_id is not None:
        conditions.append(o.company_id == query.company_id)
    daily = (
        select(
            key,
            line.currency.label("currency"),
            day_of(o.purchased_at).label("day"),
            func.count(func.distinct(case((units > 0, o.id)))).label("orders"),
            func.sum(units).label("units"),
            func.sum(line_sales()).label("sales"),
        )
        .select_from(OrderLine.__table__.join(Order.__table__))
        .where(*conditions)
        .group_by(key, line.currency, day_of(o.purchased_at))
        .subquery("daily")
    )
    rate_rows = await krw_rates(session, query.start, query.end)
    d = daily.c
    rate_value: ColumnElement[Any]
    source: Any
    if rate_rows:
        rates = _rates_table(rate_rows)
        source = daily.outerjoin(
            rates, and_(rates.c.currency == d.currency, rates.c.day == d.day)
        )
        rate_value = rates.c.rate
        effective: ColumnElement[Any] = rates.c.effective_on
    else:
        source = daily
        rate_value = literal(None, Numeric(24, 12))
        effective = literal(None, String)
    identity = d.currency == KRW
    rate = case((identity, literal(1)), else_=rate_value)
    statement = (
        select(
            d.key,
            d.currency,
            func.sum(d.orders),
            func.sum(d.units),
            func.sum(d.sales),
            func.sum(d.sales * rate),
            func.sum(case((rate.is_(None), d.sales), else_=literal(0))),
            func.min(effective),
            func.max(effective),
            func.min(rate_value),
            func.max(rate_value),
        )
        .select_from(source)
        .group_by(d.key, d.currency)
    )
    raw = (await session.execute(statement)).all()
    labels = await _labels(session, query.group_by, {r[0] for r in raw})
    rows = [
        ResultRow(
            key=str(k),
            label=labels.get(str(k), str(k)),
            currency=currency,
            orders=int(orders or 0),
            units=int(units_sum or 0),
            sales=_money(sales),
            sales_krw=_won(krw),
            unconverted=_money(unconverted),
            rate_from=_date(first),
            rate_to=_date(last),
            rate_min=None if low is None else Decimal(str(low)),
            rate_max=None if high is None else Decimal(str(high)),
        )
        for (
            k, currency, orders, units_sum, sales, krw, unconverted,
            first, last, low, high,
        ) in raw
    ]  # fmt: skip
    if query.group_by is GroupBy.MONTH:
        rows.sort(key=lambda r: (r.key, r.currency))
    else:
        totals: dict[str, Decimal] = {}
        for r in rows:
            totals[r.key] = totals.get(r.key, Decimal(0)) + r.sales_krw
        rows.sort(key=lambda r: (-totals[r.key], r.label, r.currency))
    return Results(query=query, rows=rows)


def _rates_table(rows: list[DayRate]) -> Any:
    """The day rates as a ``VALUES`` table both backends read.

    SQLite cannot name a ``VALUES`` table's columns in its alias, but both
    backends call them ``column1``...; the values are dates, ISO currency
    codes and decimals from the database, rendered as literals because a
    five-year range would pass SQLite's bound-parameter limit.
    """
    literals = ", ".join(
        f"('{r.currency}', '{r.day.isoformat()}', {r.rate}, "
        f"'{r.effective_on.isoformat()}')"
        for r in rows
        if CURRENCY.fullmatch(r.currency)
    )
    names = (
        "column1 AS currency, column2 AS day, column3 AS rate, column4 AS effective_on"
    )
    sql = f"SELECT {names} FROM (VALUES {literals}) AS v"  # noqa: S608
    statement = text(sql).columns(
        sa_column("currency", String),
        sa_column("day", String),
        sa_column("rate", Numeric(24, 12)),
        sa_column("effective_on", String),
    )
    return statement.subquery("day_rates")


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def _won(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal(1))


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


async def _labels(
    session: AsyncSession, group_by: GroupBy, keys: set[Any]
) -> dict[str, str]:
    """Readable names for company and product keys (one query, no N+1)."""
    ids = [int(k) for k in keys if k is not None and str(k).isdigit() and int(k)]
    if group_by is GroupBy.COMPANY and ids:
        found = await session.execute(
            select(Company.id, Company.name_ko, Company.name_en).where(
                Company.id.in_(ids)
            )
        )
        return {str(i): f"{ko} ({en})" if en else ko for i, ko, en in found}
    if group_by is GroupBy.PRODUCT:
        labels = {"0": "(관리하지 않는 SKU / unmanaged SKUs)"}
        if ids:
            products = await session.execute(
                select(Product.id, Product.sku, Product.name_en, Product.name_ko).where(
                    Product.id.in_(ids)
                )
            )
            labels |= {str(i): f"{sku} {en or ko}" for i, sku, en, ko in products}
        return labels
    if group_by is GroupBy.COUNTRY:
        return {"": "(미상 / unknown)"}
    return {}
