"""``export-hub emulate ebay`` and ``export-hub ebay import-legacy / migrate``
as real processes talking over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.accounts.models import Company
from export_hub.catalog.models import Product
from export_hub.db import create_engine, session_factory, utcnow
from export_hub.demo.ebay import DEMO_SELLERS, LEGACY_ITEMS, demo_refresh_token
from export_hub.marketplaces.adapters import Grant
from export_hub.marketplaces.service import save_grant
from export_hub.security import SecretBox
from export_hub.settings import Settings
from tests.conftest import make_settings
from tests.sync.test_cli import export_hub

BRN = "3058112341"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    base = f"http://127.0.0.1:{free_port()}"
    return make_settings(
        database_url,
        tmp_path,
        ebay={
            "authorize_url": f"{base}/oauth2/authorize",
            "token_url": f"{base}/identity/v1/oauth2/token",
            "api_base_url": base,
            "identity_url": f"{base}/commerce/identity/v1/user/",
            "trading_url": f"{base}/ws/api.dll",
            "retry_initial_wait_seconds": 0.01,
        },
    )


@contextlib.asynccontextmanager
async def emulator_process(settings: Settings) -> AsyncIterator[None]:
    port = int(settings.ebay.api_base_url.rsplit(":", 1)[1])
    process = await export_hub(settings, "emulate", "ebay", "--port", str(port))
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                await writer.wait_closed()
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the eBay emulator process did not start")
        yield
    finally:
        process.terminate()
        await process.wait()


async def seed(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    username = DEMO_SELLERS[BRN]
    async with sessions.begin() as db:
        company = Company(name_ko="한빛식품", name_en="Hanbit Foods", brn=BRN)
        db.add(company)
        await db.flush()
        db.add(Product(company_id=company.id, sku="HB-HNY-003", name_ko="꿀"))
        await save_grant(
            db,
            SecretBox.from_settings(settings),
            company_id=company.id,
            user_id=None,
            marketplace="ebay",
            marketplace_id="EBAY_US",
            grant=Grant(
                seller_id=username,
                refresh_token=demo_refresh_token(username),
                refresh_token_expires_at=utcnow() + dt.timedelta(days=540),
            ),
        )


async def run(settings: Settings, *args: str) -> str:
    process = await export_hub(settings, *args)
    out, _ = await process.communicate()
    text = out.decode()
    assert process.returncode == 0, text
    return text


async def test_import_and_migrate_from_the_command_line(settings: Settings) -> None:
    engine = create_engine(settings.database.url)
    try:
        await seed(session_factory(engine), settings)
    finally:
        await engine.dispose()
    async with emulator_process(settings):
        text = await run(settings, "ebay", "import-legacy", "--company-brn", BRN)
        assert "imported 2, linked 1; unmatched: HB-OLD-900" in text
        item_id = LEGACY_ITEMS[0][0]  # the demo honey listing
        text = await run(settings, "ebay", "migrate", "--company-brn", BRN, item_id)
        assert f"{item_id} HB-HNY-003 DONE" in text
        missing = await export_hub(
            settings, "ebay", "migrate", "--company-brn", "1", "x"
        )
        out, _ = await missing.communicate()
        assert missing.returncode != 0
        assert "no eBay EBAY_US account for company 1" in out.decode()
