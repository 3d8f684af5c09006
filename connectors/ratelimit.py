"""Client-side rate limiting: token buckets keyed by (seller, marketplace,
operation), shared by every connector.

A bucket hands out reservations: each caller takes the next free slot and
sleeps until it, so concurrent callers are served in arrival order without a
thundering herd after a wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """``per_second`` sustained, ``burst`` at once."""

    per_second: float
    burst: int

    def scaled(self, factor: float) -> Rate:
        return Rate(self.per_second * factor, self.burst)


class TokenBucket:
    def __init__(
        self,
        rate: Rate,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = asyncio.sleep,
    ):
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(rate.burst)
        self._updated = clock()
        #: Total seconds callers waited here (for benchmarks and metrics).
        self.waited_seconds = 0.0

    def _refill(self) -> None:
        now = self._clock()
        elapsed = now - self._updated
        self._updated = now
        self._tokens = min(
            float(self.rate.burst), self._tokens + elapsed * self.rate.per_second
        )

    def reserve(self) -> float:
        """Take a token; return how long to wait before using it (seconds)."""
        self._refill()
        self._tokens -= 1.0
        if self._tokens >= 0:
            return 0.0
        return -self._tokens / self.rate.per_second

    async def acquire(self) -> None:
        delay = self.reserve()
        if delay > 0:
            self.waited_seconds += delay
            await self._sleep(delay)  # type: ignore[misc]

    def set_rate(self, per_second: float) -> None:
        """Adopt the rate the marketplace says it granted (never raise burst)."""
        if per_second > 0 and abs(per_second - self.rate.per_second) > 1e-9:
            self._refill()
            self.rate = Rate(per_second, self.rate.burst)

    def penalise(self) -> None:
        """After a 429: empty the bucket so the next calls pace at the rate."""
        self._refill()
        self._tokens = min(self._tokens, 0.0)


class RateLimiterRegistry:
    """One :class:`TokenBucket` per key, created on first use from a default."""

    def __init__(
        self,
        defaults: dict[str, Rate],
        *,
        scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._defaults = defaults
        self._scale = scale
        self._clock = clock
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}

    def bucket(self, operation: str, *key: str) -> TokenBucket:
        full = (operation, *key)
        found = self._buckets.get(full)
        if found is None:
            rate = self._defaults[operation].scaled(self._scale)
            found = self._buckets[full] = TokenBucket(rate, clock=self._clock)
        return found

    def observe_granted_rate(
        self, operation: str, *key: str, per_second: float
    ) -> None:
        self.bucket(operation, *key).set_rate(per_second * self._scale)

    @property
    def waited_seconds(self) -> float:
        return sum(b.waited_seconds for b in self._buckets.values())
