"""Slot computation around daylight-saving transitions (pure, no I/O).

2026: Los Angeles springs forward 03-08 and falls back 11-01; Berlin 03-29 and
10-25. 2027: Los Angeles 03-14 and 11-07; Berlin 03-28 and 10-31.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from export_hub.consultations.slots import (
    SEOUL,
    Policy,
    Span,
    WeeklyWindow,
    claim_units,
    day_starts,
    describe,
    free_slots,
    local_instant,
)

UTC = dt.UTC
LA, BERLIN = "America/Los_Angeles", "Europe/Berlin"


def policy(zone: str, start: str, end: str, **fields: object) -> Policy:
    rules = tuple(
        WeeklyWindow(day, dt.time.fromisoformat(start), dt.time.fromisoformat(end))
        for day in range(7)
    )
    return Policy(
        zone=zone,
        rules=rules,
        min_notice=dt.timedelta(0),
        horizon=dt.timedelta(days=800),
        **fields,
    )  # type: ignore[arg-type]


TRANSITIONS = [
    (LA, dt.date(2026, 3, 8)),
    (LA, dt.date(2026, 11, 1)),
    (LA, dt.date(2027, 3, 14)),
    (LA, dt.date(2027, 11, 7)),
    (BERLIN, dt.date(2026, 3, 29)),
    (BERLIN, dt.date(2026, 10, 25)),
    (BERLIN, dt.date(2027, 3, 28)),
    (BERLIN, dt.date(2027, 10, 31)),
]


@pytest.mark.parametrize(("zone", "day"), TRANSITIONS)
def test_the_offset_really_changes_that_day(zone: str, day: dt.date) -> None:
    tz = ZoneInfo(zone)
    before = dt.datetime.combine(day, dt.time(0, 30), tz).utcoffset()
    after = dt.datetime.combine(day, dt.time(12), tz).utcoffset()
    assert before != after


@pytest.mark.parametrize(("zone", "day"), TRANSITIONS)
def test_working_hours_give_the_same_slots_on_transition_days(
    zone: str, day: dt.date
) -> None:
    office = policy(zone, "09:00", "12:00", meeting_minutes=60, step_minutes=30)
    for offset in (-7, -1, 0, 1, 7):
        slots = day_starts(day + dt.timedelta(days=offset), office, 60)
        walls = [describe(s.start, zone).time.strftime("%H:%M") for s in slots]
        assert walls == ["09:00", "09:30", "10:00", "10:30", "11:00"], (day, offset)
        assert all(
            s.start.tzinfo is UTC or s.start.utcoffset() == dt.timedelta(0)
            for s in slots
        )


@pytest.mark.parametrize(
    ("zone", "day", "local", "utc", "seoul"),
    [
        # Los Angeles, the Friday before and the Monday after spring forward.
        (LA, dt.date(2026, 3, 6), "09:00", "2026-03-06T17:00", "2026-03-07 02:00"),
        (LA, dt.date(2026, 3, 9), "09:00", "2026-03-09T16:00", "2026-03-10 01:00"),
        # An afternoon in Los Angeles is the next morning in Seoul.
        (LA, dt.date(2026, 12, 7), "16:00", "2026-12-08T00:00", "2026-12-08 09:00"),
        (LA, dt.date(2026, 10, 30), "16:00", "2026-10-30T23:00", "2026-10-31 08:00"),
        (LA, dt.date(2026, 11, 2), "16:00", "2026-11-03T00:00", "2026-11-03 09:00"),
        (LA, dt.date(2027, 3, 15), "16:00", "2027-03-15T23:00", "2027-03-16 08:00"),
        (LA, dt.date(2027, 11, 8), "16:00", "2027-11-09T00:00", "2027-11-09 09:00"),
        (BERLIN, dt.date(2026, 3, 27), "08:00", "2026-03-27T07:00", "2026-03-27 16:00"),
        (BERLIN, dt.date(2026, 3, 30), "08:00", "2026-03-30T06:00", "2026-03-30 15:00"),
        (
            BERLIN,
            dt.date(2026, 10, 26),
            "08:00",
            "2026-10-26T07:00",
            "2026-10-26 16:00",
        ),
        (BERLIN, dt.date(2027, 3, 29), "08:00", "2027-03-29T06:00", "2027-03-29 15:00"),
        (BERLIN, dt.date(2027, 11, 1), "08:00", "2027-11-01T07:00", "2027-11-01 16:00"),
    ],
)
def test_local_and_seoul_times(zone, day, local, utc, seoul) -> None:
    start = local_instant(day, dt.time.fromisoformat(local), zone)
    assert start == dt.datetime.fromisoformat(utc).replace(tzinfo=UTC)
    shown = describe(start, SEOUL)
    assert f"{shown.date.isoformat()} {shown.time:%H:%M}" == seoul
    assert shown.abbreviation == "KST"


@pytest.mark.parametrize(
    ("zone", "day", "gap"),
    [
        (LA, dt.date(2026, 3, 8), ("02:00", "02:30")),
        (LA, dt.date(2027, 3, 14), ("02:00", "02:30")),
        (BERLIN, dt.date(2026, 3, 29), ("02:00", "02:30")),
        (BERLIN, dt.date(2027, 3, 28), ("02:00", "02:30")),
    ],
)
def test_gap_times_are_never_offered(
    zone: str, day: dt.date, gap: tuple[str, ...]
) -> None:
    office = policy(zone, "00:00", "05:00", meeting_minutes=60, step_minutes=30)
    now = dt.datetime.combine(day, dt.time(), UTC) - dt.timedelta(days=2)
    start = dt.datetime.combine(day, dt.time(), UTC) - dt.timedelta(hours=12)
    slots = [
        s
        for s in free_slots(office, start, start + dt.timedelta(days=2), now)
        if describe(s.start, zone).date == day
    ]
    walls = [describe(s.start, zone).time.strftime("%H:%M") for s in slots]
    assert not set(gap) & set(walls)
    assert walls == ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30", "04:00"]
    for slot in slots:  # every offered time exists: it survives a round trip
        local = slot.start.astimezone(ZoneInfo(zone))
        assert local.replace(tzinfo=None).replace(tzinfo=ZoneInfo(zone)) == local
    assert len({s.start for s in slots}) == len(slots)
    assert local_instant(day, dt.time(2, 30), zone) is None


@pytest.mark.parametrize(
    ("zone", "day", "ambiguous", "first_reading"),
    [
        (LA, dt.date(2026, 11, 1), "01:00", "2026-11-01T08:00"),  # PDT, not PST
        (LA, dt.date(2027, 11, 7), "01:30", "2027-11-07T08:30"),
        (BERLIN, dt.date(2026, 10, 25), "02:00", "2026-10-25T00:00"),  # CEST
        (BERLIN, dt.date(2027, 10, 31), "02:30", "2027-10-31T00:30"),
    ],
)
def test_ambiguous_times_are_offered_once_at_the_first_reading(
    zone, day, ambiguous, first_reading
) -> None:
    office = policy(zone, "00:00", "04:00", meeting_minutes=30, step_minutes=30)
    slots = day_starts(day, office, 30)
    walls = [describe(s.start, zone).time.strftime("%H:%M") for s in slots]
    assert len(walls) == len(set(walls)) == 8  # 00:00 .. 03:30, each once
    [slot] = [
        s for s in slots if describe(s.start, zone).time.strftime("%H:%M") == ambiguous
    ]
    assert slot.start == dt.datetime.fromisoformat(first_reading).replace(tzinfo=UTC)


def test_notice_horizon_buffers_limits_and_blackouts() -> None:
    office = Policy(
        zone=BERLIN,
        rules=(WeeklyWindow(3, dt.time(8), dt.time(12)),),  # Thursdays
        meeting_minutes=60, step_minutes=30,
        buffer_before_minutes=15, buffer_after_minutes=15,
        min_notice=dt.timedelta(hours=24), horizon=dt.timedelta(days=14),
        max_per_day=2,
        seoul_blackouts=frozenset({dt.date(2026, 12, 24)}),
        closed=frozenset({dt.date(2026, 12, 31)}),
    )  # fmt: skip
    now = dt.datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # Wednesday
    start, end = now, now + dt.timedelta(days=40)
    every = free_slots(office, start, end, now)
    days = sorted({describe(s.start, BERLIN).date for s in every})
    # 12-03 and 12-10 only: 12-17 is past the 14-day horizon.
    assert days == [dt.date(2026, 12, 3), dt.date(2026, 12, 10)]
    assert describe(every[0].start, BERLIN).time == dt.time(9)  # 08:00 is < 24 h away
    busy = [
        Span(
            dt.datetime(2026, 12, 10, 9, 0, tzinfo=UTC),
            dt.datetime(2026, 12, 10, 10, 15, tzinfo=UTC),
        )
    ]  # 10:00-11:00 CET +15
    taken = free_slots(office, start, end, now, busy=busy)
    walls = [
        describe(s.start, BERLIN).time.strftime("%H:%M")
        for s in taken
        if describe(s.start, BERLIN).date == dt.date(2026, 12, 10)
    ]
    # Busy 10:00-11:15 CET. A slot holds 15 min either side: 08:00 and 08:30
    # release by 09:45, free; 09:00 holds until 10:15, taken; so is all after.
    assert walls == ["08:00", "08:30"]
    assert "11:00" not in walls
    full = free_slots(office, start, end, now, day_counts={dt.date(2026, 12, 10): 2})
    assert {describe(s.start, BERLIN).date for s in full} == {dt.date(2026, 12, 3)}


def test_claim_units_cover_the_held_span() -> None:
    span = Span(
        dt.datetime(2026, 12, 3, 6, 45, tzinfo=UTC),
        dt.datetime(2026, 12, 3, 8, 15, tzinfo=UTC),
    )
    units = claim_units(span)
    assert len(units) == 18
    assert units[0] * 300 == int(span.start.timestamp())
    assert (units[-1] + 1) * 300 == int(span.end.timestamp())
