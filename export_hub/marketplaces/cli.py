"""``export-hub secrets`` (the secrets stored encrypted in the database) and
``export-hub ebay ...`` (staff actions on legacy eBay listings)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
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
