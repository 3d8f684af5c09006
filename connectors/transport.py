"""The one call path every marketplace transport composes:
rate limiter → retry policy → error translation.

A marketplace supplies a :class:`Translate` function that turns its library's
exceptions into :mod:`export_hub.errors` (or returns ``None`` for a bug that
must propagate), and the bucket to draw from. :func:`call` does the rest, the
same way for Amazon and eBay:

* waits for a token from the bucket before every attempt (retries included);
* retries :class:`~export_hub.errors.TransientError` with the project's one
  tenacity policy (:mod:`connectors.retry`); a 429 also empties the bucket so
  the following calls pace at the granted rate;
* raises the translated error ``from`` the original, so no token-bearing
  library object ends up in the message.

:class:`SingleFlight` shares one in-flight call per key among concurrent
callers (one OAuth refresh per seller, one schema download per product type,
however many calls need it at once).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from connectors.ratelimit import TokenBucket
from connectors.retry import RetryPolicy, retrying
from export_hub.errors import MarketplaceError, RateLimited

T = TypeVar("T")


@dataclass(frozen=True)
class CallContext:
    """What an error must say about the call (never a secret)."""

    marketplace: str
    operation: str
    seller_id: str | None = None
    sku: str | None = None


class Translate(Protocol):
    def __call__(
        self, exc: BaseException, context: CallContext
    ) -> MarketplaceError | None:
        """The project error for ``exc``, or ``None`` to let it propagate."""
        ...


@dataclass
class CallStats:
    """Counters for benchmarks and metrics (per transport)."""

    calls: int = 0
    attempts: int = 0
    throttled: int = 0
    failed: int = 0


async def call(
    context: CallContext,
    bucket: TokenBucket,
    fn: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    translate: Translate,
    stats: CallStats | None = None,
) -> T:
    """Run ``fn`` under the bucket, the retry policy and error translation.

    Raises the translated :class:`~export_hub.errors.MarketplaceError` once the
    policy gives up (transient) or at once (needs a human, skippable).
    """
    stats = stats or CallStats()
    stats.calls += 1
    try:
        async for attempt in retrying(policy):
            with attempt:
                await bucket.acquire()
                stats.attempts += 1
                try:
                    return await fn()
                except MarketplaceError as exc:
                    _note(exc, bucket, stats)
                    raise
                except Exception as exc:
                    mapped = translate(exc, context)
                    if mapped is None:
                        raise
                    _note(mapped, bucket, stats)
                    raise mapped from exc
    except MarketplaceError:
        stats.failed += 1
        raise
    raise AssertionError("unreachable: tenacity reraises the last error")


def _note(exc: MarketplaceError, bucket: TokenBucket, stats: CallStats) -> None:
    if isinstance(exc, RateLimited):
        stats.throttled += 1
        bucket.penalise()


class SingleFlight(Generic[T]):
    """Concurrent callers asking for the same key share one in-flight call.

    Unlike a lock, every waiter wakes at once when the call finishes (a lock
    hands over to one waiter per event-loop turn: thousands of waiters would
    start seconds apart). A failure reaches every waiter; the next call
    after it starts afresh.
    """

    def __init__(self) -> None:
        self._flights: dict[str, asyncio.Future[T]] = {}

    async def run(self, key: str, fn: Callable[[], Awaitable[T]]) -> T:
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(fn())
            self._flights[key] = flight
            flight.add_done_callback(lambda _: self._flights.pop(key, None))
        # One waiter being cancelled must not cancel the shared call.
        return await asyncio.shield(flight)
