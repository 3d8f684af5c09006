"""The sync executor: runs the plan for many sellers, fairly and crash-safely.

Sellers are served round-robin by up to ``max_parallel_sellers`` workers: a
worker takes the seller at the head of the queue, does one *turn* (its first
turn claims the seller, resolves operations left in doubt and plans; later
turns send one batch of its highest-priority work) and puts the seller back
at the tail. One busy company therefore never delays the others, and each
seller's calls are paced by its own rate limiters in the connectors.

Stock pushes come before everything else: a sale on one marketplace lowers
what the others may offer, and every minute the old quantity stays up is a
chance to oversell. The sellers with quantities marked due by the order
import (:func:`export_hub.orders.restock.accounts_to_push`) head the queue,
and while such a seller's next work is quantity (or end) work it goes back
to the *head* of the queue, not the tail, so its pushes are sent before any
other seller's price, content or new listings. ``SyncOptions.push_only``
serves those sellers' quantity work alone (the push right after an import).

Batches use the bulk paths where they pay (see the builder's capabilities in
:mod:`export_hub.marketplaces.registry`): eBay sends 25 listings or
price/quantity updates a call; Amazon sends a ``JSON_LISTINGS_FEED`` when a
seller has at least ``feed_threshold`` listings to create or replace, single
PUT/PATCH calls otherwise.

Crash safety: before a batch is sent, its listings are marked
``in_doubt_operation`` and committed; the answers are recorded, each with its
listing update, in one transaction. A listing still in doubt at the next run
(a crash, a timeout) is looked up on the marketplace before anything is sent
again; every send is idempotent per SKU, so nothing is duplicated, and sent
hashes are recorded only after success, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

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
from export_hub.listings.sync import claims, record
from export_hub.listings.sync.load import RateBook, load_plan_inputs, seller_accounts
from export_hub.listings.sync.options import SyncOptions, SyncReport
from export_hub.listings.sync.plan import FULL, Action, PlanRules, Work, plan
from export_hub.listings.sync.send import error_outcome, send_batch
from export_hub.liveness import beat_forever
from export_hub.marketplaces.models import SellerAccount
from export_hub.marketplaces.registry import ConnectorRegistry, NotConnected
from export_hub.orders.restock import accounts_to_push
from export_hub.pricing.config import PricingConfig, load_pricing
from export_hub.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
Sessions = async_sessionmaker[AsyncSession]


@dataclass
class _Seller:
    account: SellerAccount
    connector: MarketplaceConnector | None = None
    work: deque[Work] = field(default_factory=deque)
    started: bool = False
    claimed: bool = False
    #: Stock moved: its quantity work goes before every other seller's work.
    urgent: bool = False

    @property
    def pushing(self) -> bool:
        """Urgent, and its next work is a quantity push or an end."""
        return self.urgent and bool(self.work) and self.work[0].action in PUSH


#: The work a stock push sends (and all ``push_only`` sends).
PUSH = frozenset({Action.UPDATE_QUANTITY, Action.END})


def load_configs(settings: Settings) -> tuple[BrandConfig, PricingConfig]:
    return (
        load_brand(resolve_config_path(settings.brand.file)),
        load_pricing(resolve_config_path(settings.brand.pricing_file)),
    )


class SyncEngine:
    """One sync run (see the module docstring). ``await engine.run()``."""

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
        self.owner = claims.new_owner()
        self.lease = dt.timedelta(seconds=self.options.lease_seconds)
        self.report = SyncReport(dry_run=self.options.dry_run)
        self.rates = RateBook(self.pricing, self.now.date())
        self._sellers: list[_Seller] = []
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

    async def _locked(
        self, fn: Callable[..., Awaitable[T]], *args: Any, **kw: Any
    ) -> T:
        if self._write_lock is None:
            return await fn(self.sessions, *args, **kw)
        async with self._write_lock:
            return await fn(self.sessions, *args, **kw)

    async def run(self) -> SyncReport:
        """Sync every seller account in scope; returns the report."""
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
            queue = deque(_push_first(accounts, due, only=self.options.push_only))
            self.report.sellers = len(queue)
            await self._progress(sellers_total=len(queue), status="running")
            self._sellers = list(queue)
            workers = max(1, min(self.options.max_parallel_sellers, len(queue)))
            await asyncio.gather(*(self._worker(queue) for _ in range(workers)))
        finally:
            heartbeat.cancel()
            # Cancelled or failed: give back every claim still held, so the
            # next run need not wait for the leases to expire.
            held = [s for s in self._sellers if s.claimed]
            if held:
                await asyncio.shield(self._release_all(held))
            if self._own_connectors:
                await self.connectors.aclose()
            self.report.seconds = round(time.monotonic() - started, 3)
        return self.report

    async def _worker(self, queue: deque[_Seller]) -> None:
        while queue:
            seller = queue.popleft()
            if not await self._turn(seller):
                await self._finish(seller)
            elif seller.pushing:
                queue.appendleft(seller)  # pushes first (module docstring)
            else:
                queue.append(seller)

    async def _turn(self, seller: _Seller) -> bool:
        """One turn for ``seller``; ``True`` if it has more work."""
        if not seller.started:
            seller.started = True
            return await self._start(seller)
        if not seller.work:
            return False
        if not await self._locked(
            claims.renew, seller.account.id, self.owner, lease=self.lease
        ):
            self.report.add("seller", "claim_lost")
            seller.work.clear()
            return False
        batch = self._next_batch(seller)
        await self._send(seller, batch)
        return bool(seller.work)

    async def _start(self, seller: _Seller) -> bool:
        account = seller.account
        if self.options.dry_run:
            await self._plan(seller)
            return False
        if not await self._locked(
            claims.claim, account.id, self.owner, lease=self.lease
        ):
            self.report.add("seller", "busy")
            return False
        seller.claimed = True
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
        await self._plan(seller)
        return bool(seller.work)

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

    def _next_batch(self, seller: _Seller) -> list[Work]:
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
                limit = max(remaining, limit)
        elif first.action is Action.PREFLIGHT:
            limit = 500
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
        heartbeat = asyncio.create_task(self._keep_claim(seller))
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
        finally:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)
        await self._record(outcomes)

    async def _keep_claim(self, seller: _Seller) -> None:
        """Renew the seller's lease while a long call (a feed) is in flight."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            await self._locked(
                claims.renew, seller.account.id, self.owner, lease=self.lease
            )

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

    async def _release_all(self, sellers: list[_Seller]) -> None:
        for seller in sellers:
            seller.claimed = False
            await self._locked(claims.release, seller.account.id, self.owner)

    async def _finish(self, seller: _Seller) -> None:
        if seller.claimed:
            seller.claimed = False
            await self._locked(claims.release, seller.account.id, self.owner)
        if not self.options.dry_run:
            await self._progress(sellers_done=1)

    # -- progress ---------------------------------------------------------------

    async def _progress(self, **changes: Any) -> None:
        if self.run_id is None:
            return
        async with self._tx() as db:
            await self._progress_in(db, **changes)

    async def _progress_in(self, db: AsyncSession, **changes: Any) -> None:
        """Add to the run's counters (atomic increments, safe across workers)
        and store the counts so far."""
        if self.run_id is None:
            return
        values: dict[str, Any] = {}
        for name in ("planned", "done", "sellers_done"):
            if name in changes:
                values[name] = getattr(SyncRun, name) + changes[name]
        if "sellers_total" in changes:
            values["sellers_total"] = changes["sellers_total"]
        if changes.get("status") == "running":
            values["status"] = "running"
            values["started_at"] = utcnow()
            values["owner"] = self.owner
        # Every progress write is a sign of life (see jobs/maintenance.py).
        values["heartbeat_at"] = utcnow()
        values["counts"] = self.report.as_counts()
        await db.execute(
            update(SyncRun).where(SyncRun.id == self.run_id).values(**values)
        )


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


def _push_first(
    accounts: list[SellerAccount], due: list[int], *, only: bool
) -> list[_Seller]:
    """The run's sellers: those with pushes due first (oldest sale first,
    marked urgent), then the others in their order (none with ``only``)."""
    by_id = {a.id: a for a in accounts}
    urgent = [_Seller(by_id[i], urgent=True) for i in due if i in by_id]
    if only:
        return urgent
    return urgent + [_Seller(a) for a in accounts if a.id not in set(due)]


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
