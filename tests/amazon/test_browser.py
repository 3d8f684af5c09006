"""Onboarding in a real browser: Connect Amazon → the emulator's consent page
→ back to Export Hub → connected; then disconnect."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from emulators.amazon import AmazonEmulator
from export_hub.settings import Settings
from tests.amazon.conftest import SELLER, amazon_settings
from tests.browser import browser, log_in  # noqa: F401 - fixtures
from tests.conftest import make_settings
from tests.foundation.helpers import PASSWORD, make_company_user


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def settings(
    database_url: str, tmp_path: Path, emulator: AmazonEmulator, ca_file: Path
) -> Settings:
    port = _free_port()
    amazon = amazon_settings(emulator, ca_file).model_dump(mode="json")
    amazon["lwa_client_secret"] = emulator.config.client_secret
    return make_settings(
        database_url,
        tmp_path,
        amazon=amazon,
        web={"port": port, "public_base_url": f"http://127.0.0.1:{port}"},
    )


@pytest.fixture
async def app_url(settings: Settings) -> AsyncIterator[str]:
    """The app on the port its ``public_base_url`` names (Amazon redirects there)."""
    from export_hub.web.app import create_app

    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", settings.web.port).start()
    yield settings.web.public_base_url
    await runner.cleanup()


@pytest.mark.browser
async def test_company_connects_and_disconnects_amazon(
    browser: Any,  # noqa: F811
    app_url: str,
    sessions: async_sessionmaker[AsyncSession],
    emulator: AmazonEmulator,
) -> None:
    _, user = await make_company_user(sessions)
    # The emulator's certificate comes from a test CA Chromium does not know.
    context = await browser.new_context(
        base_url=app_url, locale="ko-KR", ignore_https_errors=True
    )
    context.set_default_timeout(15_000)
    page = await context.new_page()
    try:
        await log_in(page, user.email, PASSWORD)
        await page.goto("/marketplaces")
        card = page.locator("section.onboarding[data-marketplace=amazon]")
        assert await card.locator("[data-status]").get_attribute("data-status") == (
            "not_connected"
        )
        await card.locator("button[data-action=connect]").click()

        await page.wait_for_url(f"{emulator.base_url}/apps/authorize/consent?**")
        await page.select_option("#seller", SELLER)
        await page.click("#confirm")

        await page.wait_for_url(
            lambda url: url == f"{app_url}/marketplaces?done=connected"
        )
        card = page.locator("section.onboarding[data-marketplace=amazon]")
        assert await card.locator("[data-status]").get_attribute("data-status") == (
            "connected"
        )
        assert SELLER in await card.inner_text()
        test_call = card.locator("li[data-item=test_call]")
        assert await test_call.get_attribute("data-ok") == "yes"

        # Disconnecting asks first (a <details> confirmation, no JavaScript).
        await card.locator("summary[data-action=disconnect]").click()
        await card.locator("button[data-action=confirm-disconnect]").click()
        await page.wait_for_url(
            lambda url: url == f"{app_url}/marketplaces?done=disconnected"
        )
        card = page.locator("section.onboarding[data-marketplace=amazon]")
        assert await card.locator("[data-status]").get_attribute("data-status") == (
            "disconnected"
        )
    finally:
        await context.close()
