""" "Connect eBay" end to end: the web app, the emulator's consent page and
token endpoint, tokens encrypted at rest, the checklist, and the browser."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from emulators.ebay import EbayEmulator
from export_hub.db import utcnow
from export_hub.marketplaces.models import SellerAccount
from export_hub.security import SecretBox
from export_hub.settings import Settings
from tests.browser import browser, live_server, log_in, page  # noqa: F401
from tests.conftest import login
from tests.ebay.conftest import RU_NAME
from tests.foundation.helpers import PASSWORD, make_company_user

USERNAME = "hanbit_foods_kr"


@pytest.fixture
async def browserless() -> Any:
    """Plays the company's browser on eBay's side."""
    async with aiohttp.ClientSession() as http:
        yield http


def ebay_board(html: str) -> str:
    found = re.search(r'data-marketplace="ebay">(.*?)</section>', html, re.S)
    assert found, "no eBay section on the page"
    return found.group(1)


async def consent(
    http: aiohttp.ClientSession, url: str, username: str, decision: str = "agree"
) -> str:
    """Open eBay's consent page and answer; returns where eBay sends us back."""
    async with http.get(url) as consent_page:
        assert consent_page.status == 200
        assert "Grant application access" in await consent_page.text()
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    form = {**query, "username": username, "decision": decision}
    async with http.post(url.split("?")[0], data=form, allow_redirects=False) as answer:
        assert answer.status == 302
        return answer.headers["Location"]


async def start(web: Any, csrf: str) -> str:
    resp = await web.post(
        "/marketplaces/ebay/connect", data={"csrf_token": csrf}, allow_redirects=False
    )
    assert resp.status == 303
    return str(resp.headers["Location"])


async def test_connect_ebay_check_and_disconnect_through_the_web(
    web: Any,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    emulator: EbayEmulator,
    browserless: aiohttp.ClientSession,
) -> None:
    _, user = await make_company_user(sessions)
    csrf = await login(web, user.email, PASSWORD)
    html = await (await web.get("/marketplaces")).text()
    assert 'data-status="not_connected"' in ebay_board(html)

    url = await start(web, csrf)
    assert url.startswith(settings.ebay.authorize_url + "?")
    query = parse_qs(urlsplit(url).query)
    assert query["redirect_uri"] == [RU_NAME]
    assert query["client_id"] == [settings.ebay.client_id]
    assert "sell.inventory" in query["scope"][0]
    back = urlsplit(await consent(browserless, url, USERNAME))
    back_query = parse_qs(back.query)
    assert back_query["state"] == query["state"]
    callback = await web.get(
        f"/marketplaces/ebay/callback?{back.query}", allow_redirects=False
    )
    assert callback.status == 303, await callback.text()

    board = ebay_board(await (await web.get("/marketplaces")).text())
    assert 'data-status="connected"' in board
    assert USERNAME in board
    for item in ("connected", "test_call", "ebay_policies", "ebay_location"):
        assert f'data-item="{item}" data-ok="yes"' in board

    async with sessions() as db:
        account = await db.scalar(
            select(SellerAccount).where(SellerAccount.marketplace == "ebay")
        )
    assert account is not None
    assert account.seller_id == USERNAME
    assert account.refresh_token_encrypted
    refresh = SecretBox.from_settings(settings).decrypt(account.refresh_token_encrypted)
    assert emulator.state.refresh_tokens[refresh] == USERNAME
    assert refresh not in account.refresh_token_encrypted
    assert account.refresh_token_expires_at is not None
    assert account.refresh_token_expires_at - utcnow() > dt.timedelta(days=500)
    assert account.setup["opt_in"] == "opted_in"
    assert account.setup["merchant_location_key"] == "daejeon-export-hub"
    assert account.setup["fulfillment_policy_id"]

    again = await web.get(
        f"/marketplaces/ebay/callback?{back.query}", allow_redirects=False
    )
    assert again.status == 400
    assert "The connection request expired" in await again.text()

    emulator.state.revoke_refresh_tokens(USERNAME)
    checked = await web.post(
        "/marketplaces/ebay/check", data={"csrf_token": csrf}, allow_redirects=False
    )
    assert checked.status == 303
    board = ebay_board(await (await web.get("/marketplaces")).text())
    assert 'data-status="expired"' in board

    gone = await web.post(
        "/marketplaces/ebay/disconnect",
        data={"csrf_token": csrf},
        allow_redirects=False,
    )
    assert gone.status == 303
    board = ebay_board(await (await web.get("/marketplaces")).text())
    assert 'data-status="disconnected"' in board


async def test_declined_consent_is_a_clear_error(
    web: Any,
    sessions: async_sessionmaker[AsyncSession],
    browserless: aiohttp.ClientSession,
) -> None:
    _, user = await make_company_user(sessions)
    csrf = await login(web, user.email, PASSWORD)
    back = urlsplit(
        await consent(browserless, await start(web, csrf), USERNAME, "decline")
    )
    assert parse_qs(back.query)["error"] == ["access_denied"]
    answer = await web.get(
        f"/marketplaces/ebay/callback?{back.query}", allow_redirects=False
    )
    assert answer.status == 400
    text = await answer.text()
    assert "eBay 연결이 승인되지 않았습니다" in text
    assert "The eBay connection was not approved" in text
    async with sessions() as db:
        assert await db.scalar(select(SellerAccount)) is None


async def test_pending_business_policy_opt_in_is_reported_honestly(
    web: Any,
    sessions: async_sessionmaker[AsyncSession],
    emulator: EbayEmulator,
    browserless: aiohttp.ClientSession,
) -> None:
    emulator.config.opt_in_delay = 86_400
    _, user = await make_company_user(sessions)
    csrf = await login(web, user.email, PASSWORD)
    back = urlsplit(await consent(browserless, await start(web, csrf), "new_seller_kr"))
    await web.get(f"/marketplaces/ebay/callback?{back.query}", allow_redirects=False)
    board = ebay_board(await (await web.get("/marketplaces")).text())
    assert 'data-status="connected"' in board
    assert 'data-item="ebay_policies" data-ok="no"' in board
    assert "최대 하루" in board  # the checklist speaks the page's language
    assert 'data-item="ebay_location" data-ok="yes"' in board


@pytest.mark.browser
async def test_connect_ebay_in_the_browser(
    page: Any,  # noqa: F811
    live_server: Any,  # noqa: F811
    sessions: async_sessionmaker[AsyncSession],
    emulator: EbayEmulator,
) -> None:
    emulator.config.ru_names[RU_NAME] = live_server.url + "/marketplaces/ebay/callback"
    _, user = await make_company_user(sessions)
    await log_in(page, user.email, PASSWORD)
    await page.goto("/marketplaces")
    await page.click("section[data-marketplace=ebay] button[data-action=connect]")
    await page.wait_for_selector("#agree")
    assert "Grant application access" in await page.content()
    await page.fill("#username", USERNAME)
    await page.click("#agree")
    await page.wait_for_url(re.compile(r".*/marketplaces\?done=connected"))
    badge = page.locator("section[data-marketplace=ebay] [data-status]")
    assert await badge.get_attribute("data-status") == "connected"
    board = page.locator("section[data-marketplace=ebay]")
    assert USERNAME in await board.inner_text()


def test_consent_url_and_status_rules(settings: Settings) -> None:
    from export_hub.marketplaces.ebay import adapter_from_settings
    from export_hub.marketplaces.models import SellerAccount as Row
    from export_hub.marketplaces.service import ConnectionStatus, connection_status

    adapter = adapter_from_settings(settings)
    url = adapter.consent_url(state="abc", marketplace_id="EBAY_GB", redirect_uri="x")
    query = parse_qs(urlsplit(url).query)
    assert query["state"] == ["abc"]
    assert query["response_type"] == ["code"]
    assert "commerce.identity.readonly" in query["scope"][0]
    now = utcnow()
    row = Row(status="connected", refresh_token_encrypted="x")
    row.refresh_token_expires_at = now + dt.timedelta(days=31)
    assert connection_status(row, adapter, now) is ConnectionStatus.CONNECTED
    row.refresh_token_expires_at = now + dt.timedelta(days=29)
    assert connection_status(row, adapter, now) is ConnectionStatus.REAUTHORIZE_SOON
    row.refresh_token_expires_at = now - dt.timedelta(seconds=1)
    assert connection_status(row, adapter, now) is ConnectionStatus.EXPIRED
