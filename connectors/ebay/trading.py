"""Listings made outside the Inventory model, through the Trading API (ebaysdk).

ebaysdk 2.2.0 is synchronous and keeps per-call state on its ``Connection``,
so each call runs in :func:`asyncio.to_thread` with a connection of its own,
built as DOMAIN.md says (``config_file=None``, ``escape_xml=True``, the OAuth
user token as ``iaf_token``, an explicit ``compatibility``; plain http only
for the emulator). Its three kinds of failure are translated here:

* ``ebaysdk.exception.ConnectionError``: eBay answered ``Ack=Failure`` (or a
  non-200 status); the ``Errors`` are read from the response and classified
  by ``ErrorCode`` (:mod:`connectors.ebay.errors`);
* ``AttributeError``: the answer was not XML (a proxy or an outage page);
* ``requests`` exceptions: the connection failed or timed out.

The call goes through the seller's :class:`~connectors.ebay.transport.EbayTransport`
(token, pacing, daily budget, retries) like every REST call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import requests
from ebaysdk.exception import ConnectionError as EbaySdkConnectionError
from ebaysdk.trading import Connection
from requests.adapters import HTTPAdapter

from connectors.base import (
    ListingState,
    ListingStatus,
    PriceQuantityUpdate,
    SubmissionResult,
    SubmissionStatus,
)
from connectors.ebay.errors import EbayError, ErrorContext, classify
from connectors.ebay.sites import site_for
from connectors.ebay.transport import EbayTransport, context_kwargs
from connectors.transport import CallContext
from export_hub.errors import (
    AuthorizationError,
    MarketplaceError,
    MarketplaceIssue,
    OutcomeUnknown,
    SkippableError,
    TransientError,
)

#: Token problems worth one refresh before giving up (931/932: invalid/expired
#: token, 21916984/21917053: invalid/expired IAF token).
TOKEN_CODES = frozenset({931, 932, 21916984, 21917053})
#: ReviseInventoryStatus takes at most four items a call.
REVISE_BATCH = 4
PAGE_SIZE = 200


@dataclass(frozen=True)
class LegacyListing:
    """One listing as the Trading API describes it."""

    item_id: str
    sku: str
    title: str
    price: Decimal | None
    currency: str
    quantity: int | None
    status: str
    listing_type: str
    category_id: str = ""


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def trading_errors(reply: Mapping[str, Any] | None) -> list[EbayError]:
    """The ``Errors`` of a Trading answer (as ebaysdk's ``dict()``)."""
    found = []
    for err in _as_list((reply or {}).get("Errors")):
        params = tuple(
            ("ErrorParameters", str(p.get("Value", "")))
            for p in _as_list(err.get("ErrorParameters"))
            if isinstance(p, Mapping)
        )
        found.append(
            EbayError(
                code=int(err.get("ErrorCode", 0) or 0),
                message=str(err.get("LongMessage") or err.get("ShortMessage") or ""),
                severity="WARNING" if err.get("SeverityCode") == "Warning" else "ERROR",
                category=str(err.get("ErrorClassification", "")),
                parameters=params,
            )
        )
    return found


def _reply_of(exc: EbaySdkConnectionError) -> dict[str, Any]:
    response = getattr(exc, "response", None)
    try:
        reply = response.dict() if response is not None else {}
    except Exception:
        return {}
    return reply if isinstance(reply, dict) else {}


def translate_ebaysdk(
    exc: BaseException, context: CallContext
) -> MarketplaceError | None:
    """ebaysdk's three kinds of failure as project errors (``None``: a bug)."""
    kwargs = context_kwargs(context)
    if isinstance(exc, EbaySdkConnectionError):
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
        errors = trading_errors(_reply_of(exc))
        if not errors:
            return TransientError(
                f"Trading call failed: HTTP {status}", status=status, **kwargs
            )
        ctx = ErrorContext(context.operation, context.seller_id, context.sku)
        return classify(errors, ctx, status=status if status != 200 else None)
    if isinstance(exc, AttributeError):
        # ebaysdk reads ``reply.Ack`` of an answer that was not XML.
        return TransientError("Trading answer was not XML", **kwargs)
    if isinstance(exc, requests.Timeout):
        return OutcomeUnknown(f"Trading call timed out: {type(exc).__name__}", **kwargs)
    if isinstance(exc, requests.RequestException):
        return TransientError(f"Trading call failed: {type(exc).__name__}", **kwargs)
    return None


class EbayTradingClient:
    """Trading API calls for one seller (same token as the REST APIs)."""

    def __init__(self, transport: EbayTransport):
        self._t = transport
        settings = transport.settings
        url = urlsplit(settings.trading_url)
        self._https = url.scheme == "https"
        self._domain = url.netloc
        self._uri = url.path or "/ws/api.dll"
        self._site_id = site_for(transport.account.marketplace_id).site_id

    @property
    def transport(self) -> EbayTransport:
        return self._t

    async def execute(
        self, call_name: str, data: Mapping[str, Any], *, sku: str | None = None
    ) -> dict[str, Any]:
        """One Trading call; the answer as a dict (``Ack`` may be ``Warning`` or
        ``PartialFailure``, whose ``Errors`` the caller reads)."""
        operation = f"trading.{call_name}"

        async def attempt() -> dict[str, Any]:
            token = await self._t.tokens.get()
            try:
                return await asyncio.to_thread(self._run, call_name, dict(data), token)
            except EbaySdkConnectionError as exc:
                if not {e.code for e in trading_errors(_reply_of(exc))} & TOKEN_CODES:
                    raise
                # Expired or revoked early: refresh once, call once more.
                await self._t.tokens.invalidate(token)
                token = await self._t.tokens.get()
                return await asyncio.to_thread(self._run, call_name, dict(data), token)

        return await self._t.call(
            "trading", operation, attempt, sku=sku, translate=translate_ebaysdk
        )

    def _run(self, call_name: str, data: dict[str, Any], token: str) -> dict[str, Any]:
        settings = self._t.settings
        api = Connection(
            config_file=None,
            escape_xml=True,
            iaf_token=token,
            appid=settings.client_id,
            devid=settings.dev_id,
            certid=settings.client_secret.get_secret_value(),
            siteid=str(self._site_id),
            compatibility=str(settings.trading_compatibility_level),
            domain=self._domain,
            https=self._https,
            timeout=settings.request_timeout_seconds,
        )
        # ebaysdk mounts adapters that retry on their own; retries belong to
        # the project's one policy (connectors.retry), so switch them off.
        for prefix in ("http://", "https://"):
            api.session.mount(prefix, HTTPAdapter(max_retries=0))
        if not self._https:
            api.config.set("https", False, force=True)
        api.config.set("uri", self._uri, force=True)
        response = api.execute(call_name, data)
        reply = response.dict()
        return reply if isinstance(reply, dict) else {}

    async def active_listings(self) -> list[LegacyListing]:
        """Every active listing (GetMyeBaySelling, 200 a page, all pages)."""
        found: list[LegacyListing] = []
        page, pages = 1, 1
        while page <= pages:
            reply = await self.execute(
                "GetMyeBaySelling",
                {
                    "ActiveList": {
                        "Include": "true",
                        "Pagination": {"EntriesPerPage": PAGE_SIZE, "PageNumber": page},
                    },
                    "DetailLevel": "ReturnAll",
                },
            )
            active = reply.get("ActiveList") or {}
            for item in _as_list((active.get("ItemArray") or {}).get("Item")):
                found.append(_listing_of(item))
            pages = int(
                (active.get("PaginationResult") or {}).get("TotalNumberOfPages") or 1
            )
            page += 1
        return found

    async def get_item(self, item_id: str) -> LegacyListing:
        """One listing in full (GetItem)."""
        reply = await self.execute(
            "GetItem", {"ItemID": item_id, "DetailLevel": "ReturnAll"}
        )
        return _listing_of(reply.get("Item") or {})

    async def revise_inventory_status(
        self, updates: Sequence[PriceQuantityUpdate]
    ) -> list[SubmissionResult]:
        """Price and/or quantity of legacy listings, four per call. Each
        update's ``listing_id`` is the eBay ItemID. One result per update."""
        results: list[SubmissionResult] = []
        for start in range(0, len(updates), REVISE_BATCH):
            batch = updates[start : start + REVISE_BATCH]
            results.extend(await self._revise_batch(batch))
        return results

    async def _revise_batch(
        self, batch: Sequence[PriceQuantityUpdate]
    ) -> list[SubmissionResult]:
        statuses = []
        for update in batch:
            entry: dict[str, Any] = {"ItemID": update.listing_id}
            if update.price is not None:
                entry["StartPrice"] = f"{update.price:.2f}"
            if update.quantity is not None:
                entry["Quantity"] = str(update.quantity)
            statuses.append(entry)
        try:
            reply = await self.execute(
                "ReviseInventoryStatus", {"InventoryStatus": statuses}
            )
        except MarketplaceError as exc:
            if not exc.issues or isinstance(exc, TransientError | AuthorizationError):
                raise
            # Ack=Failure: every item failed; say which error is whose.
            reply = {"Errors": [_error_dict(i) for i in exc.issues]}
        errors = trading_errors(reply)
        return [_revise_result(update, errors, len(batch)) for update in batch]


def _error_dict(issue: MarketplaceIssue) -> dict[str, Any]:
    return {
        "ErrorCode": issue.code,
        "LongMessage": issue.message,
        "SeverityCode": "Warning" if issue.severity == "WARNING" else "Error",
        "ErrorParameters": [{"Value": v} for v in issue.attribute_names],
    }


def _revise_result(
    update: PriceQuantityUpdate, errors: list[EbayError], batch_size: int
) -> SubmissionResult:
    item_id = update.listing_id or ""
    mine = [
        e
        for e in errors
        if e.is_error and (item_id in {v for _, v in e.parameters} or batch_size == 1)
    ]
    if mine:
        return SubmissionResult(
            update.sku,
            SubmissionStatus.INVALID,
            tuple(e.issue() for e in mine),
            listing_id=item_id,
        )
    return SubmissionResult(update.sku, SubmissionStatus.DONE, listing_id=item_id)


def _listing_of(item: Mapping[str, Any]) -> LegacyListing:
    selling = item.get("SellingStatus") or {}
    price = selling.get("CurrentPrice") or item.get("StartPrice") or {}
    value = price.get("value") if isinstance(price, Mapping) else price
    quantity = item.get("QuantityAvailable") or item.get("Quantity")
    return LegacyListing(
        item_id=str(item.get("ItemID", "")),
        sku=str(item.get("SKU", "") or ""),
        title=str(item.get("Title", "")),
        price=Decimal(str(value)) if value not in (None, "") else None,
        currency=str(price.get("_currencyID", "USD"))
        if isinstance(price, Mapping)
        else "USD",
        quantity=int(quantity) if quantity not in (None, "") else None,
        status=str(selling.get("ListingStatus", "Active")),
        listing_type=str(item.get("ListingType", "")),
        category_id=str((item.get("PrimaryCategory") or {}).get("CategoryID", "")),
    )


class TradingListings:
    """One seller's listings still managed through the Trading API.

    :class:`~connectors.ebay.inventory.EbayInventoryClient` hands these SKUs
    here, so a listing made outside the Inventory model is revised with
    ReviseInventoryStatus and ended with EndFixedPriceItem, and never gets a
    second (Inventory API) listing."""

    def __init__(self, client: EbayTradingClient, items: Mapping[str, str]):
        self._client = client
        self._items = dict(items)

    def owns(self, sku: str) -> bool:
        return sku in self._items

    def refused(self, sku: str) -> SubmissionResult:
        """Content changes of a Trading listing wait for its migration."""
        return SubmissionResult(
            sku,
            SubmissionStatus.INVALID,
            (
                MarketplaceIssue(
                    "managed_by_trading",
                    "This listing is managed through the Trading API; migrate it to "
                    "the "
                    "Inventory API before changing its content.",
                    categories=("staff",),
                ),
            ),
            listing_id=self._items.get(sku),
        )

    async def update(
        self, updates: Sequence[PriceQuantityUpdate]
    ) -> list[SubmissionResult]:
        """ReviseInventoryStatus (four a call) within today's revision budget."""
        transport = self._client.transport
        items = [self._items[u.sku] for u in updates]
        over = await transport.budget.spend_revisions(transport.seller_id, items)
        sendable = [
            PriceQuantityUpdate(u.sku, u.price, u.currency, u.quantity, listing_id=item)
            for u, item in zip(updates, items, strict=True)
            if item not in over
        ]
        done = iter(await self._client.revise_inventory_status(sendable))
        return [
            SubmissionResult(
                u.sku, SubmissionStatus.INVALID, (REVISION_LIMIT,), listing_id=item
            )
            if item in over
            else next(done)
            for u, item in zip(updates, items, strict=True)
        ]

    async def state(self, sku: str) -> ListingState | None:
        try:
            item = await self._client.get_item(self._items[sku])
        except SkippableError:
            return None
        return ListingState(
            sku,
            ListingStatus.LIVE if item.status == "Active" else ListingStatus.ENDED,
            listing_id=item.item_id,
            price=item.price,
            quantity=item.quantity,
            raw_status=("TRADING", item.status),
        )

    async def end(self, sku: str) -> SubmissionResult:
        item_id = self._items[sku]
        try:
            await self._client.execute(
                "EndFixedPriceItem",
                {"ItemID": item_id, "EndingReason": "NotAvailable"},
                sku=sku,
            )
        except SkippableError:
            pass  # already ended
        return SubmissionResult(sku, SubmissionStatus.DONE, listing_id=item_id)


REVISION_LIMIT = MarketplaceIssue(
    "revision_limit", "250 revisions today; wait for tomorrow (UTC)."
)
