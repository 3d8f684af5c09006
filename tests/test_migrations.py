"""Alembic stairway: every revision up, down and up again, on each backend;
and the migrated schema matches the models."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from export_hub.db import create_engine
from export_hub.migrations import alembic_config, downgrade, upgrade
from export_hub.models import Base


def _revisions(url: str) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(url))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


async def test_stairway_up_down_up(database_url: str) -> None:
    await asyncio.to_thread(downgrade, database_url, "base")
    for revision in _revisions(database_url):
        await asyncio.to_thread(upgrade, database_url, revision)
        await asyncio.to_thread(downgrade, database_url, "-1")
        await asyncio.to_thread(upgrade, database_url, revision)
    await asyncio.to_thread(downgrade, database_url, "base")
    await asyncio.to_thread(upgrade, database_url, "heads")


async def test_migrations_match_models(database_url: str) -> None:
    engine = create_engine(database_url)
    async with engine.connect() as conn:

        def diff(sync_conn):  # type: ignore[no-untyped-def]
            ctx = MigrationContext.configure(sync_conn, opts={"compare_type": False})
            return compare_metadata(ctx, Base.metadata)

        changes = await conn.run_sync(diff)
    await engine.dispose()
    assert changes == []
