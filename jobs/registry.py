"""The jobs Export Hub runs, named once for both runners.

A :class:`JobSpec` names an async function ``run(sessions, settings, *, now,
**kwargs)`` returning how much it did (an ``int``, or ``{action: {outcome:
n}}``, or :class:`Again` when a bounded step left work), an optional
schedule (``interval_seconds``; procrastinate gets the equivalent cron), and a
lock key function: two runs with the same key never run at once, in-process
(embedded) or across workers (procrastinate ``lock``).
The default key is the job name, so a periodic job never overlaps itself;
per-seller jobs key on the seller account.

Which jobs the product registers is :func:`jobs.defaults.default_registry`'s
business: this module knows no job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from croniter import croniter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Sessions = async_sessionmaker[AsyncSession]
Counts = dict[str, dict[str, int]]
LockKey = Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class Again:
    """A job's result when its bounded step is done and work remains: the
    runner runs the job again with ``kwargs`` under the same lock, after the
    jobs already waiting (procrastinate: a deferred continuation; embedded:
    a new run queued on the lock; foreground: at once)."""

    counts: Mapping[str, Mapping[str, int]]
    kwargs: Mapping[str, Any]


JobResult = int | Mapping[str, Mapping[str, int]] | Again | None
JobFunction = Callable[..., Awaitable[JobResult]]


@dataclass(frozen=True)
class JobSpec:
    """One registered job."""

    name: str
    run: JobFunction
    #: Run every this many seconds (periodic jobs only).
    interval_seconds: float | None = None
    #: Key of the lock held while the job runs, from its arguments.
    lock: LockKey | None = None
    queue: str = "default"
    #: procrastinate priority: higher runs first.
    priority: int = 0
    description: str = ""
    #: Or a cron schedule, in UTC (``"0 3 * * *"``: 03:00 UTC daily).
    cron_expression: str | None = None

    def lock_key(self, kwargs: Mapping[str, Any]) -> str:
        return self.lock(kwargs) if self.lock is not None else self.name

    @property
    def periodic(self) -> bool:
        return self.interval_seconds is not None or self.cron_expression is not None

    def cron(self) -> str:
        """The schedule as procrastinate's cron (a 6th field means seconds)."""
        if self.cron_expression is not None:
            if not croniter.is_valid(self.cron_expression):
                raise ValueError(f"{self.name}: invalid cron {self.cron_expression!r}")
            return self.cron_expression
        return interval_to_cron(self.interval_seconds or 0)

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """When the embedded runner next runs this periodic job after ``moment``."""
        if self.cron_expression is not None:
            following: dt.datetime = croniter(
                self.cron_expression, moment.astimezone(dt.UTC)
            ).get_next(dt.datetime)
            return following
        return moment + dt.timedelta(seconds=self.interval_seconds or 0)


def interval_to_cron(seconds: float) -> str:
    """``every N seconds`` as cron; N must divide a minute, an hour or a day."""
    s = int(seconds)
    if s != seconds or s <= 0:
        raise ValueError(
            f"interval must be a positive whole number of seconds: {seconds}"
        )
    if s < 60 and 60 % s == 0:
        return f"* * * * * */{s}"
    if s % 60 == 0 and s < 3600 and 3600 % s == 0:
        return f"*/{s // 60} * * * *"
    if s % 3600 == 0 and s < 86400 and 86400 % s == 0:
        return f"0 */{s // 3600} * * *"
    if s == 86400:
        return "0 0 * * *"
    raise ValueError(
        f"interval {s}s does not divide a minute, an hour or a day; "
        "pick e.g. 30, 60, 300, 900, 3600 or 21600"
    )


def counts_from(result: JobResult, name: str) -> Counts:
    """A job's result as ``{action: {outcome: n}}``."""
    if isinstance(result, Again):
        result = result.counts
    if result is None:
        return {}
    if isinstance(result, int):
        return {name.rsplit(".", 1)[-1]: {"done": result}}
    return {
        str(a): {str(o): int(n) for o, n in outcomes.items()}
        for a, outcomes in result.items()
    }


class JobRegistry:
    """Job specs by name."""

    def __init__(self) -> None:
        self._specs: dict[str, JobSpec] = {}

    def register(self, spec: JobSpec) -> JobSpec:
        if spec.name in self._specs:
            raise ValueError(f"job {spec.name!r} registered twice")
        if spec.periodic:
            spec.cron()  # fail at registration, not in the worker
        self._specs[spec.name] = spec
        return spec

    def __getitem__(self, name: str) -> JobSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise KeyError(
                f"no job named {name!r}; known: {sorted(self._specs)}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[JobSpec]:
        return iter(sorted(self._specs.values(), key=lambda s: s.name))

    def periodic(self) -> list[JobSpec]:
        return [spec for spec in self if spec.periodic]
