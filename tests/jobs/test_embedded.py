"""The embedded scheduler with an injected clock, and its place in the app."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from export_hub.settings import Settings
from jobs.embedded import EmbeddedScheduler
from jobs.models import JobRun
from jobs.registry import JobRegistry, JobSpec

T0 = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


class FakeClock:
    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


async def test_runs_periodic_jobs_on_schedule_and_records_them(
    sessions, settings: Settings
) -> None:
    seen: list[dt.datetime] = []

    async def tick(sessions, settings, *, now):
        seen.append(now)
        return 3

    async def broken(sessions, settings, *, now):
        raise ValueError("no exchange rate")

    registry = JobRegistry()
    registry.register(JobSpec(name="test.tick", run=tick, interval_seconds=60))
    registry.register(JobSpec(name="test.broken", run=broken, interval_seconds=300))
    registry.register(JobSpec(name="test.manual", run=tick))  # not periodic
    registry.register(
        JobSpec(name="test.cron", run=tick, cron_expression="7,8 9 * * *")
    )
    clock = FakeClock(T0)
    scheduler: EmbeddedScheduler

    async def sleep(seconds: float) -> None:
        # Let started runs finish, then move the clock instead of waiting.
        await scheduler.drain()
        clock.now += dt.timedelta(seconds=seconds)
        if clock.now > T0 + dt.timedelta(seconds=610):
            scheduler._stopping.set()

    scheduler = EmbeddedScheduler(
        registry, sessions, settings, clock=clock, sleep=sleep, max_sleep_seconds=30
    )
    await scheduler.run_forever()
    await scheduler.drain()

    # First run one interval after start, then every interval; the cron job at
    # 09:07 and 09:08 UTC.
    minutes = sorted([*range(1, 11), 7, 8])
    assert seen == [T0 + dt.timedelta(minutes=m) for m in minutes]
    async with sessions() as db:
        runs = list(await db.scalars(select(JobRun).order_by(JobRun.id)))
    assert [r.started_at.minute for r in runs if r.kind == "test.cron"] == [7, 8]
    ticks = [r for r in runs if r.kind == "test.tick"]
    assert len(ticks) == 10
    assert {r.status for r in ticks} == {"succeeded"}
    assert ticks[0].counts == {"tick": {"done": 3}}
    assert ticks[0].started_by == "schedule"
    assert ticks[0].runner == "embedded"
    assert ticks[0].started_at == T0 + dt.timedelta(minutes=1)
    assert ticks[0].finished_at is not None
    assert ticks[0].duration_seconds is not None
    failures = [r for r in runs if r.kind == "test.broken"]
    assert [r.started_at for r in failures] == [
        T0 + dt.timedelta(minutes=5),
        T0 + dt.timedelta(minutes=10),
    ]
    assert {r.status for r in failures} == {"failed"}
    assert failures[0].error == "ValueError: no exchange rate"
    assert not any(r.kind == "test.manual" for r in runs)


async def test_same_lock_waits_and_periodic_overlap_is_skipped(
    sessions, settings: Settings
) -> None:
    running: dict[int, int] = {}
    peak: dict[int, int] = {}
    three_in = asyncio.Event()
    release = asyncio.Event()

    async def per_seller(sessions, settings, *, now, seller_account_id: int = 0):
        running[seller_account_id] = running.get(seller_account_id, 0) + 1
        peak[seller_account_id] = max(
            peak.get(seller_account_id, 0), running[seller_account_id]
        )
        if sum(running.values()) == 3:
            three_in.set()
        await release.wait()
        running[seller_account_id] -= 1
        return {"update_quantity": {"ok": 1}}

    registry = JobRegistry()
    registry.register(
        JobSpec(
            name="test.seller",
            run=per_seller,
            interval_seconds=60,
            lock=lambda kw: f"seller:{kw.get('seller_account_id', 0)}",
        )
    )
    scheduler = EmbeddedScheduler(registry, sessions, settings, clock=FakeClock(T0))
    first = scheduler.trigger("test.seller", {"seller_account_id": 1}, user_id=None)
    second = scheduler.trigger("test.seller", {"seller_account_id": 1})
    other = scheduler.trigger("test.seller", {"seller_account_id": 2})
    # A periodic turn for seller 0 runs; another while it runs is skipped.
    assert len(scheduler.start_due(T0)) == 1
    await asyncio.wait_for(three_in.wait(), timeout=30)
    assert scheduler.start_due(T0 + dt.timedelta(minutes=1)) == []
    release.set()
    results = await asyncio.gather(first, second, other)
    await scheduler.drain()
    # Sellers 0, 1 and 2 ran side by side; seller 1's two runs one after the other.
    assert peak == {0: 1, 1: 1, 2: 1}
    assert [r.status for r in results] == ["succeeded"] * 3
    assert results[0].args == {"seller_account_id": 1}
    assert results[0].started_by == "user"


async def test_shutdown_cancels_and_records(sessions, settings: Settings) -> None:
    started = asyncio.Event()

    async def slow(sessions, settings, *, now):
        started.set()
        await asyncio.sleep(3600)

    registry = JobRegistry()
    registry.register(JobSpec(name="test.slow", run=slow))
    scheduler = EmbeddedScheduler(registry, sessions, settings)
    scheduler.start()
    assert scheduler.running
    scheduler.trigger("test.slow")
    await asyncio.wait_for(started.wait(), timeout=30)
    await scheduler.aclose()
    assert not scheduler.running
    async with sessions() as db:
        run = await db.scalar(select(JobRun).where(JobRun.kind == "test.slow"))
    assert run is not None
    assert run.status == "cancelled"
