"""Order jobs, the same for the embedded scheduler and procrastinate workers.

* ``orders.pull`` — import one seller account's orders. Locked with the
  sync's per-seller key (``seller-account:<id>``), so a seller's order reads
  and listing pushes never run at once and share its API budget.
* ``orders.pull_all`` — periodic (``orders.pull_interval_seconds``).
  Embedded (or SQLite): pulls every connected seller here, one after the
  other, a failing seller not stopping the others. Scaled out (PostgreSQL,
  ``jobs.embedded = false``): enqueues one ``orders.pull`` per seller.

After importing, both push the stock that moved (:func:`jobs.sync.push_stock`:
the other channels' quantities marked due by the import, nothing else). Why
here and not at the next ``sync.all``: orders are pulled every 300 s by
default, listings synced every 900 s, so waiting for the sync would leave a
sold unit on offer elsewhere for up to 15 minutes more; pushing right after
the pull corrects the other channel within the pull interval that saw the
sale. ``orders.pull_all`` pushes once, after all its sellers, so one push
serves every sale of the round.
* ``orders.ship_by_reminders`` — periodic: one e-mail per open order whose
  ship-by date is within ``orders.at_risk_hours``.

The marketplace connectors come from ``settings.orders.connector_factory``
(:mod:`export_hub.orders.connect`).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from export_hub.db import transaction
from export_hub.errors import MarketplaceError
from export_hub.marketplaces.models import SellerAccount
from export_hub.orders.connect import connector_factory
from export_hub.orders.importer import import_orders
from export_hub.orders.lines import OPEN_STATUSES
from export_hub.orders.models import Order, OrderNotice
from export_hub.orders.notify import notify_order
from export_hub.settings import Settings
from jobs.registry import Counts, JobSpec, Sessions
from jobs.sync import fans_out, push_stock, seller_lock

log = logging.getLogger(__name__)
REMINDER_BATCH = 200


async def connected_accounts(
    sessions: Sessions, *, company_brn: str | None = None
) -> list[SellerAccount]:
    """Connected seller accounts (of one company), oldest first."""
    from export_hub.accounts.models import Company

    query = select(SellerAccount).where(SellerAccount.status == "connected")
    if company_brn:
        query = query.join(Company, Company.id == SellerAccount.company_id).where(
            Company.brn == company_brn
        )
    async with sessions() as db:
        return list(await db.scalars(query.order_by(SellerAccount.id)))


async def pull(
    sessions: Sessions,
    settings: Settings,
    *,
    now: dt.datetime,
    seller_account_id: int,
) -> Counts:
    """Import one seller account's orders (the job holds its seller lock)."""
    report = await import_orders(
        sessions,
        settings,
        seller_account_id,
        factory=connector_factory(settings),
        now=now,
    )
    counts = report.as_counts()
    _merge(counts, await push_stock(sessions, settings, now=now))
    return counts


async def pull_all(
    sessions: Sessions, settings: Settings, *, now: dt.datetime
) -> Counts:
    """Every connected seller: here (embedded) or as per-seller jobs (workers)."""
    accounts = await connected_accounts(sessions)
    if fans_out(settings):
        return await _enqueue_pulls(sessions, settings, [a.id for a in accounts])
    factory = connector_factory(settings)
    counts: Counts = {"orders.pull": {"ok": 0, "failed": 0}}
    for account in accounts:
        try:
            report = await import_orders(
                sessions, settings, account.id, factory=factory, now=now
            )
        except MarketplaceError as exc:
            counts["orders.pull"]["failed"] += 1
            log.warning("orders.pull seller_account=%s failed: %s", account.id, exc)
            continue
        counts["orders.pull"]["ok"] += 1
        _merge(counts, report.as_counts())
    _merge(counts, await push_stock(sessions, settings, now=now))
    return counts


def _merge(counts: Counts, more: Counts) -> None:
    for action, outcomes in more.items():
        merged = counts.setdefault(action, {})
        for outcome, n in outcomes.items():
            merged[outcome] = merged.get(outcome, 0) + n


async def _enqueue_pulls(
    sessions: Sessions, settings: Settings, account_ids: list[int]
) -> Counts:
    from jobs.defaults import default_registry
    from jobs.worker import WorkerRuntime, build_app, defer

    registry = default_registry(settings)
    app = build_app(settings, registry, WorkerRuntime(settings, sessions))
    queued = skipped = 0
    async with app.open_async():
        for account_id in account_ids:
            job = await defer(
                app,
                registry["orders.pull"],
                {"seller_account_id": account_id},
                started_by="job",
            )
            if job is None:
                skipped += 1
            else:
                queued += 1
    return {"orders.pull": {"queued": queued, "already_queued": skipped}}


async def ship_by_reminders(
    sessions: Sessions, settings: Settings, *, now: dt.datetime
) -> int:
    """E-mail the company once about each open order due to ship within
    ``orders.at_risk_hours`` (late ones included). Returns mails queued.

    The notice row (UNIQUE order, kind) is written with the mails, so each
    order's reminder goes out once even with two runs at the same moment.
    """
    horizon = now + dt.timedelta(hours=settings.orders.at_risk_hours)
    async with sessions() as db:
        due = list(
            await db.scalars(
                select(Order.id)
                .outerjoin(
                    OrderNotice,
                    (OrderNotice.order_id == Order.id)
                    & (OrderNotice.kind == "ship_by"),
                )
                .where(
                    Order.status.in_([s.value for s in OPEN_STATUSES]),
                    Order.ship_by.is_not(None),
                    Order.ship_by <= horizon,
                    OrderNotice.id.is_(None),
                )
                .order_by(Order.ship_by)
                .limit(REMINDER_BATCH)
            )
        )
    queued = 0
    for order_id in due:
        try:
            async with transaction(sessions) as db:
                order = (
                    await db.scalars(
                        select(Order)
                        .where(Order.id == order_id)
                        .options(selectinload(Order.lines))
                    )
                ).one()
                if order.status not in OPEN_STATUSES:
                    continue
                queued += await notify_order(
                    db, settings, order, list(order.lines), "ship_by", now
                )
        except IntegrityError:
            continue  # another run sent it at the same moment
    return queued


def job_specs(settings: Settings) -> list[JobSpec]:
    """The order jobs for :func:`jobs.registry.default_registry`."""
    return [
        JobSpec(
            name="orders.pull",
            run=pull,
            lock=seller_lock,
            priority=5,
            description="Import one seller account's orders",
        ),
        JobSpec(
            name="orders.pull_all",
            run=pull_all,
            interval_seconds=settings.orders.pull_interval_seconds,
            description="Import every connected seller account's orders",
        ),
        JobSpec(
            name="orders.ship_by_reminders",
            run=ship_by_reminders,
            interval_seconds=settings.orders.reminder_interval_seconds,
            description="E-mail companies about orders close to their ship-by date",
        ),
    ]
