"""``export-hub emulate ebay``: the eBay emulator with the demo sellers."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from export_hub.settings import Settings


@click.command("ebay")
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
    from emulators.ebay.demo import demo_emulator

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
