"""The jobs Export Hub runs, named once for both runners.

A :class:`JobSpec` names an async function ``run(sessions, settings, *, now,
**kwargs)`` returning how much it did (an ``int``, or ``{action: {outcome:
n}}``), an optional schedule (``interval_seconds``; procrastinate gets the
equivalent cron), and a lock key function: two runs with the same key never
run at once, in-process (embedded) or across workers (procrastinate ``lock``).
The default key is the job name, so a periodic job never overlaps itself;
per-seller jobs key on the seller account.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from croniter import croniter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.settings import Settings

log = logging.getLogger(__name__)

Sessions = async_sessionmaker[AsyncSession]
Counts = dict[str, dict[str, int]]
JobFunction = Callable[..., Awaitable[int | Mapping[str, Mapping[str, int]] | None]]
LockKey = Callable[[Mapping[str, Any]], str]


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


def counts_from(
    result: int | Mapping[str, Mapping[str, int]] | None, name: str
) -> Counts:
    """A job's result as ``{action: {outcome: n}}``."""
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


#: Job modules of features built alongside; each exposes ``job_specs(settings)``
#: (a list of :class:`JobSpec`) or ``PERIODIC_JOBS`` (name, run, interval_seconds).
FEATURE_JOB_MODULES = ("jobs.consultations", "jobs.sync", "jobs.orders")


def default_registry(settings: Settings) -> JobRegistry:
    """Every job the product runs, with the schedules from the settings."""
    from jobs import maintenance, pricing_jobs

    registry = JobRegistry()
    pricing_jobs.register(registry, settings)
    maintenance.register(registry)
    for module_name in FEATURE_JOB_MODULES:
        for spec in _feature_specs(module_name, settings):
            registry.register(spec)
    for module_name in settings.jobs.extra_modules:
        for spec in _feature_specs(module_name, settings, required=True):
            registry.register(spec)
    return registry


def _feature_specs(
    module_name: str, settings: Settings, *, required: bool = False
) -> list[JobSpec]:
    try:
        spec = importlib.util.find_spec(module_name)
    except ModuleNotFoundError:  # a missing parent package
        spec = None
    if spec is None:
        if required:
            raise ValueError(f"jobs.extra_modules: no module named {module_name!r}")
        return []
    module = importlib.import_module(module_name)
    if hasattr(module, "job_specs"):
        return list(module.job_specs(settings))
    if hasattr(module, "PERIODIC_JOBS"):
        return [
            JobSpec(
                name=job.name,
                run=job.run,
                interval_seconds=job.interval_seconds,
                description=(job.run.__doc__ or "").strip().split("\n")[0],
            )
            for job in module.PERIODIC_JOBS
        ]
    log.warning("%s defines neither job_specs() nor PERIODIC_JOBS", module_name)
    return []
