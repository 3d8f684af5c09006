"""A seller account connected to one company cannot be connected to another:
the second company is told why on its onboarding page, nothing is stored for
it, and staff see an audit event, the refusal on their pages and an e-mail."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.accounts.models import Role
from export_hub.catalog.models import AuditEvent
from export_hub.mail import OutboxMessage
from export_hub.marketplaces.models import SellerAccount
from tests.amazon import test_onboarding as onboarding
from tests.amazon.conftest import SELLER
from tests.conftest import login
from tests.foundation.helpers import PASSWORD, make_company_user, make_user

# The onboarding tests' fixtures: the web app, its settings, the "browser".
web = onboarding.web
settings = onboarding.settings
browserless = onboarding.browserless
consent = onboarding.consent


async def connect_as(
    web: Any, http: aiohttp.ClientSession, email: str, seller_id: str
) -> Any:
    """Log in as ``email``, consent as ``seller_id``; the callback's answer."""
    csrf = await login(web, email, PASSWORD)
    start = await web.post(
        "/marketplaces/amazon/connect", data={"csrf_token": csrf}, allow_redirects=False
    )
    back = urlsplit(await consent(http, start.headers["Location"], seller_id))
    answer = await web.get(f"{back.path}?{back.query}", allow_redirects=False)
    await web.post("/logout", data={"csrf_token": csrf})
    return answer


async def test_a_second_company_cannot_connect_the_same_seller(
    web: Any,
    sessions: async_sessionmaker[AsyncSession],
    browserless: aiohttp.ClientSession,
) -> None:
    first, first_user = await make_company_user(sessions, 0)
    second, second_user = await make_company_user(sessions, 1)
    await make_user(sessions, Role.STAFF, "staff@agency.example")

    assert (await connect_as(web, browserless, first_user.email, SELLER)).status == 303
    refused = await connect_as(web, browserless, second_user.email, SELLER)
    assert refused.status == 409
    html = await refused.text()
    assert "이미 다른 기업에 연결되어 있어" in html
    assert "already connected to another company" in html
    assert first.name_ko not in html  # the company is not told who holds it

    async with sessions() as db:
        accounts = list(await db.scalars(select(SellerAccount)))
        events = list(
            await db.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "seller_account.refused_taken"
                )
            )
        )
        mails = list(await db.scalars(select(OutboxMessage)))
    assert [(a.company_id, a.seller_id) for a in accounts] == [(first.id, SELLER)]
    assert [(e.subject_id, e.details["holder_company_id"]) for e in events] == [
        (second.id, first.id)
    ]
    assert [m.to_address for m in mails] == ["staff@agency.example"]
    body = mails[0].parsed().get_body()
    assert body is not None
    assert SELLER in body.get_content()

    await login(web, "staff@agency.example", PASSWORD)
    overview = await (await web.get("/staff/onboarding")).text()
    assert f'data-refused-seller="{SELLER}"' in overview
    detail = await (await web.get(f"/staff/companies/{second.id}/marketplaces")).text()
    assert f'data-refused-seller="{SELLER}"' in detail


async def test_the_same_company_may_reconnect_and_a_released_seller_is_free(
    web: Any,
    sessions: async_sessionmaker[AsyncSession],
    browserless: aiohttp.ClientSession,
) -> None:
    _, first_user = await make_company_user(sessions, 0)
    second, second_user = await make_company_user(sessions, 1)
    assert (await connect_as(web, browserless, first_user.email, SELLER)).status == 303
    assert (await connect_as(web, browserless, first_user.email, SELLER)).status == 303

    csrf = await login(web, first_user.email, PASSWORD)
    gone = await web.post(
        "/marketplaces/amazon/disconnect",
        data={"csrf_token": csrf},
        allow_redirects=False,
    )
    assert gone.status == 303
    await web.post("/logout", data={"csrf_token": csrf})
    assert (await connect_as(web, browserless, second_user.email, SELLER)).status == 303
    async with sessions() as db:
        holders = await db.scalars(
            select(SellerAccount.company_id).where(
                SellerAccount.refresh_token_encrypted.is_not(None)
            )
        )
        assert list(holders) == [second.id]


async def test_the_consent_page_preselects_no_existing_seller(
    browserless: aiohttp.ClientSession, web: Any, settings: Any
) -> None:
    url = (
        f"{settings.amazon.consent_url}?application_id="
        f"{settings.amazon.application_id}&state=x"
        f"&redirect_uri={settings.web.public_base_url}/marketplaces/amazon/callback"
    )
    async with browserless.get(url) as page:
        text = await page.text()
    assert '<option value="" selected>A new selling account</option>' in text
    assert f'value="{SELLER}" selected' not in text
