"""Housekeeping jobs: keep the job-run log bounded."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete

from export_hub.db import transaction
from export_hub.settings import Settings
from jobs.models import JobRun
from jobs.registry import Counts, JobRegistry, JobSpec, Sessions


async def prune_runs(
    sessions: Sessions, settings: Settings, *, now: dt.datetime
) -> Counts:
    """Delete finished runs older than ``jobs.keep_runs_days``. Idempotent."""
    cutoff = now - dt.timedelta(days=settings.jobs.keep_runs_days)
    async with transaction(sessions) as db:
        result = await db.execute(
            delete(JobRun).where(
                JobRun.finished_at.is_not(None), JobRun.started_at < cutoff
            )
        )
    return {"prune_runs": {"deleted": int(getattr(result, "rowcount", 0) or 0)}}


def register(registry: JobRegistry) -> None:
    registry.register(
        JobSpec(
            name="jobs.prune_runs",
            run=prune_runs,
            interval_seconds=86400,
            description="Delete old job-run records",
        )
    )
