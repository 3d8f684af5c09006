"""eBay's daily call budgets kept in the database (``ebay_daily_usage``).

Implements :class:`connectors.ebay.budget.BudgetStore`, so that every worker
of a scaled-out deployment spends one seller's daily quota together and the
counts survive restarts.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from export_hub.db import create_engine, session_factory
from export_hub.marketplaces.models import EbayDailyUsage


class SqlBudgetStore:
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
    def from_url(cls, database_url: str) -> SqlBudgetStore:
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
