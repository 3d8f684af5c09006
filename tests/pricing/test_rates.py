"""Exchange rates in the real database, the price engine on top, the feed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import func, select

from export_hub.db import transaction
from export_hub.pricing.config import RatesSource, load_pricing
from export_hub.pricing.engine import price_listing
from export_hub.pricing.feed import RateFeedError, fetch_feed, parse_feed, store_feed
from export_hub.pricing.models import ExchangeRate
from export_hub.pricing.rates import NoExchangeRate, rate_on, record_rate

ROOT = Path(__file__).resolve().parents[2]
D = Decimal
NOV = dt.date(2026, 11, 1)


async def _seed(sessions) -> None:
    async with transaction(sessions) as db:
        await record_rate(
            db,
            base="USD",
            quote="KRW",
            rate=D("1380"),
            effective_on=NOV,
            source="staff",
        )
        await record_rate(
            db,
            base="KRW",
            quote="USD",
            rate=D("0.00072"),
            effective_on=dt.date(2026, 11, 10),
            source="staff",
        )


async def test_latest_rate_on_or_before_either_direction(sessions) -> None:
    await _seed(sessions)
    async with sessions() as db:
        early = await rate_on(db, "KRW", "USD", dt.date(2026, 11, 5))
        assert early.inverted
        assert early.rate == D("0.000724637681")  # 1 / 1380, 12 places
        assert early.effective_on == NOV
        later = await rate_on(db, "KRW", "USD", dt.date(2026, 12, 1))
        assert later.rate == D("0.00072")
        assert not later.inverted
        with pytest.raises(NoExchangeRate) as info:
            await rate_on(db, "KRW", "EUR", NOV)
        assert "환율" in info.value.text.ko
        assert "KRW→EUR" in info.value.text.en
        with pytest.raises(NoExchangeRate):
            await rate_on(db, "KRW", "USD", dt.date(2026, 10, 31))
        assert (await rate_on(db, "USD", "USD", NOV)).rate == 1


async def test_same_pair_and_date_replaces(sessions) -> None:
    await _seed(sessions)
    async with transaction(sessions) as db:
        await record_rate(
            db,
            base="USD",
            quote="KRW",
            rate=D("1400"),
            effective_on=NOV,
            source="staff",
        )
    async with sessions() as db:
        count = await db.scalar(select(func.count()).select_from(ExchangeRate))
        assert count == 2
        rate = await rate_on(db, "USD", "KRW", NOV)
        assert rate.rate == D("1400")


async def test_price_listing_uses_the_rate_in_force(sessions) -> None:
    await _seed(sessions)
    config = load_pricing(ROOT / "config" / "pricing.toml")
    async with sessions() as db:
        q = await price_listing(
            db,
            config,
            marketplace="amazon",
            marketplace_id="ATVPDKIKX0DER",
            price_krw=39000,
            cost_krw=20000,
            weight_g=120,
            margin_floor_percent=10.0,
            target_price_usd=None,
            on=dt.date(2026, 11, 20),
        )
        assert q.price == D("40.99")
        assert q.rate_date == dt.date(2026, 11, 10)
        explicit = await price_listing(
            db,
            config,
            marketplace="amazon",
            marketplace_id="ATVPDKIKX0DER",
            price_krw=39000,
            cost_krw=20000,
            weight_g=120,
            margin_floor_percent=10.0,
            target_price_usd=D("44.50"),
            on=dt.date(2026, 11, 20),
        )
        assert explicit.price == D("44.50")
        with pytest.raises(NoExchangeRate):
            await price_listing(
                db,
                config,
                marketplace="ebay",
                marketplace_id="EBAY_DE",
                price_krw=39000,
                cost_krw=20000,
                weight_g=120,
                margin_floor_percent=10.0,
                target_price_usd=D("44.50"),
                on=dt.date(2026, 11, 20),
            )


FEED = {"base": "KRW", "date": "2026-11-26", "rates": {"USD": 0.00068, "EUR": 0.00065}}


async def test_feed_from_a_real_http_server(aiohttp_server, sessions) -> None:
    answers = [
        web.json_response(FEED),
        web.Response(status=503),
        web.Response(text="<html>"),
    ]

    async def handler(request: web.Request) -> web.Response:
        assert request.query["from"] == "KRW"
        return answers.pop(0)

    app = web.Application()
    app.router.add_get("/latest", handler)
    server = await aiohttp_server(app, host="127.0.0.1")
    source = RatesSource(enabled=True, url=str(server.make_url("/latest?from=KRW")))
    data = await fetch_feed(source)
    async with transaction(sessions) as db:
        assert await store_feed(db, source, data) == 2
    async with transaction(sessions) as db:  # the same feed again: replaced, not added
        assert await store_feed(db, source, data) == 2
    async with sessions() as db:
        assert await db.scalar(select(func.count()).select_from(ExchangeRate)) == 2
        usd = await rate_on(db, "KRW", "USD", dt.date(2026, 11, 26))
        assert usd.rate == D("0.00068")
        assert usd.source == "feed:127.0.0.1"
    with pytest.raises(RateFeedError, match="HTTP 503"):
        await fetch_feed(source)
    with pytest.raises(RateFeedError, match="not JSON"):
        await fetch_feed(source)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**FEED, "base": "krw"}, "base"),
        ({**FEED, "date": "yesterday"}, "date"),
        ({**FEED, "rates": {}}, "no rates"),
        ({**FEED, "rates": {"USD": -1}}, "USD"),
        ({**FEED, "rates": {"USD": "NaN"}}, "USD"),
        ({**FEED, "rates": {"usd": 0.1}}, "usd"),
    ],
)
def test_feed_validation(data, message: str) -> None:
    with pytest.raises(RateFeedError, match=message):
        parse_feed(data)
