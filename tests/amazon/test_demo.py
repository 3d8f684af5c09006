"""``make run`` wiring: with emulators enabled, the web app serves the Amazon
emulator itself, the connector points at it, and the demo step connects the
demo companies' seller accounts."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.amazon.transport import AmazonTransport
from export_hub.accounts.models import Role
from export_hub.demo.amazon import DEMO_SELLERS, connect_demo_sellers
from export_hub.demo.catalog import DEMO_DOMAIN, PASSWORDS, load_foundation_demo
from export_hub.marketplaces.endpoints import effective_amazon_settings
from export_hub.marketplaces.models import SellerAccount
from export_hub.settings import Settings
from tests.conftest import csrf_from, login, make_settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_demo_sellers_are_connected_to_the_in_app_emulator(
    aiohttp_client: Any,
    database_url: str,
    tmp_path: Path,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    from export_hub.web.app import create_app

    settings: Settings = make_settings(
        database_url,
        tmp_path,
        emulators={
            "enabled": True,
            "amazon_port": _free_port(),
            "ebay_port": _free_port(),
        },
    )
    port = settings.emulators.amazon_port
    transport = AmazonTransport(effective_amazon_settings(settings))
    assert transport.settings.endpoints["na"] == f"http://127.0.0.1:{port}"
    assert transport.settings.lwa_token_url.startswith(f"http://127.0.0.1:{port}/")
    await load_foundation_demo(sessions, settings)
    await connect_demo_sellers(sessions, settings)
    await connect_demo_sellers(sessions, settings)  # idempotent
    async with sessions() as db:
        accounts = list(
            await db.scalars(
                select(SellerAccount).where(SellerAccount.marketplace == "amazon")
            )
        )
    assert sorted(a.seller_id for a in accounts) == sorted(
        s for s, _ in DEMO_SELLERS.values()
    )

    web = await aiohttp_client(create_app(settings))
    await login(web, f"hanbit@{DEMO_DOMAIN}", PASSWORDS[Role.COMPANY])
    csrf = await csrf_from(web, "/marketplaces")
    checked = await web.post(
        "/marketplaces/amazon/check", data={"csrf_token": csrf}, allow_redirects=False
    )
    assert checked.status == 303
    html = await (await web.get("/marketplaces")).text()
    assert 'data-item="test_call" data-ok="yes"' in html
    assert 'data-item="brand" data-ok="yes"' in html
