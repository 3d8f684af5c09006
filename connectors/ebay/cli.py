"""``export-hub ebay ...``: staff actions on companies that already sell on eBay."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.settings import Settings

T = TypeVar("T")
Sessions = async_sessionmaker[AsyncSession]


@click.group("ebay")
def ebay_group() -> None:
    """eBay: legacy (Trading API) listings of connected companies."""


async def _for_account(
    settings: Settings,
    brn: str,
    marketplace_id: str,
    action: Callable[[Sessions, Any, Any, Any], Awaitable[T]],
) -> T:
    from export_hub.accounts.models import Company
    from export_hub.db import create_engine, session_factory
    from export_hub.marketplaces.ebay import adapter_from_settings
    from export_hub.marketplaces.service import account_for
    from export_hub.security import SecretBox

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
    from export_hub.marketplaces.ebay import import_legacy

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
    from export_hub.marketplaces.ebay import migrate_legacy

    async def action(sessions: Sessions, adapter: Any, box: Any, account: Any) -> Any:
        return await migrate_legacy(sessions, adapter, box, account, list(item_ids))

    results = asyncio.run(_for_account(obj.settings, company_brn, marketplace, action))
    for result in results:
        issues = "; ".join(f"{i.code} {i.message}" for i in result.issues)
        click.echo(
            f"{result.listing_id} {result.sku or '-'} {result.status.value} {issues}"
        )
