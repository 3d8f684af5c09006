"""Housekeeping jobs: keep the job-run log bounded and truthful."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, update

from export_hub.db import transaction
from export_hub.settings import Settings
from jobs.models import JobRun
from jobs.registry import Counts, JobRegistry, JobSpec, Sessions

#: A run still "running" after this long lost its process (killed, crashed).
STALE_AFTER = dt.timedelta(hours=24)


async def prune_runs(
    sessions: Sessions, settings: Settings, *, now: dt.datetime
) -> Counts:
    """Close runs whose process died and delete finished runs older than
    ``jobs.keep_runs_days``. Idempotent."""
    cutoff = now - dt.timedelta(days=settings.jobs.keep_runs_days)
    async with transaction(sessions) as db:
        stale = await db.execute(
            update(JobRun)
            .where(JobRun.status == "running", JobRun.started_at < now - STALE_AFTER)
            .values(
                status="failed",
                error="no end was recorded: the process running it stopped",
                finished_at=now,
            )
        )
        deleted = await db.execute(
            delete(JobRun).where(
                JobRun.finished_at.is_not(None), JobRun.started_at < cutoff
            )
        )
    return {
        "prune_runs": {
            "deleted": int(getattr(deleted, "rowcount", 0) or 0),
            "closed_stale": int(getattr(stale, "rowcount", 0) or 0),
        }
    }


def register(registry: JobRegistry) -> None:
    registry.register(
        JobSpec(
            name="jobs.prune_runs",
            run=prune_runs,
            interval_seconds=86400,
            description="Close runs whose process died; delete old job-run records",
        )
    )
