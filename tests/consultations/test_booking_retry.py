"""The booking unit of work runs a transaction again only when it lost a race
(PostgreSQL deadlock or serialization failure), a bounded number of times;
every other database error surfaces at once."""

from __future__ import annotations

import datetime as dt

import psycopg.errors
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from export_hub.consultations.booking import is_lost_race, run_booking_change

NOW = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)


def _failure(error: psycopg.Error) -> OperationalError:
    return OperationalError("UPDATE bookings SET ...", {}, error)


def test_only_deadlocks_and_serialization_failures_are_lost_races() -> None:
    assert is_lost_race(_failure(psycopg.errors.DeadlockDetected()))
    assert is_lost_race(_failure(psycopg.errors.SerializationFailure()))
    assert not is_lost_race(_failure(psycopg.errors.QueryCanceled()))
    assert not is_lost_race(
        IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation())
    )
    assert not is_lost_race(ValueError("40P01"))


class FlakyWork:
    """Work that fails with ``error`` the first ``failures`` times."""

    def __init__(self, error: Exception, failures: int) -> None:
        self.error, self.failures, self.calls = error, failures, 0

    async def __call__(self, db: object) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "committed"


async def _run(sessions, settings, work: FlakyWork, attempts: int = 8) -> str:
    return await run_booking_change(
        sessions,
        settings,
        work,
        office_id=1,
        near=NOW,
        now=NOW,
        attempts=attempts,
    )


async def test_a_lost_race_is_run_again_until_it_commits(sessions, settings) -> None:
    work = FlakyWork(_failure(psycopg.errors.DeadlockDetected()), failures=2)
    assert await _run(sessions, settings, work) == "committed"
    assert work.calls == 3


async def test_lost_races_stop_after_the_attempts(sessions, settings) -> None:
    work = FlakyWork(_failure(psycopg.errors.SerializationFailure()), failures=99)
    with pytest.raises(OperationalError) as raised:
        await _run(sessions, settings, work, attempts=3)
    assert raised.value.orig.sqlstate == "40001"
    assert work.calls == 3


async def test_other_database_errors_are_not_retried(sessions, settings) -> None:
    error = ProgrammingError("SELECT", {}, psycopg.errors.UndefinedTable())
    work = FlakyWork(error, failures=99)
    with pytest.raises(ProgrammingError):
        await _run(sessions, settings, work)
    assert work.calls == 1
