"""Consultation slots: computing them, and booking them under contention.

1. Slot computation (pure, :func:`free_slots`): 10 offices in different zones
   (the six shipped ones plus four more) over 90 days, with 500 existing
   bookings spread over them.
2. Contention (real database, the real service): ``--attempts`` concurrent
   booking requests spread over ``--slots`` distinct, non-overlapping slots of
   one office. Exactly one request per slot may win, so ``succeeded`` must
   equal ``distinct_slots``; the run exits non-zero otherwise.
   ``p99_ms`` is the 99th percentile of one request's latency. SQLite by
   default; ``--database-url postgresql+psycopg://...`` for PostgreSQL.

Prints one JSON line last: offices, days, bookings, slots, seconds, and
``contention`` with attempts, distinct_slots, succeeded, conflicts, p99_ms.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.fernet import Fernet
from sqlalchemy import select

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
from export_hub.settings import load_settings

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


async def contention(url: str, attempts: int, slot_count: int) -> dict[str, object]:
    settings = load_settings(
        database={"url": url},
        web={"session_key": Fernet.generate_key().decode()},
        security={"secret_keys": [Fernet.generate_key().decode()]},
    )
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        async with sessions.begin() as db:
            hours = slot_count * 30 // 60
            spec = OfficeSpec(
                code="BENCH",
                name_ko="벤치",
                name_en="Bench",
                city="Berlin",
                country="DE",
                time_zone="Europe/Berlin",
                languages=["ko"],
                meeting_minutes=30,
                rules=[
                    {
                        "weekdays": [3],
                        "start": "08:00",
                        "end": f"{8 + hours:02d}:{slot_count * 30 % 60:02d}",
                    }
                ],
            )
            [office] = await load_offices(db, [spec], replace=True)
            company = Company(name_ko="벤치", name_en="Bench", brn="9999999999")
            db.add(company)
            await db.flush()
            # A user row without a password hash cost: the service does not log in.
            user = User(
                email="bench@bench.example",
                password_hash="!",  # noqa: S106 - cannot log in
                role=Role.COMPANY,
                company_id=company.id,
            )
            db.add(user)
        async with sessions() as db:
            office = await db.scalar(select(Office).where(Office.code == "BENCH"))
        day = dt.date(2026, 12, 3)  # a Thursday
        starts = [
            dt.datetime.combine(day, dt.time(7), dt.UTC) + dt.timedelta(minutes=30 * n)
            for n in range(slot_count)
        ]
        latencies: list[float] = []

        async def attempt(n: int) -> bool:
            request = BookingRequest(
                office.id, starts[n % slot_count], 30, f"attempt {n}"
            )
            began = time.perf_counter()
            try:
                await request_booking(sessions, settings, user, request, NOW)
                return True
            except BookingConflict:
                return False
            finally:
                latencies.append((time.perf_counter() - began) * 1000)

        results = await asyncio.gather(*(attempt(n) for n in range(attempts)))
    finally:
        await engine.dispose()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return {
        "backend": url.split(":")[0],
        "attempts": attempts,
        "distinct_slots": slot_count,
        "succeeded": sum(results),
        "conflicts": attempts - sum(results),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(p99, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--bookings", type=int, default=500)
    parser.add_argument("--attempts", type=int, default=200)
    parser.add_argument("--slots", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    result: dict[str, object] = dict(compute(args.days, args.bookings, args.seed))
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        result["contention"] = asyncio.run(contention(url, args.attempts, args.slots))
    print(json.dumps(result))
    return 0 if result["contention"]["succeeded"] == args.slots else 1  # type: ignore[index]


if __name__ == "__main__":
    sys.exit(main())
