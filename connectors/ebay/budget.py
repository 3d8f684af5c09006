"""Daily call budgets per seller and API, and revisions per listing per day.

eBay counts calls per application and day (Trading's default is 5,000) and
allows a listing at most 250 revisions a day. We count what we spend before we
spend it, in a :class:`BudgetStore`: :class:`MemoryBudgetStore` in one
process, or a store the application provides that keeps the counts in its
database, so that they survive restarts and are shared between processes.
Days are UTC days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Protocol

from connectors.clock import utcnow
from connectors.ebay.errors import seconds_until_quota_reset
from export_hub.errors import TransientError


class BudgetStore(Protocol):
    """Daily counters per seller. ``counter`` is ``api:<api>`` (calls) or
    ``revise:<listing>`` (revisions); ``day`` is a UTC date."""

    async def take(
        self, seller_id: str, counter: str, day: dt.date, n: int, limit: int
    ) -> bool:
        """Add ``n`` to the counter if the total stays within ``limit``; say
        whether it did. Atomic: concurrent callers never overspend together."""
        ...

    async def count(self, seller_id: str, counter: str, day: dt.date) -> int:
        """The counter's total so far (0 when never taken)."""
        ...


class MemoryBudgetStore:
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


class CallBudget:
    """What one seller may still spend today."""

    def __init__(
        self,
        store: BudgetStore,
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
