"""``export-hub emulate ...`` (marketplace emulators) and ``export-hub secrets``.

Each marketplace adds its emulator command to :data:`emulate` (one
``emulate.add_command(...)`` line at the bottom of this module).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click

from export_hub.settings import Settings


@click.group()
def emulate() -> None:
    """Run a marketplace emulator (loopback only; for development and tests)."""


@emulate.command("amazon")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Default: emulators.amazon_port.")
@click.option(
    "--tls/--no-tls",
    default=False,
    show_default=True,
    help="Serve HTTPS with a throwaway CA (written to --ca-file).",
)
@click.option(
    "--ca-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("var/amazon-emulator-ca.pem"),
    show_default=True,
)
@click.option("--delay", type=float, default=None, help="Processing delay (seconds).")
@click.option("--rate-scale", type=float, default=1.0, show_default=True)
@click.option("--error-share", type=float, default=0.0, help="Share of 5xx.")
@click.option("--drop-share", type=float, default=0.0, help="Share dropped.")
@click.option("--latency", type=float, default=0.0, help="Added latency (seconds).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.pass_obj
def emulate_amazon(
    obj: Any,
    host: str,
    port: int | None,
    tls: bool,
    ca_file: Path,
    delay: float | None,
    rate_scale: float,
    error_share: float,
    drop_share: float,
    latency: float,
    seed: int,
) -> None:
    """Serve the SP-API / Login with Amazon emulator with the demo sellers."""
    from emulators.amazon import AmazonEmulator, EmulatorTLS, FaultConfig
    from emulators.amazon.demo import demo_config

    settings: Settings = obj.settings
    config = demo_config(settings)
    if delay is not None:
        config.processing_delay_seconds = delay
        config.feed_delay_seconds = delay
    config.rate_scale = rate_scale
    config.faults = FaultConfig(
        latency_seconds=latency,
        error_500_share=error_share / 2,
        error_503_share=error_share / 2,
        drop_share=drop_share,
        seed=seed,
    )
    emulator_tls = EmulatorTLS() if tls else None
    if emulator_tls is not None:
        emulator_tls.write_ca(ca_file)
        click.echo(f"CA certificate: {ca_file} (EXPORT_HUB_AMAZON__CA_BUNDLE)")

    async def serve() -> None:
        emulator = AmazonEmulator(
            config,
            host=host,
            port=port or settings.emulators.amazon_port,
            tls=emulator_tls,
        )
        await emulator.start()
        click.echo(f"Amazon SP-API emulator at {emulator.base_url} (Ctrl-C stops)")
        try:
            await asyncio.Event().wait()
        finally:
            await emulator.aclose()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


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


def _add_marketplace_emulators() -> None:
    from emulators.ebay.cli import emulate_ebay

    emulate.add_command(emulate_ebay)


_add_marketplace_emulators()
