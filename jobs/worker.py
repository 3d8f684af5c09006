"""The scaled-out runner: the same jobs through procrastinate on PostgreSQL.

Every :class:`~jobs.registry.JobSpec` becomes a procrastinate task of the same
name; periodic specs also get a periodic task (cron from the interval) with a
``queueing_lock`` so a schedule never piles up. :func:`defer` enqueues with
``lock=spec.lock_key(kwargs)``: procrastinate never runs two jobs with the
same lock at once, on any worker — so one seller account's rate limits hold
across machines. Each run is recorded by :func:`jobs.runs.run_job` like the
embedded runner's. A job that returns :class:`~jobs.registry.Again` defers its
continuation (same lock and priority; its ``queueing_lock`` keeps one waiting
at most) before its own job ends, so the seller goes to the back of the
queue and other sellers are served in between.

A worker that dies (``kill -9``, a lost machine) leaves its jobs ``doing``
and their locks held. Every worker retries such stalled jobs: procrastinate's
``get_stalled_jobs`` (jobs of workers whose heartbeat is older than
``stalled_after`` seconds) and ``retry_job`` (back to ``todo``), so another
worker takes the seller up; the sync's in-doubt marks make the repeat safe.

Procrastinate keeps its own tables next to ours; :func:`ensure_schema` applies
them once (under an advisory lock, so workers starting together do not race).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Mapping
from typing import Any

import procrastinate
import psycopg
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException
from procrastinate.schema import SchemaManager
from sqlalchemy.ext.asyncio import AsyncEngine

from export_hub.db import create_engine_for, is_sqlite, session_factory
from export_hub.errors import ExportHubError
from export_hub.settings import Settings
from jobs.registry import JobRegistry, JobSpec, Sessions
from jobs.runs import run_job

log = logging.getLogger(__name__)

#: pg_advisory_lock key serialising procrastinate schema creation.
SCHEMA_LOCK_KEY = 0x4548_4A4F  # "EHJO"


class WorkerError(ExportHubError):
    """The worker cannot run (wrong database, ...); the message says why."""


class JobFailed(ExportHubError):
    """Raised inside a procrastinate task so procrastinate records the failure."""


def conninfo(database_url: str) -> str:
    """libpq connection string from a SQLAlchemy URL (drops ``+psycopg``)."""
    if is_sqlite(database_url):
        raise WorkerError(
            "the procrastinate worker needs PostgreSQL (database.url); with SQLite "
            "the jobs run embedded in `export-hub serve` / "
            "워커는 PostgreSQL이 필요합니다. SQLite에서는 serve가 작업을 실행합니다."
        )
    return re.sub(r"^postgresql(\+\w+)?://", "postgresql://", database_url)


async def ensure_schema(database_url: str) -> bool:
    """Apply procrastinate's schema unless present; True if it was applied."""
    async with await psycopg.AsyncConnection.connect(
        conninfo(database_url), autocommit=True
    ) as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            cur = await conn.execute("SELECT to_regclass('procrastinate_jobs')")
            row = await cur.fetchone()
            if row is not None and row[0] is not None:
                return False
            schema = SchemaManager.get_schema()
            await conn.execute(schema)
            return True
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))


class WorkerRuntime:
    """The database resources procrastinate tasks use, built once per process."""

    def __init__(self, settings: Settings, sessions: Sessions | None = None):
        self.settings = settings
        self._engine: AsyncEngine | None = None
        self._sessions = sessions

    @property
    def sessions(self) -> Sessions:
        if self._sessions is None:
            self._engine = create_engine_for(self.settings)
            self._sessions = session_factory(self._engine)
        return self._sessions

    async def aclose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
            self._sessions = None


def build_app(
    settings: Settings, registry: JobRegistry, runtime: WorkerRuntime
) -> procrastinate.App:
    """A procrastinate app with one task per registered job."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=conninfo(settings.database.url)
        )
    )
    for spec in registry:
        _add_task(app, spec, runtime)
    return app


def _add_task(app: procrastinate.App, spec: JobSpec, runtime: WorkerRuntime) -> None:
    async def perform(context: procrastinate.JobContext, /, **kwargs: Any) -> None:
        started_by = kwargs.pop("_started_by", "job")
        user_id = kwargs.pop("_user_id", None)
        priority = context.job.priority if context.job is not None else None

        async def again(more: dict[str, Any]) -> None:
            await defer(
                app,
                spec,
                more,
                started_by=started_by,
                user_id=user_id,
                priority=priority,
            )

        run = await run_job(
            spec,
            runtime.sessions,
            runtime.settings,
            kwargs=kwargs,
            started_by=started_by,
            user_id=user_id,
            runner="worker",
            again=again,
        )
        if run.status != "succeeded":
            raise JobFailed(f"{spec.name} run {run.id} {run.status}: {run.error}")

    perform.__name__ = spec.name.replace(".", "_")
    app.task(
        name=spec.name, queue=spec.queue, priority=spec.priority, pass_context=True
    )(perform)
    if not spec.periodic:
        return

    async def on_schedule(context: procrastinate.JobContext, timestamp: int) -> None:
        await perform(context, _started_by="schedule")

    on_schedule.__name__ = perform.__name__ + "_periodic"
    periodic_task = app.task(
        name=f"{spec.name}:periodic",
        queue=spec.queue,
        priority=spec.priority,
        lock=spec.lock_key({}),
        queueing_lock=f"{spec.name}:periodic",
        pass_context=True,
    )(on_schedule)
    app.periodic(cron=spec.cron(), periodic_id=spec.name)(periodic_task)


async def defer(
    app: procrastinate.App,
    spec: JobSpec,
    kwargs: Mapping[str, Any] | None = None,
    *,
    started_by: str = "user",
    user_id: int | None = None,
    priority: int | None = None,
) -> int | None:
    """Enqueue ``spec`` with its lock (and ``priority`` instead of the
    spec's); ``None`` if the same job already waits."""
    args = dict(kwargs or {})
    lock = spec.lock_key(args)
    try:
        return (
            await app.tasks[spec.name]
            .configure(
                lock=lock,
                queueing_lock=f"{spec.name}:{lock}:{sorted(args.items())}",
                priority=spec.priority if priority is None else priority,
            )
            .defer_async(**args, _started_by=started_by, _user_id=user_id)
        )
    except AlreadyEnqueued:
        return None


async def run_worker(
    settings: Settings,
    registry: JobRegistry,
    *,
    concurrency: int = 4,
    name: str | None = None,
    wait: bool = True,
    install_signal_handlers: bool = True,
    stalled_after: float = 30.0,
) -> None:
    """Apply the schema if needed and process jobs until stopped (or, with
    ``wait=False``, until the queues are empty). ``stalled_after``: seconds
    without a worker heartbeat after which that worker's jobs are retried
    (the heartbeat is sent three times as often)."""
    await ensure_schema(settings.database.url)
    runtime = WorkerRuntime(settings)
    app = build_app(settings, registry, runtime)
    try:
        async with app.open_async():
            rescue = asyncio.create_task(retry_stalled_forever(app, stalled_after))
            try:
                await app.run_worker_async(
                    concurrency=concurrency,
                    name=name or "worker",
                    wait=wait,
                    install_signal_handlers=install_signal_handlers,
                    delete_jobs="successful",
                    update_heartbeat_interval=stalled_after / 3,
                    stalled_worker_timeout=stalled_after,
                )
            finally:
                rescue.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await rescue
    finally:
        await runtime.aclose()


async def retry_stalled(app: procrastinate.App, stalled_after: float) -> int:
    """Put the jobs of workers silent for ``stalled_after`` seconds back to
    ``todo`` (their locks go with them); how many."""
    retried = 0
    for job in await app.job_manager.get_stalled_jobs(
        seconds_since_heartbeat=stalled_after
    ):
        try:
            await app.job_manager.retry_job(job)
        except ConnectorException as exc:  # another worker retried it first
            log.info("stalled job %s not retried: %s", job.id, exc)
            continue
        log.warning("retried stalled job %s (%s)", job.id, job.task_name)
        retried += 1
    return retried


async def retry_stalled_forever(app: procrastinate.App, stalled_after: float) -> None:
    """:func:`retry_stalled` every half ``stalled_after`` seconds."""
    while True:
        await asyncio.sleep(stalled_after / 2)
        try:
            await retry_stalled(app, stalled_after)
        except ConnectorException:
            log.exception("retrying stalled jobs failed; trying again later")
