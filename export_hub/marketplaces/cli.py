"""``export-hub emulate ...`` (marketplace emulators), ``export-hub secrets``
and ``export-hub ebay ...`` (staff actions on legacy eBay listings).

Each marketplace adds its emulator command to :data:`emulate` (one
``emulate.add_command(...)`` line at the bottom of this module).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.accounts.models import Company
from export_hub.db import create_engine, session_factory
from export_hub.marketplaces.ebay import EbayOAuthAdapter, adapter_from_settings
from export_hub.marketplaces.ebay_legacy import import_legacy, migrate_legacy
from export_hub.marketplaces.models import SellerAccount
from export_hub.marketplaces.service import account_for
from export_hub.security import SecretBox
from export_hub.settings import Settings

T = TypeVar("T")
Sessions = async_sessionmaker[AsyncSession]


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
    from export_hub.marketplaces.service import rotate_secrets

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


@click.group("ebay")
def ebay_group() -> None:
    """eBay: legacy (Trading API) listings of connected companies."""


async def _for_account(
    settings: Settings,
    brn: str,
    marketplace_id: str,
    action: Callable[
        [Sessions, EbayOAuthAdapter, SecretBox, SellerAccount], Awaitable[T]
    ],
) -> T:
    engine = create_engine(settings.database.url)
    adapter = adapter_from_settings(settings)
    try:
        sessions = session_factory(engine)
        async with sessions() as db:
            company = await db.scalar(select(Company).where(Company.brn == brn))
            account = (
                await account_for(db, company.id, "ebay", marketplace_id)
                if company is not None
                else None
            )
        if account is None:
            raise click.ClickException(
                f"no eBay {marketplace_id} account for company {brn}"
            )
        return await action(
            sessions, adapter, SecretBox.from_settings(settings), account
        )
    finally:
        await adapter.aclose()
        await engine.dispose()


@ebay_group.command("import-legacy")
@click.option("--company-brn", required=True)
@click.option("--marketplace", default="EBAY_US", show_default=True)
@click.pass_obj
def import_legacy_command(obj: Any, company_brn: str, marketplace: str) -> None:
    """Import a company's active eBay listings (Trading) and link them by SKU."""
    report = asyncio.run(
        _for_account(obj.settings, company_brn, marketplace, import_legacy)
    )
    click.echo(
        f"imported {report.imported}, linked {report.linked}; "
        f"unmatched: {', '.join(report.unmatched) or '-'}; "
        f"already listed via the Inventory API: {', '.join(report.conflicts) or '-'}"
    )


@ebay_group.command("migrate")
@click.option("--company-brn", required=True)
@click.option("--marketplace", default="EBAY_US", show_default=True)
@click.argument("item_ids", nargs=-1, required=True)
@click.pass_obj
def migrate_command(
    obj: Any, company_brn: str, marketplace: str, item_ids: tuple[str, ...]
) -> None:
    """Move legacy listings (by eBay item id) to the Inventory API."""

    async def action(
        sessions: Sessions,
        adapter: EbayOAuthAdapter,
        box: SecretBox,
        account: SellerAccount,
    ) -> Any:
        return await migrate_legacy(sessions, adapter, box, account, list(item_ids))

    results = asyncio.run(_for_account(obj.settings, company_brn, marketplace, action))
    for result in results:
        issues = "; ".join(f"{i.code} {i.message}" for i in result.issues)
        click.echo(
            f"{result.listing_id} {result.sku or '-'} {result.status.value} {issues}"
        )


def _add_marketplace_emulators() -> None:
    from emulators.ebay.cli import emulate_ebay

    emulate.add_command(emulate_ebay)


_add_marketplace_emulators()
