"""``export-hub secrets``: the secrets stored encrypted in the database."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from export_hub.settings import Settings


@click.group()
def secrets() -> None:
    """Secrets stored encrypted in the database."""


@secrets.command("rotate")
@click.pass_obj
def secrets_rotate(obj: Any) -> None:
    """Re-encrypt every stored secret under the first of security.secret_keys.

    Put a new key first in EXPORT_HUB_SECURITY__SECRET_KEYS, keep the old ones
    after it, run this, then drop the old keys.
    """
    from export_hub.db import create_engine, session_factory
    from export_hub.marketplaces.service import rotate_secrets
    from export_hub.security import SecretBox

    settings: Settings = obj.settings

    async def run() -> int:
        engine = create_engine(settings.database.url)
        try:
            async with session_factory(engine).begin() as db:
                return await rotate_secrets(db, SecretBox.from_settings(settings))
        finally:
            await engine.dispose()

    try:
        count = asyncio.run(run())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"re-encrypted {count} secret(s) under the first key")
