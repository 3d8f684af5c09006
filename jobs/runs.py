"""Running a job and recording the run — the same for every runner.

:func:`run_job` writes a ``running`` :class:`~jobs.models.JobRun` in its own
transaction (so the run is visible while it works) with its owner process,
renews the run's heartbeat while the job works, calls the job, then
records its counts, status, error and duration. A job that returns
:class:`~jobs.registry.Again` is continued through the runner's ``again``
(before this run is closed, so a crash between the two leaves the run open,
never the work unscheduled); without one it is run again here at once.
It never raises the job's error: the record says what happened (the
procrastinate task re-raises).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.db import transaction, utcnow
from export_hub.liveness import beat_forever, new_owner
from export_hub.settings import Settings
from jobs.models import JobRun
from jobs.registry import Again, Counts, JobSpec, Sessions, counts_from

log = logging.getLogger(__name__)
MAX_ERROR_CHARS = 2000
#: How a runner continues a job that returned :class:`Again`.
Continue = Callable[[dict[str, Any]], Awaitable[None]]


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
    again: Continue | None = None,
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
            result = await _run(spec, sessions, settings, started, args, again)
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
    return await _finish(sessions, run.id, "succeeded", result, "", clock)


async def _run(
    spec: JobSpec,
    sessions: Sessions,
    settings: Settings,
    now: dt.datetime,
    args: dict[str, Any],
    again: Continue | None,
) -> Counts:
    """Call the job; continue it while it says :class:`Again`. Its counts."""
    result = await spec.run(sessions, settings, now=now, **args)
    if isinstance(result, Again) and again is not None:
        await again(dict(result.kwargs))
        return counts_from(result, spec.name)
    total: Counts = {}
    while isinstance(result, Again):
        _add(total, counts_from(result, spec.name))
        result = await spec.run(sessions, settings, now=now, **dict(result.kwargs))
    _add(total, counts_from(result, spec.name))
    return total


def _add(total: Counts, more: Counts) -> None:
    for action, per in more.items():
        into = total.setdefault(action, {})
        for outcome, n in per.items():
            into[outcome] = into.get(outcome, 0) + n


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
