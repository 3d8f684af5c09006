"""The emulator's configuration and its in-memory world: the application,
sellers, tokens, inventory, offers, policies and legacy (Trading) listings."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import secrets
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
#: eBay's category trees differ per marketplace: one file per site.
SITES = ("EBAY_US", "EBAY_GB", "EBAY_DE", "EBAY_AU")


@dataclass
class EmulatorConfig:
    """Everything tests and demos may tune. Rates scale with ``rate_scale``."""

    client_id: str = "ExportHu-demo-PRD-000000000-00000000"
    client_secret: str = "demo-client-secret"  # noqa: S105 - the demo app's
    #: RuName -> the accept URL eBay redirects to after consent.
    ru_names: dict[str, str] = field(default_factory=dict)
    #: The eBay user id the consent page suggests.
    consent_username: str = "daejeon_seller"
    access_token_ttl: int = 7200
    refresh_token_ttl: int = 47_304_000  # about 18 months
    #: Seconds until an opt-in to business policies takes effect (eBay: up to a day).
    opt_in_delay: float = 0.0
    #: Requests per second per seller and API, and the bucket's burst.
    rate_per_second: float = 50.0
    rate_burst: int = 50
    rate_scale: float = 1.0
    #: Calls per seller, API and day (Trading's default is 5,000).
    daily_quota: int = 5000
    #: Random faults, reproducible with ``seed``.
    seed: int = 0
    fault_rate: float = 0.0
    drop_rate: float = 0.0
    latency: tuple[float, float] = (0.0, 0.0)
    max_bulk: int = 25
    max_migrate: int = 5
    max_revise_inventory_status: int = 4


@dataclass
class Category:
    id: str
    name: str
    parent: str | None
    required_aspects: tuple[str, ...]
    recommended_aspects: tuple[str, ...] = ()
    #: Aspects eBay offers as a closed list (SELECTION_ONLY): allowed values.
    aspect_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    leaf: bool = True


def categories_file(site: str) -> Path:
    return HERE / f"categories.{site}.toml"


def load_categories(path: Path) -> dict[str, Category]:
    """One site's category tree, by id."""
    with path.open("rb") as fh:
        raw = tomllib.load(fh)["category"]
    cats = {
        c["id"]: Category(
            c["id"],
            c["name"],
            c.get("parent"),
            tuple(c.get("required_aspects", ())),
            tuple(c.get("recommended_aspects", ())),
            {k: tuple(v) for k, v in c.get("aspect_values", {}).items()},
        )
        for c in raw
    }
    for cat in cats.values():
        if cat.parent in cats:
            cats[cat.parent].leaf = False
    return cats


def load_trees() -> dict[str, dict[str, Category]]:
    """Every site's category tree: site -> id -> category."""
    return {site: load_categories(categories_file(site)) for site in SITES}


@dataclass
class Offer:
    offer_id: str
    sku: str
    marketplace_id: str
    format: str
    body: dict[str, Any]
    status: str = "UNPUBLISHED"
    listing_id: str | None = None
    listing_status: str | None = None

    def as_json(self) -> dict[str, Any]:
        data = {
            k: v
            for k, v in self.body.items()
            if k not in ("sku", "marketplaceId", "format")
        }
        data.update(
            offerId=self.offer_id,
            sku=self.sku,
            marketplaceId=self.marketplace_id,
            format=self.format,
            status=self.status,
        )
        if self.listing_id:
            data["listing"] = {
                "listingId": self.listing_id,
                "listingStatus": self.listing_status or "ACTIVE",
                "soldQuantity": 0,
            }
        return data


@dataclass
class LegacyItem:
    """A listing made outside the Inventory model (Trading API)."""

    item_id: str
    sku: str
    title: str
    price: str
    currency: str
    quantity: int
    category_id: str
    site: str = "US"
    listing_type: str = "FixedPriceItem"
    status: str = "Active"
    business_policies: bool = True
    migrated: bool = False
    revisions: int = 0


@dataclass
class Seller:
    username: str
    user_id: str
    programs: set[str] = field(default_factory=set)
    opt_in_at: float | None = None
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    offers: dict[str, Offer] = field(default_factory=dict)
    #: kind ("fulfillment"/"payment"/"return") -> id -> policy body.
    policies: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {"fulfillment": {}, "payment": {}, "return": {}}
    )
    legacy: dict[str, LegacyItem] = field(default_factory=dict)

    def offers_for(self, sku: str, marketplace_id: str | None = None) -> list[Offer]:
        return [
            o
            for o in self.offers.values()
            if o.sku == sku
            and (marketplace_id is None or o.marketplace_id == marketplace_id)
        ]


@dataclass
class AccessGrant:
    username: str
    expires_at: float


@dataclass
class Fault:
    path_part: str
    kind: str  # "500" | "503" | "429" | "drop" | "drop_after" | "timeout"
    remaining: int


class EmulatorState:
    """The emulator's world. Tests reach in through the helper methods."""

    def __init__(self, config: EmulatorConfig):
        self.config = config
        #: marketplaceId -> category id -> category (trees differ per site).
        self.categories = load_trees()
        self.sellers: dict[str, Seller] = {}
        self.codes: dict[
            str, tuple[str, float, str]
        ] = {}  # code -> (user, expiry, ru_name)
        self.used_codes: set[str] = set()
        self.refresh_tokens: dict[str, str] = {}  # token -> username
        self.access_tokens: dict[str, AccessGrant] = {}
        self.random = random.Random(config.seed)  # noqa: S311 - reproducible faults
        self._ids = itertools.count(1_000_001)
        self.faults: list[Fault] = []
        #: SKU -> how many more bulk answers fail for it alone (25001 in a 207).
        self.item_faults: dict[str, int] = {}
        #: (username, api, day) -> calls, for quotas.
        self.usage: dict[tuple[str, str, str], int] = {}
        self.buckets: dict[tuple[str, str], tuple[float, float]] = {}
        #: Every request handled: (method, path, username, body) for assertions.
        self.log: list[tuple[str, str, str | None, Any]] = []
        self.clock = time.monotonic
        self.wall_clock = time.time
        self.token_calls = {"authorization_code": 0, "refresh_token": 0}
        #: Calls refused by the emulator's own limits: "rate" and "quota".
        self.refused = {"rate": 0, "quota": 0}
        #: Faults injected so far, by kind.
        self.injected: dict[str, int] = {}
        #: When set, REST answers are kept as (method, path, status, body).
        self.record_exchanges = False
        self.exchanges: list[tuple[str, str, int, Any]] = []
        #: publishOffer/withdrawOffer as sent: (path, Content-Type, body size).
        self.bodyless_calls: list[tuple[str, str | None, int]] = []
        from emulators.ebay.fulfillment import EbayOrderBook

        #: Orders and the buyer simulation (:mod:`emulators.ebay.fulfillment`).
        self.orders = EbayOrderBook(self)

    def next_id(self) -> str:
        return str(next(self._ids))

    # -- helpers for tests and demos --------------------------------------------

    def add_seller(self, username: str, *, opted_in: bool = False) -> Seller:
        seller = self.sellers.get(username)
        if seller is None:
            seller = self.sellers[username] = Seller(username, f"u{self.next_id()}")
        if opted_in:
            seller.programs.add("SELLING_POLICY_MANAGEMENT")
        return seller

    def issue_refresh_token(self, username: str) -> str:
        """A refresh token as if ``username`` had consented (skips the browser)."""
        self.add_seller(username)
        token = "v^1.1#i^1#r^1#" + secrets.token_urlsafe(24)
        self.refresh_tokens[token] = username
        return token

    def revoke_refresh_tokens(self, username: str) -> None:
        for token in [t for t, u in self.refresh_tokens.items() if u == username]:
            del self.refresh_tokens[token]
        for token in [
            t for t, g in self.access_tokens.items() if g.username == username
        ]:
            del self.access_tokens[token]

    def expire_access_tokens(self) -> None:
        for grant in self.access_tokens.values():
            grant.expires_at = 0.0

    def script_fault(self, path_part: str, kind: str, times: int = 1) -> None:
        """The next ``times`` requests to ``path_part`` fail as ``kind``."""
        self.faults.append(Fault(path_part, kind, times))

    def script_item_fault(self, sku: str, times: int = 1) -> None:
        """The next ``times`` bulk answers for ``sku`` are a per-item 500 (25001)."""
        self.item_faults[sku] = self.item_faults.get(sku, 0) + times

    def take_item_fault(self, sku: str) -> bool:
        left = self.item_faults.get(sku, 0)
        if left <= 0:
            return False
        self.item_faults[sku] = left - 1
        return True

    def add_legacy_item(self, username: str, **fields: Any) -> LegacyItem:
        item = LegacyItem(
            item_id=fields.pop("item_id", None) or f"1{self.next_id()}", **fields
        )
        self.add_seller(username).legacy[item.item_id] = item
        return item

    def today(self) -> str:
        return dt.datetime.fromtimestamp(self.wall_clock(), dt.UTC).date().isoformat()

    def requests_to(self, path_part: str) -> list[tuple[str, str, str | None, Any]]:
        return [entry for entry in self.log if path_part in entry[1]]
