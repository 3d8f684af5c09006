"""``export-hub demo`` (what ``make run`` calls): migrate, load demo data, serve.

Demo data loading is pluggable. A feature adds one async step to
:func:`demo_steps`; each step takes the session factory and the settings,
adds its data idempotently (running it twice changes nothing) and returns the
demo log-ins it wants printed. The passwords are fixed demo-only values, never
used outside a demo database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import click
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.db import create_engine, session_factory
from export_hub.settings import Settings


@dataclass(frozen=True)
class DemoLogin:
    """A demo account to print: role, e-mail, its demo-only password, a note."""

    role: str
    email: str
    password: str
    note: str = ""


DemoStep = Callable[
    [async_sessionmaker[AsyncSession], Settings], Awaitable[list[DemoLogin]]
]


def demo_steps() -> list[DemoStep]:
    """The demo data steps, run in order. Features add theirs here (one line)."""
    from emulators.amazon.demo import connect_demo_sellers
    from emulators.ebay.demo import connect_demo_ebay_sellers
    from export_hub.catalog.demo_data import load_foundation_demo
    from export_hub.consultations.demo_data import load_consultations_demo
    from export_hub.listings.demo import prepare_listings_demo

    return [
        load_foundation_demo,
        connect_demo_sellers,
        connect_demo_ebay_sellers,
        prepare_listings_demo,
        load_consultations_demo,
    ]


async def load_demo(settings: Settings) -> list[DemoLogin]:
    """Run every demo step against the configured (already migrated) database."""
    engine = create_engine(settings.database.url)
    try:
        sessions = session_factory(engine)
        logins: list[DemoLogin] = []
        for step in demo_steps():
            logins.extend(await step(sessions, settings))
        return logins
    finally:
        await engine.dispose()


def print_logins(logins: list[DemoLogin], base_url: str) -> None:
    """Print the demo log-ins as plain aligned lines (never truncated)."""
    rows = [("role", "e-mail", "password (demo only)", "note")]
    rows += [(x.role, x.email, x.password, x.note) for x in logins]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    click.echo(f"Export Hub demo log-ins / 데모 계정 — {base_url}/login")
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False))
            + "  "
            + row[3]
        )


@click.command("demo")
@click.option(
    "--serve/--no-serve",
    default=True,
    show_default=True,
    help="Serve the web application after loading the data.",
)
@click.pass_obj
def demo_command(obj: Any, serve: bool) -> None:
    """Migrate the database, load demo data (idempotent), print logins, serve."""
    from export_hub.migrations import upgrade
    from export_hub.web.app import create_app

    settings: Settings = obj.settings
    upgrade(settings.database.url)
    logins = asyncio.run(load_demo(settings))
    print_logins(logins, settings.web.public_base_url)
    if serve:
        web.run_app(
            create_app(settings),
            host=settings.web.host,
            port=settings.web.port,
            print=click.echo,
        )
