"""``export-hub jobs`` and ``export-hub worker`` against real databases."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from export_hub.cli import main
from export_hub.db import create_engine, session_factory
from jobs.models import JobRun


def _env(database_url: str) -> dict[str, str]:
    return {
        "EXPORT_HUB_DATABASE__URL": database_url,
        "EXPORT_HUB_WEB__SESSION_KEY": Fernet.generate_key().decode(),
        "EXPORT_HUB_SECURITY__SECRET_KEYS": f'["{Fernet.generate_key().decode()}"]',
    }


def _runs(database_url: str) -> list[JobRun]:
    async def load() -> list[JobRun]:
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as db:
                return list(await db.scalars(select(JobRun)))
        finally:
            await engine.dispose()

    return asyncio.run(load())


def test_list_and_run_in_the_foreground(database_url: str) -> None:
    runner = CliRunner()
    env = _env(database_url)
    listing = runner.invoke(main, ["jobs", "list"], env=env)
    assert listing.exit_code == 0, listing.output
    assert "pricing.fetch_rates" in listing.output
    result = runner.invoke(
        main, ["jobs", "run", "consultations.expire_pending"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.output
    failed = runner.invoke(main, ["jobs", "run", "pricing.fetch_rates"], env=env)
    assert failed.exit_code == 1
    assert "disabled" in failed.output
    unknown = runner.invoke(main, ["jobs", "run", "nope"], env=env)
    assert unknown.exit_code != 0
    assert "no job named" in unknown.output
    runs = sorted(_runs(database_url), key=lambda r: r.id)
    assert [(r.kind, r.status, r.runner, r.started_by) for r in runs] == [
        ("consultations.expire_pending", "succeeded", "foreground", "cli"),
        ("pricing.fetch_rates", "failed", "foreground", "cli"),
    ]


def test_worker_and_schema_on_the_right_database(database_url: str) -> None:
    runner = CliRunner()
    env = _env(database_url)
    if database_url.startswith("sqlite"):
        for args in (["jobs", "schema"], ["worker", "--once"]):
            result = runner.invoke(main, args, env=env)
            assert result.exit_code != 0
            assert "PostgreSQL" in result.output
        return
    # The worker applies procrastinate's schema itself, then drains the queue.
    result = runner.invoke(main, ["worker", "--once", "--concurrency", "2"], env=env)
    assert result.exit_code == 0, result.output
    again = runner.invoke(main, ["jobs", "schema"], env=env)
    assert again.exit_code == 0
    assert "present" in again.output

    async def tables() -> int:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                return int(
                    await conn.scalar(
                        text(
                            "SELECT count(*) FROM information_schema.tables "
                            "WHERE table_name LIKE 'procrastinate_%'"
                        )
                    )
                )
        finally:
            await engine.dispose()

    assert asyncio.run(tables()) >= 3


@pytest.mark.parametrize("bad", ["novalue", "=x"])
def test_bad_job_arguments(database_url: str, bad: str) -> None:
    result = CliRunner().invoke(
        main,
        ["jobs", "run", "consultations.expire_pending", "--arg", bad],
        env=_env(database_url),
    )
    assert result.exit_code == 2
    assert "key=value" in result.output


def test_db_upgrade_prepares_everything_the_database_needs(database_url: str) -> None:
    """One command for operators: migrations, and on PostgreSQL the job
    queue's schema (idempotent: a second run changes nothing)."""
    runner = CliRunner()
    env = _env(database_url)
    first = runner.invoke(main, ["db", "upgrade"], env=env)
    assert first.exit_code == 0, first.output
    assert "database at heads" in first.output
    second = runner.invoke(main, ["db", "upgrade"], env=env)
    assert second.exit_code == 0, second.output
    if database_url.startswith("sqlite"):
        assert "job queue" not in first.output
        return
    assert "job queue schema" in first.output
    assert "job queue schema present" in second.output
    ready = runner.invoke(main, ["jobs", "schema"], env=env)
    assert "present" in ready.output
