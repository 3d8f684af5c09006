"""Shared helpers for browser tests: the real application served on a free
127.0.0.1 port, and Playwright driving Debian's Chromium.

Use the fixtures by importing them into a test module::

    from tests.browser import browser, live_server, page  # noqa: F401

    @pytest.mark.browser
    async def test_something(page, live_server):
        await page.goto(live_server.url + "/login")

Without ``/usr/bin/chromium`` the tests skip with a clear reason, unless
``EXPORT_HUB_REQUIRE_BROWSER=1`` (CI sets it): then they fail.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from export_hub.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip (or, with EXPORT_HUB_REQUIRE_BROWSER=1, fail) without Chromium."""
    if CHROMIUM.exists():
        return
    reason = (
        f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    )
    if os.environ.get("EXPORT_HUB_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + "; EXPORT_HUB_REQUIRE_BROWSER=1 makes this a failure")
    pytest.skip(reason)


@dataclass(frozen=True)
class LiveServer:
    """The application serving on ``url`` (``http://127.0.0.1:<port>``)."""

    url: str
    app: web.Application
    settings: Settings


@asynccontextmanager
async def serve_app(
    settings: Settings, app: web.Application | None = None
) -> AsyncIterator[LiveServer]:
    """Serve ``app`` (default: ``create_app(settings)``) on a free local port."""
    from export_hub.web.app import create_app

    app = app or create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield LiveServer(url=f"http://{host}:{port}", app=app, settings=settings)
    finally:
        await runner.cleanup()


@pytest.fixture
async def live_server(settings: Settings) -> AsyncIterator[LiveServer]:
    """The application for the test's ``settings``, on a real socket."""
    async with serve_app(settings) as server:
        yield server


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """A headless Chromium (Debian's) driven by Playwright."""
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def page(browser: Any, live_server: LiveServer) -> AsyncIterator[Any]:
    """A fresh browser context (no cookies) with a page; relative URLs work."""
    context = await browser.new_context(base_url=live_server.url, locale="ko-KR")
    context.set_default_timeout(15_000)
    page = await context.new_page()
    try:
        yield page
    finally:
        await context.close()


async def log_in(page: Any, email: str, password: str) -> None:
    """Log in through the form (the page follows the redirect)."""
    await page.goto("/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", password)
    await page.click("form.form button[type=submit]")
    await page.wait_for_load_state()


async def log_out(page: Any) -> None:
    await page.click("header form[action='/logout'] button")
    await page.wait_for_load_state()
