"""Following submitted listings until they are live or failed.

Amazon answers ``ACCEPTED`` (queued); the outcome comes later through GET.
:func:`follow_submitted` looks up every ``submitted`` listing of the sellers
in scope (a bounded number per seller and run) and applies the answer: live,
``needs_action`` with the marketplace's issues (explained, retries paused),
or ended. A seller is followed under the same exclusivity as its sync: in
this process :func:`~export_hub.listings.sync.run.seller_exclusive`; across
workers the ``sync.follow_seller`` job's per-seller lock (:mod:`jobs.sync`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.brand.config import load_brand, resolve_config_path
from export_hub.db import transaction, utcnow
from export_hub.errors import AuthorizationError, MarketplaceError
from export_hub.listings.models import Listing
from export_hub.listings.sync import record
from export_hub.listings.sync.run import seller_exclusive
from export_hub.marketplaces.models import SellerAccount
from export_hub.marketplaces.registry import ConnectorRegistry, NotConnected
from export_hub.settings import Settings

log = logging.getLogger(__name__)


async def follow_submitted(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    account_id: int | None = None,
    per_seller: int = 200,
    connectors: ConnectorRegistry | None = None,
) -> dict[str, dict[str, int]]:
    """One follow-up pass; returns ``{"status": {new_status: n}}``."""
    now = now or utcnow()
    pause_hours = load_brand(
        resolve_config_path(settings.brand.file)
    ).sync.needs_human_pause_hours
    counts: Counter[str] = Counter()
    async with sessions() as db:
        query = (
            select(SellerAccount)
            .where(
                SellerAccount.status == "connected",
                SellerAccount.id.in_(
                    select(Listing.seller_account_id).where(
                        Listing.status == "submitted"
                    )
                ),
            )
            .order_by(SellerAccount.id)
        )
        if account_id is not None:
            query = query.where(SellerAccount.id == account_id)
        accounts = list(await db.scalars(query))
    own = connectors is None
    registry = connectors or ConnectorRegistry(settings)
    try:
        await asyncio.gather(
            *(
                _follow_seller(
                    sessions, registry, a, now, per_seller, pause_hours, counts
                )
                for a in accounts
            )
        )
    finally:
        if own:
            await registry.aclose()
    return {"status": dict(counts)}


async def _follow_seller(
    sessions: async_sessionmaker[AsyncSession],
    registry: ConnectorRegistry,
    account: SellerAccount,
    now: dt.datetime,
    limit: int,
    pause_hours: float,
    counts: Counter[str],
) -> None:
    async with seller_exclusive(account.id):
        await _follow_one(sessions, registry, account, now, limit, pause_hours, counts)


async def _follow_one(
    sessions: async_sessionmaker[AsyncSession],
    registry: ConnectorRegistry,
    account: SellerAccount,
    now: dt.datetime,
    limit: int,
    pause_hours: float,
    counts: Counter[str],
) -> None:
    try:
        connector = registry.connector_for(account)
        async with sessions() as db:
            listings = list(
                await db.scalars(
                    select(Listing)
                    .where(
                        Listing.seller_account_id == account.id,
                        Listing.status == "submitted",
                        Listing.in_doubt_operation.is_(None),
                    )
                    .order_by(
                        Listing.last_checked_at.is_not(None),
                        Listing.last_checked_at,
                        Listing.id,
                    )
                    .limit(limit)
                )
            )
        for listing in listings:
            try:
                state = await connector.get_listing(listing.sku)
            except AuthorizationError:
                counts["unauthorized"] += 1
                return
            except MarketplaceError as exc:
                log.info("status of listing %s unknown: %s", listing.id, exc)
                counts["unknown"] += 1
                continue
            async with transaction(sessions) as db:
                row = await db.get_one(Listing, listing.id)
                if row.status != "submitted" or row.in_doubt_operation:
                    continue
                status = await record.apply_state(
                    db, row, state, now=now, run_id=None, pause_hours=pause_hours
                )
            counts[status] += 1
    except NotConnected:
        counts["not_connected"] += 1
