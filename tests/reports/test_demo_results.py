"""The demo's year of results: after the demo steps every dashboard and the
programme report have non-empty series, the history is older than the
emulators' window, marked ``DEMO-``, leaves the stock ledger balanced, and a
second run adds nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from export_hub.accounts.models import Company
from export_hub.catalog.models import Product
from export_hub.consultations.models import ConsultationOutcome, OutcomeKind
from export_hub.demo.command import load_demo
from export_hub.demo.orders import DAEDEOK, HANBIT
from export_hub.demo.results import LAST_DAY, history_dates
from export_hub.orders.models import Order
from export_hub.reports.dashboards import company_dashboard, staff_dashboard
from export_hub.reports.programme import programme_year
from export_hub.stock import ledger
from export_hub.web.app import create_app
from tests.conftest import login, make_settings
from tests.orders.test_demo import demo_settings


def test_history_is_deterministic_and_older_than_the_live_window() -> None:
    now = dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC)
    first = history_dates("3058112341-amazon", now)
    assert first == history_dates("3058112341-amazon", now)
    assert first != history_dates("3148620457-amazon", now)
    assert max(first) < now - dt.timedelta(days=LAST_DAY - 1)
    assert min(first) > now - dt.timedelta(days=366)
    assert len(first) > 50


async def test_after_the_demo_steps_every_dashboard_has_series(
    database_url: str, tmp_path: Path, sessions, aiohttp_client
) -> None:
    settings = demo_settings(database_url, tmp_path)
    logins = await load_demo(settings)
    async with sessions() as db:
        count = await db.scalar(select(func.count(Order.id)))
        outcomes = await db.scalar(select(func.count(ConsultationOutcome.id)))
    await load_demo(settings)  # idempotent
    now = dt.datetime.now(dt.UTC)
    async with sessions() as db:
        assert await db.scalar(select(func.count(Order.id))) == count
        assert await db.scalar(select(func.count(ConsultationOutcome.id))) == outcomes
        ids = set(await db.scalars(select(Order.marketplace_order_id)))
        assert ids
        assert all(i.startswith("DEMO-") for i in ids)
        for product in await db.scalars(select(Product)):
            assert await ledger.verify(db, product.id) == (
                product.quantity,
                product.reserved,
            )
        staff = await staff_dashboard(db, now.date(), now)
        months = {r.key for r in staff.monthly.rows if r.sales_krw > 0}
        assert len(months) >= 10, months
        assert {r.key for r in staff.countries.rows} >= {"US", "GB"}
        assert staff.products.rows
        assert staff.this_year.total_krw > 0
        assert staff.consultations_held >= 8
        assert staff.deals >= 2
        assert staff.deal_value_usd > 0
        for brn in (HANBIT, DAEDEOK):
            company = await db.scalar(select(Company).where(Company.brn == brn))
            board = await company_dashboard(db, company.id, now.date())
            assert len({r.key for r in board.monthly.rows}) >= 10
            assert {r.key for r in board.by_marketplace.rows} == {"amazon", "ebay"}
            assert board.outcomes
        years = [await programme_year(db, y, now) for y in (now.year - 1, now.year)]
        assert any(r.by_month.rows for r in years)
        assert any(r.by_country.rows for r in years)
        assert sum(o.held for r in years for o in r.offices if o.code == "LAX") >= 2
        assert sum(r.outcomes[OutcomeKind.DEAL] for r in years) >= 2

    staff_login = next(x for x in logins if x.role == "staff")
    client = await aiohttp_client(create_app(make_settings(database_url, tmp_path)))
    await login(client, staff_login.email, staff_login.password)
    for path in ("/", "/staff/reports/programme", "/staff/reports/listings"):
        body = await (await client.get(path)).text()
        assert 'role="img"' in body, path
    home = await (await client.get("/")).text()
    assert 'class="empty"' not in home
