"""The jobs the product runs: every job module registered in one registry,
with the schedules from the settings (for the embedded scheduler, the
procrastinate workers and ``export-hub jobs``)."""

from __future__ import annotations

import importlib
import importlib.util
import logging

from export_hub.settings import Settings
from jobs import maintenance, pricing_jobs
from jobs.registry import JobRegistry, JobSpec

log = logging.getLogger(__name__)


#: Job modules of features built alongside; each exposes ``job_specs(settings)``
#: (a list of :class:`JobSpec`) or ``PERIODIC_JOBS`` (name, run, interval_seconds).
FEATURE_JOB_MODULES = ("jobs.consultations", "jobs.sync", "jobs.orders")


def default_registry(settings: Settings) -> JobRegistry:
    """Every job the product runs, with the schedules from the settings."""
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
            if getattr(job, "needed", None) is None or job.needed(settings)
        ]
    log.warning("%s defines neither job_specs() nor PERIODIC_JOBS", module_name)
    return []
