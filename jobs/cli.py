"""``export-hub worker`` and ``export-hub jobs ...``.

``worker`` runs the registered jobs through procrastinate (PostgreSQL); start
as many as needed, on as many machines. ``jobs run`` runs one job in the
foreground (recorded like any run), ``jobs list`` shows the registry and
``jobs schema`` applies procrastinate's tables.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import click

from export_hub.settings import Settings


@click.command("worker")
@click.option("--concurrency", type=int, default=4, show_default=True)
@click.option("--name", default=None, help="Worker name in logs and procrastinate.")
@click.option(
    "--once",
    is_flag=True,
    help="Stop when the queue is empty instead of waiting for more jobs.",
)
@click.option(
    "--stalled-after",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds without a worker's heartbeat before its jobs are retried.",
)
@click.pass_obj
def worker_command(
    obj: Any, concurrency: int, name: str | None, once: bool, stalled_after: float
) -> None:
    """Process jobs from the PostgreSQL queue (procrastinate), with the periodic
    schedules; applies procrastinate's schema first if it is missing."""
    from jobs.defaults import default_registry
    from jobs.worker import WorkerError, run_worker

    settings: Settings = obj.settings
    try:
        asyncio.run(
            run_worker(
                settings,
                default_registry(settings),
                concurrency=concurrency,
                name=name,
                wait=not once,
                stalled_after=stalled_after,
            )
        )
    except WorkerError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs: list, run one now, procrastinate schema."""


@jobs_group.command("list")
@click.pass_obj
def jobs_list(obj: Any) -> None:
    """Registered jobs and their schedules."""
    from jobs.defaults import default_registry

    for spec in default_registry(obj.settings):
        seconds = spec.interval_seconds
        if spec.cron_expression is not None:
            every = f"cron {spec.cron_expression} UTC"
        else:
            every = f"every {int(seconds)}s" if seconds is not None else "on demand"
        click.echo(f"{spec.name:40} {every:16} {spec.description}")


@jobs_group.command("run")
@click.argument("name")
@click.option("--arg", "args", multiple=True, help="key=value (JSON values allowed).")
@click.pass_obj
def jobs_run(obj: Any, name: str, args: tuple[str, ...]) -> None:
    """Run job NAME once in the foreground and print its record."""
    from jobs.defaults import default_registry

    settings: Settings = obj.settings
    registry = default_registry(settings)
    if name not in registry:
        raise click.ClickException(f"no job named {name!r}; see `export-hub jobs list`")
    kwargs = dict(_parse_arg(a) for a in args)
    run = asyncio.run(_run_once(settings, registry[name], kwargs))
    click.echo(
        f"{run.kind} #{run.id}: {run.status} in {run.duration_seconds}s "
        f"{json.dumps(run.counts)}" + (f" — {run.error}" if run.error else "")
    )
    if run.status != "succeeded":
        raise SystemExit(1)


def _parse_arg(raw: str) -> tuple[str, Any]:
    key, sep, value = raw.partition("=")
    if not sep or not key:
        raise click.BadParameter(f"{raw!r} is not key=value", param_hint="--arg")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


async def _run_once(settings: Settings, spec: Any, kwargs: dict[str, Any]) -> Any:
    from export_hub.db import create_engine_for, session_factory
    from jobs.runs import run_job

    engine = create_engine_for(settings)
    try:
        return await run_job(
            spec,
            session_factory(engine),
            settings,
            kwargs=kwargs,
            started_by="cli",
            runner="foreground",
        )
    finally:
        await engine.dispose()


@jobs_group.command("schema")
@click.pass_obj
def jobs_schema(obj: Any) -> None:
    """Apply procrastinate's schema to the PostgreSQL database (idempotent)."""
    from jobs.worker import WorkerError, ensure_schema

    try:
        applied = asyncio.run(ensure_schema(obj.settings.database.url))
    except WorkerError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        "procrastinate schema applied" if applied else "procrastinate schema present"
    )
