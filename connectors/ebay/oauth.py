"""eBay OAuth user tokens: consent URL, code exchange and refresh.

One consent covers the REST APIs and Trading (through the IAF header). The
access token lives two hours and is refreshed from the refresh token (about 18
months, not rotated) shortly before it expires, once per seller even when many
calls need it at the same moment (:class:`EbayTokenSource`).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import aiohttp

from connectors.retry import RetryPolicy, retrying
from export_hub.errors import (
    AuthorizationError,
    MarketplaceError,
    NeedsHumanError,
    TransientError,
)
from export_hub.settings import EbaySettings

log = logging.getLogger(__name__)
MARKETPLACE = "ebay"


def utcnow() -> dt.datetime:
    """The current instant in UTC: the default clock (tests pass their own)."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class TokenGrant:
    """What the token endpoint granted. Times are aware UTC."""

    access_token: str
    access_expires_at: dt.datetime
    refresh_token: str | None = None
    refresh_expires_at: dt.datetime | None = None

    def __repr__(self) -> str:
        return f"TokenGrant(access_expires_at={self.access_expires_at.isoformat()})"


def authorize_url(settings: EbaySettings, state: str) -> str:
    """Where to send the seller for consent; eBay comes back to the RuName's
    accept URL with ``code`` and ``state``."""
    query = urlencode(
        {
            "client_id": settings.client_id,
            "redirect_uri": settings.ru_name,
            "response_type": "code",
            "scope": " ".join(settings.scopes),
            "state": state,
        }
    )
    return f"{settings.authorize_url}?{query}"


class EbayOAuthClient:
    """The authorize URL and the token endpoint (HTTP Basic client credentials)."""

    def __init__(
        self,
        settings: EbaySettings,
        session: aiohttp.ClientSession,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ):
        self._settings = settings
        self._session = session
        self._clock = clock
        self._policy = RetryPolicy(
            max_attempts=settings.max_attempts,
            max_seconds=settings.max_retry_seconds,
            initial_wait=settings.retry_initial_wait_seconds,
        )

    def authorize_url(self, state: str) -> str:
        """See :func:`authorize_url`."""
        return authorize_url(self._settings, state)

    async def exchange_code(self, code: str) -> TokenGrant:
        """Trade the consent ``code`` (valid ~5 minutes) for both tokens."""
        return await self._token_call(
            "oauth.exchange_code",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self._settings.ru_name,
            },
        )

    async def refresh(
        self, refresh_token: str, seller_id: str | None = None
    ) -> TokenGrant:
        """A fresh access token; raises ``AuthorizationError`` on invalid_grant."""
        return await self._token_call(
            "oauth.refresh",
            {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "scope": " ".join(self._settings.scopes),
            },
            seller_id=seller_id,
        )

    async def _token_call(
        self, operation: str, form: dict[str, str], seller_id: str | None = None
    ) -> TokenGrant:
        secret = self._settings.client_secret.get_secret_value()
        basic = base64.b64encode(
            f"{self._settings.client_id}:{secret}".encode()
        ).decode()
        headers = {
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        timeout = aiohttp.ClientTimeout(total=self._settings.request_timeout_seconds)
        async for attempt in retrying(self._policy):
            with attempt:
                try:
                    async with self._session.post(
                        self._settings.token_url,
                        data=form,
                        headers=headers,
                        timeout=timeout,
                    ) as resp:
                        status = resp.status
                        body: dict[str, Any] = await resp.json(content_type=None)
                except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
                    # A token call changes nothing we cannot redo: retry it.
                    raise TransientError(
                        f"token endpoint unreachable: {type(exc).__name__}",
                        marketplace=MARKETPLACE,
                        operation=operation,
                        seller_id=seller_id,
                    ) from exc
                return self._grant_or_raise(status, body, operation, seller_id)
        raise AssertionError("unreachable")  # pragma: no cover

    def _grant_or_raise(
        self, status: int, body: dict[str, Any], operation: str, seller_id: str | None
    ) -> TokenGrant:
        if status == 200 and "access_token" in body:
            now = self._clock()
            refresh_in = body.get("refresh_token_expires_in")
            return TokenGrant(
                access_token=str(body["access_token"]),
                access_expires_at=now
                + dt.timedelta(seconds=int(body.get("expires_in", 7200))),
                refresh_token=body.get("refresh_token"),
                refresh_expires_at=(
                    now + dt.timedelta(seconds=int(refresh_in)) if refresh_in else None
                ),
            )
        error = str(body.get("error", f"http_{status}"))
        description = str(body.get("error_description", ""))
        kwargs: dict[str, Any] = {
            "marketplace": MARKETPLACE,
            "operation": operation,
            "seller_id": seller_id,
            "status": status,
            "code": error,
        }
        message = f"{error}: {description}".strip(": ")
        if error in ("invalid_grant", "invalid_scope", "access_denied"):
            raise AuthorizationError(message, **kwargs)
        if (
            status == 429
            or status >= 500
            or error in ("server_error", "temporarily_unavailable")
        ):
            raise TransientError(message, **kwargs)
        raise NeedsHumanError(message, **kwargs)


class TokenListener(Protocol):
    """Told about token changes so they can be persisted (encrypted)."""

    async def access_token_refreshed(self, grant: TokenGrant) -> None: ...

    async def refresh_token_rejected(self, error: MarketplaceError) -> None: ...


class EbayTokenSource:
    """Access tokens for one seller.

    Refreshes when the cached token expires within ``skew`` seconds. An
    :class:`asyncio.Lock` makes concurrent callers wait for one refresh instead
    of each starting their own. Once the refresh token is rejected every
    caller gets the same ``AuthorizationError`` without calling eBay again.
    """

    def __init__(
        self,
        oauth: EbayOAuthClient,
        seller_id: str,
        refresh_token: str,
        *,
        access_token: str | None = None,
        access_expires_at: dt.datetime | None = None,
        listener: TokenListener | None = None,
        skew_seconds: float = 300.0,
        clock: Callable[[], dt.datetime] = utcnow,
    ):
        self.seller_id = seller_id
        self._oauth = oauth
        self._refresh_token = refresh_token
        self._access_token = access_token
        self._expires_at = access_expires_at
        self._listener = listener
        self._skew = dt.timedelta(seconds=skew_seconds)
        self._clock = clock
        self._lock = asyncio.Lock()
        self._rejected: AuthorizationError | None = None
        #: How many refreshes actually went to eBay (for tests and metrics).
        self.refresh_count = 0

    def __repr__(self) -> str:
        return f"EbayTokenSource(seller_id={self.seller_id!r})"

    def _fresh(self) -> str | None:
        if (
            self._access_token
            and self._expires_at
            and self._clock() + self._skew < self._expires_at
        ):
            return self._access_token
        return None

    async def get(self) -> str:
        """A valid access token; raises ``AuthorizationError`` if consent is gone."""
        if self._rejected is not None:
            raise self._rejected
        token = self._fresh()
        if token is not None:
            return token
        async with self._lock:
            if self._rejected is not None:
                raise self._rejected
            token = self._fresh()
            if token is not None:
                return token
            return await self._refresh()

    async def invalidate(self, token: str) -> None:
        """eBay refused ``token`` (401): drop it unless another call replaced it."""
        async with self._lock:
            if self._access_token == token:
                self._access_token = None
                self._expires_at = None

    async def _refresh(self) -> str:
        self.refresh_count += 1
        try:
            grant = await self._oauth.refresh(self._refresh_token, self.seller_id)
        except AuthorizationError as exc:
            self._rejected = exc
            if self._listener is not None:
                await self._listener.refresh_token_rejected(exc)
            raise
        self._access_token = grant.access_token
        self._expires_at = grant.access_expires_at
        if self._listener is not None:
            await self._listener.access_token_refreshed(grant)
        log.info("eBay access token refreshed for seller %s", self.seller_id)
        return grant.access_token
