"""Housekeeping jobs: keep the job-run log bounded and truthful.

A run whose worker is gone (killed, crashed, the machine lost) would say
``running`` forever. Every working run renews a heartbeat
(:mod:`export_hub.liveness`); :func:`close_dead_runs` closes, as ``failed``,
each job run and sync run whose heartbeat is older than
``jobs.run_stale_after_seconds`` or whose owner process on this host no longer
exists.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.db import transaction
from export_hub.listings.models import SyncRun
from export_hub.liveness import owner_gone
from export_hub.settings import Settings
from jobs.models import JobRun
from jobs.registry import Counts, JobRegistry, JobSpec, Sessions

CLOSE_DEAD_RUNS = "jobs.close_dead_runs"
#: Its own frequent runs are kept this long (what they closed shows on the
#: closed runs themselves).
KEEP_OWN_RUNS = dt.timedelta(days=1)


def worker_gone_message(last_sign: dt.datetime | None) -> str:
    since = last_sign.strftime("%Y-%m-%d %H:%M:%S UTC") if last_sign else "its start"
    return (
        f"worker gone: no sign of life since {since}; closed by housekeeping "
        "(작업 프로세스가 사라져 실패로 닫았습니다)"
    )


async def _close_dead(
    db: AsyncSession, model: Any, stale_before: dt.datetime, now: dt.datetime
) -> int:
    rows = (
        await db.execute(
            select(model.id, model.owner, model.heartbeat_at, model.started_at).where(
                model.status == "running"
            )
        )
    ).all()
    closed = 0
    for run_id, owner, heartbeat_at, started_at in rows:
        last_sign = heartbeat_at or started_at
        silent = last_sign is None or last_sign < stale_before
        if not (silent or (owner and owner_gone(owner))):
            continue
        # Conditional: a run that finished meanwhile keeps its own ending.
        result = await db.execute(
            update(model)
            .where(model.id == run_id, model.status == "running")
            .values(
                status="failed", error=worker_gone_message(last_sign), finished_at=now
            )
        )
        closed += int(getattr(result, "rowcount", 0) or 0)
    return closed


async def close_dead_runs(
    sessions: Sessions, settings: Settings, *, now: dt.datetime
) -> Counts:
    """Close job runs and sync runs whose worker is gone. Idempotent."""
    stale_before = now - dt.timedelta(seconds=settings.jobs.run_stale_after_seconds)
    async with transaction(sessions) as db:
        jobs_closed = await _close_dead(db, JobRun, stale_before, now)
        syncs_closed = await _close_dead(db, SyncRun, stale_before, now)
    return {"close_dead_runs": {"job_runs": jobs_closed, "sync_runs": syncs_closed}}


async def prune_runs(
    sessions: Sessions, settings: Settings, *, now: dt.datetime
) -> Counts:
    """Close runs whose worker is gone and delete finished runs older than
    ``jobs.keep_runs_days``. Idempotent."""
    closed = await close_dead_runs(sessions, settings, now=now)
    cutoff = now - dt.timedelta(days=settings.jobs.keep_runs_days)
    async with transaction(sessions) as db:
        deleted = await db.execute(
            delete(JobRun).where(
                JobRun.finished_at.is_not(None),
                or_(
                    JobRun.started_at < cutoff,
                    (JobRun.kind == CLOSE_DEAD_RUNS)
                    & (JobRun.status == "succeeded")
                    & (JobRun.started_at < now - KEEP_OWN_RUNS),
                ),
            )
        )
    stale = closed["close_dead_runs"]
    return {
        "prune_runs": {
            "deleted": int(getattr(deleted, "rowcount", 0) or 0),
            "closed_stale": stale["job_runs"] + stale["sync_runs"],
        }
    }


def register(registry: JobRegistry) -> None:
    registry.register(
        JobSpec(
            name="jobs.prune_runs",
            run=prune_runs,
            interval_seconds=86400,
            description="Close runs whose worker is gone; delete old job-run records",
        )
    )
    registry.register(
        JobSpec(
            name=CLOSE_DEAD_RUNS,
            run=close_dead_runs,
            interval_seconds=60,
            description="Close, as failed, job and sync runs whose worker is gone",
        )
    )
