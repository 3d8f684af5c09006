"""The staff pricing page: enter rates (CSRF, validation, nothing half-saved)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from export_hub.accounts.models import Role
from export_hub.accounts.service import create_user
from export_hub.db import transaction
from export_hub.pricing.models import ExchangeRate
from tests.conftest import login

PASSWORD = "correct-horse-1"


async def _staff(sessions, role: Role = Role.STAFF, email: str = "staff@example.kr"):
    async with transaction(sessions) as db:
        return await create_user(db, email=email, password=PASSWORD, role=role)


async def test_staff_enters_a_rate(client, sessions) -> None:
    staff = await _staff(sessions)
    token = await login(client, "staff@example.kr", PASSWORD)
    page = await client.get("/staff/pricing")
    assert page.status == 200
    body = await page.text()
    assert "환율" in body
    assert "13.6" in body  # the eBay fee from config/pricing.toml
    resp = await client.post(
        "/staff/pricing/rates",
        data={
            "csrf_token": token,
            "base": "usd",
            "quote": "KRW",
            "rate": "1,380.50",
            "effective_on": "2026-11-20",
        },
        allow_redirects=False,
    )
    assert resp.status == 303
    async with sessions() as db:
        row = await db.scalar(select(ExchangeRate))
    assert row is not None
    assert (row.base_currency, row.quote_currency) == ("USD", "KRW")
    assert row.rate == Decimal("1380.50")
    assert row.effective_on == dt.date(2026, 11, 20)
    assert row.entered_by_user_id == staff.id
    assert "1380.5" in await (await client.get("/staff/pricing")).text()
    resp = await client.post(
        "/staff/pricing/rates",
        data={
            "csrf_token": token,
            "base": "EUR",
            "quote": "KRW",
            "rate": "1500",
            "effective_on": "2026-11-20",
        },
        allow_redirects=False,
    )
    assert resp.status == 303
    listing = await (await client.get("/staff/pricing")).text()
    assert "<td>1500</td>" in listing  # not 1.5E+3


async def test_bad_input_is_a_bilingual_400_and_saves_nothing(client, sessions) -> None:
    await _staff(sessions)
    token = await login(client, "staff@example.kr", PASSWORD)
    for data, fragment in [
        (
            {"base": "USD", "quote": "USD", "rate": "1380"},
            "Pick two different currencies",
        ),
        ({"base": "USD", "quote": "KRW", "rate": "-1"}, "greater than 0"),
        ({"base": "USD", "quote": "KRW", "rate": "abc"}, "greater than 0"),
        ({"base": "US", "quote": "KRW", "rate": "1"}, "3 letters"),
    ]:
        resp = await client.post(
            "/staff/pricing/rates",
            data={"csrf_token": token, "effective_on": "2026-11-20", **data},
        )
        assert resp.status == 400
        text = await resp.text()
        assert "입력한 내용을 확인해 주세요" in text
        await client.get("/staff/pricing?lang=en")
        resp = await client.post(
            "/staff/pricing/rates",
            data={"csrf_token": token, "effective_on": "2026-11-20", **data},
        )
        assert fragment in await resp.text()
        await client.get("/staff/pricing?lang=ko")
    resp = await client.post(
        "/staff/pricing/rates",
        data={
            "csrf_token": token,
            "base": "USD",
            "quote": "KRW",
            "rate": "1",
            "effective_on": "2099-01-01",
        },
    )
    assert resp.status == 400
    async with sessions() as db:
        assert await db.scalar(select(func.count()).select_from(ExchangeRate)) == 0


async def test_csrf_and_roles(client, sessions) -> None:
    resp = await client.get("/staff/pricing", allow_redirects=False)
    assert resp.status in (401, 303)
    await _staff(sessions)
    await login(client, "staff@example.kr", PASSWORD)
    resp = await client.post(
        "/staff/pricing/rates",
        data={
            "base": "USD",
            "quote": "KRW",
            "rate": "1380",
            "effective_on": "2026-11-20",
        },
    )
    assert resp.status == 400
    assert "보안 토큰" in await resp.text()
    async with sessions() as db:
        assert await db.scalar(select(func.count()).select_from(ExchangeRate)) == 0
