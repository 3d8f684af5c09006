"""Consultation slots: computing them, and booking them under contention.

1. Slot computation (pure, :func:`free_slots`): 10 offices in different zones
   (the six shipped ones plus four more) over 90 days, with 500 existing
   bookings spread over them.
2. Contention (real database, the real service :func:`request_booking`):
   case A, 200 concurrent requests spread over 20 distinct slots of one
   office; case B, 50 concurrent requests on one slot. Every attempt comes
   from its own company. Exactly one request per slot may win, so
   ``winners`` must equal ``distinct_slots``, and every loser must get the
   409 :class:`BookingConflict` with fresh slots (``conflicts``), never an
   error; the run exits non-zero otherwise. ``p50_ms``/``p99_ms`` are one
   request's latency. Each case runs ``--runs`` times on a fresh database
   (SQLite: a temporary file; PostgreSQL: a database made on the server and
   dropped after); the median run by p99 is reported, with ``best_p99_ms``.
   Goals: p99 under 250 ms on SQLite, under 100 ms on PostgreSQL.

Prints one JSON line last: offices, days, bookings, slots, seconds, and
``contention`` per backend and case.

    bench/slots.py --database-url sqlite \
        --database-url postgresql://postgres@127.0.0.1:5432
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.fernet import Fernet
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.accounts.models import Company, Role, User
from export_hub.consultations.booking import (
    BookingConflict,
    BookingRequest,
    request_booking,
)
from export_hub.consultations.models import Office
from export_hub.consultations.offices import OfficeSpec, load_offices, read_offices
from export_hub.consultations.slots import Policy, Span, WeeklyWindow, free_slots
from export_hub.db import create_engine, session_factory
from export_hub.migrations import upgrade
from export_hub.settings import Settings, async_url, load_settings

EXTRA_ZONES = ("Europe/London", "America/New_York", "Asia/Dubai", "Australia/Sydney")
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def policies() -> list[Policy]:
    offices = read_offices(Path("config/offices.toml"))
    result = []
    for spec in offices:
        rules = tuple(
            WeeklyWindow(day, rule.start, rule.end)
            for rule in spec.rules
            for day in rule.weekdays
        )
        result.append(
            Policy(
                zone=spec.time_zone,
                rules=rules,
                meeting_minutes=spec.meeting_minutes,
                buffer_before_minutes=spec.buffer_before_minutes,
                buffer_after_minutes=spec.buffer_after_minutes,
                min_notice=dt.timedelta(hours=24),
                horizon=dt.timedelta(days=120),
            )
        )
    for zone in EXTRA_ZONES:
        rules = tuple(WeeklyWindow(d, dt.time(9), dt.time(17)) for d in range(5))
        result.append(
            Policy(
                zone=zone,
                rules=rules,
                buffer_after_minutes=10,
                horizon=dt.timedelta(days=120),
            )
        )
    return result


def compute(days: int, bookings: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    offices = policies()
    start, end = NOW, NOW + dt.timedelta(days=days)
    busy: list[list[Span]] = [[] for _ in offices]
    for index, office in enumerate(offices):  # existing bookings on offered slots
        offered = free_slots(office, start, end, NOW)
        for slot in rng.sample(offered, min(len(offered), bookings // len(offices))):
            busy[index].append(slot.held(office))
    began = time.perf_counter()
    total = sum(
        len(free_slots(office, start, end, NOW, busy=busy[i]))
        for i, office in enumerate(offices)
    )
    seconds = time.perf_counter() - began
    return {
        "offices": len(offices),
        "days": days,
        "bookings": sum(map(len, busy)),
        "slots": total,
        "seconds": round(seconds, 4),
    }


@dataclass(frozen=True)
class Case:
    """``attempts`` concurrent requests spread over ``slots`` distinct slots."""

    name: str
    attempts: int
    slots: int


CASES = (Case("A", 200, 20), Case("B", 50, 1))
#: p99 goals in milliseconds (issue 13).
GOALS = {"sqlite": 250.0, "postgresql": 100.0}


@asynccontextmanager
async def fresh_database(url: str) -> AsyncIterator[str]:
    """A new, migrated database: a temporary SQLite file, or a database made
    on the PostgreSQL server ``url`` names and dropped afterwards."""
    if url == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            migrated = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
            await asyncio.to_thread(upgrade, migrated)
            yield migrated
        return
    server = make_url(async_url(url))
    name = f"exporthub_bench_{uuid.uuid4().hex[:10]}"
    admin = create_sync_engine(
        server.set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            migrated = server.set(database=name).render_as_string(hide_password=False)
            await asyncio.to_thread(upgrade, migrated)
            yield migrated
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


async def _seed(
    sessions: async_sessionmaker[AsyncSession], case: Case
) -> tuple[Office, list[User]]:
    """One Berlin office open on weekdays 08:00-18:00 (30-minute meetings,
    no buffers, no limits) and one company user per attempt."""
    spec = OfficeSpec(
        code="BENCH",
        name_ko="벤치",
        name_en="Bench",
        city="Berlin",
        country="DE",
        time_zone="Europe/Berlin",
        languages=["ko"],
        meeting_minutes=30,
        rules=[{"weekdays": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}],
    )
    async with sessions.begin() as db:
        [office] = await load_offices(db, [spec], replace=True)
        companies = [
            Company(name_ko=f"벤치 {n}", name_en=f"Bench {n}", brn=f"{n:010d}")
            for n in range(case.attempts)
        ]
        db.add_all(companies)
        await db.flush()
        # Users without a password hash cost: the service does not log in.
        users = [
            User(
                email=f"bench{n}@bench.example",
                password_hash="!",  # noqa: S106 - cannot log in
                role=Role.COMPANY,
                company_id=company.id,
            )
            for n, company in enumerate(companies)
        ]
        db.add_all(users)
    return office, users


async def _warm(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    office: Office,
    users: list[User],
) -> None:
    """What a running server has done already: connections open, statements
    compiled, one win and one loss on a day outside the race."""
    later = dt.datetime(2026, 12, 10, 7, tzinfo=dt.UTC)
    for user in users[:2]:
        with contextlib.suppress(BookingConflict):
            await request_booking(
                sessions,
                settings,
                user,
                BookingRequest(office.id, later, 30, "warm"),
                NOW,
            )

    async def ping() -> None:
        async with sessions() as db:
            await db.execute(text("SELECT 1"))
            await asyncio.sleep(0.05)

    await asyncio.gather(*(ping() for _ in range(5)))


async def contention(url: str, case: Case) -> dict[str, Any]:
    """Race the case's attempts through :func:`request_booking` on ``url``."""
    settings = load_settings(
        database={"url": url},
        web={"session_key": Fernet.generate_key().decode()},
        security={"secret_keys": [Fernet.generate_key().decode()]},
    )
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        office, users = await _seed(sessions, case)
        await _warm(sessions, settings, office, users)
        day = dt.datetime(2026, 12, 3, 7, tzinfo=dt.UTC)  # Thursday 08:00 Berlin
        starts = [day + dt.timedelta(minutes=30 * n) for n in range(case.slots)]
        latencies: list[float] = []
        offered: list[int] = []

        async def attempt(n: int) -> str:
            request = BookingRequest(
                office.id, starts[n % case.slots], 30, f"attempt {n}"
            )
            began = time.perf_counter()
            try:
                await request_booking(sessions, settings, users[n], request, NOW)
                return "won"
            except BookingConflict as exc:
                offered.append(len(exc.slots))
                return "conflict"
            except Exception as exc:  # counted as an error
                return type(exc).__name__
            finally:
                latencies.append((time.perf_counter() - began) * 1000)

        began, cpu = time.perf_counter(), time.process_time()
        outcomes = await asyncio.gather(*(attempt(n) for n in range(case.attempts)))
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    finally:
        await engine.dispose()
    latencies.sort()
    errors = [o for o in outcomes if o not in ("won", "conflict")]
    return {
        "attempts": case.attempts,
        "distinct_slots": case.slots,
        "winners": outcomes.count("won"),
        "conflicts": outcomes.count("conflict"),
        "conflicts_offering_slots": sum(1 for n in offered if n),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(
            latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)], 1
        ),
        "seconds": round(seconds, 3),
        # This process's CPU (the service and the bench's event loop) per
        # attempt: what bounds p99 when every attempt arrives at once.
        "cpu_ms_per_attempt": round(cpu * 1000 / case.attempts, 2),
    }


async def measure(url: str, case: Case, runs: int) -> dict[str, Any]:
    """``runs`` races on fresh databases; the median run by p99, with the best."""
    results = []
    for run in range(runs):
        async with fresh_database(url) as migrated:
            result = await contention(migrated, case)
        print(
            f"  {backend_of(url)} case {case.name} run {run + 1}: {result}",
            file=sys.stderr,
        )
        results.append(result)
    results.sort(key=lambda r: r["p99_ms"])
    median = dict(results[len(results) // 2])
    median["best_p99_ms"] = results[0]["p99_ms"]
    median["runs"] = runs
    median["winners_ok"] = all(
        r["winners"] == case.slots
        and r["conflicts"] == case.attempts - case.slots
        and r["errors"] == 0
        for r in results
    )
    median["goal_p99_ms"] = GOALS[backend_of(url)]
    median["meets_goal"] = median["p99_ms"] < median["goal_p99_ms"]
    return median


def backend_of(url: str) -> str:
    return "sqlite" if url == "sqlite" else "postgresql"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--bookings", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--database-url",
        action="append",
        help="'sqlite' (a temporary file; the default) or a PostgreSQL server "
        "URL such as postgresql://postgres@127.0.0.1:5432 (a fresh database is "
        "made there per run and dropped); repeat for both",
    )
    args = parser.parse_args()
    result: dict[str, Any] = dict(compute(args.days, args.bookings, args.seed))
    contended: dict[str, dict[str, Any]] = {}
    for url in args.database_url or ["sqlite"]:
        contended[backend_of(url)] = {
            case.name: asyncio.run(measure(url, case, args.runs)) for case in CASES
        }
    result["contention"] = contended
    print(json.dumps(result))
    ok = all(c["winners_ok"] for cases in contended.values() for c in cases.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
