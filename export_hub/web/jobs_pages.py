"""Jobs in the web application: the embedded scheduler's life cycle and the
staff page ``/staff/jobs`` (registered jobs, recent runs, run now).

The web layer sits above :mod:`jobs`: it imports the runner, never the other
way round. With ``jobs.embedded`` (the default), :func:`jobs_ctx` starts the
:class:`~jobs.embedded.EmbeddedScheduler` with the app and stops it cleanly
on shutdown. Otherwise (PostgreSQL, ``export-hub worker`` processes) the page
enqueues through procrastinate.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from export_hub.db import is_sqlite
from export_hub.errors import Text, ValidationFailed
from export_hub.web.auth import require_staff
from export_hub.web.keys import JOB_REGISTRY, QUEUE, SCHEDULER, SESSIONS, SETTINGS
from export_hub.web.render import render
from jobs.defaults import default_registry
from jobs.embedded import EmbeddedScheduler
from jobs.runs import recent_runs, run_kinds
from jobs.worker import WorkerRuntime, build_app, defer

STATUSES = ("running", "succeeded", "failed", "cancelled")


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(jobs_ctx)
    app.router.add_get("/staff/jobs", jobs_page, name="staff_jobs")
    app.router.add_post("/staff/jobs/run", run_now)


async def jobs_ctx(app: web.Application) -> AsyncIterator[None]:
    """Start the embedded scheduler (or open the queue) with the app."""
    settings = app[SETTINGS]
    registry = default_registry(settings)
    app[JOB_REGISTRY] = registry
    if settings.jobs.embedded:
        scheduler = EmbeddedScheduler(registry, app[SESSIONS], settings)
        app[SCHEDULER] = scheduler
        scheduler.start()
        try:
            yield
        finally:
            await scheduler.aclose()
        return
    if is_sqlite(settings.database.url):
        yield  # nothing runs jobs: the settings say so (see README)
        return
    queue = build_app(settings, registry, WorkerRuntime(settings, app[SESSIONS]))
    app[QUEUE] = queue
    async with queue.open_async():
        yield


async def jobs_page(request: web.Request) -> web.Response:
    """Registered jobs and recent runs, filtered by job and by outcome (an
    unknown job or outcome shows all)."""
    await require_staff(request)
    registry = request.app[JOB_REGISTRY]
    async with request.app[SESSIONS]() as db:
        kinds = sorted({spec.name for spec in registry} | set(await run_kinds(db)))
        kind = request.query.get("kind", "")
        kind = kind if kind in kinds else ""
        status = request.query.get("status", "")
        status = status if status in STATUSES else ""
        runs = await recent_runs(db, kind=kind or None, status=status or None)
    return await render(
        request,
        "jobs/runs.html",
        {
            "specs": list(registry),
            "runs": runs,
            "kind": kind,
            "kinds": kinds,
            "status": status,
            "statuses": STATUSES,
            "embedded": SCHEDULER in request.app,
            "next_due": {
                spec.name: request.app[SCHEDULER].next_due(spec.name)
                for spec in registry.periodic()
            }
            if SCHEDULER in request.app
            else {},
            "any_running": any(run.status == "running" for run in runs),
            "can_run": SCHEDULER in request.app or QUEUE in request.app,
        },
    )


async def run_now(request: web.Request) -> web.StreamResponse:
    """Start one periodic (argument-free) job now; 400 for an unknown name."""
    user = await require_staff(request)
    form = await request.post()
    name = str(form.get("name", ""))
    registry = request.app[JOB_REGISTRY]
    if name not in registry or not registry[name].periodic:
        raise ValidationFailed(
            {
                "name": Text(
                    "지금 실행할 수 없는 작업입니다.",
                    "This job cannot be run from here.",
                )
            }
        )
    if SCHEDULER in request.app:
        request.app[SCHEDULER].trigger(name, started_by="user", user_id=user.id)
    elif QUEUE in request.app:
        await defer(
            request.app[QUEUE], registry[name], started_by="user", user_id=user.id
        )
    else:
        raise ValidationFailed(
            {
                "name": Text(
                    "작업 실행기가 꺼져 있습니다.", "No job runner is configured."
                )
            }
        )
    raise web.HTTPSeeOther(f"/staff/jobs?kind={name}")
