"""Daily call budgets per seller and API, and revisions per listing per day.

eBay counts calls per application and day (Trading's default is 5,000) and
allows a listing at most 250 revisions a day. We count what we spend before we
spend it, in a :class:`UsageStore`: in memory for tests and benchmarks, or in
the ``ebay_daily_usage`` table so that counts survive restarts and are shared
between the web process and the job runner. Days are UTC days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from connectors.ebay.errors import seconds_until_quota_reset
from connectors.ebay.models import EbayDailyUsage
from export_hub.db import create_engine, session_factory, utcnow
from export_hub.errors import TransientError


class UsageStore(Protocol):
    async def take(
        self, seller_id: str, counter: str, day: dt.date, n: int, limit: int
    ) -> bool:
        """Add ``n`` to the counter if the total stays within ``limit``."""

    async def count(self, seller_id: str, counter: str, day: dt.date) -> int: ...


class MemoryUsageStore:
    """Counts in this process only (tests, benchmarks, the emulator demo)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, dt.date], int] = {}

    async def take(
        self, seller_id: str, counter: str, day: dt.date, n: int, limit: int
    ) -> bool:
        key = (seller_id, counter, day)
        total = self._counts.get(key, 0) + n
        if total > limit:
            return False
        self._counts[key] = total
        return True

    async def count(self, seller_id: str, counter: str, day: dt.date) -> int:
        return self._counts.get((seller_id, counter, day), 0)


class SqlUsageStore:
    """Counts in ``ebay_daily_usage``; each ``take`` is its own transaction and
    a conditional UPDATE, so two processes never overspend together.

    Each ``take`` writes in a transaction of its own: on SQLite, do not use it
    from code that holds a write transaction open across eBay calls (SQLite
    has one writer; the two would wait on each other)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        engine: AsyncEngine | None = None,
    ):
        self._sessions = sessions
        self._engine = engine

    @classmethod
    def from_url(cls, database_url: str) -> SqlUsageStore:
        """A store with its own engine (``aclose()`` disposes of it): for
        builders that have the settings but no session factory."""
        engine = create_engine(database_url)
        return cls(session_factory(engine), engine)

    async def aclose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()

    async def take(
        self, seller_id: str, counter: str, day: dt.date, n: int, limit: int
    ) -> bool:
        for _ in range(2):
            try:
                async with self._sessions() as db, db.begin():
                    await self._ensure_row(db, seller_id, counter, day)
                    result = await db.execute(
                        update(EbayDailyUsage)
                        .where(
                            EbayDailyUsage.seller_id == seller_id,
                            EbayDailyUsage.counter == counter,
                            EbayDailyUsage.day == day,
                            EbayDailyUsage.count + n <= limit,
                        )
                        .values(count=EbayDailyUsage.count + n)
                    )
                    return bool(result.rowcount)  # type: ignore[attr-defined]
            except IntegrityError:
                continue  # another process inserted the row first; count again
        return False

    async def count(self, seller_id: str, counter: str, day: dt.date) -> int:
        async with self._sessions() as db:
            value = await db.scalar(
                select(EbayDailyUsage.count).where(
                    EbayDailyUsage.seller_id == seller_id,
                    EbayDailyUsage.counter == counter,
                    EbayDailyUsage.day == day,
                )
            )
        return int(value or 0)

    @staticmethod
    async def _ensure_row(
        db: AsyncSession, seller_id: str, counter: str, day: dt.date
    ) -> None:
        exists = await db.scalar(
            select(EbayDailyUsage.id).where(
                EbayDailyUsage.seller_id == seller_id,
                EbayDailyUsage.counter == counter,
                EbayDailyUsage.day == day,
            )
        )
        if exists is None:
            db.add(
                EbayDailyUsage(seller_id=seller_id, counter=counter, day=day, count=0)
            )
            await db.flush()


class CallBudget:
    """What one seller may still spend today."""

    def __init__(
        self,
        store: UsageStore,
        *,
        daily_calls: int,
        revisions_per_listing: int,
        clock: Callable[[], dt.datetime] = utcnow,
    ):
        self.store = store
        self.daily_calls = daily_calls
        self.revisions_per_listing = revisions_per_listing
        self._clock = clock

    def today(self) -> dt.date:
        return self._clock().date()

    async def spend_call(self, seller_id: str, api: str, operation: str) -> None:
        """Count one call; raises ``TransientError`` (``retry_after`` = seconds to
        the next UTC midnight) when the day's budget is spent."""
        if not await self.store.take(
            seller_id, f"api:{api}", self.today(), 1, self.daily_calls
        ):
            exc = TransientError(
                f"daily {api} call budget of {self.daily_calls} spent",
                marketplace="ebay",
                operation=operation,
                seller_id=seller_id,
                code="budget",
            )
            exc.retry_after = seconds_until_quota_reset(self._clock())
            raise exc

    async def spend_revisions(
        self, seller_id: str, listing_keys: Sequence[str]
    ) -> set[str]:
        """Count one revision for each listing; returns those over the limit
        (their revision must wait until tomorrow)."""
        over = set()
        for key in listing_keys:
            if not await self.store.take(
                seller_id, f"revise:{key}", self.today(), 1, self.revisions_per_listing
            ):
                over.add(key)
        return over
