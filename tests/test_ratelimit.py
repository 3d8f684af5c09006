"""Token buckets and the retry policy, on a fake clock (no I/O)."""

from __future__ import annotations

import pytest

from connectors.ratelimit import Rate, RateLimiterRegistry, TokenBucket
from connectors.retry import RetryPolicy, retrying
from export_hub.errors import InvalidListing, RateLimited


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_burst_then_paces_at_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(Rate(5, 10), clock=clock)
    waits = [bucket.reserve() for _ in range(12)]
    assert waits[:10] == [0.0] * 10
    assert waits[10] == pytest.approx(0.2)
    assert waits[11] == pytest.approx(0.4)
    clock.now = 10.0
    assert bucket.reserve() == 0.0


def test_bucket_adopts_granted_rate_and_penalises() -> None:
    clock = FakeClock()
    bucket = TokenBucket(Rate(5, 1), clock=clock)
    bucket.set_rate(0.5)
    assert bucket.reserve() == 0.0
    assert bucket.reserve() == pytest.approx(2.0)
    clock.now = 100
    bucket.penalise()
    assert bucket.reserve() == pytest.approx(2.0)


def test_registry_keeps_one_bucket_per_seller_and_operation() -> None:
    reg = RateLimiterRegistry({"put": Rate(5, 10)}, scale=2.0, clock=FakeClock())
    a = reg.bucket("put", "SELLER-A", "ATVPDKIKX0DER")
    assert a is reg.bucket("put", "SELLER-A", "ATVPDKIKX0DER")
    assert a is not reg.bucket("put", "SELLER-B", "ATVPDKIKX0DER")
    assert a.rate.per_second == 10


async def _count_attempts(policy: RetryPolicy, error: Exception) -> int:
    calls = 0

    async def attempt_all() -> None:
        nonlocal calls
        async for attempt in retrying(policy):
            with attempt:
                calls += 1
                raise error

    with pytest.raises(type(error)):
        await attempt_all()
    return calls


async def test_retry_retries_transient_errors_only() -> None:
    policy = RetryPolicy(
        max_attempts=3, max_seconds=5, initial_wait=0.001, max_wait=0.01
    )
    slow = RateLimited("slow down", marketplace="amazon", operation="put")
    bad = InvalidListing("bad", marketplace="amazon", operation="put")
    assert await _count_attempts(policy, slow) == 3
    assert await _count_attempts(policy, bad) == 1
