"""``EbayInventoryClient``: the marketplace contract over the Sell Inventory API.

A listing's content is ``{"inventory_item": {...}, "offer": {...}}`` in eBay's
own shapes (``InventoryItem`` and ``EbayOfferDetailsWithKeys``). The client
fills in what belongs to the seller's set-up: the merchant location and the
business policy ids (:mod:`connectors.ebay.account`).

Bulk work goes 25 items a call (eBay's limit). Bulk answers are 200/207 with a
``statusCode`` per item: every item is settled on its own, items that failed
for a transient reason are sent again (alone with the other stragglers), items
that succeeded are never sent again in the same run, and a re-run never makes a
second offer for a SKU (eBay refuses a duplicate offer with ``25002`` and the
existing ``offerId``, which we adopt; failing that we look it up by SKU).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from connectors.base import (
    ListingPayload,
    ListingState,
    ListingStatus,
    Marketplace,
    PriceQuantityUpdate,
    SellerAccount,
    SubmissionResult,
    SubmissionStatus,
)
from connectors.ebay.account import EbayAccountSetup, SellerSetup
from connectors.ebay.bulk import (
    BASE,
    BulkItem,
    existing_offer_id,
    fee_issues,
    final_result,
    is_duplicate,
    is_ok,
    money,
    price_quantity_request,
    result_of,
    send_bulk,
    settle_item,
    split_by_path,
)
from connectors.ebay.errors import (
    rest_errors,
)
from connectors.ebay.sites import site_for
from connectors.ebay.trading import EbayTradingClient, TradingListings
from connectors.ebay.transport import EbayTransport
from export_hub.errors import (
    InvalidListing,
    MarketplaceIssue,
    SkippableError,
)


class EbayInventoryClient:
    """One seller account's listings through the Inventory API.

    Implements :class:`connectors.base.MarketplaceConnector`.
    """

    marketplace = Marketplace.EBAY

    def __init__(
        self,
        transport: EbayTransport,
        *,
        setup: EbayAccountSetup | None = None,
        known_setup: SellerSetup | None = None,
    ):
        self._t = transport
        self.account: SellerAccount = transport.account
        self.setup = setup or EbayAccountSetup(transport, known=known_setup)
        self._site = site_for(self.account.marketplace_id)
        #: Listings made outside the Inventory model go through Trading only.
        self.trading = TradingListings(
            EbayTradingClient(transport),
            known_setup.trading_items if known_setup else {},
        )

    # -- the contract -------------------------------------------------------

    async def check_connection(self) -> None:
        """One cheap authenticated call (raises ``AuthorizationError``)."""
        await self._t.request(
            "GET",
            f"{BASE}/inventory_item",
            api="inventory",
            operation="inventory.check_connection",
            params={"limit": "1", "offset": "0"},
        )

    async def put_listing(
        self, listing: ListingPayload, *, validate_only: bool = False
    ) -> SubmissionResult:
        """Replace the inventory item, create or update its offer, publish.

        With ``validate_only`` the item and an unpublished offer are saved and
        eBay's listing fees are asked for (a dry run that validates like a
        publish); a live listing is left untouched. A listing managed through
        the Trading API is refused (``managed_by_trading``) until migrated."""
        if self.trading.owns(listing.sku):
            return self.trading.refused(listing.sku)
        setup = await self.setup.ensure()
        sku = listing.sku
        try:
            existing = await self._find_offer(sku)
            if validate_only and existing and existing.get("status") == "PUBLISHED":
                return SubmissionResult(
                    sku,
                    SubmissionStatus.VALID,
                    _ALREADY_LIVE,
                    submission_id=existing.get("offerId"),
                )
            if not setup.ready:
                return _not_ready(sku, setup)
            await self._put_item(listing)
            offer_id = await self._upsert_offer(listing, setup, existing)
            if validate_only:
                fees = await self._fees(offer_id, sku)
                return SubmissionResult(
                    sku, SubmissionStatus.VALID, fees, submission_id=offer_id
                )
            if existing and existing.get("status") == "PUBLISHED":
                await self._t.budget.spend_revisions(self._t.seller_id, [offer_id])
            resp = await self._t.request(
                "POST",
                f"{BASE}/offer/{offer_id}/publish",
                api="inventory",
                operation="inventory.publish_offer",
                sku=sku,
            )
        except InvalidListing as exc:
            return SubmissionResult(
                sku, SubmissionStatus.INVALID, exc.issues, request_id=exc.request_id
            )
        return SubmissionResult(
            sku,
            SubmissionStatus.DONE,
            tuple(e.issue() for e in resp.warnings),
            submission_id=offer_id,
            listing_id=resp.body.get("listingId"),
            request_id=resp.request_id,
        )

    async def update_price_quantity(
        self, updates: Sequence[PriceQuantityUpdate]
    ) -> list[SubmissionResult]:
        """``bulk_update_price_quantity``, 25 SKUs a call; one result per update.

        Offer ids come from ``listing_id`` (looked up by SKU when missing).
        Listings over today's 250 revisions are not sent (INVALID, code
        ``revision_limit``: try again tomorrow). Trading-managed listings are
        revised with ReviseInventoryStatus instead (four a call)."""
        return await split_by_path(
            updates, self.trading.owns, self.trading.update, self._update_offers
        )

    async def _update_offers(
        self, updates: Sequence[PriceQuantityUpdate]
    ) -> list[SubmissionResult]:
        results: dict[int, SubmissionResult] = {}
        pending: list[tuple[int, PriceQuantityUpdate, str]] = []
        for index, update in enumerate(updates):
            offer_id = update.listing_id or await self._offer_id_for(update.sku)
            if offer_id is None:
                results[index] = SubmissionResult(
                    update.sku,
                    SubmissionStatus.INVALID,
                    (
                        MarketplaceIssue(
                            "offer_not_found", "No eBay offer for this SKU."
                        ),
                    ),
                )
                continue
            pending.append((index, update, offer_id))
        over = await self._t.budget.spend_revisions(
            self._t.seller_id, [o for _, _, o in pending]
        )
        for index, update, offer_id in pending:
            if offer_id in over:
                results[index] = SubmissionResult(
                    update.sku,
                    SubmissionStatus.INVALID,
                    (
                        MarketplaceIssue(
                            "revision_limit",
                            "250 revisions today; wait for tomorrow (UTC).",
                        ),
                    ),
                )
        sendable = [p for p in pending if p[2] not in over]

        def request_of(entry: tuple[int, PriceQuantityUpdate, str]) -> dict[str, Any]:
            return price_quantity_request(entry[1], entry[2])

        async def settle(
            entry: tuple[int, PriceQuantityUpdate, str], answer: dict[str, Any]
        ) -> None:
            index, update, offer_id = entry
            results[index] = result_of(update.sku, answer, offer_id=offer_id)

        await send_bulk(
            self._t,
            sendable,
            "bulk_update_price_quantity",
            "inventory.bulk_update_price_quantity",
            request_of,
            settle,
        )
        return [results[i] for i in range(len(updates))]

    async def get_listing(self, sku: str) -> ListingState | None:
        """The inventory item and this marketplace's offer, normalised (the
        Trading listing for a Trading-managed SKU)."""
        if self.trading.owns(sku):
            return await self.trading.state(sku)
        try:
            item = await self._t.request(
                "GET",
                f"{BASE}/inventory_item/{sku}",
                api="inventory",
                operation="inventory.get_inventory_item",
                sku=sku,
            )
        except SkippableError:
            return None
        offer = await self._find_offer(sku)
        quantity = (
            (item.body.get("availability") or {})
            .get("shipToLocationAvailability", {})
            .get("quantity")
        )
        if offer is None:
            return ListingState(
                sku, ListingStatus.PENDING, quantity=quantity, raw_status=("NO_OFFER",)
            )
        listing = offer.get("listing") or {}
        listing_status = str(listing.get("listingStatus", ""))
        if offer.get("status") == "PUBLISHED" and listing_status in (
            "",
            "ACTIVE",
            "OUT_OF_STOCK",
        ):
            status = ListingStatus.LIVE
        elif listing_status in ("ENDED", "INACTIVE") or (
            listing.get("listingId") and offer.get("status") != "PUBLISHED"
        ):
            status = ListingStatus.ENDED
        else:
            status = ListingStatus.PENDING
        price = ((offer.get("pricingSummary") or {}).get("price") or {}).get("value")
        return ListingState(
            sku,
            status,
            listing_id=listing.get("listingId"),
            offer_id=offer.get("offerId"),
            price=Decimal(price) if price is not None else None,
            quantity=offer.get("availableQuantity", quantity),
            raw_status=tuple(s for s in (offer.get("status"), listing_status) if s),
        )

    async def delete_listing(self, sku: str) -> SubmissionResult:
        """Withdraw and delete this marketplace's offer; delete the inventory
        item too when no other marketplace has an offer on it. A Trading
        listing is ended with EndFixedPriceItem."""
        if self.trading.owns(sku):
            return await self.trading.end(sku)
        offers = await self._offers(sku, marketplace=False)
        mine = [
            o for o in offers if o.get("marketplaceId") == self.account.marketplace_id
        ]
        for offer in mine:
            offer_id = offer["offerId"]
            if offer.get("status") == "PUBLISHED":
                try:
                    await self._t.request(
                        "POST",
                        f"{BASE}/offer/{offer_id}/withdraw",
                        api="inventory",
                        operation="inventory.withdraw_offer",
                        sku=sku,
                    )
                except SkippableError:
                    pass  # already ended
            try:
                await self._t.request(
                    "DELETE",
                    f"{BASE}/offer/{offer_id}",
                    api="inventory",
                    operation="inventory.delete_offer",
                    sku=sku,
                )
            except SkippableError:
                pass
        if len(mine) == len(offers):
            try:
                await self._t.request(
                    "DELETE",
                    f"{BASE}/inventory_item/{sku}",
                    api="inventory",
                    operation="inventory.delete_inventory_item",
                    sku=sku,
                )
            except SkippableError:
                pass
        return SubmissionResult(
            sku,
            SubmissionStatus.DONE,
            submission_id=mine[0]["offerId"] if mine else None,
        )

    async def bulk_put_listings(
        self, listings: Sequence[ListingPayload]
    ) -> list[SubmissionResult]:
        """Inventory items, offers and publishing, 25 per call at each step.

        One result per input, in input order. A SKU that fails a step stops
        there with its issues; the others go on. Trading-managed SKUs are
        refused (``managed_by_trading``)."""

        async def refuse(owned: Sequence[ListingPayload]) -> list[SubmissionResult]:
            return [self.trading.refused(p.sku) for p in owned]

        return await split_by_path(listings, self.trading.owns, refuse, self._bulk_put)

    async def _bulk_put(
        self, listings: Sequence[ListingPayload]
    ) -> list[SubmissionResult]:
        setup = await self.setup.ensure()
        if not setup.ready:
            return [_not_ready(p.sku, setup) for p in listings]
        items = [BulkItem(p) for p in listings]
        await self._bulk_items(items)
        await self._bulk_offers([i for i in items if i.failed is None], setup)
        await self._bulk_publish([i for i in items if i.failed is None])
        return [final_result(i) for i in items]

    async def get_listing_fees(
        self, offer_ids: Sequence[str]
    ) -> list[MarketplaceIssue]:
        """eBay's fees for unpublished offers, as INFO issues (a dry run)."""
        resp = await self._t.request(
            "POST",
            f"{BASE}/offer/get_listing_fees",
            api="inventory",
            operation="inventory.get_listing_fees",
            json={"offers": [{"offerId": o} for o in offer_ids]},
        )
        return fee_issues(resp.body)

    async def aclose(self) -> None:
        """The transport (and its HTTP session) belongs to the pool."""

    # -- steps ----------------------------------------------------------------

    async def _put_item(self, listing: ListingPayload) -> None:
        await self._t.request(
            "PUT",
            f"{BASE}/inventory_item/{listing.sku}",
            api="inventory",
            operation="inventory.put_inventory_item",
            sku=listing.sku,
            json=self._item_body(listing),
            headers={"Content-Language": self._site.content_language},
        )

    async def _upsert_offer(
        self,
        listing: ListingPayload,
        setup: SellerSetup,
        existing: dict[str, Any] | None,
    ) -> str:
        body = self._offer_body(listing, setup)
        if existing is not None:
            offer_id = str(existing["offerId"])
            await self._put_offer(offer_id, body, listing.sku)
            return offer_id
        try:
            resp = await self._t.request(
                "POST",
                f"{BASE}/offer",
                api="inventory",
                operation="inventory.create_offer",
                sku=listing.sku,
                json=body,
                headers={"Content-Language": self._site.content_language},
            )
            return str(resp.body["offerId"])
        except InvalidListing as exc:
            found = existing_offer_id(exc.issues) or await self._offer_id_for(
                listing.sku
            )
            if found is None:
                raise
            offer_id = found
            await self._put_offer(offer_id, body, listing.sku)
            return offer_id

    async def _put_offer(self, offer_id: str, body: dict[str, Any], sku: str) -> None:
        update = {
            k: v for k, v in body.items() if k not in ("sku", "marketplaceId", "format")
        }
        await self._t.request(
            "PUT",
            f"{BASE}/offer/{offer_id}",
            api="inventory",
            operation="inventory.update_offer",
            sku=sku,
            json=update,
            headers={"Content-Language": self._site.content_language},
        )

    async def _fees(self, offer_id: str, sku: str) -> tuple[MarketplaceIssue, ...]:
        try:
            return tuple(await self.get_listing_fees([offer_id]))
        except InvalidListing as exc:
            raise InvalidListing(
                exc.message,
                marketplace="ebay",
                operation=exc.operation,
                seller_id=exc.seller_id,
                sku=sku,
                issues=exc.issues,
                request_id=exc.request_id,
            ) from exc

    async def _bulk_items(self, items: list[BulkItem]) -> None:
        def request_of(item: BulkItem) -> dict[str, Any]:
            return {
                "sku": item.payload.sku,
                "locale": self._site.content_language.replace("-", "_"),
                **self._item_body(item.payload),
            }

        async def settle(item: BulkItem, answer: dict[str, Any]) -> None:
            settle_item(item, answer)

        await send_bulk(
            self._t,
            items,
            "bulk_create_or_replace_inventory_item",
            "inventory.bulk_create_or_replace_inventory_item",
            request_of,
            settle,
            headers={"Content-Language": self._site.content_language},
        )

    async def _bulk_offers(self, items: list[BulkItem], setup: SellerSetup) -> None:
        def request_of(item: BulkItem) -> dict[str, Any]:
            return self._offer_body(item.payload, setup)

        async def settle(item: BulkItem, answer: dict[str, Any]) -> None:
            errors = rest_errors(answer.get("errors"))
            existing = existing_offer_id(tuple(e.issue() for e in errors))
            if is_ok(answer):
                item.offer_id = str(answer.get("offerId"))
            elif existing or is_duplicate(errors):
                item.existing_offer = True
                item.offer_id = existing or await self._offer_id_for(item.payload.sku)
                if item.offer_id is None:
                    item.failed = tuple(e.issue() for e in errors)
                    return
                try:
                    await self._put_offer(
                        item.offer_id, request_of(item), item.payload.sku
                    )
                except InvalidListing as exc:
                    item.failed = exc.issues
                    return
            settle_item(item, answer, ignore_duplicate=True)

        await send_bulk(
            self._t,
            items,
            "bulk_create_offer",
            "inventory.bulk_create_offer",
            request_of,
            settle,
            headers={"Content-Language": self._site.content_language},
        )

    async def _bulk_publish(self, items: list[BulkItem]) -> None:
        def request_of(item: BulkItem) -> dict[str, Any]:
            return {"offerId": item.offer_id}

        async def settle(item: BulkItem, answer: dict[str, Any]) -> None:
            if settle_item(item, answer):
                item.listing_id = answer.get("listingId")

        await send_bulk(
            self._t,
            items,
            "bulk_publish_offer",
            "inventory.bulk_publish_offer",
            request_of,
            settle,
        )

    # -- lookups and bodies -----------------------------------------------------

    async def _offers(
        self, sku: str, *, marketplace: bool = True
    ) -> list[dict[str, Any]]:
        params = {"sku": sku}
        if marketplace:
            params["marketplace_id"] = self.account.marketplace_id
        try:
            resp = await self._t.request(
                "GET",
                f"{BASE}/offer",
                api="inventory",
                operation="inventory.get_offers",
                sku=sku,
                params=params,
            )
        except SkippableError:
            return []
        return list((resp.body or {}).get("offers") or [])

    async def _find_offer(self, sku: str) -> dict[str, Any] | None:
        for offer in await self._offers(sku):
            if offer.get("format", "FIXED_PRICE") == "FIXED_PRICE":
                return offer
        return None

    async def _offer_id_for(self, sku: str) -> str | None:
        offer = await self._find_offer(sku)
        return str(offer["offerId"]) if offer else None

    def _item_body(self, listing: ListingPayload) -> dict[str, Any]:
        item = dict(listing.content.get("inventory_item") or {})
        if listing.quantity is not None:
            availability = dict(item.get("availability") or {})
            availability["shipToLocationAvailability"] = {"quantity": listing.quantity}
            item["availability"] = availability
        return item

    def _offer_body(
        self, listing: ListingPayload, setup: SellerSetup
    ) -> dict[str, Any]:
        offer = dict(listing.content.get("offer") or {})
        offer.setdefault("format", "FIXED_PRICE")
        offer["sku"] = listing.sku
        offer["marketplaceId"] = self.account.marketplace_id
        offer["merchantLocationKey"] = (
            offer.get("merchantLocationKey") or setup.location_key
        )
        policies = dict(offer.get("listingPolicies") or {})
        for key, value in setup.listing_policies().items():
            policies.setdefault(key, value)
        offer["listingPolicies"] = policies
        if listing.price is not None:
            offer["pricingSummary"] = {
                "price": {"value": money(listing.price), "currency": listing.currency}
            }
        if listing.quantity is not None:
            offer["availableQuantity"] = listing.quantity
        return offer


_ALREADY_LIVE = (
    MarketplaceIssue(
        "already_live",
        "The listing is live; not changed by a dry run.",
        severity="INFO",
    ),
)


def _not_ready(sku: str, setup: SellerSetup) -> SubmissionResult:
    message = (
        "eBay business policies are pending the seller's opt-in (can take a day)."
        if setup.opt_in != "opted_in"
        else "Business policies or the merchant location are missing."
    )
    return SubmissionResult(
        sku,
        SubmissionStatus.INVALID,
        (MarketplaceIssue("setup_pending", message, categories=("staff",)),),
    )
