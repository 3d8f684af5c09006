"""The marketplace contract that Amazon and eBay both implement.

Records are frozen dataclasses; money is :class:`~decimal.Decimal` in the
listing's currency. Every method may raise the marketplace branch of
:mod:`export_hub.errors` (transient / needs a human / skippable).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from export_hub.errors import MarketplaceIssue, TransientError


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


# --- Orders -----------------------------------------------------------------
#
# What flows back from the marketplaces. No buyer personal data is carried:
# no names, addresses, e-mail addresses or phone numbers (Amazon's Data
# Protection Policy; no restricted data token is ever requested). The company
# reads the address in Seller Central / Seller Hub.


class UnreadableAnswer(TransientError):
    """An orders page the connector cannot read (missing or malformed fields).

    Raised before any order of that page is yielded: the import keeps its
    cursor and tries again at the next turn; nothing is half-imported.
    """


class OrderStatus(enum.StrEnum):
    """An order's state, normalised across marketplaces.

    Amazon ``Pending`` / ``PendingAvailability`` (payment not authorised yet,
    pre-order) are ``pending`` and still reserve stock; ``Unfulfillable`` and
    ``InvoiceUnconfirmed`` map to the nearest state and keep ``raw_status``.
    """

    PENDING = "pending"
    UNSHIPPED = "unshipped"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


@dataclass(frozen=True)
class OrderLine:
    """One line of an order: a SKU and its quantities.

    Quantities are absolute (what the marketplace says now), never deltas, so
    importing the same order twice changes nothing.
    """

    #: Amazon ``OrderItemId`` / eBay ``lineItemId``.
    line_id: str
    #: Seller SKU; ``None`` when the marketplace gives none.
    sku: str | None
    quantity: int
    quantity_shipped: int = 0
    #: Units cancelled or refunded (released from stock if not shipped).
    quantity_cancelled: int = 0
    #: Line total (unit price × quantity) in ``currency``, before fees.
    amount: Decimal | None = None
    currency: str = "USD"
    title: str = ""
    #: ASIN / eBay legacy item id.
    item_id: str | None = None


@dataclass(frozen=True)
class Order:
    """An order as the marketplace shows it now. Instants are UTC-aware."""

    order_id: str
    status: OrderStatus
    #: The marketplace's own status words, for display and audit.
    raw_status: str
    purchased_at: dt.datetime
    #: The marketplace's last-update instant (the import cursor follows it).
    updated_at: dt.datetime
    lines: tuple[OrderLine, ...]
    #: Latest ship date the marketplace expects (UTC).
    ship_by: dt.datetime | None = None
    #: ISO 3166-1 alpha-2 ship-to country and, at most, region/state code.
    ship_to_country: str | None = None
    ship_to_region: str | None = None
    currency: str = "USD"
    #: Order total in ``currency`` as the marketplace reports it.
    total: Decimal | None = None
    #: Amount refunded to the buyer so far, in ``currency``.
    refunded: Decimal = Decimal("0")
    #: Amazon marketplace id / eBay marketplace (``EBAY_US``).
    marketplace_id: str = ""


@dataclass(frozen=True)
class ShipmentLine:
    line_id: str
    quantity: int


@dataclass(frozen=True)
class ShipmentRequest:
    """Confirm that (part of) an order left: one package, one tracking number."""

    order_id: str
    lines: tuple[ShipmentLine, ...]
    #: A carrier code the marketplace accepts (see ``OrdersConnector.carriers``).
    carrier_code: str
    tracking_number: str
    shipped_at: dt.datetime
    #: Free-text shipping service ("EMS", "K-Packet"), where the marketplace takes one.
    shipping_method: str = ""


@dataclass(frozen=True)
class ShipmentResult:
    order_id: str
    #: eBay fulfillmentId; Amazon gives none.
    shipment_id: str | None = None
    request_id: str | None = None


class OrdersConnector(Protocol):
    """What the order import and shipment confirmation need, for one seller."""

    marketplace: Marketplace
    account: SellerAccount

    def orders_updated(
        self, *, after: dt.datetime, before: dt.datetime
    ) -> AsyncIterator[Order]:
        """Every order of this seller updated between ``after`` and ``before``
        (UTC; both marketplaces include both ends, so query with an overlap
        and import idempotently), items included, following the
        marketplace's pagination. ``before`` must
        lie far enough in the past for the marketplace (Amazon: 2 minutes).
        Raises the marketplace branch of the error tree; a page that cannot be
        read raises (never a silent partial result)."""
        ...

    async def confirm_shipment(self, shipment: ShipmentRequest) -> ShipmentResult:
        """Tell the marketplace the package left. Raises ``InvalidListing``-like
        ``NeedsHumanError`` when the marketplace refuses it (order cancelled,
        unknown carrier)."""
        ...

    def carriers(self) -> Sequence[str]:
        """Carrier codes this marketplace accepts, most used first."""
        ...
