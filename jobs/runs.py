"""Running a job and recording the run — the same for every runner.

:func:`run_job` writes a ``running`` :class:`~jobs.models.JobRun` in its own
transaction (so the run is visible while it works) with its owner process,
renews the run's heartbeat while the job works, calls the job, then
records its counts, status, error and duration. It never raises the job's
error: the record says what happened (the procrastinate task re-raises).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.db import transaction, utcnow
from export_hub.liveness import beat_forever, new_owner
from export_hub.settings import Settings
from jobs.models import JobRun
from jobs.registry import JobSpec, Sessions, counts_from

log = logging.getLogger(__name__)
MAX_ERROR_CHARS = 2000


async def run_job(
    spec: JobSpec,
    sessions: Sessions,
    settings: Settings,
    *,
    kwargs: Mapping[str, Any] | None = None,
    started_by: str = "schedule",
    user_id: int | None = None,
    runner: str = "embedded",
    now: dt.datetime | None = None,
) -> JobRun:
    """Run ``spec`` once with ``kwargs`` and return its finished record."""
    args = dict(kwargs or {})
    started = now or utcnow()
    async with transaction(sessions) as db:
        run = JobRun(
            kind=spec.name,
            args=args,
            started_by=started_by,
            started_by_user_id=user_id,
            runner=runner,
            status="running",
            counts={},
            error="",
            started_at=started,
            owner=new_owner(),
            heartbeat_at=utcnow(),
        )
        db.add(run)
    clock = time.monotonic()
    heartbeat = asyncio.create_task(
        beat_forever(lambda: _beat(sessions, run.id), settings.jobs.heartbeat_seconds)
    )
    try:
        try:
            result = await spec.run(sessions, settings, now=started, **args)
        finally:
            heartbeat.cancel()
    except asyncio.CancelledError:
        # Shut down mid-run: say so, then let the cancellation go on.
        await _finish(sessions, run.id, "cancelled", {}, "cancelled", clock)
        raise
    except Exception as exc:
        log.exception("job %s failed", spec.name)
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        return await _finish(sessions, run.id, "failed", {}, error, clock)
    counts = counts_from(result, spec.name)
    return await _finish(sessions, run.id, "succeeded", counts, "", clock)


async def _beat(sessions: Sessions, run_id: int) -> None:
    async with transaction(sessions) as db:
        await db.execute(
            update(JobRun)
            .where(JobRun.id == run_id, JobRun.status == "running")
            .values(heartbeat_at=utcnow())
        )


async def _finish(
    sessions: Sessions,
    run_id: int,
    status: str,
    counts: dict[str, dict[str, int]],
    error: str,
    clock: float,
) -> JobRun:
    async with transaction(sessions) as db:
        row = await db.get_one(JobRun, run_id)
        row.status = status
        row.counts = counts
        row.error = error
        row.finished_at = utcnow()
        row.duration_seconds = round(time.monotonic() - clock, 3)
    return row


async def run_kinds(session: AsyncSession) -> list[str]:
    """Every job name with a recorded run (for the jobs page's filter)."""
    return list(await session.scalars(select(JobRun.kind).distinct()))


async def recent_runs(
    session: AsyncSession,
    *,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[JobRun]:
    """The latest runs, newest first, optionally of one kind or status."""
    query = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc())
    if kind:
        query = query.where(JobRun.kind == kind)
    if status:
        query = query.where(JobRun.status == status)
    return list(await session.scalars(query.limit(limit)))
