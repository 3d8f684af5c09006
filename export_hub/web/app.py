"""The application factory.

Resources (engine, sessions, secret box) are built in ``cleanup_ctx`` and kept
under typed ``web.AppKey``s. Each feature package contributes a
``setup(app)`` function listed in :data:`FEATURES`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from export_hub.cpu import CpuWork
from export_hub.db import create_engine_for, session_factory
from export_hub.i18n import pick
from export_hub.security import SecretBox
from export_hub.settings import Settings
from export_hub.web.keys import (
    CPU_WORK,
    ENGINE,
    SECRET_BOX,
    SERVICES,
    SESSIONS,
    SETTINGS,
)
from export_hub.web.middlewares import (
    csrf_middleware,
    error_middleware,
    input_guard_middleware,
    language_middleware,
    security_headers_middleware,
)
from export_hub.web.render import install_filters

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


def _feature_setups() -> list[Callable[[web.Application], None]]:
    # Imported here so that each feature may import the web core freely.
    from export_hub.accounts import session_web as accounts_session_web
    from export_hub.accounts import team_web as accounts_team_web
    from export_hub.accounts import users_web as accounts_users_web
    from export_hub.accounts import web as accounts_web
    from export_hub.api import openapi as api_openapi
    from export_hub.api import routes as api_routes
    from export_hub.brand import web as brand_web
    from export_hub.catalog import staff_web as catalog_staff_web
    from export_hub.catalog import web as catalog_web
    from export_hub.consultations import web as consultations_web
    from export_hub.listings import web as listings_web
    from export_hub.marketplaces import ebay_web
    from export_hub.marketplaces import web as marketplaces_web
    from export_hub.orders import web as orders_web
    from export_hub.pricing import web as pricing_web
    from export_hub.reports import api as reports_api
    from export_hub.reports import web as reports_web
    from export_hub.web import jobs_pages
    from export_hub.web import routes as core_routes

    return [
        core_routes.setup,
        accounts_web.setup,
        accounts_session_web.setup,
        accounts_users_web.setup,
        accounts_team_web.setup,
        catalog_web.setup,
        catalog_staff_web.setup,
        api_openapi.setup,
        api_routes.setup,
        marketplaces_web.setup,
        ebay_web.setup,
        consultations_web.setup,
        pricing_web.setup,
        brand_web.setup,
        jobs_pages.setup,
        listings_web.setup,
        orders_web.setup,
        reports_web.setup,
        reports_api.setup,
    ]


def create_app(settings: Settings) -> web.Application:
    """Build the web application for ``settings`` (nothing is started yet)."""
    storage = EncryptedCookieStorage(
        settings.web.cookie_key(),
        cookie_name="export_hub_session",
        httponly=True,
        secure=settings.web.secure_cookies or settings.environment == "production",
        samesite="Lax",
        max_age=settings.web.session_max_age_seconds,
    )
    app = web.Application(
        middlewares=[
            session_middleware(storage),
            security_headers_middleware,
            error_middleware,
            input_guard_middleware,
            language_middleware,
            csrf_middleware,
        ],
        client_max_size=settings.web.upload_max_bytes * 9,
    )
    app[SETTINGS] = settings
    app[SECRET_BOX] = SecretBox.from_settings(settings)
    app[CPU_WORK] = CpuWork(settings.web.cpu_work_limit)
    app[SERVICES] = {}
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    env.globals["pick"] = pick
    install_filters(env)
    app.cleanup_ctx.append(_database_ctx)
    app.router.add_static("/static/", STATIC, name="static")
    for setup in _feature_setups():
        setup(app)
    return app


async def _database_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_engine_for(settings)
    app[ENGINE] = engine
    app[SESSIONS] = session_factory(engine)
    yield
    await engine.dispose()
