"""``export-hub emulate amazon|ebay``: a marketplace emulator with the demo
sellers, served standalone on loopback (for development, benchmarks and
manual tests; ``make run`` serves both inside the web app instead)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click

from emulators.amazon import AmazonEmulator, EmulatorTLS, FaultConfig
from export_hub.demo.amazon import demo_config
from export_hub.demo.ebay import demo_emulator
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


@emulate.command("ebay")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Default: emulators.ebay_port.")
@click.option("--rate-scale", type=float, default=1.0, show_default=True)
@click.option("--daily-quota", type=int, default=5000, show_default=True)
@click.option("--error-share", type=float, default=0.0, help="Share of 500/503.")
@click.option("--drop-share", type=float, default=0.0, help="Share dropped.")
@click.option("--latency", type=float, default=0.0, help="Added latency (seconds).")
@click.option("--opt-in-delay", type=float, default=0.0, help="Seconds until opt-in.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.pass_obj
def emulate_ebay(
    obj: Any,
    host: str,
    port: int | None,
    rate_scale: float,
    daily_quota: int,
    error_share: float,
    drop_share: float,
    latency: float,
    opt_in_delay: float,
    seed: int,
) -> None:
    """Serve the eBay emulator (OAuth, Inventory, Account, Trading) on loopback."""
    settings: Settings = obj.settings
    emulator = demo_emulator(settings, port=port)
    emulator.host = host
    config = emulator.config
    config.rate_scale = rate_scale
    config.daily_quota = daily_quota
    config.fault_rate = error_share
    config.drop_rate = drop_share
    config.latency = (0.0, latency)
    config.opt_in_delay = opt_in_delay
    config.seed = seed
    emulator.state.random.seed(seed)

    async def serve() -> None:
        await emulator.start()
        click.echo(f"eBay emulator at {emulator.url} (Ctrl-C stops)")
        try:
            await asyncio.Event().wait()
        finally:
            await emulator.aclose()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
