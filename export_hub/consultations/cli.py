"""``export-hub offices``: load the offices and the agency's closures from config."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from export_hub.consultations.offices import (
    add_closed_days,
    load_offices,
    read_closures,
    read_offices,
)
from export_hub.db import create_engine, session_factory
from export_hub.settings import Settings


async def load_offices_command(settings: Settings, *, replace: bool) -> tuple[int, int]:
    """Load ``consultations.offices_file`` and ``closures_file``; returns
    (offices created or replaced, agency closures added)."""
    engine = create_engine(settings.database.url)
    try:
        async with session_factory(engine).begin() as db:
            offices = await load_offices(
                db, read_offices(settings.consultations.offices_file), replace=replace
            )
            closures = await add_closed_days(
                db, read_closures(settings.consultations.closures_file)
            )
        return len(offices), closures
    finally:
        await engine.dispose()


@click.group("offices")
def offices_group() -> None:
    """Overseas offices for video consultations."""


@offices_group.command("load")
@click.option(
    "--replace",
    is_flag=True,
    help="Overwrite offices already in the database (admins' edits are lost).",
)
@click.pass_obj
def load_command(obj: Any, replace: bool) -> None:
    """Load config/offices.toml and config/closures.toml (idempotent).

    Public holidays (Korea's and each office's country's) need no loading:
    they come from the ``holidays`` library."""
    offices, closures = asyncio.run(load_offices_command(obj.settings, replace=replace))
    click.echo(f"offices loaded: {offices}; agency closures added: {closures}")
