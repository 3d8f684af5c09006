"""procrastinate on a real PostgreSQL: schema, locks across two workers, runs."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict

import pytest
from sqlalchemy import func, select, text

from export_hub.settings import Settings
from jobs.models import JobRun
from jobs.registry import JobRegistry, JobSpec
from jobs.worker import (
    WorkerError,
    WorkerRuntime,
    build_app,
    conninfo,
    defer,
    ensure_schema,
)


def test_sqlite_is_refused_with_a_clear_error() -> None:
    with pytest.raises(WorkerError, match="PostgreSQL"):
        conninfo("sqlite+aiosqlite:///x.sqlite3")
    assert conninfo("postgresql+psycopg://u@h:5/db") == "postgresql://u@h:5/db"


async def _runs_finished(sessions, kind: str, n: int) -> None:
    while True:
        async with sessions() as db:
            finished = await db.scalar(
                select(func.count())
                .select_from(JobRun)
                .where(JobRun.kind == kind, JobRun.finished_at.is_not(None))
            )
        if finished >= n:
            return
        await asyncio.sleep(0.05)


@pytest.mark.backend("postgresql")
async def test_schema_is_applied_once(settings: Settings, sessions) -> None:
    results = await asyncio.gather(
        ensure_schema(settings.database.url), ensure_schema(settings.database.url)
    )
    assert sorted(results) == [False, True]
    assert await ensure_schema(settings.database.url) is False
    async with sessions() as db:
        assert await db.scalar(text("SELECT to_regclass('procrastinate_jobs')::text"))


@pytest.mark.backend("postgresql")
async def test_same_lock_never_runs_concurrently_across_two_workers(
    settings: Settings, sessions
) -> None:
    running: dict[str, int] = defaultdict(int)
    peak: dict[str, int] = defaultdict(int)
    done: list[tuple[str, int]] = []
    all_done = asyncio.Event()

    async def sync_seller(sessions, settings, *, now, seller: str, item: int):
        running[seller] += 1
        peak[seller] = max(peak[seller], running[seller])
        await asyncio.sleep(0.05)
        running[seller] -= 1
        done.append((seller, item))
        if len(done) == 8:
            all_done.set()
        return {"update_price": {"ok": 1}}

    registry = JobRegistry()
    spec = registry.register(
        JobSpec(
            name="test.sync_seller",
            run=sync_seller,
            lock=lambda kw: f"seller:{kw['seller']}",
        )
    )
    await ensure_schema(settings.database.url)
    runtime = WorkerRuntime(settings, sessions)
    app = build_app(settings, registry, runtime)
    async with app.open_async():
        for item in range(4):
            for seller in ("s1", "s2"):
                assert (
                    await defer(app, spec, {"seller": seller, "item": item}) is not None
                )
        # Queueing lock: the same job with the same arguments is not queued twice.
        assert await defer(app, spec, {"seller": "s1", "item": 0}) is None

        # wait=False would stop a worker as soon as only locked jobs are left.
        workers = [
            asyncio.create_task(
                app.run_worker_async(
                    concurrency=4,
                    name=f"w{i}",
                    install_signal_handlers=False,
                    listen_notify=False,
                    fetch_job_polling_interval=0.05,
                )
            )
            for i in (1, 2)
        ]
        try:
            await asyncio.wait_for(all_done.wait(), timeout=60)
            await asyncio.wait_for(_runs_finished(sessions, spec.name, 8), timeout=60)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    assert sorted(done) == sorted((s, i) for i in range(4) for s in ("s1", "s2"))
    assert peak == {"s1": 1, "s2": 1}  # never two runs of one seller at once
    async with sessions() as db:
        runs = list(await db.scalars(select(JobRun).where(JobRun.kind == spec.name)))
    assert len(runs) == 8
    assert {r.status for r in runs} == {"succeeded"}
    assert {r.runner for r in runs} == {"worker"}
    assert all(r.counts == {"update_price": {"ok": 1}} for r in runs)
    assert all(r.duration_seconds is not None for r in runs)


@pytest.mark.backend("postgresql")
async def test_a_failing_job_is_recorded_and_failed_in_procrastinate(
    settings: Settings, sessions
) -> None:
    async def broken(sessions, settings, *, now):
        raise RuntimeError("marketplace unreachable")

    registry = JobRegistry()
    spec = registry.register(JobSpec(name="test.broken", run=broken))
    await ensure_schema(settings.database.url)
    app = build_app(settings, registry, WorkerRuntime(settings, sessions))
    async with app.open_async():
        job_id = await defer(app, spec)
        await app.run_worker_async(
            wait=False, install_signal_handlers=False, listen_notify=False
        )
        async with sessions() as db:
            status = await db.scalar(
                text("SELECT status::text FROM procrastinate_jobs WHERE id = :id"),
                {"id": job_id},
            )
            run = await db.scalar(select(JobRun).where(JobRun.kind == spec.name))
    assert status == "failed"
    assert run is not None
    assert run.status == "failed"
    assert "marketplace unreachable" in run.error


@pytest.mark.backend("postgresql")
async def test_periodic_jobs_are_scheduled_by_procrastinate(
    settings: Settings, sessions
) -> None:
    ran = asyncio.Event()
    calls: list[dt.datetime] = []

    async def heartbeat(sessions, settings, *, now):
        calls.append(now)
        if len(calls) >= 2:
            ran.set()
        return 1

    registry = JobRegistry()
    registry.register(JobSpec(name="test.heartbeat", run=heartbeat, interval_seconds=1))
    await ensure_schema(settings.database.url)
    app = build_app(settings, registry, WorkerRuntime(settings, sessions))
    async with app.open_async():
        worker = asyncio.create_task(
            app.run_worker_async(
                install_signal_handlers=False,
                listen_notify=False,
                fetch_job_polling_interval=0.05,
            )
        )
        try:
            await asyncio.wait_for(ran.wait(), timeout=60)
            await asyncio.wait_for(_runs_finished(sessions, "test.heartbeat", 2), 60)
        finally:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
    async with sessions() as db:
        runs = list(
            await db.scalars(select(JobRun).where(JobRun.kind == "test.heartbeat"))
        )
    assert {r.started_by for r in runs} == {"schedule"}
    assert {r.runner for r in runs} == {"worker"}
