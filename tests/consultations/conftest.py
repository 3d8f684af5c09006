"""Consultation fixtures: the shipped offices, users of every role, an
interpreter and a buyer, on a real database; a pinned clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.accounts.models import Company, Role, User
from export_hub.accounts.service import create_user
from export_hub.consultations.access import CLOCK
from export_hub.consultations.booking import BookingRequest, request_booking
from export_hub.consultations.models import Buyer, Interpreter, Office
from export_hub.consultations.offices import (
    OfficeSpec,
    add_closed_days,
    load_offices,
    read_closures,
    read_offices,
)
from export_hub.settings import Settings
from tests.conftest import login

#: Tuesday 2026-12-01 09:00 in Seoul; Monday 16:00 in Los Angeles.
NOW = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)
PASSWORD = "correct-horse-1"
#: Thursday 2026-12-03 08:00 in Frankfurt (CET) = 16:00 in Seoul.
FRA_SLOT = dt.datetime(2026, 12, 3, 7, 0, tzinfo=dt.UTC)


@dataclass
class World:
    company: Company
    company_user: User
    other_company_user: User
    office_user: User
    staff_user: User
    offices: dict[str, Office]
    interpreter: Interpreter
    buyer: Buyer


async def add_office(
    db: AsyncSession, code: str, zone: str, rules: list[dict[str, Any]], **fields: Any
) -> Office:
    """A test office with only the given rules (and no limits unless given)."""
    spec = OfficeSpec.model_validate(
        {
            "code": code,
            "name_ko": f"{code} 사무소",
            "name_en": f"{code} Office",
            "city": code.title(),
            "country": "DE",
            "time_zone": zone,
            "languages": ["ko", "en"],
            "contact_email": f"{code.lower()}@office.example",
            "rules": rules,
            **fields,
        }
    )
    [office] = await load_offices(db, [spec], replace=True)
    return office


@pytest.fixture
async def world(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> World:
    async with sessions.begin() as db:
        offices = await load_offices(
            db, read_offices(settings.consultations.offices_file)
        )
        await add_closed_days(db, read_closures(settings.consultations.closures_file))
        company = Company(
            name_ko="한빛식품",
            name_en="Hanbit Foods",
            brn="1234567891",
            email="ceo@hanbit.example",
        )
        other = Company(name_ko="대덕공예", name_en="Daedeok Crafts", brn="1234567892")
        db.add_all([company, other])
        await db.flush()
        company_user = await create_user(
            db,
            email="kim@hanbit.example",
            password=PASSWORD,
            role=Role.COMPANY,
            name="김하나",
            company=company,
        )
        other_user = await create_user(
            db,
            email="lee@daedeok.example",
            password=PASSWORD,
            role=Role.COMPANY,
            company=other,
        )
        office_user = await create_user(
            db,
            email="fra@office.example",
            password=PASSWORD,
            role=Role.OFFICE,
            office_code="FRA",
        )
        staff = await create_user(
            db, email="staff@agency.example", password=PASSWORD, role=Role.STAFF
        )
        everyday = [{"weekday": d, "start": "00:00", "end": "23:55"} for d in range(7)]
        interpreter = Interpreter(
            name="Anna Schmidt",
            email="anna@interp.example",
            language_pairs=["ko-de", "ko-en"],
            time_zone="Europe/Berlin",
            availability=everyday,
        )
        buyer = Buyer(
            name="Jonas Weber",
            company="Weber Handel GmbH",
            country="DE",
            email="jonas@weber.example",
            time_zone="Europe/Berlin",
        )
        db.add_all([interpreter, buyer])
        await db.flush()
    return World(
        company=company,
        company_user=company_user,
        other_company_user=other_user,
        office_user=office_user,
        staff_user=staff,
        offices={o.code: o for o in offices},
        interpreter=interpreter,
        buyer=buyer,
    )


async def unlimit(sessions: async_sessionmaker[AsyncSession], code: str) -> Office:
    """Lift an office's per-day and per-company limits."""
    async with sessions.begin() as db:
        from sqlalchemy import select

        office = await db.scalar(select(Office).where(Office.code == code))
        assert office is not None
        office.max_per_day = 0
        office.max_per_company = 0
    return office


async def book(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    user: User,
    office: Office,
    start: dt.datetime,
    minutes: int = 60,
    now: dt.datetime = NOW,
    **fields: Any,
) -> Any:
    request = BookingRequest(
        office.id, start, minutes, fields.pop("topic", "Export to Germany"), **fields
    )
    return await request_booking(sessions, settings, user, request, now)


@pytest.fixture
async def web_client(aiohttp_client: Any, settings: Settings) -> Any:
    """The web app with the consultations clock pinned at :data:`NOW`."""
    from export_hub.web.app import create_app

    app = create_app(settings)
    app[CLOCK].fixed = NOW
    return await aiohttp_client(app)


async def logged_in(client: Any, email: str) -> str:
    return await login(client, email, PASSWORD)
