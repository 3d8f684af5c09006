"""The eBay demo wiring: the demo emulator and the demo step (idempotent)."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.accounts.models import Company
from export_hub.demo.ebay import (
    DEMO_SELLERS,
    LEGACY_ITEMS,
    connect_demo_ebay_sellers,
    demo_emulator,
)
from export_hub.marketplaces.ebay import adapter_from_settings
from export_hub.marketplaces.models import SellerAccount
from export_hub.marketplaces.service import account_ref
from export_hub.security import SecretBox
from tests.conftest import make_settings


async def test_demo_sellers_connect_to_the_demo_emulator(
    database_url: str, tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions.begin() as db:
        for brn in DEMO_SELLERS:
            db.add(Company(name_ko=brn, name_en=brn, brn=brn))
    emulator = demo_emulator(make_settings(database_url, tmp_path), port=0)
    async with emulator:
        settings = make_settings(
            database_url,
            tmp_path,
            emulators={"enabled": True, "ebay_port": emulator.port},
        )
        assert await connect_demo_ebay_sellers(sessions, settings) == []
        assert await connect_demo_ebay_sellers(sessions, settings) == []
        async with sessions() as db:
            accounts = list(await db.scalars(select(SellerAccount)))
        assert sorted(a.seller_id for a in accounts) == sorted(DEMO_SELLERS.values())
        adapter = adapter_from_settings(settings)
        try:
            hanbit = next(
                a for a in accounts if a.seller_id == DEMO_SELLERS["3058112341"]
            )
            refresh = SecretBox.from_settings(settings).decrypt(
                hanbit.refresh_token_encrypted or ""
            )
            check = await adapter.check_connection(account_ref(hanbit), refresh)
            assert check.setup["opt_in"] == "opted_in"
        finally:
            await adapter.aclose()
        legacy = emulator.state.sellers[hanbit.seller_id].legacy
        assert sorted(legacy) == sorted(item[0] for item in LEGACY_ITEMS)
        query = {
            "client_id": settings.ebay.client_id,
            "redirect_uri": settings.ebay.ru_name,
            "response_type": "code",
            "state": "s",
        }
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{emulator.url}/oauth2/authorize", params=query) as page,
        ):
            assert page.status == 200
            assert 'value="yuseong_cosmetics"' in await page.text()
