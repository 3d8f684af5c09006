"""Connectors for seller accounts, without importing a marketplace package.

Application code: it builds connectors from ``SellerAccount`` rows and
decrypts their grants, so it lives beside the marketplace models, above
``connectors/``.

Jobs and the web layer ask a :class:`ConnectorRegistry` for the
:class:`~connectors.base.MarketplaceConnector` of a
:class:`~export_hub.marketplaces.models.SellerAccount` row. Each marketplace
is one entry in :data:`BUILDERS` (``"module:function"``, imported on first
use): the function builds a :class:`ConnectorBuilder` from the settings.

What must be shared across concurrent runs in one process lives in
:class:`SharedState` (one per settings object): the token buckets per
(operation, seller, marketplace) and the access tokens, so two syncs running
at once in one process still keep each seller within its own limits and
refresh its token once. Across processes a per-seller lock does the same
(the job engine's, see :mod:`jobs.sync`).

The refresh token is decrypted with :class:`~export_hub.security.SecretBox`
only here, at the moment a connector is built; it is never logged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors.base import Marketplace, MarketplaceConnector, OrdersConnector
from connectors.base import SellerAccount as AccountRef
from connectors.ratelimit import RateLimiterRegistry
from export_hub.marketplaces.endpoints import (
    effective_amazon_settings,
    effective_ebay_settings,
)
from export_hub.marketplaces.models import SellerAccount
from export_hub.security import SecretBox
from export_hub.settings import Settings

#: marketplace -> "module:function(settings, shared) -> ConnectorBuilder".
BUILDERS: dict[str, str] = {
    "amazon": "export_hub.marketplaces.registry:amazon_builder",
    "ebay": "export_hub.marketplaces.registry:ebay_builder",
}


class NotConnected(Exception):
    """The seller account has no usable grant (disconnected or revoked)."""


class ConnectorBuilder(Protocol):
    """Builds connectors of one marketplace for one process, and says which
    bulk paths pay: ``price_quantity_batch`` and ``content_batch`` are how
    many listings one call takes; ``feed_threshold`` (or ``None``) is from
    how many full listings on one seller a bulk feed beats single calls."""

    price_quantity_batch: int
    content_batch: int
    feed_threshold: int | None

    def build(self, account: SellerAccount, refresh_token: str) -> MarketplaceConnector:
        """A connector acting for ``account`` (caller closes it)."""
        ...

    def build_orders(
        self,
        account: SellerAccount,
        refresh_token: str,
        *,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> OrdersConnector:
        """The orders connector acting for ``account`` (caller closes it);
        ``clock`` is the UTC "now" the connector checks windows against."""
        ...

    async def prepare(
        self, connector: MarketplaceConnector
    ) -> Mapping[str, Any] | None:
        """Marketplace set-up to store in ``SellerAccount.setup`` before listing
        (eBay policies and location), or ``None`` when there is none."""
        ...

    async def aclose(self) -> None: ...


@dataclass
class SharedState:
    """Per-process state every run of these settings shares."""

    limiters: dict[str, RateLimiterRegistry] = field(default_factory=dict)
    #: eBay access tokens by (seller, marketplace): (token, expires_at).
    access_tokens: dict[tuple[str, str], tuple[str, Any]] = field(default_factory=dict)
    #: Anything else a builder wants to keep (product type cache, budgets).
    extras: dict[str, Any] = field(default_factory=dict)


_SHARED: dict[int, tuple[Settings, SharedState]] = {}


def shared_state(settings: Settings) -> SharedState:
    """The process-wide state for ``settings`` (created on first use)."""
    found = _SHARED.get(id(settings))
    if found is None or found[0] is not settings:
        found = _SHARED[id(settings)] = (settings, SharedState())
    return found[1]


def account_ref(account: SellerAccount) -> AccountRef:
    """The contract's account record for a database row (no secrets)."""
    return AccountRef(
        marketplace=Marketplace(account.marketplace),
        seller_id=account.seller_id,
        marketplace_id=account.marketplace_id,
        region=account.region or "na",
    )


class ConnectorRegistry:
    """Connectors for seller accounts during one run; ``aclose()`` releases them.

    ``builders`` maps a marketplace to a factory (tests may plug in their own).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        box: SecretBox | None = None,
        builders: Mapping[str, str | Callable[[Settings, SharedState], Any]]
        | None = None,
        shared: SharedState | None = None,
    ):
        self.settings = settings
        self.box = box or SecretBox.from_settings(settings)
        self.shared = shared or shared_state(settings)
        self._targets = dict(builders or BUILDERS)
        self._builders: dict[str, ConnectorBuilder] = {}
        self._open: list[MarketplaceConnector] = []
        self._open_orders: list[Any] = []

    def builder(self, marketplace: str) -> ConnectorBuilder:
        found = self._builders.get(marketplace)
        if found is None:
            target = self._targets.get(marketplace)
            if target is None:
                raise KeyError(f"no connector registered for {marketplace!r}")
            factory = _resolve(target) if isinstance(target, str) else target
            found = self._builders[marketplace] = factory(self.settings, self.shared)
        return found

    def connector_for(self, account: SellerAccount) -> MarketplaceConnector:
        """The connector for ``account``; raises :class:`NotConnected`."""
        refresh_token = self._refresh_token(account)
        connector = self.builder(account.marketplace).build(account, refresh_token)
        self._open.append(connector)
        return connector

    def orders_connector_for(
        self,
        account: SellerAccount,
        *,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> OrdersConnector:
        """The orders connector for ``account``; raises :class:`NotConnected`.
        Closed with the registry."""
        refresh_token = self._refresh_token(account)
        connector = self.builder(account.marketplace).build_orders(
            account, refresh_token, clock=clock
        )
        self._open_orders.append(connector)
        return connector

    def _refresh_token(self, account: SellerAccount) -> str:
        if account.status != "connected" or not account.refresh_token_encrypted:
            raise NotConnected(
                f"seller account {account.id} is {account.status}: reconnect it"
            )
        return self.box.decrypt(account.refresh_token_encrypted)

    async def prepare(
        self, account: SellerAccount, connector: MarketplaceConnector
    ) -> Mapping[str, Any] | None:
        return await self.builder(account.marketplace).prepare(connector)

    async def aclose(self) -> None:
        for connector in self._open:
            await connector.aclose()
        self._open.clear()
        for orders in self._open_orders:
            # eBay's orders client borrows the pool's transport (closed with
            # the builder below); Amazon's owns an HTTP session.
            close = getattr(orders, "aclose", None)
            if close is not None:
                await close()
        self._open_orders.clear()
        for builder in self._builders.values():
            await builder.aclose()
        self._builders.clear()

    async def __aenter__(self) -> ConnectorRegistry:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _resolve(target: str) -> Any:
    module_name, _, function = target.partition(":")
    return getattr(importlib.import_module(module_name), function)


# -- Amazon -------------------------------------------------------------------


class _AmazonBuilder:
    # PATCH and PUT are per SKU; a JSON_LISTINGS_FEED costs four slow-rated
    # calls plus minutes of processing, so it pays only for large batches.
    price_quantity_batch = 1
    content_batch = 1
    feed_threshold: int | None = 200

    def __init__(self, settings: Settings, shared: SharedState):
        from connectors.amazon.product_types import ProductTypeCache
        from connectors.amazon.transport import OPERATION_RATES, AmazonTransport

        limiter = shared.limiters.get("amazon")
        if limiter is None:
            limiter = shared.limiters["amazon"] = RateLimiterRegistry(
                OPERATION_RATES, scale=settings.amazon.rate_scale
            )
        cache = shared.extras.setdefault("amazon.product_types", ProductTypeCache())
        # Aimed at the in-process emulator when it is enabled.
        self.transport = AmazonTransport(
            effective_amazon_settings(settings), registry=limiter
        )
        self._cache = cache

    def build(self, account: SellerAccount, refresh_token: str) -> MarketplaceConnector:
        from connectors.amazon.client import AmazonListingsClient

        return AmazonListingsClient(
            self.transport, account_ref(account), refresh_token, self._cache
        )

    def build_orders(
        self,
        account: SellerAccount,
        refresh_token: str,
        *,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> OrdersConnector:
        from connectors.amazon.orders import AmazonOrdersClient

        return AmazonOrdersClient(
            self.transport, account_ref(account), refresh_token, clock=clock
        )

    async def prepare(self, connector: MarketplaceConnector) -> None:
        return None

    async def aclose(self) -> None:
        return None


def amazon_builder(settings: Settings, shared: SharedState) -> ConnectorBuilder:
    return _AmazonBuilder(settings, shared)


# -- eBay -----------------------------------------------------------------------


class _TokenMemory:
    """Keeps refreshed eBay access tokens for the next run in this process."""

    def __init__(self, shared: SharedState, key: tuple[str, str]):
        self._shared = shared
        self._key = key

    async def access_token_refreshed(self, grant: Any) -> None:
        self._shared.access_tokens[self._key] = (
            grant.access_token,
            grant.access_expires_at,
        )

    async def refresh_token_rejected(self, error: Any) -> None:
        self._shared.access_tokens.pop(self._key, None)


class _EbayBuilder:
    # bulk_update_price_quantity and bulk_create_or_replace_inventory_item
    # take 25 SKUs a call.
    price_quantity_batch = 25
    content_batch = 25
    feed_threshold: int | None = None

    def __init__(self, settings: Settings, shared: SharedState):
        from connectors.ebay.budget import CallBudget, MemoryBudgetStore
        from connectors.ebay.transport import EbayTransportPool, default_limiter
        from export_hub.marketplaces.ebay_budget import SqlBudgetStore

        ebay = effective_ebay_settings(settings)
        self.settings = ebay
        self.shared = shared
        limiter = shared.limiters.get("ebay")
        if limiter is None:
            limiter = shared.limiters["ebay"] = default_limiter(ebay)
        self._usage: SqlBudgetStore | None = None
        if settings.database.url.startswith("postgresql"):
            # Scaled out, every worker spends the same daily quota: count it
            # in the database (each take is its own short transaction).
            self._usage = SqlBudgetStore.from_url(settings.database.url)
            budget = CallBudget(
                self._usage,
                daily_calls=ebay.daily_call_budget,
                revisions_per_listing=ebay.max_revisions_per_listing_per_day,
            )
        else:
            # Embedded SQLite is one process; SQLite's single writer would
            # also wait on a caller that holds a write transaction.
            if "ebay.budget" not in shared.extras:
                shared.extras["ebay.budget"] = CallBudget(
                    MemoryBudgetStore(),
                    daily_calls=ebay.daily_call_budget,
                    revisions_per_listing=ebay.max_revisions_per_listing_per_day,
                )
            budget = shared.extras["ebay.budget"]
        self.budget = budget
        self.pool = EbayTransportPool(ebay, limiter=limiter, budget=budget)

    def build(self, account: SellerAccount, refresh_token: str) -> MarketplaceConnector:
        from connectors.ebay.account import SellerSetup
        from connectors.ebay.inventory import EbayInventoryClient

        return EbayInventoryClient(
            self._transport(account, refresh_token),
            known_setup=SellerSetup.from_dict(dict(account.setup or {})),
        )

    def build_orders(
        self,
        account: SellerAccount,
        refresh_token: str,
        *,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> OrdersConnector:
        # eBay accepts any window up to now: nothing to check against a clock.
        from connectors.ebay.fulfillment import EbayFulfillmentClient

        return EbayFulfillmentClient(self._transport(account, refresh_token))

    def _transport(self, account: SellerAccount, refresh_token: str) -> Any:
        from connectors.ebay.oauth import EbayOAuthClient, EbayTokenSource

        ref = account_ref(account)
        key = (ref.seller_id, ref.marketplace_id)
        cached = self.shared.access_tokens.get(key)

        def tokens() -> EbayTokenSource:
            return EbayTokenSource(
                EbayOAuthClient(self.settings, self.pool.session),
                ref.seller_id,
                refresh_token,
                access_token=cached[0] if cached else None,
                access_expires_at=cached[1] if cached else None,
                listener=_TokenMemory(self.shared, key),
                skew_seconds=self.settings.token_refresh_skew_seconds,
            )

        return self.pool.get(ref, tokens)

    async def prepare(self, connector: MarketplaceConnector) -> Mapping[str, Any]:
        setup = await connector.setup.ensure()  # type: ignore[attr-defined]
        return dict(setup.as_dict())

    async def aclose(self) -> None:
        await self.pool.aclose()
        if self._usage is not None:
            await self._usage.aclose()


def ebay_builder(settings: Settings, shared: SharedState) -> ConnectorBuilder:
    return _EbayBuilder(settings, shared)


# -- Orders -----------------------------------------------------------------------


def orders_factory(
    settings: Settings, *, clock: Callable[[], dt.datetime] | None = None
) -> Any:
    """The orders connector factory for :mod:`export_hub.orders` (named by
    ``orders.connector_factory``): each use opens a registry for one seller
    account and closes it afterwards. Rate limits and tokens stay shared
    through the process-wide :class:`SharedState`. ``clock`` (UTC) is what
    Amazon's two-minute rule is checked against (a benchmark on a compressed
    clock passes its own)."""

    @contextlib.asynccontextmanager
    async def factory(account: SellerAccount) -> AsyncIterator[OrdersConnector]:
        async with ConnectorRegistry(settings) as registry:
            yield registry.orders_connector_for(account, clock=clock)

    return factory
