"""The one retry policy (tenacity) every marketplace transport uses.

Retries :class:`~export_hub.errors.TransientError` only, with exponential
backoff and full jitter, bounded by attempts and by total time, honouring a
``retry_after`` the marketplace gave.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from export_hub.errors import TransientError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    max_seconds: float = 120.0
    initial_wait: float = 0.5
    max_wait: float = 30.0


class _Wait:
    def __init__(self, policy: RetryPolicy):
        self._backoff = wait_random_exponential(
            multiplier=policy.initial_wait, max=policy.max_wait
        )
        self._max = policy.max_wait

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        computed = self._backoff(state)
        if isinstance(exc, TransientError) and exc.retry_after:
            return min(max(exc.retry_after, computed), self._max)
        return computed


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.info("retrying after attempt %d: %s", state.attempt_number, exc)


def retrying(policy: RetryPolicy) -> AsyncRetrying:
    """``async for attempt in retrying(policy): with attempt: ...``"""
    return AsyncRetrying(
        retry=retry_if_exception_type(TransientError),
        wait=_Wait(policy),
        stop=stop_after_attempt(policy.max_attempts)
        | stop_after_delay(policy.max_seconds),
        reraise=True,
        before_sleep=_log_retry,
    )
