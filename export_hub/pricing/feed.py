"""The optional exchange-rate source: a configured URL fetched by a job.

Expects the JSON shape of frankfurter.app / exchangerate.host::

    {"base": "KRW", "date": "2026-11-26", "rates": {"USD": 0.00068, "EUR": 0.00065}}

Each rate is recorded as ``1 base = rate quote`` effective on ``date``
(idempotent: the same date is replaced, not duplicated). Disabled by default
(``[rates_source] enabled = false`` in ``config/pricing.toml``): then staff
enter rates at ``/staff/pricing``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.errors import ExportHubError
from export_hub.pricing.config import RatesSource
from export_hub.pricing.rates import record_rate

CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


class RateFeedError(ExportHubError):
    """The rate source answered with something unusable."""


async def fetch_feed(source: RatesSource) -> dict[str, Any]:
    """GET the configured URL; raises :class:`RateFeedError` on any failure."""
    timeout = aiohttp.ClientTimeout(total=source.timeout_seconds)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as http,
            http.get(source.url, headers={"Accept": "application/json"}) as resp,
        ):
            if resp.status != 200:
                raise RateFeedError(f"rate source answered HTTP {resp.status}")
            data = await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise RateFeedError(f"rate source unreachable or not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise RateFeedError("rate source JSON is not an object")
    return data


def parse_feed(data: dict[str, Any]) -> tuple[str, dt.date, dict[str, Decimal]]:
    """Validate the feed: base currency, date and positive rates."""
    base = data.get("base")
    if not isinstance(base, str) or not CURRENCY_RE.match(base):
        raise RateFeedError(f"bad base currency {base!r}")
    try:
        day = dt.date.fromisoformat(str(data.get("date")))
    except ValueError:
        raise RateFeedError(f"bad date {data.get('date')!r}") from None
    raw = data.get("rates")
    if not isinstance(raw, dict) or not raw:
        raise RateFeedError("no rates in the feed")
    rates: dict[str, Decimal] = {}
    for quote, value in raw.items():
        try:
            # str() first: a float's binary expansion is not the published rate.
            rate = Decimal(str(value))
        except InvalidOperation:
            raise RateFeedError(f"bad rate for {quote}: {value!r}") from None
        if not CURRENCY_RE.match(str(quote)) or not rate.is_finite() or rate <= 0:
            raise RateFeedError(f"bad rate for {quote}: {value!r}")
        rates[str(quote)] = rate
    return base, day, rates


async def store_feed(
    session: AsyncSession, source: RatesSource, data: dict[str, Any]
) -> int:
    """Record every rate in ``data``; returns how many."""
    base, day, rates = parse_feed(data)
    label = f"feed:{urlsplit(source.url).hostname or 'unknown'}"
    for quote, rate in sorted(rates.items()):
        await record_rate(
            session, base=base, quote=quote, rate=rate, effective_on=day, source=label
        )
    return len(rates)
