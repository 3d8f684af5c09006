"""Exchange-rate queries: the rate in force on a date, and recording rates.

Query functions take a session and never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.errors import ExportHubError, Text
from export_hub.pricing.models import ExchangeRate

#: Rates are stored and inverted with this many significant decimals.
RATE_PLACES = Decimal("1e-12")


class NoExchangeRate(ExportHubError):
    """No rate for the pair on or before the date: staff must enter one."""

    def __init__(self, base: str, quote: str, on: dt.date):
        self.base, self.quote, self.on = base, quote, on
        self.text = Text(
            f"{on} 이전의 {base}→{quote} 환율이 없습니다. "
            "기관 담당자가 가격 설정 화면에서 환율을 입력해 주세요.",
            f"No {base}→{quote} exchange rate on or before {on}. "
            "Staff must enter one on the pricing page.",
        )
        super().__init__(str(self.text))


@dataclass(frozen=True)
class RateInForce:
    """``1 base = rate quote``, as entered on ``effective_on``."""

    base: str
    quote: str
    rate: Decimal
    effective_on: dt.date
    source: str
    inverted: bool = False


async def _latest(
    session: AsyncSession, base: str, quote: str, on: dt.date
) -> ExchangeRate | None:
    return await session.scalar(
        select(ExchangeRate)
        .where(
            ExchangeRate.base_currency == base,
            ExchangeRate.quote_currency == quote,
            ExchangeRate.effective_on <= on,
        )
        .order_by(ExchangeRate.effective_on.desc())
        .limit(1)
    )


async def rate_on(
    session: AsyncSession, base: str, quote: str, on: dt.date
) -> RateInForce:
    """The latest rate on or before ``on``, stored either way round.

    Staff usually enter ``1 USD = 1,380 KRW``; the engine needs
    ``1 KRW = x USD``. The newer of the two directions wins (the direct one on
    a tie). Raises :class:`NoExchangeRate`.
    """
    if base == quote:
        return RateInForce(base, quote, Decimal(1), on, "identity")
    direct = await _latest(session, base, quote, on)
    inverse = await _latest(session, quote, base, on)
    if inverse is not None and (
        direct is None or inverse.effective_on > direct.effective_on
    ):
        return RateInForce(
            base,
            quote,
            (Decimal(1) / Decimal(inverse.rate)).quantize(RATE_PLACES),
            inverse.effective_on,
            inverse.source,
            inverted=True,
        )
    if direct is None:
        raise NoExchangeRate(base, quote, on)
    return RateInForce(
        base, quote, Decimal(direct.rate), direct.effective_on, direct.source
    )


async def record_rate(
    session: AsyncSession,
    *,
    base: str,
    quote: str,
    rate: Decimal,
    effective_on: dt.date,
    source: str,
    user_id: int | None = None,
) -> ExchangeRate:
    """Insert the rate, or replace the one for the same pair and date."""
    row = await session.scalar(
        select(ExchangeRate).where(
            ExchangeRate.base_currency == base,
            ExchangeRate.quote_currency == quote,
            ExchangeRate.effective_on == effective_on,
        )
    )
    if row is None:
        row = ExchangeRate(
            base_currency=base, quote_currency=quote, effective_on=effective_on
        )
        session.add(row)
    row.rate = rate
    row.source = source
    row.entered_by_user_id = user_id
    await session.flush()
    return row


async def recent_rates(session: AsyncSession, limit: int = 100) -> list[ExchangeRate]:
    result = await session.scalars(
        select(ExchangeRate)
        .order_by(ExchangeRate.effective_on.desc(), ExchangeRate.id.desc())
        .limit(limit)
    )
    return list(result)
