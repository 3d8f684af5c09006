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

One row per group and currency (sales in different currencies never add up).
One statement in three levels, so Python only labels the rows: per order
(and line currency, and product when grouping by product), which counts an
order once without ``COUNT(DISTINCT)``; per day, joined to the KRW rate
period that covers it; per group. The refunded orders' totals (a few per
cent of the orders) are summed once in a CTE and joined, not recomputed per
line. :func:`export_results_batch` answers several queries in one pass over
the lines (the dashboards).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Numeric,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy import column as sa_column
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from connectors.base import OrderStatus
from export_hub.accounts.models import Company
from export_hub.catalog.models import Product
from export_hub.orders.models import Order, OrderLine
from export_hub.reports.buckets import iso_day, utc_date
from export_hub.reports.rates import KRW, RatePeriod, krw_rates, rate_periods

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


#: The column each grouping needs below the day (``MONTH`` is the day's).
_DIMENSIONS = {
    GroupBy.COMPANY: "company_id",
    GroupBy.MARKETPLACE: "marketplace",
    GroupBy.COUNTRY: "country",
    GroupBy.PRODUCT: "product",
}


def _kept(line: Any) -> ColumnElement[Any]:
    """A line's amount less its cancelled units' share."""
    amount = func.coalesce(line.c.amount, 0)
    return case(
        (
            line.c.quantity > 0,
            amount * (line.c.quantity - line.c.cancelled) / line.c.quantity,
        ),
        else_=literal(0),
    )


def line_sales() -> ColumnElement[Any]:
    """A line's sales after its cancelled units and its share of the refund,
    as one expression over ``orders`` joined to ``order_lines`` (correlated
    subqueries per refunded order; :func:`export_results` joins the refund
    totals once instead)."""
    o, line = Order.__table__.c, OrderLine.__table__
    other = OrderLine.__table__.alias("other_line")
    gross = (
        select(func.sum(func.coalesce(other.c.amount, 0)))
        .where(other.c.order_id == o.id)
        .scalar_subquery()
    )
    order_kept = (
        select(func.sum(_kept(other))).where(other.c.order_id == o.id)
    ).scalar_subquery()
    return _net(_kept(line), o.refunded, gross, order_kept)


def _net(
    kept: ColumnElement[Any],
    refunded: ColumnElement[Any],
    gross: ColumnElement[Any],
    order_kept: ColumnElement[Any],
) -> ColumnElement[Any]:
    """``kept`` less its share (by value) of the order's refund beyond what the
    order's cancellations already removed."""
    beyond = case(
        (refunded > gross - order_kept, refunded - (gross - order_kept)),
        else_=literal(0),
    )
    share = case(
        (and_(refunded > 0, order_kept > 0), kept * beyond / order_kept),
        else_=literal(0),
    )
    return kept - share


def _conditions(
    company_id: int | None, start: dt.date, end: dt.date
) -> list[ColumnElement[bool]]:
    o = Order.__table__.c
    conditions = [
        o.purchased_at >= dt.datetime.combine(start, dt.time(), dt.UTC),
        o.purchased_at < dt.datetime.combine(end, dt.time(), dt.UTC),
        o.status.not_in(VOID_STATUSES),
    ]
    if company_id is not None:
        conditions.append(o.company_id == company_id)
    return conditions


def _per_order(conditions: list[ColumnElement[bool]], names: list[str]) -> Any:
    """Level 1: one row per order and line currency (and product): its units,
    net sales and whether any line kept a unit. Grouping by the order here
    replaces a ``COUNT(DISTINCT order)`` that would sort every line."""
    o, line = Order.__table__.c, OrderLine.__table__
    refunds = (
        select(
            line.c.order_id,
            func.sum(func.coalesce(line.c.amount, 0)).label("gross"),
            func.sum(_kept(line)).label("kept"),
        )
        .select_from(line.join(Order.__table__))
        .where(o.refunded > 0, *conditions)
        .group_by(line.c.order_id)
        .cte("refunds")
    )
    r = refunds.c
    units = line.c.quantity - line.c.cancelled
    available: dict[str, ColumnElement[Any]] = {
        "company_id": o.company_id,
        "marketplace": o.marketplace,
        "country": func.coalesce(o.ship_to_country, ""),
        "product": func.coalesce(line.c.product_id, 0),
    }
    dims = [
        line.c.currency.label("currency"),
        utc_date(o.purchased_at).label("day"),
        *(available[name].label(name) for name in names),
    ]
    return (
        select(
            *dims,
            func.max(units).label("most"),
            func.sum(units).label("units"),
            func.sum(_net(_kept(line), o.refunded, r.gross, r.kept)).label("sales"),
        )
        .select_from(line.join(Order.__table__).outerjoin(refunds, r.order_id == o.id))
        .where(*conditions)
        .group_by(o.id, *dims)
        .subquery("per_order")
    )


def _rated(per_order: Any, names: list[str], periods: list[RatePeriod]) -> Any:
    """Level 2: one row per day, currency and the groupings' columns, with the
    KRW rate in force that day."""
    p = per_order.c
    dims = [p.currency, *(p[name] for name in names)]
    daily = (
        select(
            *dims,
            iso_day(p.day).label("day"),
            func.sum(case((p.most > 0, literal(1)), else_=literal(0))).label("orders"),
            func.sum(p.units).label("units"),
            func.sum(p.sales).label("sales"),
        )
        .group_by(*dims, p.day)
        .subquery("daily")
    )
    d = daily.c
    if not periods:
        # Typed NULLs: PostgreSQL takes an untyped NULL in a CTE for text.
        return select(
            daily,
            cast(null(), Numeric(24, 12)).label("rate"),
            cast(null(), String).label("effective_on"),
        ).cte("rated")
    rates = _rates_table(periods)
    return (
        select(daily, rates.c.rate, rates.c.effective_on)
        .select_from(
            daily.outerjoin(
                rates,
                and_(
                    rates.c.currency == d.currency,
                    d.day >= rates.c.valid_from,
                    d.day < rates.c.valid_to,
                ),
            )
        )
        .cte("rated")
    )


def _key(rated: Any, group_by: GroupBy) -> ColumnElement[Any]:
    c = rated.c
    if group_by is GroupBy.MONTH:
        return func.substr(c.day, 1, 7)
    return cast(c[_DIMENSIONS[group_by]], String)


def _summary(
    rated: Any, index: int, query: ResultsQuery, whole: tuple[dt.date, dt.date]
) -> Any:
    """Level 3: one query's rows, per group and currency, over its days (the
    days filter only when the pass covers more than ``query``: PostgreSQL
    would push it down to every order line)."""
    c = rated.c
    key = _key(rated, query.group_by)
    identity = c.currency == KRW
    rate = case((identity, literal(1)), else_=c.rate)
    statement = select(
        literal(index).label("q"),
        key.label("key"),
        c.currency,
        func.sum(c.orders),
        func.sum(c.units),
        func.sum(c.sales),
        func.sum(c.sales * rate),
        func.sum(case((rate.is_(None), c.sales), else_=literal(0))),
        func.min(c.effective_on),
        func.max(c.effective_on),
        func.min(c.rate),
        func.max(c.rate),
    ).group_by(key, c.currency)
    if (query.start, query.end) != whole:
        statement = statement.where(
            c.day >= query.start.isoformat(), c.day < query.end.isoformat()
        )
    return statement


async def export_results(session: AsyncSession, query: ResultsQuery) -> Results:
    """The export results for ``query``, one row per group and currency, the
    groups ordered by their KRW sales (months in calendar order)."""
    return (await export_results_batch(session, [query]))[0]


async def export_results_batch(
    session: AsyncSession, queries: Sequence[ResultsQuery]
) -> list[Results]:
    """:func:`export_results` for each of ``queries`` (all of one company, or
    all of every company), in at most two statements: one pass over the
    order lines of all their days for the groupings by order attribute and
    month, one for those by product. Raises ``ValueError`` for mixed scopes."""
    if len({q.company_id for q in queries}) > 1:
        raise ValueError("the queries of one batch share their company scope")
    raw: dict[int, list[Any]] = {i: [] for i in range(len(queries))}
    for by_product in (False, True):
        chosen = [
            (i, q)
            for i, q in enumerate(queries)
            if (q.group_by is GroupBy.PRODUCT) is by_product
        ]
        if chosen:
            for row in await _run(session, chosen, by_product):
                raw[row[0]].append(row[1:])
    return [await _results(session, query, raw[i]) for i, query in enumerate(queries)]


async def _run(
    session: AsyncSession, chosen: list[tuple[int, ResultsQuery]], by_product: bool
) -> list[Any]:
    start = min(q.start for _, q in chosen)
    end = max(q.end for _, q in chosen)
    periods = rate_periods(await krw_rates(session, start, end))
    conditions = _conditions(chosen[0][1].company_id, start, end)
    names = sorted(
        {_DIMENSIONS[q.group_by] for _, q in chosen if q.group_by in _DIMENSIONS}
    )
    rated = _rated(_per_order(conditions, names), names, periods)
    statement = union_all(*(_summary(rated, i, q, (start, end)) for i, q in chosen))
    async with _without_jit(session):
        return list((await session.execute(statement)).all())


@asynccontextmanager
async def _without_jit(session: AsyncSession) -> AsyncIterator[None]:
    """Run without PostgreSQL's JIT for the rest of the block: the planner's
    cost estimate of a year of lines passes its thresholds, and compiling
    (seconds under load) costs more than it could save on such a query."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    previous = await session.scalar(
        text("SELECT current_setting('jit'), set_config('jit', 'off', true)")
    )
    try:
        yield
    finally:
        await session.execute(
            text("SELECT set_config('jit', :previous, true)"), {"previous": previous}
        )


async def _results(
    session: AsyncSession, query: ResultsQuery, raw: list[Any]
) -> Results:
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
        rows.sort(key=lambda r: (-totals[r.key], r.label, r.key, r.currency))
    return Results(query=query, rows=rows)


def _rates_table(periods: list[RatePeriod]) -> Any:
    """The rate periods as a ``VALUES`` table both backends read.

    SQLite cannot name a ``VALUES`` table's columns in its alias, but both
    backends call them ``column1``...; the values are dates, ISO currency
    codes and decimals from the database, rendered as literals because
    daily rate changes over five years would pass SQLite's bound-parameter
    limit.
    """
    literals = ", ".join(
        f"('{p.currency}', '{p.valid_from.isoformat()}', "
        f"'{p.valid_to.isoformat()}', {p.rate}, '{p.effective_on.isoformat()}')"
        for p in periods
        if CURRENCY.fullmatch(p.currency)
    )
    names = (
        "column1 AS currency, column2 AS valid_from, column3 AS valid_to,"
        " column4 AS rate, column5 AS effective_on"
    )
    sql = f"SELECT {names} FROM (VALUES {literals}) AS v"  # noqa: S608
    statement = text(sql).columns(
        sa_column("currency", String),
        sa_column("valid_from", String),
        sa_column("valid_to", String),
        sa_column("rate", Numeric(24, 12)),
        sa_column("effective_on", String),
    )
    return statement.subquery("rate_periods")


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
