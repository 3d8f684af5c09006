"""The one transport layer for eBay: auth, pacing, budgets, retries, errors.

Every eBay call of one seller goes through that seller's
:class:`EbayTransport`, composed of

* an :class:`~connectors.ebay.oauth.EbayTokenSource` (the user token,
  refreshed once for all concurrent callers),
* a per-seller concurrency limit and a token bucket per (API, seller,
  marketplace) from :mod:`connectors.ratelimit`,
* a :class:`~connectors.ebay.budget.CallBudget` (daily calls per API),
* the project's one retry policy (:mod:`connectors.retry`: 429, 5xx,
  timeouts), and
* :func:`connectors.ebay.errors.classify`, which turns eBay's ``errorId`` /
  ``ErrorCode`` into :mod:`export_hub.errors`.

REST calls use :meth:`EbayTransport.request`; the Trading API (ebaysdk, in a
thread) uses :meth:`EbayTransport.call` with its own attempt function.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp

from connectors.base import SellerAccount
from connectors.ebay.budget import CallBudget, MemoryBudgetStore
from connectors.ebay.errors import EbayError, ErrorContext, classify, rest_errors
from connectors.ebay.oauth import EbayTokenSource
from connectors.ratelimit import Rate, RateLimiterRegistry
from connectors.retry import RetryPolicy
from connectors.transport import CallContext, CallStats, Translate, call
from export_hub.errors import MarketplaceError, OutcomeUnknown, TransientError
from export_hub.settings import EbaySettings

T = TypeVar("T")
MARKETPLACE = "ebay"
APIS = ("inventory", "account", "trading", "identity", "fulfillment")


def default_limiter(settings: EbaySettings) -> RateLimiterRegistry:
    """Token buckets per API; eBay publishes daily limits only, so we pace at
    ``requests_per_second`` per seller and API (scaled by ``rate_scale``)."""
    rate = Rate(settings.requests_per_second, max(1, int(settings.requests_per_second)))
    return RateLimiterRegistry({api: rate for api in APIS}, scale=settings.rate_scale)


@dataclass(frozen=True)
class EbayResponse:
    """A successful (or explicitly allowed) REST answer."""

    status: int
    body: Any
    request_id: str | None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def warnings(self) -> list[EbayError]:
        if isinstance(self.body, dict):
            return rest_errors(self.body.get("warnings"), severity="WARNING")
        return []


class _GiveUp(Exception):
    """Carries a transient error that is not worth retrying now (a daily quota:
    waiting hours inside one call would only hold the worker)."""

    def __init__(self, error: TransientError):
        super().__init__(str(error))
        self.error = error


class EbayTransport:
    """All calls for one seller account. Share one instance per seller (see
    :class:`EbayTransportPool`) so the token refresh and the concurrency limit
    are per seller, not per client."""

    def __init__(
        self,
        settings: EbaySettings,
        account: SellerAccount,
        tokens: EbayTokenSource,
        *,
        session: aiohttp.ClientSession,
        limiter: RateLimiterRegistry | None = None,
        budget: CallBudget | None = None,
    ):
        self.settings = settings
        self.account = account
        self.tokens = tokens
        self.session = session
        self.limiter = limiter or default_limiter(settings)
        self.budget = budget or CallBudget(
            MemoryBudgetStore(),
            daily_calls=settings.daily_call_budget,
            revisions_per_listing=settings.max_revisions_per_listing_per_day,
        )
        self.policy = RetryPolicy(
            max_attempts=settings.max_attempts,
            max_seconds=settings.max_retry_seconds,
            initial_wait=settings.retry_initial_wait_seconds,
        )
        self._gate = asyncio.Semaphore(settings.max_concurrency_per_seller)
        #: Calls and attempts per API (benchmarks and tests read them).
        self.stats: dict[str, CallStats] = {api: CallStats() for api in APIS}

    @property
    def seller_id(self) -> str:
        return self.account.seller_id

    async def call(
        self,
        api: str,
        operation: str,
        attempt: Callable[[], Awaitable[T]],
        *,
        sku: str | None = None,
        translate: Translate | None = None,
    ) -> T:
        """Run ``attempt`` through the shared call path (rate limit, retries,
        error translation) under the seller's concurrency limit and daily
        budget. A transient error whose ``retry_after`` is beyond the policy's
        longest wait (a spent daily quota) is raised at once, not retried."""
        context = CallContext(MARKETPLACE, operation, self.seller_id, sku)
        bucket = self.limiter.bucket(api, self.seller_id, self.account.marketplace_id)

        translate = translate or translate_aiohttp

        async def guarded() -> T:
            async with self._gate:
                try:
                    await self.budget.spend_call(self.seller_id, api, operation)
                    return await attempt()
                except Exception as exc:
                    mapped = (
                        exc
                        if isinstance(exc, MarketplaceError)
                        else translate(exc, context)
                    )
                    if (
                        isinstance(mapped, TransientError)
                        and mapped.retry_after
                        and mapped.retry_after > self.policy.max_wait
                    ):
                        raise _GiveUp(mapped) from exc
                    raise

        try:
            return await call(
                context,
                bucket,
                guarded,
                policy=self.policy,
                translate=translate,
                stats=self.stats[api],
            )
        except _GiveUp as give_up:
            raise give_up.error from give_up.__cause__

    async def request(
        self,
        method: str,
        path: str,
        *,
        api: str,
        operation: str,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        sku: str | None = None,
        allow: Collection[int] = (),
        base_url: str | None = None,
    ) -> EbayResponse:
        """One REST call. 2xx and the ``allow``-ed statuses are returned; the rest
        become exceptions (see :func:`connectors.ebay.errors.classify`)."""
        base = base_url or self.settings.api_base_url
        url = base.rstrip("/") + path if path else base
        ctx = ErrorContext(operation, self.seller_id, sku)

        async def attempt() -> EbayResponse:
            token = await self.tokens.get()
            response = await self._send(method, url, token, json, params, headers)
            if response.status == 401:
                # The token was revoked or expired early: refresh once, resend once.
                await self.tokens.invalidate(token)
                token = await self.tokens.get()
                response = await self._send(method, url, token, json, params, headers)
                if response.status == 401:
                    raise classify(
                        _errors_of(response), _with_id(ctx, response), status=401
                    )
            if response.status < 300 or response.status in allow:
                return response
            raise classify(
                _errors_of(response),
                _with_id(ctx, response),
                status=response.status,
                retry_after=_retry_after(response.headers),
            )

        return await self.call(api, operation, attempt, sku=sku)

    async def _send(
        self,
        method: str,
        url: str,
        token: str,
        json: Any,
        params: Mapping[str, str] | None,
        extra_headers: Mapping[str, str] | None,
    ) -> EbayResponse:
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "X-EBAY-C-MARKETPLACE-ID": self.account.marketplace_id,
        }
        if json is not None:
            headers["Content-Type"] = "application/json"
        headers.update(extra_headers or {})
        timeout = aiohttp.ClientTimeout(total=self.settings.request_timeout_seconds)
        async with self.session.request(
            method,
            url,
            data=None if json is None else jsonlib.dumps(json),
            params=params,
            headers=headers,
            # Without a body aiohttp would add application/octet-stream to a
            # POST; calls such as publishOffer define no body and no type.
            skip_auto_headers=() if json is not None else ("Content-Type",),
            timeout=timeout,
        ) as resp:
            body = _parse_json(await resp.read())
            request_id = resp.headers.get("X-EBAY-C-REQUEST-ID")
            return EbayResponse(resp.status, body, request_id, dict(resp.headers))


class EbayTransportPool:
    """One :class:`EbayTransport` per seller for the whole process."""

    def __init__(
        self,
        settings: EbaySettings,
        *,
        session: aiohttp.ClientSession | None = None,
        limiter: RateLimiterRegistry | None = None,
        budget: CallBudget | None = None,
    ):
        self.settings = settings
        self._own_session = session is None
        self.session = session or aiohttp.ClientSession()
        self.limiter = limiter or default_limiter(settings)
        self.budget = budget
        self._transports: dict[tuple[str, str], EbayTransport] = {}

    def get(
        self, account: SellerAccount, tokens: Callable[[], EbayTokenSource]
    ) -> EbayTransport:
        """The seller's transport; ``tokens`` builds its token source on first use."""
        key = (account.seller_id, account.marketplace_id)
        found = self._transports.get(key)
        if found is None:
            found = self._transports[key] = EbayTransport(
                self.settings,
                account,
                tokens(),
                session=self.session,
                limiter=self.limiter,
                budget=self.budget,
            )
        return found

    def forget(self, account: SellerAccount) -> None:
        """Drop a seller's transport (after disconnect or re-consent)."""
        self._transports.pop((account.seller_id, account.marketplace_id), None)

    async def aclose(self) -> None:
        if self._own_session:
            await self.session.close()


def context_kwargs(context: CallContext) -> dict[str, Any]:
    """The keyword arguments of a :class:`MarketplaceError` for ``context``."""
    return {
        "marketplace": context.marketplace,
        "operation": context.operation,
        "seller_id": context.seller_id,
        "sku": context.sku,
    }


def translate_aiohttp(
    exc: BaseException, context: CallContext
) -> MarketplaceError | None:
    """aiohttp's failures as project errors; ``None`` lets anything else through."""
    kwargs = context_kwargs(context)
    if isinstance(exc, aiohttp.ClientConnectorError):
        # Never reached eBay: nothing happened, safe to retry.
        return TransientError(f"cannot connect: {type(exc).__name__}", **kwargs)
    if isinstance(exc, TimeoutError | aiohttp.ClientError):
        # Sent, no complete answer: it may have happened. Creates look first
        # (offers are found by SKU), so repeating is safe.
        return OutcomeUnknown(f"no complete answer: {type(exc).__name__}", **kwargs)
    return None


def _parse_json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return jsonlib.loads(raw)
    except ValueError:
        return {"_raw": raw[:200].decode("utf-8", "replace")}


def _errors_of(response: EbayResponse) -> list[EbayError]:
    if isinstance(response.body, dict):
        return rest_errors(response.body.get("errors"))
    return []


def _with_id(ctx: ErrorContext, response: EbayResponse) -> ErrorContext:
    return ErrorContext(ctx.operation, ctx.seller_id, ctx.sku, response.request_id)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    try:
        return float(value) if value else None
    except ValueError:
        return None
