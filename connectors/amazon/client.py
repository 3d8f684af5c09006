"""``AmazonListingsClient``: the marketplace contract for one Amazon seller
account and marketplace, over :class:`~connectors.amazon.transport.AmazonTransport`.

Submissions are validated against the product type schema before they are
sent (an invalid listing raises :class:`~export_hub.errors.InvalidListing`
without a round trip). ``ACCEPTED`` only means queued: poll :meth:`get_listing`
(the caller records what it learns).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.amazon.bulk import submit_listings_feed
from connectors.amazon.product_types import (
    ProductTypeCache,
    ProductTypeDefinition,
    SchemaChecksumMismatch,
)
from connectors.amazon.transport import AmazonTransport, SellerSession
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
from export_hub.errors import InvalidListing, MarketplaceIssue, SkippableError

GET_INCLUDED = [
    "summaries",
    "issues",
    "attributes",
    "offers",
    "fulfillmentAvailability",
]
#: Amazon's product type for offer-only changes of an existing listing.
OFFER_PRODUCT_TYPE = "PRODUCT"


@dataclass(frozen=True)
class ListingRestriction:
    """One reason Amazon gives for not letting the seller list an ASIN."""

    #: ``APPROVAL_REQUIRED``, ``ASIN_NOT_FOUND`` or ``NOT_ELIGIBLE``.
    code: str
    message: str
    #: Seller Central pages where the seller can act (e.g. request approval).
    links: tuple[str, ...] = ()


def issues_from(raw: Any) -> tuple[MarketplaceIssue, ...]:
    """Amazon ``Issue`` objects as :class:`MarketplaceIssue` records."""
    if not isinstance(raw, list):
        return ()
    return tuple(
        MarketplaceIssue(
            code=str(i.get("code", "")),
            message=str(i.get("message", "")),
            severity=str(i.get("severity", "ERROR")),
            attribute_names=tuple(i.get("attributeNames") or ()),
            categories=tuple(i.get("categories") or ()),
        )
        for i in raw
        if isinstance(i, Mapping)
    )


class AmazonListingsClient:
    """:class:`connectors.base.MarketplaceConnector` for one Amazon account."""

    marketplace = Marketplace.AMAZON

    def __init__(
        self,
        transport: AmazonTransport,
        account: SellerAccount,
        refresh_token: str,
        product_types: ProductTypeCache | None = None,
    ):
        self.transport = transport
        self.account = account
        self.product_types = product_types or ProductTypeCache()
        self.session: SellerSession = transport.session(account, refresh_token)
        # Bounds work in progress per seller: thousands of queued submissions
        # would otherwise all validate at once and delay the paced requests.
        self._in_flight = asyncio.Semaphore(transport.settings.max_in_flight_per_seller)

    async def aclose(self) -> None:
        await self.session.aclose()

    async def __aenter__(self) -> AmazonListingsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def _ids(self) -> list[str]:
        return [self.account.marketplace_id]

    async def check_connection(self) -> None:
        """Search one listing: cheap, authenticated. Raises ``AuthorizationError``."""
        await self.transport.call(
            "searchListingsItems",
            self.session,
            lambda: self.session.listings.search_listings_items(
                self.account.seller_id, marketplaceIds=self._ids, pageSize=1
            ),
        )

    async def definition(
        self, product_type: str, *, seller_specific: bool = False
    ) -> ProductTypeDefinition:
        return await self.product_types.get(
            self.transport, self.session, product_type, seller_specific=seller_specific
        )

    async def preflight(self, listing: ListingPayload) -> tuple[MarketplaceIssue, ...]:
        """ERROR issues the product type schema finds in ``listing`` (no PUT)."""
        product_type = str(listing.content.get("productType", ""))
        definition = await self.definition(product_type)
        attributes = listing.content.get("attributes") or {}
        return tuple(i for i in definition.issues(attributes) if i.severity == "ERROR")

    async def put_listing(
        self, listing: ListingPayload, *, validate_only: bool = False
    ) -> SubmissionResult:
        """PUT the full listing (``requirements`` LISTING unless the content says
        otherwise). ``validate_only`` sends ``mode=VALIDATION_PREVIEW``.

        Raises ``InvalidListing`` when the schema rejects it before sending; an
        ``INVALID`` answer from Amazon is returned as a result with its issues.
        """
        async with self._in_flight:
            return await self._put(listing, validate_only)

    async def _put(
        self, listing: ListingPayload, validate_only: bool
    ) -> SubmissionResult:
        issues = await self.preflight(listing)
        if issues:
            raise InvalidListing(
                "the listing does not match its product type schema",
                marketplace="amazon",
                operation="putListingsItem",
                seller_id=self.account.seller_id,
                sku=listing.sku,
                issues=issues,
            )
        body = {
            "productType": listing.content["productType"],
            "requirements": listing.content.get("requirements", "LISTING"),
            "attributes": dict(listing.content["attributes"]),
        }
        # Marketplace ids are a query parameter of the PUT (the adapter keeps
        # the library from adding its own to the body).
        params: dict[str, Any] = {"marketplaceIds": self._ids, "body": body}
        if validate_only:
            params["mode"] = "VALIDATION_PREVIEW"
        response = await self.transport.call(
            "putListingsItem",
            self.session,
            lambda: self.session.listings.put_listings_item(
                self.account.seller_id, listing.sku, **params
            ),
            sku=listing.sku,
        )
        return self._submission(listing.sku, response)

    def _submission(self, sku: str, response: Any) -> SubmissionResult:
        payload = response.payload
        identifiers = payload.get("identifiers") or []
        asin = next((i.get("asin") for i in identifiers if i.get("asin")), None)
        return SubmissionResult(
            sku=sku,
            status=SubmissionStatus(payload.get("status", "ACCEPTED")),
            issues=issues_from(payload.get("issues")),
            submission_id=payload.get("submissionId"),
            listing_id=asin,
            request_id=(response.headers or {}).get("x-amzn-RequestId"),
        )

    async def update_price_quantity(
        self, updates: Sequence[PriceQuantityUpdate]
    ) -> list[SubmissionResult]:
        """PATCH ``purchasable_offer`` and/or ``fulfillment_availability`` per SKU,
        concurrently (the rate limiter paces them). Results in input order."""
        return list(await asyncio.gather(*(self._patch(u) for u in updates)))

    async def _patch(self, update: PriceQuantityUpdate) -> SubmissionResult:
        patches = []
        if update.price is not None:
            patches.append(
                {
                    "op": "replace",
                    "path": "/attributes/purchasable_offer",
                    "value": [
                        {
                            "marketplace_id": self.account.marketplace_id,
                            "currency": update.currency,
                            "our_price": [
                                {"schedule": [{"value_with_tax": float(update.price)}]}
                            ],
                        }
                    ],
                }
            )
        if update.quantity is not None:
            patches.append(
                {
                    "op": "replace",
                    "path": "/attributes/fulfillment_availability",
                    "value": [
                        {
                            "fulfillment_channel_code": "DEFAULT",
                            "quantity": update.quantity,
                        }
                    ],
                }
            )
        if not patches:
            return SubmissionResult(update.sku, SubmissionStatus.DONE)
        body = {"productType": OFFER_PRODUCT_TYPE, "patches": patches}
        response = await self.transport.call(
            "patchListingsItem",
            self.session,
            lambda: self.session.listings.patch_listings_item(
                self.account.seller_id, update.sku, marketplaceIds=self._ids, body=body
            ),
            sku=update.sku,
        )
        return self._submission(update.sku, response)

    async def listing_restrictions(
        self, asin: str, *, condition_type: str = "new_new"
    ) -> tuple[ListingRestriction, ...]:
        """Why this seller may not list ``asin`` new here (Listings Restrictions
        API): empty when it may; ``APPROVAL_REQUIRED`` with Amazon's link to
        apply (e.g. an unapproved brand), ``ASIN_NOT_FOUND``, ``NOT_ELIGIBLE``."""
        response = await self.transport.call(
            "getListingsRestrictions",
            self.session,
            lambda: self.session.restrictions.get_listings_restrictions(
                asin=asin,
                sellerId=self.account.seller_id,
                marketplaceIds=self._ids,
                conditionType=condition_type,
            ),
        )
        return tuple(
            ListingRestriction(
                code=str(reason.get("reasonCode", "")),
                message=str(reason.get("message", "")),
                links=tuple(
                    str(link["resource"])
                    for link in reason.get("links") or []
                    if link.get("resource")
                ),
            )
            for restriction in response.payload.get("restrictions") or []
            for reason in restriction.get("reasons") or []
        )

    async def get_listing(self, sku: str) -> ListingState | None:
        """The listing's status, issues, price and quantity; ``None`` if absent."""
        try:
            response = await self.transport.call(
                "getListingsItem",
                self.session,
                lambda: self.session.listings.get_listings_item(
                    self.account.seller_id,
                    sku,
                    marketplaceIds=self._ids,
                    includedData=GET_INCLUDED,
                ),
                sku=sku,
            )
        except SkippableError:
            return None
        return listing_state(sku, response.payload, self.account.marketplace_id)

    async def delete_listing(self, sku: str) -> SubmissionResult:
        """DELETE the listing; an absent one counts as done."""
        try:
            response = await self.transport.call(
                "deleteListingsItem",
                self.session,
                lambda: self.session.listings.delete_listings_item(
                    self.account.seller_id, sku, marketplaceIds=self._ids
                ),
                sku=sku,
            )
        except SkippableError:
            return SubmissionResult(sku, SubmissionStatus.DONE)
        return self._submission(sku, response)

    async def bulk_put_listings(
        self, listings: Sequence[ListingPayload]
    ) -> list[SubmissionResult]:
        """One JSON_LISTINGS_FEED for the valid listings (schema-invalid ones are
        answered INVALID without sending); results in input order."""
        results: dict[int, SubmissionResult] = {}
        to_send: list[tuple[int, ListingPayload]] = []
        for index, listing in enumerate(listings):
            try:
                issues = await self.preflight(listing)
            except SchemaChecksumMismatch as exc:
                issues = exc.issues  # only this product type's listings wait
            if issues:
                results[index] = SubmissionResult(
                    listing.sku, SubmissionStatus.INVALID, issues
                )
            else:
                to_send.append((index, listing))
        if to_send:
            sent = await submit_listings_feed(
                self.transport,
                self.account,
                self.session,
                [listing for _, listing in to_send],
            )
            for (index, _), result in zip(to_send, sent, strict=True):
                results[index] = result
        return [results[i] for i in range(len(listings))]


def listing_state(
    sku: str, item: Mapping[str, Any], marketplace_id: str
) -> ListingState:
    """Normalise an SP-API ``Item`` (GET with summaries, issues, offers...)."""
    summaries = [
        s
        for s in item.get("summaries") or []
        if s.get("marketplaceId") == marketplace_id
    ]
    summary = summaries[0] if summaries else {}
    raw_status = tuple(summary.get("status") or ())
    issues = issues_from(item.get("issues"))
    if any(i.severity == "ERROR" for i in issues):
        status = ListingStatus.ERROR
    elif "BUYABLE" in raw_status or "DISCOVERABLE" in raw_status:
        status = ListingStatus.LIVE
    else:
        status = ListingStatus.PENDING
    return ListingState(
        sku=sku,
        status=status,
        issues=issues,
        listing_id=summary.get("asin"),
        price=_price(item.get("offers"), marketplace_id),
        quantity=_quantity(item.get("fulfillmentAvailability")),
        raw_status=raw_status,
        extra={"productType": summary.get("productType")},
    )


def _price(offers: Any, marketplace_id: str) -> Decimal | None:
    for offer in offers or []:
        if offer.get("marketplaceId") == marketplace_id:
            try:
                return Decimal(str(offer["price"]["amount"]))
            except (KeyError, InvalidOperation, TypeError):
                return None
    return None


def _quantity(availability: Any) -> int | None:
    for entry in availability or []:
        if entry.get("fulfillmentChannelCode") == "DEFAULT":
            return int(entry.get("quantity") or 0)
    return None
