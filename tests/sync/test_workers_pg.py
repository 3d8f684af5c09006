"""The same sync through procrastinate on PostgreSQL with two real worker
processes: ``sync.all`` fans out per-seller jobs, per-seller locks hold (two
runs of one seller never overlap) and no listing is processed twice."""

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
from tests.sync.test_reliability import assert_all_live_once

ROOT = Path(__file__).resolve().parents[2]


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
    env = {**cli_env(settings), "EXPORT_HUB_JOBS__EMBEDDED": "false"}
    exe = Path(sys.executable).with_name("export-hub")
    workers = []
    for n in (1, 2):
        with (tmp_path / f"worker{n}.log").open("wb") as log:
            workers.append(
                await asyncio.create_subprocess_exec(
                    str(exe),
                    "worker",
                    "--concurrency",
                    "3",
                    "--name",
                    f"w{n}",
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=log,
                )
            )
    registry = default_registry(settings)
    try:
        await asyncio.wait_for(_wait_workers(sessions, 2), 60)
        fan_out = await run_job(
            registry["sync.all"], sessions, settings, started_by="user"
        )
        assert fan_out.counts == {"sync.seller": {"queued": 4, "already_queued": 0}}
        # A second round for every seller while the first may still run: the
        # per-seller lock must serialise them.
        app = build_app(settings, registry, WorkerRuntime(settings, sessions))
        async with app.open_async():
            for account_id in world.accounts.values():
                await defer(
                    app,
                    registry["sync.seller"],
                    {
                        "seller_account_id": account_id,
                        "sync_run_id": None,
                        "dry_run": False,
                    },
                )
        await asyncio.wait_for(_finished(sessions, "sync.seller", 8), 180)
    finally:
        for proc in workers:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in workers:
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
    async with sessions() as db:
        runs = list(
            await db.scalars(select(JobRun).where(JobRun.kind == "sync.seller"))
        )
    assert {r.status for r in runs} == {"succeeded"}, [r.error for r in runs]
    assert {r.runner for r in runs} == {"worker"}
    spans: dict[int, list[tuple]] = defaultdict(list)
    for run in runs:
        spans[run.args["seller_account_id"]].append((run.started_at, run.finished_at))
    assert len(spans) == 4
    for account_id, intervals in spans.items():
        for (_, end), (start, _) in itertools.pairwise(sorted(intervals)):
            assert start >= end, f"seller account {account_id}: two runs overlapped"
    created = sum(r.counts.get("create", {}).get("ok", 0) for r in runs)
    assert created == 2 * len(world.products)  # each listing created exactly once
    assert not any("busy" in r.counts.get("seller", {}) for r in runs)
    logs = "".join((tmp_path / f"worker{n}.log").read_text() for n in (1, 2))
    assert "Traceback" not in logs
    amazon.config.faults = FaultConfig()
    await assert_all_live_once(sessions, settings, amazon, ebay, world)
