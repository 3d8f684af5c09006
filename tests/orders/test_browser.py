"""Orders in a real browser, against both emulators: a buyer orders on eBay,
the ``orders.pull`` job imports it, the company (Korean UI) sees it with its
ship-by date in Korean time, confirms the shipment with a carrier and a
tracking number and sees it shipped; eBay's order is fulfilled with that
tracking number, and the next sync lowers the quantity Amazon offers. Another
company gets a 404 for that order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from emulators.amazon import AmazonEmulator
from emulators.amazon.orders import offered_quantity
from emulators.ebay import EbayEmulator
from export_hub.accounts.models import Company, Role
from export_hub.accounts.service import create_user
from export_hub.db import transaction, utcnow
from export_hub.listings.sync.run import run_sync
from export_hub.orders.models import Order
from export_hub.settings import Settings
from jobs.orders import pull
from tests.browser import browser, log_in, serve_app  # noqa: F401
from tests.sync.conftest import (  # noqa: F401
    COMPANIES,
    US,
    amazon,
    amazon_config,
    ebay,
    ebay_config,
    fresh_amazon_tokens,
    seed,
    sync_settings,
)
from tests.sync.test_console import PASSWORD, users

SEOUL = dt.timezone(dt.timedelta(hours=9))
TRACKING = "EG802651335KR"


@pytest.fixture
def settings(
    database_url: str,
    tmp_path,
    amazon: AmazonEmulator,  # noqa: F811
    ebay: EbayEmulator,  # noqa: F811
) -> Settings:
    return sync_settings(database_url, tmp_path, amazon, ebay, jobs={"embedded": True})


@pytest.mark.browser
@pytest.mark.backend("sqlite")
async def test_company_ships_an_ebay_order_and_amazon_offers_less(
    browser: Any,  # noqa: F811
    sessions,
    settings: Settings,
    amazon: AmazonEmulator,  # noqa: F811
    ebay: EbayEmulator,  # noqa: F811
) -> None:
    hanbit, daedeok = COMPANIES
    world = await seed(sessions, settings, ebay)
    await users(sessions, hanbit.brn)
    async with transaction(sessions) as db:
        other = await db.scalar(select(Company).where(Company.brn == daedeok.brn))
        await create_user(
            db,
            email="other@example.com",
            password=PASSWORD,
            role=Role.COMPANY,
            company=other,
        )
    await run_sync(sessions, settings)
    sku = f"{hanbit.prefix}-00000"
    record = amazon.state.listing(hanbit.amazon_seller, US, sku)
    assert record is not None
    offered_before = offered_quantity(record)
    assert offered_before > 0

    # A buyer ordered two minutes ago (eBay shows orders a minute late).
    placed = ebay.state.orders.place_order(
        hanbit.ebay_user, sku, 1, at=utcnow() - dt.timedelta(minutes=2)
    )
    await pull(
        sessions,
        settings,
        now=utcnow(),
        seller_account_id=world.accounts[(hanbit.brn, "ebay")],
    )
    async with sessions() as db:
        order = await db.scalar(
            select(Order).where(Order.marketplace_order_id == placed.order_id)
        )
    assert order is not None
    ship_by = (placed.created + dt.timedelta(days=3)).astimezone(SEOUL)

    async with serve_app(settings) as server:
        context = await browser.new_context(base_url=server.url, locale="ko-KR")
        context.set_default_timeout(15_000)
        page = await context.new_page()
        await log_in(page, "company@example.com", PASSWORD)
        await page.goto("/company/orders")
        row = page.locator("tr.order", has_text=placed.order_id)
        text = await row.text_content()
        assert f"{ship_by:%Y-%m-%d %H:%M} KST" in text
        assert "eBay" in text
        await row.locator("a").click()
        await page.wait_for_url(f"**/company/orders/{order.id}")
        assert "발송 기한 (한국 시간)" in await page.text_content("main")
        await page.select_option("form.shipment select[name=carrier]", "KoreaPost")
        await page.fill("form.shipment input[name=tracking_number]", TRACKING)
        today = dt.datetime.now(SEOUL).date().isoformat()
        await page.fill("form.shipment input[name=shipped_date]", today)
        await page.click("form.shipment button[type=submit]")
        await page.wait_for_load_state()
        main = await page.text_content("main")
        assert TRACKING in main
        assert "발송 완료" in main
        await context.close()

        # Another company: the same order is not found.
        context = await browser.new_context(base_url=server.url, locale="ko-KR")
        page = await context.new_page()
        await log_in(page, "other@example.com", PASSWORD)
        response = await page.goto(f"/company/orders/{order.id}")
        assert response is not None
        assert response.status == 404
        await context.close()

    fulfilled = ebay.state.orders.orders[placed.order_id]
    assert fulfilled.fulfillment_status == "FULFILLED"
    assert [f.get("trackingNumber") for f in fulfilled.fulfillments.values()] == [
        TRACKING
    ]
    # The sale on eBay reaches Amazon at the next sync turn.
    await run_sync(sessions, settings)
    record = amazon.state.listing(hanbit.amazon_seller, US, sku)
    assert record is not None
    assert offered_quantity(record) == offered_before - 1
