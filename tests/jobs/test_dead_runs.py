"""A run whose worker is killed (``kill -9``) is closed as failed, and the
staff pages say so; a run still beating is left alone."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
import textwrap
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import select

from export_hub.accounts.models import Role
from export_hub.db import utcnow
from export_hub.listings.models import SyncRun
from export_hub.liveness import new_owner, owner_gone
from jobs.maintenance import close_dead_runs
from jobs.models import JobRun
from tests.conftest import login
from tests.foundation.helpers import PASSWORD, make_user

ROOT = Path(__file__).resolve().parents[2]

#: A worker: one job run that opens a sync run and then works "forever".
CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from export_hub.db import create_engine, session_factory, transaction, utcnow
    from export_hub.listings.models import SyncRun
    from export_hub.liveness import new_owner
    from export_hub.settings import load_settings
    from jobs.registry import JobSpec
    from jobs.runs import run_job

    url, key = sys.argv[1], sys.argv[2]

    async def forever(sessions, settings, *, now):
        async with transaction(sessions) as db:
            db.add(SyncRun(status="running", owner=new_owner(),
                           started_at=utcnow(), heartbeat_at=utcnow()))
        print("working", flush=True)
        await asyncio.sleep(3600)

    async def main():
        settings = load_settings(
            environment="test", database={"url": url},
            web={"session_key": key}, security={"secret_keys": [key]},
            jobs={"embedded": False},
        )
        engine = create_engine(url)
        await run_job(JobSpec(name="t.forever", run=forever),
                      session_factory(engine), settings, runner="worker")

    asyncio.run(main())
    """
)


async def test_killed_worker_runs_close_as_failed(sessions, settings, client) -> None:
    key = Fernet.generate_key().decode()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        settings.database.url,
        key,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        line = await asyncio.wait_for(child.stdout.readline(), timeout=60)
        assert line.strip() == b"working"
        # Alive and recent: housekeeping leaves it.
        counts = await close_dead_runs(sessions, settings, now=utcnow())
        assert counts == {"close_dead_runs": {"job_runs": 0, "sync_runs": 0}}
    finally:
        child.send_signal(signal.SIGKILL)
        await asyncio.wait_for(child.wait(), timeout=30)
    counts = await close_dead_runs(sessions, settings, now=utcnow())
    assert counts == {"close_dead_runs": {"job_runs": 1, "sync_runs": 1}}
    async with sessions() as db:
        job = await db.scalar(select(JobRun).where(JobRun.kind == "t.forever"))
        sync = await db.scalar(select(SyncRun))
    for run in (job, sync):
        assert run.status == "failed"
        assert run.finished_at is not None
        assert "worker gone" in run.error
        assert run.owner.split(":")[1] == str(child.pid)
    staff = await make_user(sessions, Role.STAFF, "ops@example.kr")
    await login(client, staff.email, PASSWORD)
    jobs_page = await (await client.get("/staff/jobs")).text()
    assert "worker gone" in jobs_page
    sync_page = await (await client.get(f"/staff/sync/{sync.id}")).text()
    assert "worker gone" in sync_page
    # Idempotent.
    again = await close_dead_runs(sessions, settings, now=utcnow())
    assert again == {"close_dead_runs": {"job_runs": 0, "sync_runs": 0}}


async def test_silent_runs_close_after_the_allowed_silence(sessions, settings) -> None:
    now = utcnow()
    # Owned elsewhere (another host): only the heartbeat can tell.
    elsewhere = "worker-7.example:4242:abc"
    assert not owner_gone(elsewhere)
    assert not owner_gone(new_owner())  # this very process
    allowed = dt.timedelta(seconds=settings.jobs.run_stale_after_seconds)
    async with sessions.begin() as db:
        db.add_all(
            [
                SyncRun(
                    status="running",
                    owner=elsewhere,
                    started_at=now - dt.timedelta(hours=1),
                    heartbeat_at=now - allowed - dt.timedelta(seconds=1),
                ),
                SyncRun(
                    status="running",
                    owner=elsewhere,
                    started_at=now - dt.timedelta(hours=1),
                    heartbeat_at=now - dt.timedelta(seconds=30),
                ),
                SyncRun(status="queued", owner=""),  # waits for a worker: kept
                JobRun(
                    kind="t.silent",
                    args={},
                    counts={},
                    error="",
                    status="running",
                    owner=elsewhere,
                    started_at=now - allowed - dt.timedelta(minutes=1),
                ),
            ]
        )
    counts = await close_dead_runs(sessions, settings, now=now)
    assert counts == {"close_dead_runs": {"job_runs": 1, "sync_runs": 1}}
    async with sessions() as db:
        statuses = sorted(r.status for r in await db.scalars(select(SyncRun)))
    assert statuses == ["failed", "queued", "running"]


async def test_a_working_job_renews_its_heartbeat(sessions, settings, tmp_path):
    from jobs.registry import JobSpec
    from jobs.runs import run_job
    from tests.conftest import make_settings

    settings = make_settings(
        settings.database.url, tmp_path, jobs={"heartbeat_seconds": 0.05}
    )
    seen: list[dt.datetime | None] = []

    async def slow(sessions_, settings_, *, now):
        for _ in range(3):
            await asyncio.sleep(0.2)
            async with sessions() as db:
                seen.append(
                    await db.scalar(
                        select(JobRun.heartbeat_at).where(JobRun.kind == "t.slow")
                    )
                )
        return {}

    run = await run_job(JobSpec(name="t.slow", run=slow), sessions, settings)
    assert run.status == "succeeded"
    assert run.owner.split(":")[1] == str(os.getpid())
    assert seen[0] is not None
    assert seen[0] < seen[-1]
