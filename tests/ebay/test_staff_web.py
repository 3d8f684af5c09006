"""Staff import a company's existing eBay listings and migrate the ones they
choose, through the web (the emulator plays eBay)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from emulators.ebay import EbayEmulator
from export_hub.accounts.models import Role
from export_hub.catalog.models import Product
from export_hub.db import utcnow
from export_hub.marketplaces.adapters import Grant
from export_hub.marketplaces.models import EbayListingLink
from export_hub.marketplaces.service import save_grant
from export_hub.security import SecretBox
from export_hub.settings import Settings
from tests.conftest import csrf_from, login
from tests.ebay.conftest import SELLER
from tests.foundation.helpers import PASSWORD, make_company_user, make_user


async def connected_company(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    emulator: EbayEmulator,
) -> int:
    company, _ = await make_company_user(sessions)
    emulator.state.add_seller(SELLER, opted_in=True)
    async with sessions.begin() as db:
        db.add(Product(company_id=company.id, sku="HB-HNY-003", name_ko="꿀"))
        await save_grant(
            db,
            SecretBox.from_settings(settings),
            company_id=company.id,
            user_id=None,
            marketplace="ebay",
            marketplace_id="EBAY_US",
            grant=Grant(
                seller_id=SELLER,
                refresh_token=emulator.state.issue_refresh_token(SELLER),
                refresh_token_expires_at=utcnow() + dt.timedelta(days=540),
            ),
        )
    return company.id


def rows(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-item="(\d+)" data-managed-by="(\w+)"', html))


async def test_staff_import_link_and_migrate_chosen_listings(
    web: Any,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    emulator: EbayEmulator,
) -> None:
    company_id = await connected_company(sessions, settings, emulator)
    honey = emulator.state.add_legacy_item(
        SELLER,
        sku="HB-HNY-003",
        title="Acacia Honey 500 g",
        price="18.90",
        currency="USD",
        quantity=12,
        category_id="38180",
    )
    other = emulator.state.add_legacy_item(
        SELLER,
        sku="HB-OLD-900",
        title="Barley Tea 300 g",
        price="9.50",
        currency="USD",
        quantity=30,
        category_id="38180",
    )
    await make_user(sessions, Role.STAFF, "staff@agency.example")
    await login(web, "staff@agency.example", PASSWORD)
    page = f"/staff/companies/{company_id}/ebay"
    overview = await (
        await web.get(f"/staff/companies/{company_id}/marketplaces")
    ).text()
    assert f'href="{page}"' in overview
    csrf = await csrf_from(web, page)

    done = await web.post(
        page + "/import",
        data={"csrf_token": csrf, "marketplace_id": "EBAY_US"},
        allow_redirects=False,
    )
    assert done.status == 303
    html = await (await web.get(done.headers["Location"])).text()
    assert "Imported 2, linked 1" in html
    assert "HB-OLD-900" in html
    assert rows(html) == {honey.item_id: "trading", other.item_id: "trading"}

    refused = await web.post(page + "/migrate", data={"csrf_token": csrf})
    assert refused.status == 400
    assert "Choose the listings to migrate" in await refused.text()

    moved = await web.post(
        page + "/migrate",
        data={
            "csrf_token": csrf,
            "marketplace_id": "EBAY_US",
            "item_id": honey.item_id,
        },
        allow_redirects=False,
    )
    assert moved.status == 303
    html = await (await web.get(moved.headers["Location"])).text()
    assert "Migrated 1 to the Inventory API" in html
    assert rows(html) == {honey.item_id: "inventory", other.item_id: "trading"}
    async with sessions() as db:
        link = await db.scalar(
            select(EbayListingLink).where(EbayListingLink.item_id == honey.item_id)
        )
    assert link is not None
    assert link.offer_id
    assert (
        emulator.state.sellers[SELLER].offers[link.offer_id].listing_id == honey.item_id
    )


async def test_company_users_cannot_use_the_staff_page(
    web: Any,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    emulator: EbayEmulator,
) -> None:
    company_id = await connected_company(sessions, settings, emulator)
    await login(web, "company0@example.kr", PASSWORD)
    answer = await web.get(f"/staff/companies/{company_id}/ebay")
    assert answer.status == 403
