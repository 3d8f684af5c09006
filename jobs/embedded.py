"""The embedded runner: periodic jobs inside ``export-hub serve`` (SQLite default).

:class:`EmbeddedScheduler` runs each periodic job every ``interval_seconds``
(first run one interval after start), each run as its own asyncio task.
Runs with the same lock key never overlap: a periodic run whose lock is held
is skipped until its next turn; a manual :meth:`EmbeddedScheduler.trigger`
waits for the lock. A job that returns :class:`~jobs.registry.Again` (a
seller's bounded sync step) is queued again on its lock, behind the runs
already waiting for it (``asyncio.Lock`` wakes its waiters in order).
The clock and sleep are injected so tests need no waiting.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from export_hub.db import utcnow
from export_hub.settings import Settings
from jobs.models import JobRun
from jobs.registry import JobRegistry, JobSpec, Sessions
from jobs.runs import run_job

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], Awaitable[None]]


class EmbeddedScheduler:
    """Runs a registry's periodic jobs in this process until :meth:`aclose`."""

    def __init__(
        self,
        registry: JobRegistry,
        sessions: Sessions,
        settings: Settings,
        *,
        clock: Clock = utcnow,
        sleep: Sleep = asyncio.sleep,
        max_sleep_seconds: float = 1.0,
    ):
        self.registry = registry
        self.sessions = sessions
        self.settings = settings
        self._clock = clock
        self._sleep = sleep
        self._max_sleep = max_sleep_seconds
        self._locks: dict[str, asyncio.Lock] = {}
        self._next_due: dict[str, dt.datetime] = {}
        self._tasks: set[asyncio.Task[JobRun | None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def _lock(self, key: str) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    def start(self) -> None:
        """Start the scheduling loop as a background task."""
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(
                self.run_forever(), name="jobs-embedded"
            )

    async def run_forever(self) -> None:
        start = self._clock()
        for spec in self.registry.periodic():
            self._next_due[spec.name] = spec.next_after(start)
        while not self._stopping.is_set():
            now = self._clock()
            self.start_due(now)
            await self._sleep(self._seconds_to_next(now))

    def _seconds_to_next(self, now: dt.datetime) -> float:
        if not self._next_due:
            return self._max_sleep
        wait = (min(self._next_due.values()) - now).total_seconds()
        return min(max(wait, 0.0), self._max_sleep)

    def start_due(self, now: dt.datetime) -> list[asyncio.Task[JobRun | None]]:
        """Start every periodic job due at ``now``; returns the started tasks."""
        started = []
        for spec in self.registry.periodic():
            due = self._next_due.setdefault(spec.name, now)
            if due > now:
                continue
            self._next_due[spec.name] = spec.next_after(now)
            lock = self._lock(spec.lock_key({}))
            if lock.locked():
                log.info("job %s still running; skipped this turn", spec.name)
                continue
            started.append(self._spawn(spec, {}, "schedule", None, wait_for_lock=False))
        return started

    def trigger(
        self,
        name: str,
        kwargs: Mapping[str, Any] | None = None,
        *,
        started_by: str = "user",
        user_id: int | None = None,
    ) -> asyncio.Task[JobRun | None]:
        """Run job ``name`` now (after any run holding the same lock)."""
        return self._spawn(self.registry[name], dict(kwargs or {}), started_by, user_id)

    def _spawn(
        self,
        spec: JobSpec,
        kwargs: dict[str, Any],
        started_by: str,
        user_id: int | None,
        *,
        wait_for_lock: bool = True,
    ) -> asyncio.Task[JobRun | None]:
        lock = self._lock(spec.lock_key(kwargs))

        async def guarded() -> JobRun | None:
            if not wait_for_lock and lock.locked():
                return None
            async with lock:
                return await run_job(
                    spec,
                    self.sessions,
                    self.settings,
                    kwargs=kwargs,
                    started_by=started_by,
                    user_id=user_id,
                    runner="embedded",
                    now=self._clock(),
                    again=again,
                )

        async def again(more: dict[str, Any]) -> None:
            self._spawn(spec, more, started_by, user_id)

        task = asyncio.create_task(guarded(), name=f"job:{spec.name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def next_due(self, name: str) -> dt.datetime | None:
        """When periodic job ``name`` runs next (``None`` before the loop starts)."""
        return self._next_due.get(name)

    async def drain(self) -> None:
        """Wait until every job run started so far has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    @property
    def running(self) -> bool:
        return self._loop_task is not None and not self._loop_task.done()

    async def aclose(self) -> None:
        """Stop scheduling and cancel running jobs (their runs say ``cancelled``)."""
        self._stopping.set()
        pending = [t for t in (self._loop_task, *self._tasks) if t is not None]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._loop_task = None
