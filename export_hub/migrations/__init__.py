"""Alembic migrations, run programmatically (no alembic.ini needed)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).resolve().parent


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def _run(fn: object, *args: object) -> None:
    # Alembic's env.py runs its own event loop; never call it inside one.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        fn(*args)  # type: ignore[operator]
        return
    raise RuntimeError("run migrations from a thread: asyncio.to_thread(upgrade, url)")


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Migrate the database at ``database_url`` up to ``revision``."""
    _ensure_sqlite_dir(database_url)
    _run(command.upgrade, alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    _run(command.downgrade, alembic_config(database_url), revision)


def _ensure_sqlite_dir(url: str) -> None:
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and not url.endswith(":memory:"):
        Path(url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)
