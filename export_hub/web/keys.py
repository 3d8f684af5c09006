"""Typed application keys for resources built in ``cleanup_ctx``."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from export_hub.security import SecretBox
from export_hub.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
SECRET_BOX = web.AppKey("secret_box", SecretBox)
#: Feature packages keep their own long-lived services here by name.
SERVICES = web.AppKey("services", dict[str, Any])
