"""Listings made outside the Inventory model: read them, migrate them.

* :func:`fetch_legacy_listings` reads the seller's active listings (Trading
  GetMyeBaySelling, then GetItem each).
* :func:`migrate_listings` asks eBay to convert listings to the Inventory model
  with ``bulk_migrate_listing`` (five per call), and :func:`migration_result`
  reads eBay's answer for one of them.

One listing is managed through one path only, :data:`TRADING` or
:data:`INVENTORY`. The connector learns which SKUs stay on the Trading path
from :attr:`connectors.ebay.account.SellerSetup.trading_items`; keeping that
list (and any record of the listings) is the caller's business: nothing here
stores anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.base import SubmissionResult, SubmissionStatus
from connectors.ebay.errors import rest_errors
from connectors.ebay.trading import EbayTradingClient, LegacyListing
from connectors.ebay.transport import EbayTransport
from export_hub.errors import MarketplaceIssue, SkippableError

#: The path managing a listing: revised with ReviseInventoryStatus ...
TRADING = "trading"
#: ... or, once migrated, through the Inventory API.
INVENTORY = "inventory"
#: ``bulk_migrate_listing`` takes at most five listings a call.
MIGRATE_BATCH = 5


async def fetch_legacy_listings(trading: EbayTradingClient) -> list[LegacyListing]:
    """Active listings (GetMyeBaySelling, every page), each read in full
    (GetItem); listings that end between the two calls are left out."""
    found = []
    for summary in await trading.active_listings():
        try:
            found.append(await trading.get_item(summary.item_id))
        except SkippableError:
            continue  # ended between the two calls
    return found


async def migrate_listings(
    transport: EbayTransport, item_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """eBay's per-listing answers to ``bulk_migrate_listing``, by item id.

    Not idempotent at eBay (a migrated listing answers with an error the
    second time): callers record the outcome before asking again."""
    answers: dict[str, dict[str, Any]] = {}
    for start in range(0, len(item_ids), MIGRATE_BATCH):
        batch = item_ids[start : start + MIGRATE_BATCH]
        resp = await transport.request(
            "POST",
            "/sell/inventory/v1/bulk_migrate_listing",
            api="inventory",
            operation="inventory.bulk_migrate_listing",
            json={"requests": [{"listingId": item_id} for item_id in batch]},
        )
        for answer in (resp.body or {}).get("responses") or []:
            answers[str(answer.get("listingId"))] = answer
    return answers


def migration_result(
    item_id: str, sku: str, answer: Mapping[str, Any]
) -> SubmissionResult:
    """eBay's answer for one listing as a result: ``DONE`` with the new offer
    id in ``submission_id``, or ``INVALID`` with eBay's reasons (a listing
    missing from the answers counts as eBay not migrating it)."""
    status = int(str(answer.get("statusCode", 500)))
    if not 200 <= status < 300:
        issues = tuple(e.issue() for e in rest_errors(answer.get("errors"))) or (
            MarketplaceIssue(str(status), "eBay did not migrate the listing."),
        )
        return SubmissionResult(
            sku, SubmissionStatus.INVALID, issues, listing_id=item_id
        )
    items = answer.get("inventoryItems") or []
    offer_id = str(items[0].get("offerId")) if items else None
    return SubmissionResult(
        sku, SubmissionStatus.DONE, submission_id=offer_id, listing_id=item_id
    )
