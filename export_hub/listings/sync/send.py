"""Sending one batch of work through a connector, by the cheapest path.

:func:`send_batch` uses the builder's capabilities (see
:mod:`export_hub.marketplaces.registry`): a bulk price/quantity call where the
marketplace takes batches (eBay, 25 a call), a bulk listing call (eBay 25 a
call; Amazon's feed once the batch reaches ``feed_threshold``), single calls
otherwise, sent concurrently and paced by the seller's rate limiters. It
returns one answer — or the error that stands for it — per work item, in order.
``AuthorizationError`` propagates: the whole seller must stop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence

from connectors.base import MarketplaceConnector, PriceQuantityUpdate, SubmissionResult
from export_hub.errors import (
    AuthorizationError,
    MarketplaceError,
    NeedsHumanError,
    OutcomeUnknown,
    SkippableError,
)
from export_hub.listings.sync.plan import FULL, OFFER, Action, Work
from export_hub.marketplaces.registry import ConnectorBuilder

Answer = tuple[Work, SubmissionResult | MarketplaceError]


async def send_batch(
    connector: MarketplaceConnector, builder: ConnectorBuilder, batch: list[Work]
) -> list[Answer]:
    """Send ``batch`` (all one action, or all full listings)."""
    action = batch[0].action
    if action in OFFER and builder.price_quantity_batch > 1:
        updates = [offer_update(w) for w in batch]
        return await _batched(batch, connector.update_price_quantity(updates))
    bulk = builder.content_batch > 1 or len(batch) >= (builder.feed_threshold or 10**9)
    if action in FULL and bulk and len(batch) > 1:
        payloads = [w.payload for w in batch if w.payload is not None]
        return await _batched(batch, connector.bulk_put_listings(payloads))
    return list(await asyncio.gather(*(_single(connector, w) for w in batch)))


async def _single(connector: MarketplaceConnector, work: Work) -> Answer:
    try:
        if work.action is Action.END:
            return work, await connector.delete_listing(work.sku)
        if work.action in OFFER:
            results = await connector.update_price_quantity([offer_update(work)])
            return work, results[0]
        if work.payload is None:
            raise ValueError(f"{work.action} without a payload")
        return work, await connector.put_listing(work.payload)
    except AuthorizationError:
        raise
    except MarketplaceError as exc:
        return work, exc


async def _batched(
    batch: Sequence[Work], call: Awaitable[list[SubmissionResult]]
) -> list[Answer]:
    """One bulk call for ``batch``; an error of the whole call is every item's."""
    try:
        results = await call
    except AuthorizationError:
        raise
    except MarketplaceError as exc:
        return [(w, exc) for w in batch]
    return list(zip(batch, results, strict=True))


def offer_update(work: Work) -> PriceQuantityUpdate:
    """The price or quantity part of ``work`` for the connector."""
    return PriceQuantityUpdate(
        sku=work.sku,
        price=work.price if work.action is Action.UPDATE_PRICE else None,
        currency=work.currency,
        quantity=work.quantity if work.action is Action.UPDATE_QUANTITY else None,
        listing_id=work.marketplace_listing_id,
    )


def error_outcome(exc: MarketplaceError) -> str:
    """How a failed call is counted and recorded (see ``record.record_error``)."""
    if isinstance(exc, OutcomeUnknown):
        return "unknown"
    if isinstance(exc, SkippableError):
        return "missing"
    if isinstance(exc, NeedsHumanError):
        return "needs_action"
    return "failed"
