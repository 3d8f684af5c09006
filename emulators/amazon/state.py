"""The emulator's memory: tokens, listings, feeds and documents.

Times are ``time.monotonic()`` seconds; outcomes of submissions are computed
lazily when they are due, so no background task is needed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulators.amazon.config import EmulatorConfig, SellerConfig

#: Amazon's issue when a seller is not approved for a brand.
BRAND_NOT_APPROVED_CODE = "5665"


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ListingRecord:
    seller_id: str
    marketplace_id: str
    sku: str
    product_type: str
    requirements: str
    attributes: dict[str, Any]
    created: str = field(default_factory=_now_iso)
    updated: str = field(default_factory=_now_iso)
    asin: str | None = None
    status: list[str] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)
    #: When the pending submission's outcome is due (monotonic), if any.
    due_at: float | None = None


@dataclass
class Document:
    seller_id: str
    content_type: str
    content: bytes | None = None
    compressed: bool = False
    expires_at: float = 0.0


@dataclass
class Feed:
    feed_id: str
    seller_id: str
    feed_type: str
    marketplace_ids: list[str]
    input_document_id: str
    created: str = field(default_factory=_now_iso)
    due_at: float = 0.0
    status: str = "IN_QUEUE"
    result_document_id: str | None = None


class EmulatorState:
    """Everything the emulator remembers. Tests may read and change it."""

    def __init__(
        self, config: EmulatorConfig, clock: Callable[[], float] = time.monotonic
    ):
        self.config = config
        self.clock = clock
        self.sellers: dict[str, SellerConfig] = {s.seller_id: s for s in config.sellers}
        self.refresh_tokens: dict[str, str] = {}
        self.access_tokens: dict[str, tuple[str, float]] = {}
        self.auth_codes: dict[str, tuple[str, float]] = {}
        self.listings: dict[tuple[str, str, str], ListingRecord] = {}
        self.documents: dict[str, Document] = {}
        self.feeds: dict[str, Feed] = {}
        #: Presigned URL signatures by (upload|download, document id).
        self.signatures: dict[tuple[str, str], str] = {}
        self._ids = itertools.count(1000)
        #: Every request seen: (operation, seller id) — for tests and the bench.
        self.calls: list[tuple[str, str]] = []
        self.throttled = 0
        #: Every JSON request body received, with its path (contract tests).
        self.bodies: list[tuple[str, dict[str, Any]]] = []
        for seller in config.sellers:
            for token in seller.refresh_tokens:
                self.refresh_tokens[token] = seller.seller_id
        from emulators.amazon.orders import AmazonOrderBook

        #: Orders and the buyer simulation (:mod:`emulators.amazon.orders`).
        self.orders = AmazonOrderBook(self)

    def next_id(self) -> str:
        return str(next(self._ids))

    # --- LWA ---------------------------------------------------------------

    def add_seller(self, seller: SellerConfig) -> None:
        self.sellers[seller.seller_id] = seller
        for token in seller.refresh_tokens:
            self.refresh_tokens[token] = seller.seller_id

    def issue_refresh_token(self, seller_id: str) -> str:
        token = "Atzr|" + secrets.token_urlsafe(48)
        self.refresh_tokens[token] = seller_id
        self.sellers[seller_id].refresh_tokens.append(token)
        return token

    def revoke(self, refresh_token: str) -> None:
        """The seller revoked the application (or the token expired)."""
        seller_id = self.refresh_tokens.pop(refresh_token, None)
        if seller_id is not None and seller_id not in self.refresh_tokens.values():
            self.access_tokens = {
                access: entry
                for access, entry in self.access_tokens.items()
                if entry[0] != seller_id
            }

    def issue_access_token(self, seller_id: str) -> str:
        token = "Atza|" + secrets.token_urlsafe(48)
        self.access_tokens[token] = (
            seller_id,
            self.clock() + self.config.access_token_ttl_seconds,
        )
        return token

    def seller_for_access_token(self, token: str) -> str | None:
        found = self.access_tokens.get(token)
        if found is None or found[1] <= self.clock():
            return None
        return found[0]

    def issue_auth_code(self, seller_id: str) -> str:
        code = "ANcode" + secrets.token_urlsafe(16)
        self.auth_codes[code] = (seller_id, self.clock() + 300)
        return code

    def redeem_auth_code(self, code: str) -> str | None:
        found = self.auth_codes.pop(code, None)
        if found is None or found[1] <= self.clock():
            return None
        return found[0]

    # --- listings ------------------------------------------------------------

    def listing(
        self, seller_id: str, marketplace_id: str, sku: str
    ) -> ListingRecord | None:
        record = self.listings.get((seller_id, marketplace_id, sku))
        if record is not None:
            self.settle(record)
        return record

    def settle(self, record: ListingRecord) -> None:
        """Apply a due submission outcome: an ASIN and status, or issues."""
        if record.due_at is None or record.due_at > self.clock():
            return
        record.due_at = None
        record.updated = _now_iso()
        brand = _first_value(record.attributes, "brand")
        seller = self.sellers.get(record.seller_id)
        approved = seller.approved_brands if seller is not None else None
        if approved is not None and brand is not None and brand not in approved:
            record.status = []
            record.issues = [
                {
                    "code": BRAND_NOT_APPROVED_CODE,
                    "message": f"You are not approved to list products under the "
                    f"brand '{brand}'. Apply for brand approval in Seller Central.",
                    "severity": "ERROR",
                    "attributeNames": ["brand"],
                    "categories": ["INVALID_ATTRIBUTE"],
                }
            ]
            return
        record.issues = []
        if record.asin is None:
            digest = hashlib.sha1(  # noqa: S324 - an id, not security
                f"{record.seller_id}/{record.sku}".encode()
            ).hexdigest()
            record.asin = "B0" + digest[:8].upper()
        record.status = (
            ["BUYABLE", "DISCOVERABLE"]
            if _buyable(record.attributes)
            else ["DISCOVERABLE"]
        )

    def feed(self, feed_id: str) -> Feed | None:
        return self.feeds.get(feed_id)


def first_brand(attributes: dict[str, Any]) -> Any:
    """The listing's ``brand`` value (what Amazon's brand gate looks at)."""
    return _first_value(attributes, "brand")


def _first_value(attributes: dict[str, Any], name: str) -> Any:
    values = attributes.get(name)
    if isinstance(values, list) and values and isinstance(values[0], dict):
        return values[0].get("value")
    return None


def _buyable(attributes: dict[str, Any]) -> bool:
    offers = attributes.get("purchasable_offer") or []
    availability = attributes.get("fulfillment_availability") or []
    quantity = sum(
        int(a.get("quantity") or 0) for a in availability if isinstance(a, dict)
    )
    return bool(offers) and quantity > 0
