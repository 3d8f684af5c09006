"""The onboarding checklist and the emulator judge brands alike, as Amazon
does: a seller-specific product type definition that lists brands restricts
the seller to them (others are refused with 5665); one that lists none leaves
the brand free. The checklist checks the brand listings are sent under."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.base import ListingStatus
from emulators.amazon import EmulatorConfig, SellerConfig
from export_hub.accounts.models import Company, Role
from export_hub.catalog.models import AuditEvent
from export_hub.marketplaces.models import SellerAccount
from tests.amazon import test_onboarding as onboarding
from tests.amazon.conftest import OTHER_SELLER, SELLER, MakeClient, payload
from tests.conftest import login
from tests.foundation.helpers import PASSWORD, make_company_user, make_user

web = onboarding.web
settings = onboarding.settings
browserless = onboarding.browserless

FREE_SELLER = "A3FREESELLER"
FREE_REFRESH = "Atzr|test-refresh-free"


@pytest.fixture
def emulator_config(emulator_config: EmulatorConfig) -> EmulatorConfig:
    emulator_config.sellers.append(
        SellerConfig(FREE_SELLER, [FREE_REFRESH], None, "Free Seller")
    )
    return emulator_config


def brand_item(html: str) -> str:
    found = re.search(r'<li data-item="brand"(.*?)</li>', html, re.S)
    assert found, "no brand item"
    return found.group(1)


async def connect(
    web: Any, http: aiohttp.ClientSession, email: str, seller_id: str
) -> str:
    """Connect as ``seller_id`` (the test call runs); the company's page."""
    csrf = await login(web, email, PASSWORD)
    start = await web.post(
        "/marketplaces/amazon/connect", data={"csrf_token": csrf}, allow_redirects=False
    )
    back = urlsplit(
        await onboarding.consent(http, start.headers["Location"], seller_id)
    )
    answer = await web.get(f"{back.path}?{back.query}", allow_redirects=False)
    assert answer.status == 303, await answer.text()
    html: str = await (await web.get("/marketplaces")).text()
    await web.post("/logout", data={"csrf_token": csrf})
    return html


async def outcome(
    make_client: MakeClient, seller: str, refresh: str, brand: str
) -> Any:
    client = make_client(seller=seller, refresh=refresh)
    sku = f"BR-{seller[:6]}"
    await client.put_listing(payload(sku=sku, brand=brand))
    for _ in range(100):
        state = await client.get_listing(sku)
        if state is not None and state.status is not ListingStatus.PENDING:
            return state
        await asyncio.sleep(0.05)
    raise AssertionError("the listing never settled")


@pytest.mark.parametrize(
    ("seller", "refresh", "ok"),
    [
        (SELLER, "Atzr|test-refresh-hanbit", False),  # lists Hanbit Farm only
        (OTHER_SELLER, "Atzr|test-refresh-onsen", False),  # lists no brand
        (FREE_SELLER, FREE_REFRESH, True),  # no brand restriction
    ],
)
async def test_checklist_and_emulator_agree(
    web: Any,
    sessions: async_sessionmaker[AsyncSession],
    browserless: aiohttp.ClientSession,
    make_client: MakeClient,
    seller: str,
    refresh: str,
    ok: bool,
) -> None:
    company, user = await make_company_user(sessions)
    async with sessions.begin() as db:
        await db.execute(
            update(Company)
            .where(Company.id == company.id)
            .values(own_brand="Daejeon Teahouse", branding_mode="dual")
        )
    item = brand_item(await connect(web, browserless, user.email, seller))
    state = await outcome(make_client, seller, refresh, "Daejeon Teahouse")

    assert ('data-ok="yes"' in item) is ok
    assert (state.status is ListingStatus.LIVE) is ok
    if not ok:
        assert 'data-ok="no"' in item
        assert "Daejeon Teahouse" in item
        assert "셀러 센트럴" in item  # Korean page: Korean checklist
        assert "셀러 센트럴" in item
        assert [i.code for i in state.issues] == ["5665"]


async def test_the_checklist_checks_the_brand_listings_are_sent_under(
    web: Any,
    sessions: async_sessionmaker[AsyncSession],
    browserless: aiohttp.ClientSession,
) -> None:
    company, user = await make_company_user(sessions)
    async with sessions.begin() as db:
        await db.execute(
            update(Company)
            .where(Company.id == company.id)
            .values(own_brand="Hanbit Farm", branding_mode="co-brand")
        )
    # Co-brand: sent under the shared brand, which SELLER is not approved for.
    item = brand_item(await connect(web, browserless, user.email, SELLER))
    assert 'data-ok="no"' in item
    assert "IT&#39;s Daejeon" in item or "IT's Daejeon" in item

    await make_user(sessions, Role.STAFF, "staff@agency.example")
    csrf = await login(web, "staff@agency.example", PASSWORD)
    page = await (await web.get(f"/staff/companies/{company.id}")).text()
    assert 'id="branding"' in page
    saved = await web.post(
        f"/staff/companies/{company.id}/branding",
        data={"csrf_token": csrf, "branding_mode": "dual"},
        allow_redirects=False,
    )
    assert saved.status == 303
    bad = await web.post(
        f"/staff/companies/{company.id}/branding",
        data={"csrf_token": csrf, "branding_mode": "mono"},
        allow_redirects=False,
    )
    assert bad.status == 400
    async with sessions() as db:
        stored = await db.get(Company, company.id)
        events = list(
            await db.scalars(
                select(AuditEvent).where(AuditEvent.action == "company.branding_mode")
            )
        )
        account = await db.scalar(select(SellerAccount))
    assert stored is not None
    assert stored.branding_mode == "dual"
    assert [(e.from_state, e.to_state, e.subject_id) for e in events] == [
        ("co-brand", "dual", company.id)
    ]
    assert account is not None
    detail = await (await web.get(f"/staff/companies/{company.id}/marketplaces")).text()
    assert 'data-ok="yes"' in brand_item(detail)  # now sent as Hanbit Farm


async def test_listings_restrictions_follow_the_same_brand_gate(
    make_client: MakeClient,
) -> None:
    state = await outcome(make_client, FREE_SELLER, FREE_REFRESH, "Daejeon Teahouse")
    asin = state.listing_id
    assert asin
    free = make_client(seller=FREE_SELLER, refresh=FREE_REFRESH)
    restricted = make_client(seller=SELLER, refresh="Atzr|test-refresh-hanbit")
    assert await free.listing_restrictions(asin) == ()
    (reason,) = await restricted.listing_restrictions(asin)
    assert reason.code == "APPROVAL_REQUIRED"
    assert "Daejeon Teahouse" in reason.message
    assert reason.links
    assert reason.links[0].startswith("https://sellercentral.amazon.com/")
    (unknown,) = await free.listing_restrictions("B000000000")
    assert unknown.code == "ASIN_NOT_FOUND"
