"""What ``make run`` shows of orders: after the demo steps and the first sync,
the demo companies have a history of orders made on the emulators and
imported by the real ``orders.pull`` (shipped with tracking, to ship, late,
at risk, cancelled, an eBay refund, an unmanaged SKU), their stock reserved
and consumed accordingly; the buyers keep ordering; a second start against
the same database makes no second history."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from export_hub.accounts.models import Company
from export_hub.catalog.models import Product
from export_hub.demo import amazon as demo_amazon
from export_hub.demo.command import create_demo_app, load_demo
from export_hub.demo.orders import DAEDEOK, GENTLE_RATE, HANBIT
from export_hub.orders.models import Order, Shipment
from export_hub.stock import ledger
from tests.browser import serve_app
from tests.conftest import make_settings
from tests.sync.test_demo import free_port


def demo_settings(database_url: str, tmp_path: Path):
    amazon, ebay = free_port(), free_port()
    a, e = f"http://127.0.0.1:{amazon}", f"http://127.0.0.1:{ebay}"
    return make_settings(
        database_url,
        tmp_path,
        emulators={"enabled": True, "amazon_port": amazon, "ebay_port": ebay},
        jobs={"embedded": True},
        amazon={
            "endpoints": {"na": a, "eu": a, "fe": a},
            "lwa_token_url": f"{a}/auth/o2/token",
            "consent_url": f"{a}/apps/authorize/consent",
        },
        ebay={
            "authorize_url": f"{e}/oauth2/authorize",
            "token_url": f"{e}/identity/v1/oauth2/token",
            "api_base_url": e,
            "identity_url": f"{e}/commerce/identity/v1/user/",
            "trading_url": f"{e}/ws/api.dll",
        },
    )


async def demo_orders(sessions) -> list[Order]:
    async with sessions() as db:
        return list(
            await db.scalars(
                select(Order)
                .join(Company, Company.id == Order.company_id)
                .where(
                    Company.brn.in_([HANBIT, DAEDEOK]),
                    # Not the year of history from demo.results.
                    ~Order.marketplace_order_id.startswith("DEMO-"),
                )
                .options(selectinload(Order.lines))
                .order_by(Order.id)
            )
        )


async def wait_for_history(sessions) -> list[Order]:
    """Until the refund (the history's last step) is imported."""
    orders: list[Order] = []
    for _ in range(1800):
        orders = await demo_orders(sessions)
        if any(o.refunded > 0 for o in orders):
            return orders
        await asyncio.sleep(0.1)
    return orders


@pytest.mark.slow
async def test_demo_companies_have_orders_and_stock_after_the_demo_steps(
    database_url: str, tmp_path: Path, sessions
) -> None:
    settings = demo_settings(database_url, tmp_path)
    await load_demo(settings)
    async with serve_app(settings, create_demo_app(settings)):
        orders = await wait_for_history(sessions)
    now = dt.datetime.now(dt.UTC)
    companies = {o.company_id for o in orders}
    assert len(companies) == 2, orders
    assert {o.marketplace for o in orders} == {"amazon", "ebay"}
    status = Counter(o.status for o in orders)
    assert status["shipped"] >= 3, status
    assert status["cancelled"] == 1, status
    assert status["unshipped"] >= 4, status
    assert any(o.marketplace == "ebay" and o.refunded > 0 for o in orders)
    open_orders = [o for o in orders if o.status == "unshipped" and o.ship_by]
    late = [o for o in open_orders if o.ship_by.replace(tzinfo=dt.UTC) < now]
    at_risk = [
        o
        for o in open_orders
        if now <= o.ship_by.replace(tzinfo=dt.UTC) < now + dt.timedelta(hours=24)
    ]
    assert late
    assert at_risk
    assert min(o.purchased_at for o in orders).replace(tzinfo=dt.UTC) < now - (
        dt.timedelta(days=14)
    )
    unmanaged = [
        line
        for o in orders
        for line in o.lines
        if line.sku == demo_amazon.UNMANAGED_SKU
    ]
    assert unmanaged
    assert all(line.product_id is None for line in unmanaged)
    async with sessions() as db:
        tracking = set(
            await db.scalars(
                select(Shipment.tracking_number).where(Shipment.status == "confirmed")
            )
        )
        assert len(tracking) >= 3
        products = list(
            await db.scalars(
                select(Product).where(
                    Product.id.in_(
                        [line.product_id for o in orders for line in o.lines]
                    )
                )
            )
        )
        for product in products:
            assert await ledger.verify(db, product.id) == (
                product.quantity,
                product.reserved,
            )
    assert any(p.reserved > 0 for p in products)  # open orders hold stock
    assert any(p.quantity < 100 for p in products)  # shipments consumed it

    # `make run` again: the database keeps the history, none is made twice.
    count = len(orders)
    async with serve_app(settings, create_demo_app(settings)):
        amazon = demo_amazon.SERVING[settings.emulators.amazon_port]
        for _ in range(1200):
            if amazon.state.orders.simulation.orders_per_listing_hour == GENTLE_RATE:
                break  # the buyers run: the history step is behind
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the demo buyers never started")
        history = [o for o in amazon.state.orders.orders.values()
                   if o.created < now - dt.timedelta(hours=1)]  # fmt: skip
    assert history == []
    assert len(await demo_orders(sessions)) == count
