"""Two real ``export-hub worker`` processes on one PostgreSQL queue: jobs with
the same lock (one seller) never run at the same time, across processes."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select, text

from export_hub.settings import Settings
from jobs.models import JobRun
from jobs.registry import JobRegistry
from jobs.worker import WorkerRuntime, build_app, defer, ensure_schema
from tests.jobs import lockprobe

ROOT = Path(__file__).resolve().parents[2]
SELLERS = ("s1", "s2", "s3", "s4")
ITEMS = 6


async def _poll(sessions, sql: str, at_least: int) -> None:
    while True:
        async with sessions() as db:
            if (await db.scalar(text(sql))) >= at_least:
                return
        await asyncio.sleep(0.1)


@pytest.mark.slow
@pytest.mark.backend("postgresql")
async def test_two_worker_processes_respect_seller_locks(
    settings: Settings, sessions, tmp_path: Path
) -> None:
    await ensure_schema(settings.database.url)
    async with sessions() as db, db.begin():
        await db.execute(text(lockprobe.CREATE))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "EXPORT_HUB_DATABASE__URL": settings.database.url,
        "EXPORT_HUB_WEB__SESSION_KEY": Fernet.generate_key().decode(),
        "EXPORT_HUB_SECURITY__SECRET_KEYS": f'["{Fernet.generate_key().decode()}"]',
        "EXPORT_HUB_JOBS__EXTRA_MODULES": '["tests.jobs.lockprobe"]',
    }
    exe = Path(sys.executable).with_name("export-hub")
    workers = []
    for n in (1, 2):
        # Two slots each and four sellers: both processes must take work.
        with (tmp_path / f"worker{n}.log").open("wb") as log:
            workers.append(
                await asyncio.create_subprocess_exec(
                    str(exe),
                    *("worker", "--concurrency", "2", "--name", f"w{n}"),
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=log,
                )
            )
    try:
        await asyncio.wait_for(
            _poll(sessions, "SELECT count(*) FROM procrastinate_workers", 2), 60
        )
        registry = JobRegistry()
        (spec,) = [registry.register(s) for s in lockprobe.job_specs(settings)]
        app = build_app(settings, registry, WorkerRuntime(settings, sessions))
        async with app.open_async():
            for item in range(ITEMS):
                for seller in SELLERS:
                    await defer(app, spec, {"seller": seller, "item": item})
        total = len(SELLERS) * ITEMS
        await asyncio.wait_for(
            _poll(
                sessions, "SELECT count(*) FROM lock_probe WHERE phase = 'end'", total
            ),
            120,
        )
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
        rows = (
            await db.execute(
                text("SELECT seller, item, phase, at, pid FROM lock_probe ORDER BY at")
            )
        ).all()
        succeeded = await db.scalar(
            select(func.count())
            .select_from(JobRun)
            .where(JobRun.kind == spec.name, JobRun.status == "succeeded")
        )
    spans: dict[str, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for seller, item, _phase, at, _pid in rows:
        spans[seller][item].append(at)
    for seller, items in spans.items():
        ordered = sorted((start, end) for start, end in items.values())
        for (_, end), (next_start, _) in itertools.pairwise(ordered):
            assert next_start >= end, f"{seller}: two runs overlapped"
    assert len({pid for *_, pid in rows}) == 2  # both processes did work
    assert succeeded == total
    logs = "".join((tmp_path / f"worker{n}.log").read_text() for n in (1, 2))
    assert "Traceback" not in logs
