"""SP-API transport: LWA auth, rate limits, retries and error mapping.

Built on python-amazon-sp-api's asyncio clients. One :class:`AmazonTransport`
per process (per settings) owns the rate-limiter registry, the retry policy,
the TLS trust and the LWA client class; :meth:`AmazonTransport.session` gives
one :class:`SellerSession` per seller and marketplace, whose API clients share
one HTTP connection pool and one LWA token client (so a seller's token is
refreshed once, however many calls need it at once).

Library quirks handled here (see DOMAIN.md); every private part of the
library we touch for them sits in :mod:`connectors.amazon.spapi_adapter`:

* the LWA host is a class attribute of its token client: a subclass per
  configured ``lwa_token_url`` (``auth_token_client_class=``);
* it derives the ``Host`` header from the endpoint, so endpoints must be
  ``https://`` to be right (the emulator ignores Host either way);
* an error status without a JSON ``errors`` body returns an empty response:
  a response hook records every status, and :meth:`AmazonTransport.call`
  raises for it;
* its access-token cache holds 10 entries process-wide by default: resized
  from ``settings.amazon.token_cache_size`` (one entry per seller);
* it logs request headers (the access token) at DEBUG: the application caps
  and redacts those loggers, and the transport never logs a token itself.
"""

from __future__ import annotations

import asyncio
import contextvars
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from sp_api.asyncio.api import (
    Feeds,
    ListingsItems,
    ListingsRestrictions,
    ProductTypeDefinitions,
)
from sp_api.auth.exceptions import AuthorizationError as LwaError
from sp_api.base import SellingApiException
from sp_api.base.credential_provider import (
    CredentialProvider,
    FromCodeCredentialProvider,
)

from connectors.amazon.spapi_adapter import (
    AccessTokenClient,
    LwaUnavailable,
    cached_access_token,
    forget_access_token,
    lwa_client_class,
    resize_token_cache,
    token_key,
    use_pool,
)
from connectors.base import SellerAccount
from connectors.ratelimit import Rate, RateLimiterRegistry, TokenBucket
from connectors.retry import RetryPolicy
from connectors.transport import CallContext, CallStats, SingleFlight, call
from export_hub.errors import (
    AuthorizationError,
    InvalidListing,
    MarketplaceError,
    MarketplaceIssue,
    NeedsHumanError,
    OutcomeUnknown,
    RateLimited,
    SkippableError,
    TransientError,
)
from export_hub.settings import AmazonSettings

T = TypeVar("T")
MARKETPLACE = "amazon"

#: Documented rates (requests/s, burst) per operation; adjusted at run time
#: from ``x-amzn-RateLimit-Limit``.
OPERATION_RATES: dict[str, Rate] = {
    "getListingsItem": Rate(5.0, 10),
    "putListingsItem": Rate(5.0, 10),
    "patchListingsItem": Rate(5.0, 5),
    "deleteListingsItem": Rate(5.0, 5),
    "searchListingsItems": Rate(5.0, 5),
    "searchDefinitionsProductTypes": Rate(5.0, 10),
    "getDefinitionsProductType": Rate(5.0, 10),
    "createFeedDocument": Rate(0.5, 15),
    "createFeed": Rate(0.0083, 15),
    "getFeed": Rate(2.0, 15),
    "getFeedDocument": Rate(0.0222, 10),
    # Orders (ordersV0.json, orders_2026-01-01.json); see connectors/amazon/orders.py.
    "searchOrders": Rate(0.0056, 20),
    "getOrders": Rate(0.0167, 20),
    "getOrderItems": Rate(0.5, 30),
    "confirmShipment": Rate(2.0, 10),
    "getListingsRestrictions": Rate(5.0, 10),
    # Not SP-API operations (presigned S3 URLs, LWA) but paced all the same.
    "uploadFeedDocument": Rate(10.0, 20),
    "downloadSchema": Rate(10.0, 20),
    "lwaToken": Rate(10.0, 20),
}
#: Operations that change nothing: a lost answer can simply be asked again.
READ_ONLY = frozenset(
    {
        "getListingsItem",
        "searchListingsItems",
        "searchDefinitionsProductTypes",
        "getDefinitionsProductType",
        "getFeed",
        "getFeedDocument",
        "getListingsRestrictions",
        "downloadSchema",
        "searchOrders",
        "getOrders",
        "getOrderItems",
    }
)


@dataclass
class _Exchange:
    """What the last HTTP answer in this task said (set by a response hook)."""

    status: int | None = None
    request_id: str | None = None


_EXCHANGE: contextvars.ContextVar[_Exchange | None] = contextvars.ContextVar(
    "amazon_exchange", default=None
)


async def _record_response(response: httpx.Response) -> None:
    exchange = _EXCHANGE.get()
    if exchange is not None:
        exchange.status = response.status_code
        exchange.request_id = response.headers.get("x-amzn-RequestId")


class _ErrorWithoutBody(Exception):
    def __init__(self, status: int, request_id: str | None):
        super().__init__(f"HTTP {status} without an errors body")
        self.status = status
        self.request_id = request_id


def _config(credentials: dict[str, str]) -> Any:
    return CredentialProvider(
        credentials=credentials, credential_providers=[FromCodeCredentialProvider]
    ).credentials


def _verify(ca_bundle: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_bundle or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


@dataclass
class _WarmUp:
    """How a seller starts on one operation: the first call alone, then the
    burst, then the paced calls, with the bucket restarted once the burst has
    been answered.

    Why: Amazon's bucket clock starts at our first arrival and is capped at the
    burst. When a burst trickles in slowly (new TLS connections under load),
    Amazon's capped bucket wastes refill time that a client schedule started
    earlier counts on, and paced calls sent during the burst get 429s. Pacing
    from the moment the burst is answered (with an empty bucket) cannot run
    ahead of Amazon's.
    """

    burst_left: int
    in_burst: int = 0
    first_done: asyncio.Event = field(default_factory=asyncio.Event)
    burst_done: asyncio.Event = field(default_factory=asyncio.Event)

    def finish_if_done(self, bucket: TokenBucket) -> None:
        if self.burst_left == 0 and self.in_burst == 0 and not self.burst_done.is_set():
            bucket.penalise()  # empty: the paced schedule starts now
            self.burst_done.set()


@dataclass(frozen=True)
class _Endpoint:
    """The marketplace-like object the library's clients take."""

    endpoint: str
    marketplace_id: str
    region: str


@dataclass
class SellerSession:
    """The API clients for one seller and marketplace (no secrets exposed)."""

    account: SellerAccount
    listings: Any
    definitions: Any
    feeds: Any
    restrictions: Any
    http: httpx.AsyncClient
    auth: AccessTokenClient
    #: Builds another library API client on this session's pool and token
    #: client: ``make_client(OrdersV0)``.
    make_client: Callable[..., Any] = field(repr=False)
    closed: bool = field(default=False)

    async def aclose(self) -> None:
        if not self.closed:
            self.closed = True
            await self.http.aclose()
            await self.auth.aclose()


class AmazonTransport:
    """Process-wide SP-API plumbing for every seller (see the module docstring)."""

    def __init__(
        self,
        settings: AmazonSettings,
        *,
        registry: RateLimiterRegistry | None = None,
        policy: RetryPolicy | None = None,
    ):
        self.settings = settings
        self.registry = registry or RateLimiterRegistry(
            OPERATION_RATES, scale=settings.rate_scale
        )
        self.policy = policy or RetryPolicy(
            max_attempts=settings.max_attempts,
            max_seconds=settings.max_retry_seconds,
            initial_wait=settings.retry_initial_wait_seconds,
            max_wait=settings.retry_max_wait_seconds,
        )
        self.stats = CallStats()
        self._token_flights: SingleFlight[Any] = SingleFlight()
        self._warmups: dict[str, _WarmUp] = {}
        self.verify = _verify(settings.ca_bundle)
        self.auth_class = lwa_client_class(settings.lwa_token_url)
        resize_token_cache(settings.token_cache_size)

    def _credentials(self, refresh_token: str | None) -> dict[str, str]:
        credentials = {
            "lwa_app_id": self.settings.lwa_client_id,
            "lwa_client_secret": self.settings.lwa_client_secret.get_secret_value(),
        }
        if refresh_token:
            credentials["refresh_token"] = refresh_token
        return credentials

    def auth_client(self, refresh_token: str | None) -> AccessTokenClient:
        """An LWA token client (its own pool, with the request timeout).
        Close it with ``aclose()``."""
        auth = self.auth_class(
            refresh_token=refresh_token,
            credentials=_config(self._credentials(refresh_token)),
            verify=self.verify,
        )
        use_pool(
            auth,
            httpx.AsyncClient(
                timeout=self.settings.request_timeout_seconds, verify=self.verify
            ),
        )
        return auth

    def session(self, account: SellerAccount, refresh_token: str) -> SellerSession:
        """API clients for ``account`` sharing one pool and one token client."""
        endpoint = self.settings.endpoints.get(account.region)
        if endpoint is None:
            raise ValueError(
                f"no SP-API endpoint configured for region {account.region!r}"
            )
        marketplace = _Endpoint(
            endpoint.rstrip("/"), account.marketplace_id, account.region
        )
        timeout = httpx.Timeout(self.settings.request_timeout_seconds)
        http = httpx.AsyncClient(
            timeout=timeout,
            verify=self.verify,
            event_hooks={"response": [_record_response]},
        )
        credentials = self._credentials(refresh_token)
        auth = self.auth_client(refresh_token)

        def build(cls: Any, **extra: Any) -> Any:
            client = cls(
                marketplace,
                refresh_token=refresh_token,
                credentials=credentials,
                credential_providers=[FromCodeCredentialProvider],
                verify=self.verify,
                timeout=timeout,
                auth_token_client_class=lambda **_: auth,
                **extra,
            )
            use_pool(client, http)
            return client

        return SellerSession(
            account=account,
            listings=build(ListingsItems, version="2021-08-01"),
            definitions=build(ProductTypeDefinitions),
            feeds=build(Feeds, version="2021-06-30"),
            restrictions=build(ListingsRestrictions),
            http=http,
            auth=auth,
            make_client=build,
        )

    async def call(
        self,
        operation: str,
        session: SellerSession,
        fn: Callable[[], Awaitable[T]],
        *,
        sku: str | None = None,
    ) -> T:
        """Run one SP-API operation for the session's account under its rate
        limit, the retry policy and error mapping. Raises :mod:`export_hub.errors`.

        A 403 with a cached access token drops that token and tries once more
        (the seller may have re-authorized, or the cache outlived the token).
        """
        await self._ensure_access_token(session)
        used = cached_access_token(session.auth)
        try:
            return await self._call(operation, session, fn, sku)
        except AuthorizationError as exc:
            # Concurrent calls may all get a 403 for the same token: whichever
            # drops it first, each of them retries once with a fresh one.
            if exc.status != 403 or used is None:
                raise
            forget_access_token(session.auth, used)
        await self._ensure_access_token(session)
        return await self._call(operation, session, fn, sku)

    async def _ensure_access_token(self, session: SellerSession) -> None:
        # Fetch the token before taking a rate-limit token: a slow LWA call
        # inside the paced request would shift this seller's schedule against
        # Amazon's bucket and cause 429s.
        if cached_access_token(session.auth) is None:  # one refresh per seller
            key = token_key(session.auth)
            await self._token_flights.run(
                key,
                lambda: self._call("lwaToken", session, session.auth.get_auth, None),
            )

    async def _call(
        self,
        operation: str,
        session: SellerSession,
        fn: Callable[[], Awaitable[T]],
        sku: str | None,
    ) -> T:
        account = session.account
        key = (account.seller_id, account.marketplace_id)
        context = CallContext(MARKETPLACE, operation, account.seller_id, sku)

        async def attempt() -> T:
            exchange = _Exchange()
            token = _EXCHANGE.set(exchange)
            try:
                result = await fn()
            finally:
                _EXCHANGE.reset(token)
            if exchange.status is not None and exchange.status >= 400:
                raise _ErrorWithoutBody(exchange.status, exchange.request_id)
            granted = _granted_rate(result)
            if granted:
                self.registry.observe_granted_rate(operation, *key, per_second=granted)
            return result

        gate = "/".join((operation, *key))
        warm = self._warmups.get(gate)
        if warm is None:
            warm = self._warmups[gate] = _WarmUp(OPERATION_RATES[operation].burst - 1)
            return await self._first_call(operation, key, context, attempt, warm)
        await warm.first_done.wait()
        bucket = self.registry.bucket(operation, *key)
        if not warm.burst_done.is_set():
            if warm.burst_left > 0:
                warm.burst_left -= 1
                warm.in_burst += 1
                try:
                    return await self._paced(context, bucket, attempt)
                finally:
                    warm.in_burst -= 1
                    warm.finish_if_done(bucket)
            await warm.burst_done.wait()
        return await self._paced(context, bucket, attempt)

    async def _paced(
        self,
        context: CallContext,
        bucket: TokenBucket,
        attempt: Callable[[], Awaitable[T]],
    ) -> T:
        return await call(
            context,
            bucket,
            attempt,
            policy=self.policy,
            translate=translate,
            stats=self.stats,
        )

    async def _first_call(
        self,
        operation: str,
        key: tuple[str, str],
        context: CallContext,
        attempt: Callable[[], Awaitable[T]],
        warm: _WarmUp,
    ) -> T:
        """A seller's first call of an operation goes alone (token, TLS); its
        bucket starts when Amazon has answered."""
        alone = TokenBucket(OPERATION_RATES[operation].scaled(self.settings.rate_scale))
        try:
            return await self._paced(context, alone, attempt)
        finally:
            bucket = self.registry.bucket(operation, *key)
            bucket.reserve()  # count this call
            warm.first_done.set()
            warm.finish_if_done(bucket)

    async def exchange_code(self, code: str) -> dict[str, Any]:
        """The ``authorization_code`` grant at LWA: ``{"refresh_token", ...}``."""
        auth = self.auth_client(None)
        context = CallContext(MARKETPLACE, "lwaToken")
        try:
            return await call(
                context,
                self.registry.bucket("lwaToken", "application"),
                lambda: auth.authorize_auth_code(code),
                policy=self.policy,
                translate=translate,
                stats=self.stats,
            )
        finally:
            await auth.aclose()


def _granted_rate(result: Any) -> float | None:
    headers = getattr(result, "headers", None)
    value = headers.get("x-amzn-RateLimit-Limit") if headers is not None else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _issues(errors: Any) -> tuple[MarketplaceIssue, ...]:
    if not isinstance(errors, list):
        return ()
    return tuple(
        MarketplaceIssue(
            code=str(e.get("code", "")),
            message=str(e.get("message", "")),
            attribute_names=(),
        )
        for e in errors
        if isinstance(e, dict)
    )


def _by_status(
    status: int, context: CallContext, message: str, **extra: Any
) -> MarketplaceError:
    kwargs: dict[str, Any] = {
        "marketplace": context.marketplace,
        "operation": context.operation,
        "seller_id": context.seller_id,
        "sku": context.sku,
        "status": status,
        **extra,
    }
    if status == 429:
        return RateLimited(message, **kwargs)
    if status >= 500:
        return TransientError(message, **kwargs)
    if status in (401, 403):
        return AuthorizationError(message, **kwargs)
    if status == 404:
        return SkippableError(message, **kwargs)
    if status == 400 and context.sku:
        return InvalidListing(message, **kwargs)
    return NeedsHumanError(message, **kwargs)


def translate(exc: BaseException, context: CallContext) -> MarketplaceError | None:
    """Map python-amazon-sp-api and httpx failures onto the project's errors."""
    if isinstance(exc, SellingApiException):
        headers = exc.headers or {}
        return _by_status(
            exc.code if exc.code != 999 else 500,
            context,
            getattr(exc, "message", None) or "SP-API error",
            code=getattr(exc, "amzn_code", None),
            request_id=headers.get("x-amzn-RequestId"),
            issues=_issues(exc.error),
        )
    if isinstance(exc, _ErrorWithoutBody):
        return _by_status(
            exc.status,
            context,
            "error answer without an errors body",
            request_id=exc.request_id,
        )
    if isinstance(exc, LwaError):
        return _by_status(
            401
            if exc.error_code
            in ("invalid_grant", "invalid_client", "unauthorized_client")
            else int(exc.status_code or 400),
            context,
            f"Login with Amazon refused the token request: {exc.error_code}",
            code=str(exc.error_code),
        )
    if isinstance(exc, LwaUnavailable):
        return _by_status(exc.status, context, "Login with Amazon is unavailable")
    if isinstance(exc, httpx.TransportError):
        return _transport_error(exc, context)
    return None


def _transport_error(
    exc: httpx.TransportError, context: CallContext
) -> MarketplaceError:
    kwargs: dict[str, Any] = {
        "marketplace": context.marketplace,
        "operation": context.operation,
        "seller_id": context.seller_id,
        "sku": context.sku,
    }
    never_sent = isinstance(
        exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
    )
    if never_sent or context.operation in READ_ONLY:
        return TransientError(f"connection problem: {type(exc).__name__}", **kwargs)
    return OutcomeUnknown(
        f"no answer after sending ({type(exc).__name__}): look before repeating",
        **kwargs,
    )
