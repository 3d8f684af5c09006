"""Sync jobs, the same for the embedded scheduler and procrastinate workers.

* ``sync.run`` — one sync over a scope (all, a company, a marketplace; or a
  dry run), started from the console or the CLI; progress in a ``SyncRun``.
* ``sync.seller`` — one seller account; locked per seller account, so with
  procrastinate workers a seller's rate limits hold across machines.
* ``sync.all`` — periodic. Embedded (or SQLite): syncs every seller in this
  process, round-robin. Scaled out (PostgreSQL, ``jobs.embedded = false``):
  enqueues one ``sync.seller`` job per connected seller account instead.
* ``sync.push`` — the stock push: quantities marked due after stock moved
  (a sale on another channel), only those, for every seller concerned. The
  order jobs start it right after an import that marked listings
  (:func:`push_stock`), so a sale reaches the other channels within the
  order pull that imported it, not at the next ``sync.all``.
* ``sync.follow_up`` — periodic: follows submitted listings until live or
  failed.

Every run is recorded by :func:`jobs.runs.run_job` (who started it, counts
per action and outcome, duration); the sync's own counts are returned.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from export_hub.db import is_sqlite, transaction
from export_hub.listings.models import SyncRun
from export_hub.listings.sync.follow import follow_submitted
from export_hub.listings.sync.load import seller_accounts
from export_hub.listings.sync.options import SyncOptions
from export_hub.listings.sync.run import run_sync
from export_hub.orders.restock import accounts_to_push
from export_hub.settings import Settings
from jobs.registry import Counts, JobSpec, Sessions

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


async def sync_seller(
    sessions: Sessions,
    settings: Settings,
    *,
    now: dt.datetime,
    seller_account_id: int,
    sync_run_id: int | None = None,
    dry_run: bool = False,
) -> Counts:
    """Sync one seller account (the job holds its per-seller lock)."""
    report = await run_sync(
        sessions,
        settings,
        SyncOptions(account_id=seller_account_id, dry_run=dry_run),
        sync_run_id=sync_run_id,
        now=now,
    )
    return report.as_counts()


async def sync_push(
    sessions: Sessions, settings: Settings, *, now: dt.datetime
) -> Counts:
    """Send the quantities due after stock moved, and nothing else."""
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
    from jobs.defaults import default_registry
    from jobs.worker import WorkerRuntime, build_app, defer

    registry = default_registry(settings)
    app = build_app(settings, registry, WorkerRuntime(settings, sessions))
    async with app.open_async():
        job = await defer(app, registry["sync.push"], {}, started_by="job")
    return {"sync.push": {"queued" if job is not None else "already_queued": 1}}


def fans_out(settings: Settings) -> bool:
    """Whether ``sync.all`` enqueues per-seller jobs (procrastinate) instead of
    syncing in this process."""
    return not settings.jobs.embedded and not is_sqlite(settings.database.url)


async def sync_all(
    sessions: Sessions, settings: Settings, *, now: dt.datetime
) -> Counts:
    """Every connected seller: here (embedded) or as per-seller jobs (workers)."""
    if not fans_out(settings):
        return await sync_run(sessions, settings, now=now)
    from jobs.defaults import default_registry
    from jobs.worker import WorkerRuntime, build_app, defer

    async with sessions() as db:
        accounts = await seller_accounts(db)
        due = set(await accounts_to_push(db))
    # Sellers with stock pushes due are queued first (workers take jobs of
    # one priority in the order they were queued).
    accounts.sort(key=lambda a: a.id not in due)
    registry = default_registry(settings)
    app = build_app(settings, registry, WorkerRuntime(settings, sessions))
    queued = skipped = 0
    async with app.open_async():
        for account in accounts:
            job = await defer(
                app,
                registry["sync.seller"],
                {"seller_account_id": account.id},
                started_by="job",
            )
            if job is None:
                skipped += 1
            else:
                queued += 1
    return {"sync.seller": {"queued": queued, "already_queued": skipped}}


async def follow_up(
    sessions: Sessions, settings: Settings, *, now: dt.datetime
) -> Counts:
    """Poll submitted listings once (bounded per seller)."""
    return await follow_submitted(sessions, settings, now=now)


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
            priority=10,
            description="Push quantities due after stock moved (sales elsewhere)",
        ),
        JobSpec(
            name="sync.follow_up",
            run=follow_up,
            interval_seconds=FOLLOW_UP_SECONDS,
            description="Follow submitted listings until live or failed",
        ),
    ]
