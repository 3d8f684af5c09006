"""Shared fixtures: a freshly migrated real database per test (SQLite always,
PostgreSQL too when ``EXPORT_HUB_TEST_DATABASE_URL`` is set), settings, the web
application and a logged-in client.

Each backend is migrated once per session into a template (a file for SQLite,
a template database for PostgreSQL) and cloned per test, as procrastinate does.

A test that holds on one backend only says so with
``@pytest.mark.backend("postgresql")`` (or ``"sqlite"``): it is parametrized
with that backend alone, so it is never collected for the other one just to
skip itself. Without ``EXPORT_HUB_TEST_DATABASE_URL`` every PostgreSQL test
is deselected (CI sets the variable, so there they run).
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.db import create_engine, session_factory
from export_hub.migrations import upgrade
from export_hub.settings import Settings, async_url, load_settings

PG_URL = os.environ.get("EXPORT_HUB_TEST_DATABASE_URL", "")
BACKEND_PARAMS = {
    "sqlite": pytest.param("sqlite"),
    "postgresql": pytest.param("postgresql", marks=pytest.mark.postgres),
}
BACKENDS = list(BACKEND_PARAMS.values())


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("backend")
    if marker is None:
        return
    unknown = set(marker.args) - set(BACKEND_PARAMS)
    if unknown or not marker.args or "database_url" not in metafunc.fixturenames:
        raise pytest.UsageError(
            f"{metafunc.definition.nodeid}: @pytest.mark.backend takes "
            f"{sorted(BACKEND_PARAMS)} and needs the database_url fixture"
        )
    # A parametrize mark on the test takes precedence over the fixture's params.
    metafunc.definition.add_marker(
        pytest.mark.parametrize(
            "database_url",
            [BACKEND_PARAMS[name] for name in marker.args],
            indirect=True,
        )
    )


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    if PG_URL:
        return
    postgres = [item for item in items if item.get_closest_marker("postgres")]
    if postgres:
        config.hook.pytest_deselected(items=postgres)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]


def pytest_report_header(config: pytest.Config) -> str:
    if PG_URL:
        return "backends: sqlite, postgresql"
    return (
        "backends: sqlite (PostgreSQL tests deselected: set "
        "EXPORT_HUB_TEST_DATABASE_URL to run them)"
    )


def _pg_admin_url(url: str) -> str:
    """The same server, database ``postgres`` (psycopg, used synchronously)."""
    return async_url(url).rsplit("/", 1)[0] + "/postgres"


def _pg_async_url(url: str, database: str) -> str:
    return async_url(url).rsplit("/", 1)[0] + "/" + database


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("PostgreSQL tests need EXPORT_HUB_TEST_DATABASE_URL (CI sets it)")
    name = f"exporthub_tpl_{uuid.uuid4().hex[:10]}"
    admin = create_sync_engine(_pg_admin_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        upgrade(_pg_async_url(PG_URL, name))
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database for this test."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "db.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"exporthub_t_{uuid.uuid4().hex[:12]}"
    admin = create_sync_engine(_pg_admin_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield _pg_async_url(PG_URL, name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    """Test settings: a real database, throwaway keys, uploads under tmp."""
    base: dict[str, Any] = {
        "environment": "test",
        "database": {"url": database_url},
        "web": {
            "session_key": Fernet.generate_key().decode(),
            "upload_dir": str(tmp_path / "uploads"),
        },
        "security": {"secret_keys": [Fernet.generate_key().decode()]},
        # Tests run jobs explicitly; an in-process scheduler would race them.
        "jobs": {"embedded": False},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return load_settings(**base)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
async def sessions(
    settings: Settings,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.database.url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings) -> Any:
    from export_hub.web.app import create_app

    return await aiohttp_client(create_app(settings))


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


async def csrf_from(client: Any, path: str = "/login") -> str:
    resp = await client.get(path)
    body = await resp.text()
    match = CSRF_RE.search(body)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


async def login(client: Any, email: str, password: str) -> str:
    """Log ``client`` in through the form; returns the session's CSRF token."""
    token = await csrf_from(client, "/login")
    resp = await client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    return await csrf_from(client, "/login")
