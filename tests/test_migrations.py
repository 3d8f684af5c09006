"""Alembic stairway: every revision up, down and up again, on each backend;
and the migrated schema matches the models."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from export_hub.db import create_engine
from export_hub.migrations import alembic_config, downgrade, upgrade
from export_hub.models import Base


def _revisions(url: str) -> list[tuple[str, set[str]]]:
    """Each revision, oldest first, with the revisions just below it."""
    script = ScriptDirectory.from_config(alembic_config(url))
    return [
        (rev.revision, _as_set(rev.down_revision))
        for rev in reversed(list(script.walk_revisions()))
    ]


def _as_set(down: str | Sequence[str] | None) -> set[str]:
    if down is None:
        return set()
    return {down} if isinstance(down, str) else set(down)


async def _state(url: str) -> tuple[set[str], set[str]]:
    """(current Alembic heads, application tables) of the database at ``url``."""
    engine = create_engine(url)

    def read(sync_conn: Connection) -> tuple[set[str], set[str]]:
        heads = MigrationContext.configure(sync_conn).get_current_heads()
        tables = set(inspect(sync_conn).get_table_names()) - {"alembic_version"}
        return set(heads), tables

    try:
        async with engine.connect() as conn:
            return await conn.run_sync(read)
    finally:
        await engine.dispose()


async def test_stairway_up_down_up(database_url: str) -> None:
    revisions = _revisions(database_url)
    await asyncio.to_thread(downgrade, database_url, "base")
    assert await _state(database_url) == (set(), set())
    for revision, below in revisions:
        await asyncio.to_thread(upgrade, database_url, revision)
        heads, tables = await _state(database_url)
        assert heads == {revision}
        await asyncio.to_thread(downgrade, database_url, "-1")
        assert (await _state(database_url))[0] == below
        await asyncio.to_thread(upgrade, database_url, revision)
        # Down and up again gives back the very same tables.
        assert await _state(database_url) == ({revision}, tables)
    await asyncio.to_thread(downgrade, database_url, "base")
    assert await _state(database_url) == (set(), set())
    await asyncio.to_thread(upgrade, database_url, "heads")
    heads, tables = await _state(database_url)
    assert heads == {revisions[-1][0]}
    assert tables == set(Base.metadata.tables)


async def test_migrations_match_models(database_url: str) -> None:
    engine = create_engine(database_url)
    async with engine.connect() as conn:

        def diff(sync_conn):  # type: ignore[no-untyped-def]
            ctx = MigrationContext.configure(sync_conn, opts={"compare_type": False})
            return compare_metadata(ctx, Base.metadata)

        changes = await conn.run_sync(diff)
    await engine.dispose()
    assert changes == []
