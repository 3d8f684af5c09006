"""The ``export-hub`` command line.

Each feature adds its commands with ``main.add_command`` at the bottom of this
module, so ``export-hub --help`` lists everything.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

import click
from aiohttp import web

from export_hub.accounts.models import Role
from export_hub.logging import configure_logging
from export_hub.settings import Settings, SettingsError, load_settings


class Context:
    """Loads the settings on first use, so ``--help`` works without them."""

    def __init__(self, config: Path | None):
        self.config = config
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = self.load()
        return self._settings

    def load(self, **overrides: Any) -> Settings:
        """Load the settings (``overrides`` win, as nested dicts); a missing or
        invalid key stops the command with the message naming it."""
        try:
            settings = load_settings(self.config, **overrides)
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None
        configure_logging(settings.log_level)
        return settings


pass_context = click.make_pass_decorator(Context)


class _Commands(click.Group):
    """The top group: a secret missing where it is used (``SettingsError``
    from :meth:`~export_hub.settings.WebSettings.cookie_key` and the like)
    ends any command with the message naming the key, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Commands)
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="TOML settings file (default: config/export_hub.toml or $EXPORT_HUB_CONFIG).",
)
@click.pass_context
def main(ctx: click.Context, config: Path | None) -> None:
    """Export Hub: Daejeon products on Amazon and eBay, and export consultations."""
    ctx.obj = Context(config)


@main.command()
@click.option("--host", default=None, help="Interface to bind (default from settings).")
@click.option("--port", type=int, default=None, help="Port (default from settings).")
@pass_context
def serve(ctx: Context, host: str | None, port: int | None) -> None:
    """Serve the web application (and, embedded, the scheduled jobs)."""
    from export_hub.web.app import create_app

    # --host/--port are settings too: an unset public_base_url follows them.
    given = {"host": host, "port": port}
    web_overrides = {k: v for k, v in given.items() if v is not None}
    settings = ctx.load(web=web_overrides) if web_overrides else ctx.settings
    app = create_app(settings)
    web.run_app(
        app,
        host=settings.web.host,
        port=settings.web.port,
        print=lambda msg: click.echo(msg),
    )


@main.group()
def db() -> None:
    """Database schema management."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
@pass_context
def db_upgrade(ctx: Context, revision: str) -> None:
    """Apply the Alembic migrations (SQLite or PostgreSQL, from settings); on
    PostgreSQL also the job queue's (procrastinate's) schema, if missing."""
    from export_hub.migrations import upgrade

    url = ctx.settings.database.url
    upgrade(url, revision)
    click.echo(f"database at {revision}")
    if url.startswith("postgresql"):
        from jobs.worker import ensure_schema

        applied = asyncio.run(ensure_schema(url))
        click.echo("job queue schema " + ("applied" if applied else "present"))


@db.command("downgrade")
@click.argument("revision")
@pass_context
def db_downgrade(ctx: Context, revision: str) -> None:
    """Revert the migrations down to REVISION (``base`` empties the database)."""
    from export_hub.migrations import downgrade

    downgrade(ctx.settings.database.url, revision)
    click.echo(f"database at {revision}")


@main.group()
def users() -> None:
    """User accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", default="")
@click.option(
    "--company-brn", default=None, help="For role company: the company's BRN."
)
@click.option("--office", default=None, help="For role office: the office code.")
@click.password_option()
@pass_context
def users_create(
    ctx: Context,
    email: str,
    role: str,
    name: str,
    company_brn: str | None,
    office: str | None,
    password: str,
) -> None:
    """Create a user (the password is asked for, never echoed)."""
    from export_hub.accounts.cli import create_user_command

    try:
        asyncio.run(
            create_user_command(
                ctx.settings,
                email=email,
                role=Role(role),
                name=name,
                company_brn=company_brn,
                office_code=office,
                password=password,
            )
        )
    except Exception as exc:
        from export_hub.errors import RequestError

        if isinstance(exc, RequestError):
            raise click.ClickException(_describe(exc)) from None
        raise
    click.echo(f"created {role} user {email}")


def _describe(exc: Exception) -> str:
    from export_hub.errors import RequestError

    if not isinstance(exc, RequestError):
        return str(exc)
    lines = [str(exc.message)]
    lines += [f"  {name}: {text}" for name, text in exc.fields.items()]
    return "\n".join(lines)


def run() -> None:
    """Entry point for ``python -m export_hub``."""
    logging.captureWarnings(True)
    sys.exit(main())


def _add_foundation_commands() -> None:
    from export_hub.accounts.cli import token_command
    from export_hub.catalog.cli import import_group
    from export_hub.demo.command import demo_command

    users.add_command(token_command)
    main.add_command(import_group)
    main.add_command(demo_command)


_add_foundation_commands()


def _add_marketplace_commands() -> None:
    from export_hub.demo.emulate import emulate
    from export_hub.marketplaces.cli import ebay_group, secrets

    main.add_command(emulate)
    main.add_command(secrets)
    main.add_command(ebay_group)


_add_marketplace_commands()


def _add_job_commands() -> None:
    from jobs.cli import jobs_group, worker_command

    main.add_command(worker_command)
    main.add_command(jobs_group)


_add_job_commands()


def _add_consultation_commands() -> None:
    from export_hub.consultations.cli import offices_group

    main.add_command(offices_group)


_add_consultation_commands()


def _add_sync_commands() -> None:
    from export_hub.listings.cli import sync_command

    main.add_command(sync_command)


_add_sync_commands()


def _add_order_commands() -> None:
    from export_hub.orders.cli import orders_group

    main.add_command(orders_group)


_add_order_commands()
