"""The sync of one seller account, in bounded steps (a job's unit of work).

Which worker serves which seller is the job engine's business, not this
module's: a ``sync.seller`` job (:mod:`jobs.sync`) holds the seller's lock
(procrastinate ``lock=``, or the embedded runner's per-key lock) and calls
:meth:`SyncEngine.step`, which does a bounded amount of work — resolve what
is in doubt, plan, send batches until ``SyncOptions.step_items`` listings or
``step_seconds`` — and says whether work remains; the job then defers its
continuation, so sellers are served fairly by the queue, and a worker killed
mid-step leaves a stalled job the engine gives to another worker.

There is no scheduler, lease table or heartbeat of our own any more (the
round-robin across sellers, ``sync_claims`` and its renewals were removed:
they duplicated the engine's locks; ``bench/national.py`` measures the
engine's scheduling). Inside one process :func:`seller_exclusive` still
keeps two in-process runs (the embedded runner, ``export-hub sync``, a test)
off one seller at a time.

:func:`run_sync` runs every seller in scope in this process (the embedded
runner, the CLI on SQLite, tests and benchmarks): each seller's steps one
after the other, up to ``max_parallel_sellers`` sellers at once, sellers
with stock pushes due first.

Stock pushes come before everything else: a sale on one marketplace lowers
what the others may offer. The planner orders quantity and end work first
within a seller; across sellers, those with quantities marked due by the
order import (:func:`export_hub.orders.restock.accounts_to_push`) start
first (in-process) or are queued first at a higher priority (workers).
``SyncOptions.push_only`` serves their quantity work alone.

Batches use the bulk paths where they pay (see the builder's capabilities in
:mod:`export_hub.marketplaces.registry`): eBay sends 25 listings or
price/quantity updates a call; Amazon sends a ``JSON_LISTINGS_FEED`` when a
seller has at least ``feed_threshold`` listings to create or replace, single
PUT/PATCH calls otherwise.

Crash safety: before a batch is sent, its listings are marked
``in_doubt_operation`` and committed; the answers are recorded, each with its
listing update, in one transaction. A listing still in doubt at the next step
(a killed worker, a timeout) is looked up on the marketplace before anything
is sent again; every send is idempotent per SKU, so nothing is duplicated,
and sent hashes are recorded only after success, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections import Counter, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.base import MarketplaceConnector, SubmissionResult
from export_hub.brand.config import BrandConfig, load_brand, resolve_config_path
from export_hub.db import is_sqlite, transaction, utcnow
from export_hub.errors import (
    AuthorizationError,
    MarketplaceError,
)
from export_hub.listings.models import Listing, SyncRun
from export_hub.listings.sync import record
from export_hub.listings.sync.load import RateBook, load_plan_inputs, seller_accounts
from export_hub.listings.sync.options import SyncOptions, SyncReport
from export_hub.listings.sync.plan import FULL, Action, PlanRules, Work, plan
from export_hub.listings.sync.send import error_outcome, send_batch
from export_hub.liveness import beat_forever, new_owner
from export_hub.marketplaces.models import SellerAccount
from export_hub.marketplaces.registry import ConnectorRegistry, NotConnected
from export_hub.orders.restock import accounts_to_push
from export_hub.pricing.config import PricingConfig, load_pricing
from export_hub.settings import Settings

log = logging.getLogger(__name__)
Sessions = async_sessionmaker[AsyncSession]


@dataclass
class _Seller:
    account: SellerAccount
    connector: MarketplaceConnector | None = None
    work: deque[Work] = field(default_factory=deque)


#: The work a stock push sends (and all ``push_only`` sends).
PUSH = frozenset({Action.UPDATE_QUANTITY, Action.END})


def load_configs(settings: Settings) -> tuple[BrandConfig, PricingConfig]:
    return (
        load_brand(resolve_config_path(settings.brand.file)),
        load_pricing(resolve_config_path(settings.brand.pricing_file)),
    )


#: Per event loop: the seller accounts being served in this process.
_SERVING: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, asyncio.Lock]] = (
    WeakKeyDictionary()
)


@contextlib.asynccontextmanager
async def seller_exclusive(account_id: int) -> AsyncIterator[None]:
    """Hold seller ``account_id`` in this process (waits while another
    in-process run serves it). Across processes the job engine's lock does
    this; within one, jobs of different keys (``sync.all`` in process and a
    ``sync.seller``) may otherwise meet on one seller."""
    locks = _SERVING.setdefault(asyncio.get_running_loop(), {})
    lock = locks.setdefault(account_id, asyncio.Lock())
    async with lock:
        yield


class SyncEngine:
    """Sync state shared by the steps of one run (connectors, rates, report):
    :meth:`step` serves one seller once, :meth:`run` every seller in scope."""

    def __init__(
        self,
        sessions: Sessions,
        settings: Settings,
        options: SyncOptions | None = None,
        *,
        connectors: ConnectorRegistry | None = None,
        sync_run_id: int | None = None,
        now: dt.datetime | None = None,
        configs: tuple[BrandConfig, PricingConfig] | None = None,
    ):
        self.sessions = sessions
        self.settings = settings
        self.options = options or SyncOptions()
        self._own_connectors = connectors is None
        self.connectors = connectors or ConnectorRegistry(settings)
        self.run_id = sync_run_id
        self.now = now or utcnow()
        self._clock_start = time.monotonic()
        self.brand, self.pricing = configs or load_configs(settings)
        self.rules = PlanRules.from_brand(
            self.brand, aging_seconds=self.options.aging_seconds
        )
        self.pause_hours = self.brand.sync.needs_human_pause_hours
        self.report = SyncReport(dry_run=self.options.dry_run)
        self.rates = RateBook(self.pricing, self.now.date())
        #: The counts already added to the run's row (several jobs add theirs).
        self._written: dict[str, Counter[str]] = {}
        # SQLite has one writer at a time; queueing our own concurrent writers
        # here avoids its busy handler's sleeps (PostgreSQL needs no such lock).
        self._write_lock = asyncio.Lock() if is_sqlite(settings.database.url) else None

    def instant(self) -> dt.datetime:
        """Now on the run's clock (its start plus the time since): what
        happens during the run is recorded when it happened."""
        return self.now + dt.timedelta(seconds=time.monotonic() - self._clock_start)

    @contextlib.asynccontextmanager
    async def _tx(self) -> AsyncIterator[AsyncSession]:
        """A write transaction (serialised per process on SQLite)."""
        if self._write_lock is None:
            async with transaction(self.sessions) as db:
                yield db
            return
        async with self._write_lock, transaction(self.sessions) as db:
            yield db

    async def aclose(self) -> None:
        """Close the connectors this engine opened."""
        if self._own_connectors:
            await self.connectors.aclose()

    async def run(self) -> SyncReport:
        """Sync every seller account in scope in this process; the report."""
        started = time.monotonic()
        heartbeat = asyncio.create_task(
            beat_forever(self._progress, self.settings.jobs.heartbeat_seconds)
        )
        try:
            async with self.sessions() as db:
                accounts = await seller_accounts(
                    db,
                    company_brn=self.options.company_brn,
                    marketplace=self.options.marketplace,
                    account_id=self.options.account_id,
                )
                due = await accounts_to_push(db)
            ordered = push_first(accounts, due, only=self.options.push_only)
            self.report.sellers = len(ordered)
            await self._progress(
                sellers_total=len(ordered), status="running", owner=new_owner()
            )
            slots = asyncio.Semaphore(max(1, self.options.max_parallel_sellers))

            async def serve(account: SellerAccount) -> None:
                more = True
                while more:
                    # A slot per step, not per seller: a busy seller waits
                    # its turn between steps like a continuation job would.
                    async with slots:
                        more = await self.step(account)

            await asyncio.gather(*(serve(a) for a in ordered))
        finally:
            heartbeat.cancel()
            await self.aclose()
            self.report.seconds = round(time.monotonic() - started, 3)
        return self.report

    async def step(self, account: SellerAccount) -> bool:
        """Serve ``account`` once, a bounded amount; ``True`` if work remains
        (run it again: the continuation re-plans and goes on)."""
        async with seller_exclusive(account.id):
            seller = _Seller(account)
            more = await self._serve(seller)
            if more:
                # The continuation plans what is left again: count it once.
                self.report.planned -= len(seller.work)
                await self._progress(planned=-len(seller.work))
        if not more and not self.options.dry_run:
            await self._progress(sellers_done=1)
        return more

    async def _serve(self, seller: _Seller) -> bool:
        if not self.options.dry_run and not await self._start(seller):
            return False
        await self._plan(seller)
        if self.options.dry_run:
            return False
        deadline = time.monotonic() + self.options.step_seconds
        sent = 0
        while seller.work:
            if sent >= self.options.step_items or time.monotonic() >= deadline:
                return True
            batch = self._next_batch(seller, max(1, self.options.step_items - sent))
            await self._send(seller, batch)
            sent += len(batch)
        return False

    async def _start(self, seller: _Seller) -> bool:
        """Connect, set up and resolve doubts; ``False`` if the seller cannot
        be served now."""
        account = seller.account
        try:
            seller.connector = self.connectors.connector_for(account)
            await self._prepare(seller)
            await self._resolve_doubts(seller)
        except NotConnected:
            self.report.add("seller", "not_connected")
            return False
        except AuthorizationError:
            await self._revoked(account)
            return False
        except MarketplaceError as exc:
            log.warning("seller %s not synced this run: %s", account.id, exc)
            self.report.add("seller", "unavailable")
            return False
        return True

    async def _prepare(self, seller: _Seller) -> None:
        setup = await self.connectors.prepare(seller.account, _connector(seller))
        if setup is not None and dict(setup) != dict(seller.account.setup or {}):
            async with self._tx() as db:
                row = await db.get_one(SellerAccount, seller.account.id)
                row.setup = {**(row.setup or {}), **dict(setup)}
            seller.account.setup = {**(seller.account.setup or {}), **dict(setup)}

    async def _resolve_doubts(self, seller: _Seller) -> None:
        """Look up every listing whose last operation's outcome is unknown."""
        async with self.sessions() as db:
            doubtful = list(
                await db.scalars(
                    select(Listing).where(
                        Listing.seller_account_id == seller.account.id,
                        Listing.in_doubt_operation.is_not(None),
                    )
                )
            )
        connector = _connector(seller)
        for listing in doubtful:
            try:
                state = await connector.get_listing(listing.sku)
            except AuthorizationError:
                raise
            except MarketplaceError as exc:
                log.info("listing %s still in doubt: %s", listing.id, exc)
                self.report.add("check", "unknown")
                continue
            async with self._tx() as db:
                row = await db.get_one(Listing, listing.id)
                operation = row.in_doubt_operation
                row.in_doubt_operation = None
                if state is not None:
                    await record.apply_state(
                        db,
                        row,
                        state,
                        now=self.instant(),
                        run_id=self.run_id,
                        pause_hours=self.pause_hours,
                    )
                record.event(
                    db,
                    row,
                    "check",
                    "found" if state else "absent",
                    now=self.instant(),
                    run_id=self.run_id,
                    operation=operation,
                )
            self.report.add("check", "found" if state else "absent")

    async def _plan(self, seller: _Seller) -> None:
        async with self.sessions() as db:
            candidates = await load_plan_inputs(
                db,
                seller.account,
                self.rates,
                self.brand,
                self.pricing,
                public_base_url=self.settings.web.public_base_url,
                force=self.options.force,
            )
        result = plan(
            candidates,
            self.brand,
            self.pricing,
            self.rules,
            now=self.now,
            public_base_url=self.settings.web.public_base_url,
            force=self.options.force,
        )
        if self.options.push_only:
            result.work = [w for w in result.work if w.action in PUSH]
        for reason, n in result.skipped.items():
            self.report.add("skip", reason, n)
        self.report.planned += len(result.work)
        if self.options.dry_run:
            for work in result.work:
                self.report.add(work.action.value, "planned")
            await self._progress(
                planned=len(result.work), done=len(result.work), sellers_done=1
            )
            return
        if result.fingerprints:
            async with self._tx() as db:
                await record.store_fingerprints(db, result.fingerprints)
        seller.work = deque(await self._materialise(seller.account, result.work))
        await self._progress(planned=len(result.work))

    async def _materialise(
        self, account: SellerAccount, work: list[Work]
    ) -> list[Work]:
        """Create listing rows for new work and note since when work waits."""
        new = [
            (
                item,
                Listing(
                    product_id=item.product_id,
                    seller_account_id=account.id,
                    marketplace=account.marketplace,
                    sku=item.sku,
                    status="pending",
                    sent_hashes={},
                    pending_since=self.now,
                ),
            )
            for item in work
            if item.listing_row_id is None
        ]
        async with self._tx() as db:
            db.add_all([row for _, row in new])
            await db.flush()
            rows = {id(item): row.id for item, row in new}
            out = [
                _with_row(item, rows[id(item)]) if id(item) in rows else item
                for item in work
            ]
            waiting = [w.listing_row_id for w in out if w.listing_row_id is not None]
            for start in range(0, len(waiting), 500):
                await db.execute(
                    update(Listing)
                    .where(
                        Listing.id.in_(waiting[start : start + 500]),
                        Listing.pending_since.is_(None),
                    )
                    .values(pending_since=self.now)
                )
        return out

    def _next_batch(self, seller: _Seller, budget: int) -> list[Work]:
        """The next batch: one action group, at most what the step's
        ``budget`` (listings) allows, yet a feed stays a feed."""
        first = seller.work[0]
        builder = self.connectors.builder(seller.account.marketplace)
        batched = (
            builder.content_batch
            if first.action in FULL
            else builder.price_quantity_batch
        )
        limit = (
            self.options.batch_size if batched > 1 else self.options.single_batch_size
        )
        if first.action in FULL:
            threshold = builder.feed_threshold
            remaining = sum(1 for w in seller.work if w.action in FULL)
            if threshold is not None and remaining >= threshold:
                limit = max(min(remaining, budget), threshold)
            else:
                limit = min(limit, budget)
        elif first.action is Action.PREFLIGHT:
            limit = 500
        else:
            limit = min(limit, budget)
        batch: list[Work] = []
        kept: deque[Work] = deque()
        group = FULL if first.action in FULL else {first.action}
        while seller.work:
            item = seller.work.popleft()
            if item.action in group and len(batch) < limit:
                batch.append(item)
            else:
                kept.append(item)
        seller.work = kept
        return batch

    async def _send(self, seller: _Seller, batch: list[Work]) -> None:
        action = batch[0].action
        if action is Action.PREFLIGHT:
            await self._record_preflight(batch)
            return
        if action is Action.CHECK:
            # Still in doubt after the lookup failed: try again next run.
            self.report.add("check", "deferred", len(batch))
            await self._progress(done=len(batch))
            return
        await self._mark_in_doubt(batch)
        try:
            self.report.api_calls += 1
            outcomes = await send_batch(
                _connector(seller),
                self.connectors.builder(seller.account.marketplace),
                batch,
            )
        except AuthorizationError as exc:
            await self._record_errors(batch, exc, "unauthorized")
            await self._revoked(seller.account)
            seller.work.clear()
            return
        await self._record(outcomes)

    async def _mark_in_doubt(self, batch: list[Work]) -> None:
        async with self._tx() as db:
            for start in range(0, len(batch), 500):
                chunk = batch[start : start + 500]
                for action in {w.action for w in chunk}:
                    await db.execute(
                        update(Listing)
                        .where(
                            Listing.id.in_(
                                [w.listing_row_id for w in chunk if w.action is action]
                            )
                        )
                        .values(in_doubt_operation=action.value)
                    )

    async def _record(
        self, outcomes: list[tuple[Work, SubmissionResult | MarketplaceError]]
    ) -> None:
        async with self._tx() as db:
            rows = await _listings(db, [w.listing_row_id for w, _ in outcomes])
            for work, answer in outcomes:
                listing = rows[work.listing_row_id]
                if isinstance(answer, MarketplaceError):
                    outcome = error_outcome(answer)
                    await record.record_error(
                        db,
                        listing,
                        work,
                        answer,
                        outcome,
                        now=self.instant(),
                        run_id=self.run_id,
                        pause_hours=self.pause_hours,
                    )
                else:
                    outcome = await record.record_result(
                        db,
                        listing,
                        work,
                        answer,
                        now=self.instant(),
                        run_id=self.run_id,
                        pause_hours=self.pause_hours,
                    )
                self.report.add(work.action.value, outcome)
            await self._progress_in(db, done=len(outcomes))

    async def _record_errors(
        self, batch: list[Work], exc: MarketplaceError, outcome: str
    ) -> None:
        async with self._tx() as db:
            for work in batch:
                listing = await db.get_one(Listing, work.listing_row_id)
                await record.record_error(
                    db,
                    listing,
                    work,
                    exc,
                    outcome,
                    now=self.instant(),
                    run_id=self.run_id,
                    pause_hours=self.pause_hours,
                )
                self.report.add(work.action.value, outcome)
            await self._progress_in(db, done=len(batch))

    async def _record_preflight(self, batch: list[Work]) -> None:
        async with self._tx() as db:
            for work in batch:
                listing = await db.get_one(Listing, work.listing_row_id)
                outcome = await record.record_preflight(
                    db, listing, work, now=self.instant(), run_id=self.run_id
                )
                self.report.add("preflight", outcome)
            await self._progress_in(db, done=len(batch))

    async def _revoked(self, account: SellerAccount) -> None:
        """The seller withdrew consent (or it expired): ask for re-authorization."""
        async with self._tx() as db:
            row = await db.get_one(SellerAccount, account.id)
            row.status = "revoked"
            row.last_check_at = utcnow()
            row.last_check_ok = False
            row.last_check_message = (
                "마켓플레이스가 인증을 거부했습니다. 다시 연결해 주세요. / "
                "The marketplace refused the authorization: reconnect the account."
            )
        self.report.add("seller", "reauthorize")

    # -- progress ---------------------------------------------------------------

    async def _progress(self, **changes: Any) -> None:
        if self.run_id is None:
            return
        async with self._tx() as db:
            await self._progress_in(db, **changes)

    async def _progress_in(self, db: AsyncSession, **changes: Any) -> None:
        """Add to the run's counters and counts (several jobs of one run add
        theirs: increments, and the counts under the row's lock) and beat
        its heartbeat."""
        if self.run_id is None:
            return
        values: dict[str, Any] = {}
        for name in ("planned", "done", "sellers_done"):
            if changes.get(name):
                values[name] = getattr(SyncRun, name) + changes[name]
        if "sellers_total" in changes:
            values["sellers_total"] = changes["sellers_total"]
        if changes.get("status") == "running":
            values["status"] = "running"
            values["started_at"] = utcnow()
            values["owner"] = changes["owner"]
        # Every progress write is a sign of life (see jobs/maintenance.py).
        values["heartbeat_at"] = utcnow()
        delta = self._unwritten()
        if delta:
            stored = await db.scalar(
                select(SyncRun.counts)
                .where(SyncRun.id == self.run_id)
                .with_for_update()
            )
            values["counts"] = add_counts(stored or {}, delta)
        await db.execute(
            update(SyncRun).where(SyncRun.id == self.run_id).values(**values)
        )
        for action, per in delta.items():
            self._written.setdefault(action, Counter()).update(per)

    def _unwritten(self) -> dict[str, dict[str, int]]:
        """The report's counts not yet added to the run's row."""
        delta: dict[str, dict[str, int]] = {}
        for action, per in self.report.counts.items():
            written = self._written.get(action, Counter())
            changed = {o: n - written[o] for o, n in per.items() if n != written[o]}
            if changed:
                delta[action] = changed
        return delta


def add_counts(
    into: dict[str, dict[str, int]], more: dict[str, dict[str, int]]
) -> dict[str, dict[str, int]]:
    """``into`` plus ``more``, per action and outcome (a new dict)."""
    out = {action: dict(per) for action, per in into.items()}
    for action, per in more.items():
        target = out.setdefault(action, {})
        for outcome, n in per.items():
            target[outcome] = target.get(outcome, 0) + n
    return dict(sorted(out.items()))


async def _listings(
    db: AsyncSession, ids: list[int | None]
) -> dict[int | None, Listing]:
    """The batch's listings in one query (and which have no issues)."""
    wanted = [i for i in ids if i is not None]
    found = {
        row.id: row
        for row in await db.scalars(select(Listing).where(Listing.id.in_(wanted)))
    }
    await record.note_issue_free(db, wanted)
    return {key: row for key, row in found.items()}


def push_first(
    accounts: list[SellerAccount], due: list[int], *, only: bool
) -> list[SellerAccount]:
    """The run's sellers: those with pushes due first (oldest sale first),
    then the others in their order (none with ``only``)."""
    by_id = {a.id: a for a in accounts}
    urgent = [by_id[i] for i in due if i in by_id]
    if only:
        return urgent
    pushed = set(due)
    return urgent + [a for a in accounts if a.id not in pushed]


def _connector(seller: _Seller) -> MarketplaceConnector:
    if seller.connector is None:
        raise RuntimeError(f"seller account {seller.account.id} has no connector")
    return seller.connector


def _with_row(work: Work, row_id: int) -> Work:
    return replace(work, listing_row_id=row_id)


async def run_sync(
    sessions: Sessions,
    settings: Settings,
    options: SyncOptions | None = None,
    *,
    connectors: ConnectorRegistry | None = None,
    sync_run_id: int | None = None,
    now: dt.datetime | None = None,
) -> SyncReport:
    """Run one sync and close its :class:`SyncRun` (when given) with the result."""
    engine = SyncEngine(
        sessions,
        settings,
        options,
        connectors=connectors,
        sync_run_id=sync_run_id,
        now=now,
    )
    status, error = "failed", ""
    try:
        report = await engine.run()
        status = "succeeded"
        return report
    except asyncio.CancelledError:
        status, error = "cancelled", "cancelled"
        raise
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        raise
    finally:
        if sync_run_id is not None:
            await asyncio.shield(
                _close_run(sessions, sync_run_id, status, error, engine.report)
            )


async def _close_run(
    sessions: Sessions, run_id: int, status: str, error: str, report: SyncReport
) -> None:
    async with transaction(sessions) as db:
        await db.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id)
            .values(
                status=status,
                error=error,
                counts=report.as_counts(),
                finished_at=utcnow(),
            )
        )


async def sync_seller_step(
    sessions: Sessions,
    settings: Settings,
    account_id: int,
    options: SyncOptions | None = None,
    *,
    sync_run_id: int | None = None,
    now: dt.datetime | None = None,
    connectors: ConnectorRegistry | None = None,
) -> tuple[SyncReport, bool]:
    """One bounded step of one seller account (a ``sync.seller`` job's
    work): its report and whether work remains. The caller holds the
    seller's lock (the job engine's) and defers the continuation; with a
    ``sync_run_id`` the run's counters grow, and the run is closed when its
    last seller is done. An account not connected (any more) is done."""
    options = replace(options or SyncOptions(), account_id=account_id)
    engine = SyncEngine(
        sessions,
        settings,
        options,
        connectors=connectors,
        sync_run_id=sync_run_id,
        now=now,
    )
    started = time.monotonic()
    more = False
    try:
        async with sessions() as db:
            accounts = await seller_accounts(db, account_id=account_id)
        if not accounts:
            engine.report.add("seller", "not_connected")
            await engine._progress(sellers_done=1)
        else:
            engine.report.sellers = 1
            more = await engine.step(accounts[0])
    except Exception:
        engine.report.add("seller", "failed")
        await asyncio.shield(engine._progress(sellers_done=1))
        raise
    finally:
        await engine.aclose()
        engine.report.seconds = round(time.monotonic() - started, 3)
        if sync_run_id is not None and not more:
            await asyncio.shield(close_when_complete(sessions, sync_run_id))
    return engine.report, more


async def close_when_complete(sessions: Sessions, run_id: int) -> bool:
    """Close a run served by per-seller jobs once all its sellers are done
    (``failed`` if one of them failed); ``True`` if this call closed it."""
    async with transaction(sessions) as db:
        run = await db.scalar(
            select(SyncRun).where(SyncRun.id == run_id).with_for_update()
        )
        if run is None or run.status not in ("queued", "running"):
            return False
        if run.sellers_done < run.sellers_total:
            return False
        failed = (run.counts or {}).get("seller", {}).get("failed", 0)
        run.status = "failed" if failed else "succeeded"
        run.error = f"{failed} seller(s) failed" if failed else ""
        run.finished_at = utcnow()
        return True
