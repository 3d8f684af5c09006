"""``export-hub demo`` (what ``make run`` calls): migrate, load demo data, serve.

Demo data loading is pluggable: a feature adds one step (see
:mod:`export_hub.demo.base`) to :func:`demo_steps`. The served app is
:func:`create_demo_app`: the ordinary web app plus the demo's own start-up
work, which the production app never carries.
"""

from __future__ import annotations

import asyncio
from typing import Any

import click
from aiohttp import web

from export_hub.db import create_engine, session_factory
from export_hub.demo.amazon import connect_demo_sellers
from export_hub.demo.base import DemoLogin, DemoStep
from export_hub.demo.catalog import load_foundation_demo
from export_hub.demo.consultations import load_consultations_demo
from export_hub.demo.ebay import connect_demo_ebay_sellers
from export_hub.demo.listings import demo_sync_ctx, prepare_listings_demo
from export_hub.demo.results import load_results_demo
from export_hub.migrations import upgrade
from export_hub.settings import Settings
from export_hub.web.app import create_app


def demo_steps() -> list[DemoStep]:
    """The demo data steps, run in order. Features add theirs here (one line)."""
    return [
        load_foundation_demo,
        connect_demo_sellers,
        connect_demo_ebay_sellers,
        prepare_listings_demo,
        load_consultations_demo,
        load_results_demo,
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


def create_demo_app(settings: Settings) -> web.Application:
    """The web app for ``settings`` with the demo's start-up work added: once
    the app (and with it the in-process emulators) is up, the first sync of
    the demo listings (only with ``emulators.enabled`` and embedded jobs)."""
    app = create_app(settings)
    app.cleanup_ctx.append(demo_sync_ctx)
    return app


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
    settings: Settings = obj.settings
    upgrade(settings.database.url)
    logins = asyncio.run(load_demo(settings))
    print_logins(logins, settings.web.public_base_url)
    if serve:
        web.run_app(
            create_demo_app(settings),
            host=settings.web.host,
            port=settings.web.port,
            print=click.echo,
        )
