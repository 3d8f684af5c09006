"""Sync jobs, the same for the embedded scheduler and procrastinate workers.

The unit is one seller account's bounded step (``sync.seller``): it holds
the seller's lock (``seller-account:<id>``; procrastinate ``lock=``, or the
embedded runner's per-key lock), resolves, plans and sends at most a step's
worth (:class:`~export_hub.listings.sync.options.SyncOptions` ``step_items``
/ ``step_seconds``) and returns :class:`~jobs.registry.Again` while work
remains, so its continuation queues behind the other sellers. Which worker
serves which seller is the job engine's decision alone; a worker killed
mid-step leaves a stalled job that another worker retries
(:func:`jobs.worker.retry_stalled`), and the step's in-doubt marks make the
repeat safe.

* ``sync.run`` — one sync over a scope (all, a company, a marketplace; or a
  dry run) with progress in a ``SyncRun``, from the console or the CLI.
  Scaled out (:func:`fans_out`) it queues one ``sync.seller`` per seller,
  which add to the run's counters; the last one closes the run. Embedded (or
  a dry run, which sends nothing) it runs the sellers in this process.
* ``sync.seller`` — one step of one seller account (see above).
* ``sync.all`` — periodic: every connected seller, in this process
  (embedded) or as ``sync.seller`` jobs (scaled out).
* ``sync.push`` — the stock push: quantities marked due after stock moved,
  only those, for every seller concerned (scaled out: ``sync.seller`` jobs
  with ``push_only`` at the push's priority). The order jobs start it right
  after an import that marked listings (:func:`push_stock`).
* ``sync.follow_up`` — periodic: follows submitted listings until live or
  failed (scaled out: one ``sync.follow_seller`` per seller, under the
  seller's lock).

Every run is recorded by :func:`jobs.runs.run_job` (who started it, counts
per action and outcome, duration); the sync's own counts are returned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select, update

from export_hub.db import is_sqlite, transaction, utcnow
from export_hub.listings.models import Listing, SyncRun
from export_hub.listings.sync.follow import follow_submitted
from export_hub.listings.sync.load import seller_accounts
from export_hub.listings.sync.options import SyncOptions
from export_hub.listings.sync.run import (
    close_when_complete,
    push_first,
    run_sync,
    sync_seller_step,
)
from export_hub.orders.restock import accounts_to_push
from export_hub.settings import Settings
from jobs.registry import Again, Counts, JobSpec, Sessions

PUSH_PRIORITY = 10
FOLLOW_UP_SECONDS = 60


async def new_sync_run(
    sessions: Sessions,
    *,
    company: str | None = None,
    marketplace: str | None = None,
    account_id: int | None = None,
    dry_run: bool = False,
    started_by: str = "user",
    user_id: int | None = None,
) -> int:
    """Create the :class:`SyncRun` a console or CLI start watches; its id."""
    async with transaction(sessions) as db:
        run = SyncRun(
            status="queued",
            company_brn=company or None,
            marketplace=marketplace or None,
            seller_account_id=account_id,
            dry_run=dry_run,
            started_by=started_by,
            started_by_user_id=user_id,
            counts={},
            error="",
        )
        db.add(run)
        await db.flush()
        return run.id


async def sync_run(
    sessions: Sessions,
    settings: Settings,
    *,
    now: dt.datetime,
    sync_run_id: int | None = None,
    company: str | None = None,
    marketplace: str | None = None,
    dry_run: bool = False,
    force: bool = False,
) -> Counts:
    """Sync the scope; with ``sync_run_id`` the console watches its progress."""
    if sync_run_id is None:
        sync_run_id = await new_sync_run(
            sessions,
            company=company,
            marketplace=marketplace,
            dry_run=dry_run,
            started_by="job",
        )
    if fans_out(settings) and not dry_run:
        return await _fan_out_run(
            sessions, settings, sync_run_id, company, marketplace, force
        )
    report = await run_sync(
        sessions,
        settings,
        SyncOptions(
            company_brn=company, marketplace=marketplace, dry_run=dry_run, force=force
        ),
        sync_run_id=sync_run_id,
        now=now,
    )
    return report.as_counts()


async def _fan_out_run(
    sessions: Sessions,
    settings: Settings,
    run_id: int,
    company: str | None,
    marketplace: str | None,
    force: bool,
) -> Counts:
    """Queue one ``sync.seller`` per seller in scope for run ``run_id``."""
    async with sessions() as db:
        accounts = await seller_accounts(
            db, company_brn=company, marketplace=marketplace
        )
        due = await accounts_to_push(db)
    ordered = push_first(accounts, due, only=False)
    async with transaction(sessions) as db:
        # No owner: the run lives in the queue, not in this process; the
        # seller steps renew its heartbeat.
        await db.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id)
            .values(
                status="running",
                started_at=utcnow(),
                heartbeat_at=utcnow(),
                sellers_total=len(ordered),
                owner="",
            )
        )
    extra: dict[str, Any] = {"sync_run_id": run_id}
    if force:
        extra["force"] = True
    counts = await _defer_all(
        settings,
        sessions,
        "sync.seller",
        [{"seller_account_id": a.id, **extra} for a in ordered],
    )
    await close_when_complete(sessions, run_id)  # no seller in scope
    return counts


async def sync_seller(
    sessions: Sessions,
    settings: Settings,
    *,
    now: dt.datetime,
    seller_account_id: int,
    sync_run_id: int | None = None,
    dry_run: bool = False,
    force: bool = False,
    push_only: bool = False,
    step_items: int | None = None,
) -> Counts | Again:
    """One bounded step of one seller account (the job holds its lock);
    :class:`Again` with the same arguments while work remains.
    ``step_items`` overrides the step's size (tests, benchmarks)."""
    options = SyncOptions(dry_run=dry_run, force=force, push_only=push_only)
    if step_items is not None:
        options = replace(options, step_items=step_items)
    report, more = await sync_seller_step(
        sessions,
        settings,
        seller_account_id,
        options,
        sync_run_id=sync_run_id,
        now=now,
    )
    if not more:
        return report.as_counts()
    kwargs: dict[str, Any] = {"seller_account_id": seller_account_id}
    for name, value in (
        ("sync_run_id", sync_run_id),
        ("dry_run", dry_run),
        ("force", force),
        ("push_only", push_only),
        ("step_items", step_items),
    ):
        if value:
            kwargs[name] = value
    return Again(report.as_counts(), kwargs)


async def sync_push(
    sessions: Sessions, settings: Settings, *, now: dt.datetime
) -> Counts:
    """Send the quantities due after stock moved, and nothing else."""
    if fans_out(settings):
        async with sessions() as db:
            due = await accounts_to_push(db)
        return await _defer_all(
            settings,
            sessions,
            "sync.seller",
            [{"seller_account_id": i, "push_only": True} for i in due],
            priority=PUSH_PRIORITY,
        )
    report = await run_sync(sessions, settings, SyncOptions(push_only=True), now=now)
    return report.as_counts()


async def push_stock(
    sessions: Sessions, settings: Settings, *, now: dt.datetime
) -> Counts:
    """After stock moved: push the quantities due now — in this process
    (embedded, SQLite) or as one ``sync.push`` job for the workers (scaled
    out; a push already waiting is not queued twice). Nothing when no
    listing is due."""
    async with sessions() as db:
        due = await accounts_to_push(db)
    if not due:
        return {}
    if not fans_out(settings):
        return await sync_push(sessions, settings, now=now)
    return await _defer_all(settings, sessions, "sync.push", [{}])


def fans_out(settings: Settings) -> bool:
    """Whether sync jobs queue per-seller jobs for the workers (procrastinate)
    instead of serving the sellers in this process."""
    return not settings.jobs.embedded and not is_sqlite(settings.database.url)


async def sync_all(
    sessions: Sessions, settings: Settings, *, now: dt.datetime
) -> Counts:
    """Every connected seller: here (embedded) or as per-seller jobs (workers)."""
    if not fans_out(settings):
        return await sync_run(sessions, settings, now=now)
    async with sessions() as db:
        accounts = await seller_accounts(db)
        due = await accounts_to_push(db)
    # Sellers with stock pushes due are queued first (workers take jobs of
    # one priority in the order they were queued).
    return await _defer_all(
        settings,
        sessions,
        "sync.seller",
        [{"seller_account_id": a.id} for a in push_first(accounts, due, only=False)],
    )


async def follow_up(
    sessions: Sessions, settings: Settings, *, now: dt.datetime
) -> Counts:
    """Poll submitted listings once (bounded per seller): here, or as one
    ``sync.follow_seller`` job per seller concerned (scaled out)."""
    if not fans_out(settings):
        return await follow_submitted(sessions, settings, now=now)
    async with sessions() as db:
        accounts = list(
            await db.scalars(
                select(Listing.seller_account_id)
                .where(Listing.status == "submitted")
                .distinct()
                .order_by(Listing.seller_account_id)
            )
        )
    return await _defer_all(
        settings,
        sessions,
        "sync.follow_seller",
        [{"seller_account_id": i} for i in accounts],
    )


async def follow_seller(
    sessions: Sessions,
    settings: Settings,
    *,
    now: dt.datetime,
    seller_account_id: int,
) -> Counts:
    """Poll one seller's submitted listings once (the job holds its lock)."""
    return await follow_submitted(
        sessions, settings, now=now, account_id=seller_account_id
    )


async def _defer_all(
    settings: Settings,
    sessions: Sessions,
    name: str,
    many: list[Mapping[str, Any]],
    *,
    priority: int | None = None,
) -> Counts:
    """Queue job ``name`` once per kwargs; how many were queued or waited."""
    from jobs.defaults import default_registry
    from jobs.worker import WorkerRuntime, build_app, defer

    registry = default_registry(settings)
    app = build_app(settings, registry, WorkerRuntime(settings, sessions))
    queued = skipped = 0
    async with app.open_async():
        for kwargs in many:
            job = await defer(
                app, registry[name], kwargs, started_by="job", priority=priority
            )
            if job is None:
                skipped += 1
            else:
                queued += 1
    return {name: {"queued": queued, "already_queued": skipped}}


def seller_lock(kwargs: dict[str, Any] | Any) -> str:
    return f"seller-account:{kwargs['seller_account_id']}"


def run_lock(kwargs: dict[str, Any] | Any) -> str:
    return f"sync.run:{kwargs.get('company') or '*'}:{kwargs.get('marketplace') or '*'}"


def job_specs(settings: Settings) -> list[JobSpec]:
    """The sync jobs for :func:`jobs.defaults.default_registry`."""
    return [
        JobSpec(
            name="sync.run",
            run=sync_run,
            lock=run_lock,
            priority=5,
            description="Sync listings (all, one company or marketplace; dry run)",
        ),
        JobSpec(
            name="sync.seller",
            run=sync_seller,
            lock=seller_lock,
            description="Sync one seller account's listings",
        ),
        JobSpec(
            name="sync.all",
            run=sync_all,
            interval_seconds=settings.jobs.sync_interval_seconds,
            description="Sync every connected seller account",
        ),
        JobSpec(
            name="sync.push",
            run=sync_push,
            priority=PUSH_PRIORITY,
            description="Push quantities due after stock moved (sales elsewhere)",
        ),
        JobSpec(
            name="sync.follow_seller",
            run=follow_seller,
            lock=seller_lock,
            description="Follow one seller's submitted listings",
        ),
        JobSpec(
            name="sync.follow_up",
            run=follow_up,
            interval_seconds=FOLLOW_UP_SECONDS,
            description="Follow submitted listings until live or failed",
        ),
    ]
