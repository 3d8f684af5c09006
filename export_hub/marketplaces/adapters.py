"""The per-marketplace OAuth adapter that the onboarding framework drives.

The onboarding framework (:mod:`export_hub.marketplaces.service` and
:mod:`export_hub.marketplaces.web`) is marketplace-neutral: it owns the
single-use ``state``, the callback checks, storing the grant encrypted, the
connection status and the checklist page. Each marketplace plugs in one object
that satisfies :class:`OAuthAdapter`:

* ``consent_url(state=, marketplace_id=, redirect_uri=)``: where to send the
  company (Amazon: Seller Central consent; eBay: ``auth.ebay.com``).
* ``exchange_code(params, marketplace_id=, redirect_uri=)``: called at once
  from the callback with its query parameters (``state`` already checked);
  returns a :class:`Grant`. Raise :class:`OnboardingError` for a refused
  consent (``error=access_denied``) and a ``MarketplaceError`` for a failed
  token call.
* ``refresh(refresh_token)``: a fresh :class:`AccessToken` (eBay needs it;
  Amazon's library refreshes by itself but the adapter still offers it).
* expiry rules: the :class:`Grant` carries ``refresh_token_expires_at``
  (Amazon: consent + 365 days; eBay: ``refresh_token_expires_in``), and
  ``reauthorize_notice`` says how long before that the page warns.
* ``check_connection(account, refresh_token)``: one cheap authenticated call
  (the checklist's "test call"); returns a :class:`ConnectionCheck` or raises
  the marketplace branch of :mod:`export_hub.errors`.
* ``extra_checklist(db, company_id, account)``: marketplace-specific checklist
  items (Amazon: brand permitted, GTINs or exemption; eBay: business policies).

Adapters are built from :class:`~export_hub.settings.Settings` by a factory
named in :data:`ADAPTER_FACTORIES` (``"module:function"``; imported lazily, so
the web layer does not import marketplace packages at start-up). A new
marketplace adds one line there, and one in :data:`EMULATOR_FACTORIES` if its
emulator should run inside the web app when ``settings.emulators.enabled``.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.errors import RequestError, Text
from export_hub.marketplaces.models import SellerAccount
from export_hub.settings import Settings

#: marketplace name -> "module:factory(settings) -> OAuthAdapter".
ADAPTER_FACTORIES: dict[str, str] = {
    "amazon": "export_hub.marketplaces.amazon:adapter_from_settings",
    "ebay": "export_hub.marketplaces.ebay:adapter_from_settings",
}
#: marketplace name -> "module:function(settings)" returning an async context
#: manager that serves the marketplace's emulator while the web app runs
#: (only when ``settings.emulators.enabled``).
EMULATOR_FACTORIES: dict[str, str] = {
    "amazon": "export_hub.demo.amazon:serve_for_settings",
    "ebay": "export_hub.demo.ebay:serve_for_settings",
}


class OnboardingError(RequestError):
    """The consent round trip failed in a way the user can act on (HTTP 400)."""

    status = 400
    code = "onboarding_failed"


@dataclass(frozen=True)
class Grant:
    """What a successful code exchange yields. Plaintext: encrypt before storing."""

    seller_id: str
    refresh_token: str
    refresh_token_expires_at: dt.datetime | None
    access_token: str | None = None
    access_token_expires_at: dt.datetime | None = None
    region: str = ""

    def __repr__(self) -> str:  # never show tokens
        return f"Grant(seller_id={self.seller_id!r}, region={self.region!r})"


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_at: dt.datetime

    def __repr__(self) -> str:
        return f"AccessToken(expires_at={self.expires_at.isoformat()})"


@dataclass(frozen=True)
class ConnectionCheck:
    """What a successful test call learned."""

    message: Text = field(
        default_factory=lambda: Text("연결 확인됨", "Connection works")
    )
    #: Brands the seller may use (Amazon), when the call told us.
    approved_brands: tuple[str, ...] | None = None
    #: Marketplace-specific set-up state to merge into ``SellerAccount.setup``.
    setup: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChecklistItem:
    """One line of the onboarding checklist. ``ok`` is ``None`` when unknown."""

    key: str
    label: Text
    ok: bool | None
    detail: Text | None = None


@dataclass(frozen=True)
class AccountRef:
    """Which account to call, without secrets (built from the DB row)."""

    seller_id: str
    marketplace_id: str
    region: str


@runtime_checkable
class OAuthAdapter(Protocol):
    """One marketplace's consent flow and checks (see the module docstring)."""

    marketplace: str
    display_name: Text
    #: Marketplace ids the company may connect, with labels.
    marketplace_ids: Mapping[str, Text]
    default_marketplace_id: str
    #: How long before ``refresh_token_expires_at`` the page asks to re-authorize.
    reauthorize_notice: dt.timedelta

    def consent_url(self, *, state: str, marketplace_id: str, redirect_uri: str) -> str:
        """The consent page URL carrying ``state``."""
        ...

    async def exchange_code(
        self, params: Mapping[str, str], *, marketplace_id: str, redirect_uri: str
    ) -> Grant:
        """Exchange the callback's code for tokens, at once (codes live minutes)."""
        ...

    async def refresh(self, refresh_token: str) -> AccessToken:
        """A new access token from the refresh token."""
        ...

    async def check_connection(
        self, account: AccountRef, refresh_token: str
    ) -> ConnectionCheck:
        """A cheap authenticated call; raises ``AuthorizationError`` if revoked."""
        ...

    async def extra_checklist(
        self, db: AsyncSession, company_id: int, account: SellerAccount | None
    ) -> Sequence[ChecklistItem]:
        """Marketplace-specific checklist items (may read the catalog)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


def _resolve(target: str) -> Any:
    module_name, _, function = target.partition(":")
    return getattr(importlib.import_module(module_name), function)


def emulator_contexts(
    settings: Settings, factories: Mapping[str, str] | None = None
) -> list[AbstractAsyncContextManager[Any]]:
    """The emulators to serve in-process (empty unless emulators are enabled)."""
    if not settings.emulators.enabled:
        return []
    return [_resolve(t)(settings) for t in (factories or EMULATOR_FACTORIES).values()]


def load_adapters(
    settings: Settings, factories: Mapping[str, str] | None = None
) -> dict[str, OAuthAdapter]:
    """Build every registered adapter for ``settings``, keyed by marketplace."""
    adapters: dict[str, OAuthAdapter] = {}
    for name, target in (factories or ADAPTER_FACTORIES).items():
        factory: Callable[[Settings], OAuthAdapter] = _resolve(target)
        adapters[name] = factory(settings)
    return adapters
