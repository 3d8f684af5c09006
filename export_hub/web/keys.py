"""Typed application keys for resources built in ``cleanup_ctx``."""

from __future__ import annotations

from typing import Any

import procrastinate
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from export_hub.cpu import CpuWork
from export_hub.security import SecretBox
from export_hub.settings import Settings
from jobs.embedded import EmbeddedScheduler
from jobs.registry import JobRegistry

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
SECRET_BOX = web.AppKey("secret_box", SecretBox)
#: Bounded off-loop CPU work: password hashes, image checks.
CPU_WORK = web.AppKey("cpu_work", CpuWork)
#: Feature packages keep their own long-lived services here by name.
SERVICES = web.AppKey("services", dict[str, Any])
#: Every registered job (:func:`jobs.defaults.default_registry`).
JOB_REGISTRY = web.AppKey("job_registry", JobRegistry)
#: The embedded scheduler, with ``jobs.embedded``.
SCHEDULER = web.AppKey("job_scheduler", EmbeddedScheduler)
#: The procrastinate queue jobs are deferred to, without ``jobs.embedded``.
QUEUE = web.AppKey("job_queue", procrastinate.App)
