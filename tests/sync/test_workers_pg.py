"""The same sync through procrastinate on PostgreSQL with real worker
processes: ``sync.all`` fans out per-seller jobs, each a bounded step that
defers its continuation; per-seller locks hold (no two steps of one seller
overlap, on any worker) and no listing is processed twice; a worker killed
mid-batch leaves a stalled job that another worker finishes without a
duplicate."""

from __future__ import annotations

import asyncio
import itertools
import signal
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from emulators.amazon import AmazonEmulator, FaultConfig
from emulators.ebay import EbayEmulator
from export_hub.settings import Settings
from jobs.defaults import default_registry
from jobs.models import JobRun
from jobs.runs import run_job
from jobs.worker import WorkerRuntime, build_app, defer, ensure_schema
from tests.sync.conftest import seed
from tests.sync.test_cli import cli_env
from tests.sync.test_reliability import assert_all_live_once, in_doubt

ROOT = Path(__file__).resolve().parents[2]


def _env(settings: Settings) -> dict[str, str]:
    # The checkout under test, not the one the venv's script was built from.
    return {
        **cli_env(settings),
        "EXPORT_HUB_JOBS__EMBEDDED": "false",
        "PYTHONPATH": str(ROOT),
    }


async def _worker(
    env: dict[str, str], tmp_path: Path, n: int, *extra: str
) -> asyncio.subprocess.Process:
    with (tmp_path / f"worker{n}.log").open("ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "export_hub",
            "worker",
            "--concurrency",
            "3",
            "--name",
            f"w{n}",
            *extra,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )


async def _stop(workers) -> None:
    for proc in workers:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
    for proc in workers:
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def _queue_empty(sessions) -> None:
    while True:
        async with sessions() as db:
            left = await db.scalar(
                text(
                    "SELECT count(*) FROM procrastinate_jobs "
                    "WHERE status IN ('todo', 'doing')"
                )
            )
        if left == 0:
            return
        await asyncio.sleep(0.2)


def _assert_no_overlap(runs) -> dict[int, list[tuple]]:
    """Per seller, its steps' in-flight intervals one after the other."""
    spans: dict[int, list[tuple]] = defaultdict(list)
    for run in runs:
        spans[run.args["seller_account_id"]].append((run.started_at, run.finished_at))
    for account_id, intervals in spans.items():
        for (_, end), (start, _) in itertools.pairwise(sorted(intervals)):
            assert start >= end, f"seller account {account_id}: two steps overlapped"
    return spans


async def _finished(sessions, kind: str, n: int) -> None:
    while True:
        async with sessions() as db:
            done = await db.scalar(
                select(func.count())
                .select_from(JobRun)
                .where(JobRun.kind == kind, JobRun.finished_at.is_not(None))
            )
        if done >= n:
            return
        await asyncio.sleep(0.1)


async def _wait_workers(sessions, n: int) -> None:
    while True:
        async with sessions() as db:
            if await db.scalar(text("SELECT count(*) FROM procrastinate_workers")) >= n:
                return
        await asyncio.sleep(0.1)


@pytest.mark.slow
@pytest.mark.backend("postgresql")
async def test_two_workers_sync_with_per_seller_locks(
    settings: Settings,
    sessions,
    tmp_path: Path,
    amazon: AmazonEmulator,
    ebay: EbayEmulator,
) -> None:
    settings = settings.model_copy(
        update={"jobs": settings.jobs.model_copy(update={"embedded": False})}
    )
    world = await seed(sessions, settings, ebay, products=8)
    amazon.config.faults = FaultConfig(latency_seconds=0.02)
    await ensure_schema(settings.database.url)
    env = _env(settings)
    workers = [await _worker(env, tmp_path, n) for n in (1, 2)]
    registry = default_registry(settings)
    try:
        await asyncio.wait_for(_wait_workers(sessions, 2), 60)
        # Small steps first: each seller is served in several continuations,
        # interleaved across both workers.
        app = build_app(settings, registry, WorkerRuntime(settings, sessions))
        async with app.open_async():
            for account_id in world.accounts.values():
                await defer(
                    app,
                    registry["sync.seller"],
                    {"seller_account_id": account_id, "step_items": 1},
                )
        # A second round for every seller while the first still runs: the
        # per-seller lock must serialise them.
        fan_out = await run_job(
            registry["sync.all"], sessions, settings, started_by="user"
        )
        # Each seller gets one more job unless its step is still waiting in
        # the queue (the queueing lock then refuses a second one): either
        # way, one per seller, never two waiting.
        counts = fan_out.counts["sync.seller"]
        assert counts["queued"] + counts["already_queued"] == 4, fan_out.counts
        await asyncio.wait_for(_finished(sessions, "sync.seller", 8), 180)
        await asyncio.wait_for(_queue_empty(sessions), 180)
    finally:
        await _stop(workers)
    async with sessions() as db:
        runs = list(
            await db.scalars(select(JobRun).where(JobRun.kind == "sync.seller"))
        )
    assert {r.status for r in runs} == {"succeeded"}, [r.error for r in runs]
    assert {r.runner for r in runs} == {"worker"}
    spans = _assert_no_overlap(runs)
    assert len(spans) == 4
    assert len(runs) > 8  # the small steps were continued
    created = sum(r.counts.get("create", {}).get("ok", 0) for r in runs)
    assert created == 2 * len(world.products)  # each listing created exactly once
    logs = "".join((tmp_path / f"worker{n}.log").read_text() for n in (1, 2))
    assert "Traceback" not in logs
    amazon.config.faults = FaultConfig()
    await assert_all_live_once(sessions, settings, amazon, ebay, world)


async def _until_in_doubt(sessions) -> None:
    while True:
        if await in_doubt(sessions):
            return
        await asyncio.sleep(0.05)


@pytest.mark.slow
@pytest.mark.backend("postgresql")
async def test_worker_killed_mid_batch_another_finishes_without_duplicate(
    settings: Settings,
    sessions,
    tmp_path: Path,
    amazon: AmazonEmulator,
    ebay: EbayEmulator,
) -> None:
    settings = settings.model_copy(
        update={"jobs": settings.jobs.model_copy(update={"embedded": False})}
    )
    world = await seed(sessions, settings, ebay, products=8)
    # Slow answers: the kill lands while a batch is in flight.
    amazon.config.faults = FaultConfig(latency_seconds=0.5)
    ebay.config.latency = (0.5, 0.6)
    await ensure_schema(settings.database.url)
    env = _env(settings)
    first = await _worker(env, tmp_path, 1, "--stalled-after", "3")
    second = None
    registry = default_registry(settings)
    try:
        await asyncio.wait_for(_wait_workers(sessions, 1), 60)
        await run_job(registry["sync.all"], sessions, settings, started_by="user")
        await asyncio.wait_for(_until_in_doubt(sessions), 60)
        first.kill()  # SIGKILL: no clean-up of any kind
        await first.wait()
        assert await in_doubt(sessions) > 0
        async with sessions() as db:
            stalled = await db.scalar(
                text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'")
            )
        assert stalled > 0  # its jobs hold their sellers' locks
        amazon.config.faults = FaultConfig(latency_seconds=0.02)
        ebay.config.latency = (0.02, 0.04)
        second = await _worker(env, tmp_path, 2, "--stalled-after", "3")
        await asyncio.wait_for(_queue_empty(sessions), 300)
    finally:
        await _stop([p for p in (first, second) if p is not None])
    # The second worker finished every seller, looking up what was in doubt
    # instead of sending it again.
    assert await in_doubt(sessions) == 0
    async with sessions() as db:
        runs = list(
            await db.scalars(
                select(JobRun).where(
                    JobRun.kind == "sync.seller", JobRun.status == "succeeded"
                )
            )
        )
    checked = sum(sum(r.counts.get("check", {}).values()) for r in runs)
    assert checked > 0
    _assert_no_overlap([r for r in runs if r.finished_at is not None])
    logs = (tmp_path / "worker2.log").read_text()
    assert "retried stalled job" in logs
    assert "Traceback" not in logs, logs
    amazon.config.faults = FaultConfig()
    await assert_all_live_once(sessions, settings, amazon, ebay, world)
