"""Days off come from the ``holidays`` library (Korea by Seoul date, each
office's country by office-local date); configuration adds one-off days."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.consultations.availability import office_policy
from export_hub.consultations.cli import load_offices_command
from export_hub.consultations.models import Office
from export_hub.consultations.offices import (
    ClosedDaySpec,
    add_closed_days,
    load_offices,
    read_offices,
)
from export_hub.consultations.public_holidays import (
    KOREA,
    DaysOff,
    public_holidays,
    public_holidays_between,
)
from export_hub.consultations.slots import SEOUL, free_slots, local_date
from export_hub.settings import Settings

UTC = dt.UTC
D = dt.date


def test_korea_2027_seollal_chuseok_and_substitute_days() -> None:
    korea = public_holidays(KOREA, 2027)
    # Seollal (lunar new year) falls on Sunday 02-07: 02-06..02-08, and the
    # Sunday overlap gives a substitute holiday on Tuesday 02-09.
    assert {D(2027, 2, 6), D(2027, 2, 7), D(2027, 2, 8), D(2027, 2, 9)} <= set(korea)
    assert "Alternative holiday" in korea[D(2027, 2, 9)]
    assert {D(2027, 9, 14), D(2027, 9, 15), D(2027, 9, 16)} <= set(korea)
    assert korea[D(2027, 9, 15)] == "Chuseok"
    # Hangul Day on Saturday 10-09 moves to Monday 10-11.
    assert "Alternative holiday" in korea[D(2027, 10, 11)]
    assert D(2027, 2, 10) not in korea


def test_each_office_country_has_its_own_holidays() -> None:
    assert public_holidays("US", 2026)[D(2026, 11, 26)] == "Thanksgiving Day"
    assert public_holidays("DE", 2027)[D(2027, 3, 26)] == "Good Friday"
    assert D(2027, 1, 11) in public_holidays("JP", 2027)  # Coming of Age Day
    assert D(2027, 4, 30) in public_holidays("VN", 2027)
    assert D(2026, 11, 26) not in public_holidays("DE", 2026)
    assert public_holidays("XX", 2027) == {}


def test_holidays_between_cross_the_new_year() -> None:
    days = [
        day for day, _ in public_holidays_between("US", D(2026, 12, 20), D(2027, 1, 5))
    ]
    assert days == [D(2026, 12, 25), D(2027, 1, 1)]


def test_days_off_are_public_holidays_plus_one_off_days() -> None:
    days = DaysOff("US", frozenset({D(2026, 12, 24)}))
    assert D(2026, 12, 24) in days  # one-off
    assert D(2026, 12, 25) in days  # Christmas Day
    assert D(2026, 12, 23) not in days
    assert D(2026, 12, 25) not in DaysOff("", frozenset({D(2026, 12, 24)}))


@pytest.fixture
async def offices(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> dict[str, Office]:
    async with sessions.begin() as db:
        loaded = await load_offices(
            db, read_offices(settings.consultations.offices_file)
        )
    return {office.code: office for office in loaded}


async def _local_dates(sessions, office: Office, now: dt.datetime, days: int):
    async with sessions() as db:
        policy = await office_policy(db, office)
    slots = free_slots(policy, now, now + dt.timedelta(days=days), now)
    return {local_date(s.start, office.time_zone) for s in slots}, slots


async def test_thanksgiving_closes_los_angeles(sessions, offices) -> None:
    now = dt.datetime(2026, 11, 20, tzinfo=UTC)
    dates, _ = await _local_dates(sessions, offices["LAX"], now, 10)
    # LAX meets Monday to Thursday afternoons and Friday mornings.
    assert {D(2026, 11, 24), D(2026, 11, 25), D(2026, 11, 27)} <= dates
    assert D(2026, 11, 26) not in dates


async def test_chuseok_closes_every_office_by_seoul_date(sessions, offices) -> None:
    now = dt.datetime(2027, 9, 6, tzinfo=UTC)
    dates, slots = await _local_dates(sessions, offices["FRA"], now, 14)
    seoul_dates = {local_date(s.start, SEOUL) for s in slots}
    assert {D(2027, 9, 13), D(2027, 9, 17)} <= dates
    assert not seoul_dates & {D(2027, 9, 14), D(2027, 9, 15), D(2027, 9, 16)}


async def test_one_off_days_from_configuration_stay_closed(sessions, offices) -> None:
    now = dt.datetime(2026, 12, 15, tzinfo=UTC)
    fra = offices["FRA"]
    dates, _ = await _local_dates(sessions, fra, now, 14)
    # Heiligabend is no German public holiday: config/offices.toml closes it.
    assert D(2026, 12, 23) in dates
    assert D(2026, 12, 24) not in dates
    async with sessions.begin() as db:
        added = await add_closed_days(
            db, [ClosedDaySpec(date=D(2026, 12, 22), name="Agency workshop")]
        )
    assert added == 1
    dates, slots = await _local_dates(sessions, fra, now, 14)
    assert D(2026, 12, 22) not in {local_date(s.start, SEOUL) for s in slots}
    assert D(2026, 12, 23) in dates


async def test_loading_adds_the_agency_closures_once(settings, tmp_path) -> None:
    closures = tmp_path / "closures.toml"
    closures.write_text('closures = [{ date = "2027-12-31", name = "종무식" }]\n')
    section = settings.consultations.model_copy(update={"closures_file": closures})
    settings = settings.model_copy(update={"consultations": section})
    assert await load_offices_command(settings, replace=False) == (6, 1)
    assert await load_offices_command(settings, replace=False) == (0, 0)
