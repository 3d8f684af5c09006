"""The KRW rate in force on each day of a period, for every currency.

Follows :func:`export_hub.pricing.rates.rate_on` exactly (the latest rate on
or before the day, stored either way round; the newer direction wins, the
direct one on a tie), but reads the rates once for the whole period instead of
twice per day, so the export-results query can join a day's rate in SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.pricing.models import ExchangeRate
from export_hub.pricing.rates import RATE_PLACES

KRW = "KRW"


@dataclass(frozen=True)
class DayRate:
    """``1 currency = rate KRW`` on ``day``, as entered on ``effective_on``."""

    currency: str
    day: dt.date
    rate: Decimal
    effective_on: dt.date


async def krw_rates(
    session: AsyncSession, start: dt.date, end: dt.date
) -> list[DayRate]:
    """One :class:`DayRate` per currency and day in ``[start, end)`` that has a
    rate (a day before a currency's first rate has none)."""
    rows = (
        await session.execute(
            select(
                ExchangeRate.base_currency,
                ExchangeRate.quote_currency,
                ExchangeRate.rate,
                ExchangeRate.effective_on,
            )
            .where(
                or_(
                    ExchangeRate.quote_currency == KRW,
                    ExchangeRate.base_currency == KRW,
                ),
                ExchangeRate.base_currency != ExchangeRate.quote_currency,
                ExchangeRate.effective_on < end,
            )
            .order_by(ExchangeRate.effective_on)
        )
    ).all()
    # (currency, inverted) -> [(effective_on, rate as 1 currency = x KRW)]
    series: dict[tuple[str, bool], list[tuple[dt.date, Decimal]]] = {}
    for base, quote, rate, effective_on in rows:
        if quote == KRW:
            series.setdefault((base, False), []).append((effective_on, Decimal(rate)))
        else:
            inverse = (Decimal(1) / Decimal(rate)).quantize(RATE_PLACES)
            series.setdefault((quote, True), []).append((effective_on, inverse))
    days: list[DayRate] = []
    for currency in sorted({c for c, _ in series}):
        days.extend(
            _calendar(
                currency,
                series.get((currency, False), []),
                series.get((currency, True), []),
                start,
                end,
            )
        )
    return days


def _calendar(
    currency: str,
    direct: list[tuple[dt.date, Decimal]],
    inverse: list[tuple[dt.date, Decimal]],
    start: dt.date,
    end: dt.date,
) -> list[DayRate]:
    out: list[DayRate] = []
    i = j = 0
    last_direct: tuple[dt.date, Decimal] | None = None
    last_inverse: tuple[dt.date, Decimal] | None = None
    day = start
    while day < end:
        while i < len(direct) and direct[i][0] <= day:
            last_direct, i = direct[i], i + 1
        while j < len(inverse) and inverse[j][0] <= day:
            last_inverse, j = inverse[j], j + 1
        chosen = last_direct
        if last_inverse is not None and (
            last_direct is None or last_inverse[0] > last_direct[0]
        ):
            chosen = last_inverse
        if chosen is not None:
            out.append(DayRate(currency, day, chosen[1], chosen[0]))
        day += dt.timedelta(days=1)
    return out


@dataclass(frozen=True)
class RatePeriod:
    """``1 currency = rate KRW`` on the days ``[valid_from, valid_to)``, as
    entered on ``effective_on``: consecutive days of one :class:`DayRate`."""

    currency: str
    valid_from: dt.date
    valid_to: dt.date
    rate: Decimal
    effective_on: dt.date


def rate_periods(days: list[DayRate]) -> list[RatePeriod]:
    """Collapse a calendar from :func:`krw_rates` into periods (rates change
    rarely, so a year is a dozen rows per currency instead of 365)."""
    periods: list[RatePeriod] = []
    for day in days:
        last = periods[-1] if periods else None
        if (
            last is not None
            and last.currency == day.currency
            and last.valid_to == day.day
            and (last.rate, last.effective_on) == (day.rate, day.effective_on)
        ):
            periods[-1] = RatePeriod(
                last.currency,
                last.valid_from,
                day.day + dt.timedelta(days=1),
                last.rate,
                last.effective_on,
            )
        else:
            periods.append(
                RatePeriod(
                    day.currency,
                    day.day,
                    day.day + dt.timedelta(days=1),
                    day.rate,
                    day.effective_on,
                )
            )
    return periods
