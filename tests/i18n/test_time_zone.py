"""The reader's time zone: Korean time by default, a setting on the account
page, every page's times in it; a bad zone changes nothing."""

from __future__ import annotations

import re

from sqlalchemy import select

from export_hub.accounts.models import Role, User
from export_hub.accounts.service import create_user
from tests.conftest import csrf_from, login

NOW_RE = re.compile(r"<p>(?:지금 시각|Now): ([^<]+)</p>")


async def _user(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions.begin() as db:
        await create_user(
            db, email="abroad@example.com", password="long-enough-pw", role=Role.STAFF
        )


async def test_zone_setting_changes_every_time_shown(client, sessions) -> None:
    await _user(sessions)
    await login(client, "abroad@example.com", "long-enough-pw")
    body = await (await client.get("/account/time-zone?lang=ko")).text()
    assert NOW_RE.search(body).group(1).endswith("(한국 시간)")
    token = await csrf_from(client, "/account/time-zone")
    resp = await client.post(
        "/account/time-zone",
        data={"time_zone": "Europe/Berlin", "csrf_token": token},
        allow_redirects=False,
    )
    assert resp.status == 303
    body = await (await client.get("/account/sessions?lang=en")).text()
    assert "Germany (Berlin) Time" in body
    assert "UTC" not in body
    async with sessions() as db:
        zone = await db.scalar(
            select(User.time_zone).where(User.email == "abroad@example.com")
        )
    assert zone == "Europe/Berlin"


async def test_an_unknown_zone_is_refused_and_changes_nothing(client, sessions) -> None:
    await _user(sessions)
    await login(client, "abroad@example.com", "long-enough-pw")
    token = await csrf_from(client, "/account/time-zone")
    resp = await client.post(
        "/account/time-zone",
        data={"time_zone": "Mars/Olympus", "csrf_token": token},
    )
    assert resp.status == 400
    assert "알 수 없는 시간대" in await resp.text()
    body = await (await client.get("/account/time-zone")).text()
    assert 'value="Asia/Seoul"' in body
