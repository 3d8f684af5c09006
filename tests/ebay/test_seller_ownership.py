"""An eBay seller connected to one company cannot be connected to another:
refused with a bilingual message on the onboarding page; staff are told."""

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
from tests.conftest import login
from tests.ebay import test_onboarding as onboarding
from tests.foundation.helpers import PASSWORD, make_company_user, make_user

USERNAME = onboarding.USERNAME
browserless = onboarding.browserless  # the fixture playing the browser on eBay
consent = onboarding.consent
start = onboarding.start


async def connect_as(web: Any, http: aiohttp.ClientSession, email: str) -> Any:
    csrf = await login(web, email, PASSWORD)
    back = urlsplit(await consent(http, await start(web, csrf), USERNAME))
    answer = await web.get(
        f"/marketplaces/ebay/callback?{back.query}", allow_redirects=False
    )
    await web.post("/logout", data={"csrf_token": csrf})
    return answer


async def test_a_second_company_cannot_connect_the_same_ebay_user(
    web: Any,
    sessions: async_sessionmaker[AsyncSession],
    browserless: aiohttp.ClientSession,
) -> None:
    first, first_user = await make_company_user(sessions, 0)
    second, second_user = await make_company_user(sessions, 1)
    await make_user(sessions, Role.STAFF, "staff@agency.example")

    assert (await connect_as(web, browserless, first_user.email)).status == 303
    refused = await connect_as(web, browserless, second_user.email)
    assert refused.status == 409
    html = await refused.text()
    assert "이미 다른 기업에 연결되어 있어" in html
    assert "already connected to another company" in html

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
    assert [(a.company_id, a.seller_id) for a in accounts] == [(first.id, USERNAME)]
    assert [(e.subject_id, e.details["marketplace"]) for e in events] == [
        (second.id, "ebay")
    ]
    assert [m.to_address for m in mails] == ["staff@agency.example"]

    await login(web, "staff@agency.example", PASSWORD)
    overview = await (await web.get("/staff/onboarding")).text()
    assert f'data-refused-seller="{USERNAME}"' in overview
