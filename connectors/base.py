"""The marketplace contract that Amazon and eBay both implement.

Records are frozen dataclasses; money is :class:`~decimal.Decimal` in the
listing's currency. Every method may raise the marketplace branch of
:mod:`export_hub.errors` (transient / needs a human / skippable).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from export_hub.errors import MarketplaceIssue


class Marketplace(enum.StrEnum):
    AMAZON = "amazon"
    EBAY = "ebay"


class SubmissionStatus(enum.StrEnum):
    #: Queued by the marketplace; the outcome comes later (poll ``get_listing``).
    ACCEPTED = "ACCEPTED"
    #: Rejected outright; see ``issues``.
    INVALID = "INVALID"
    #: Dry run only (``validate_only``): it would be accepted.
    VALID = "VALID"
    #: Done synchronously (eBay publish, price/quantity updates).
    DONE = "DONE"


class ListingStatus(enum.StrEnum):
    """The marketplace's view of a listing, normalised."""

    PENDING = "pending"  # known to the marketplace, not yet buyable
    LIVE = "live"  # buyable (Amazon BUYABLE/DISCOVERABLE, eBay published)
    ERROR = "error"  # carries ERROR issues
    ENDED = "ended"  # withdrawn / deleted / ended


@dataclass(frozen=True)
class SellerAccount:
    """Which seller account a connector acts for (no secrets here)."""

    marketplace: Marketplace
    #: Amazon ``selling_partner_id`` / eBay user id.
    seller_id: str
    #: Amazon marketplace id (``ATVPDKIKX0DER``) / eBay marketplace (``EBAY_US``).
    marketplace_id: str
    #: Amazon region (``na``/``eu``/``fe``); unused for eBay.
    region: str = "na"


@dataclass(frozen=True)
class ListingPayload:
    """A complete listing as rendered for one marketplace.

    ``content`` is marketplace-specific: Amazon ``{"productType", "attributes"}``;
    eBay ``{"inventory_item", "offer"}``. ``price``/``quantity`` are also inside
    ``content`` where the marketplace wants them; they are repeated here so
    partial updates need no re-rendering.
    """

    sku: str
    content: Mapping[str, Any]
    price: Decimal | None = None
    currency: str = "USD"
    quantity: int | None = None


@dataclass(frozen=True)
class PriceQuantityUpdate:
    sku: str
    price: Decimal | None = None
    currency: str = "USD"
    quantity: int | None = None
    #: The marketplace's own id where it needs one (eBay offer id).
    listing_id: str | None = None


@dataclass(frozen=True)
class SubmissionResult:
    sku: str
    status: SubmissionStatus
    issues: tuple[MarketplaceIssue, ...] = ()
    #: Amazon submissionId / eBay offer id or listing id.
    submission_id: str | None = None
    listing_id: str | None = None
    request_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not SubmissionStatus.INVALID


@dataclass(frozen=True)
class ListingState:
    sku: str
    status: ListingStatus
    issues: tuple[MarketplaceIssue, ...] = ()
    #: ASIN / eBay listing id.
    listing_id: str | None = None
    #: eBay offer id.
    offer_id: str | None = None
    price: Decimal | None = None
    quantity: int | None = None
    raw_status: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class MarketplaceConnector(Protocol):
    """What a job needs from a marketplace, for one seller account."""

    marketplace: Marketplace
    account: SellerAccount

    async def check_connection(self) -> None:
        """A cheap authenticated call; raises ``AuthorizationError`` if revoked."""

    async def put_listing(
        self, listing: ListingPayload, *, validate_only: bool = False
    ) -> SubmissionResult:
        """Create or fully replace a listing. Idempotent per SKU."""

    async def update_price_quantity(
        self, updates: Sequence[PriceQuantityUpdate]
    ) -> list[SubmissionResult]:
        """Change price and/or quantity only, batched as the marketplace allows."""

    async def get_listing(self, sku: str) -> ListingState | None:
        """The listing's current state and issues; ``None`` if it does not exist."""

    async def delete_listing(self, sku: str) -> SubmissionResult:
        """End the listing. Ending an absent listing is not an error."""

    async def bulk_put_listings(
        self, listings: Sequence[ListingPayload]
    ) -> list[SubmissionResult]:
        """Create or replace many listings at once (feeds / bulk calls), one
        result per input, in input order."""

    async def aclose(self) -> None:
        """Release connections."""
