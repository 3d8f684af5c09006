"""eBay's error codes translated into :mod:`export_hub.errors`.

REST answers carry ``{"errors": [{errorId, domain, category, message,
parameters}]}`` (per item in bulk answers); Trading answers carry ``Errors``
with ``ErrorCode``, ``SeverityCode``, ``ShortMessage``, ``LongMessage`` and
``ErrorParameters``. Both become :class:`EbayError` records, and one function
decides what the caller must do with them. The codes come from the
``x-response-codes`` of eBay's OpenAPI documents and the Trading API's error
list (DOMAIN.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from export_hub.errors import (
    AuthorizationError,
    InvalidListing,
    MarketplaceError,
    MarketplaceIssue,
    NeedsHumanError,
    RateLimited,
    SkippableError,
    TransientError,
)

MARKETPLACE = "ebay"

#: The company must change the product content (aspects, title, price, ...).
COMPANY_CODES = frozenset(
    {
        37,  # Trading: invalid data
        21919303,  # Trading: item specific missing
        21916587,  # Trading: title too long
        25002,
        25003,
        25004,
        25005,
        25006,
        25014,
        25015,
        25016,
        25020,
        25021,
        25022,
        25029,
        25031,
        25032,
        25080,
        25501,
        25502,
        25503,
        25601,
        25604,
        25707,
        25708,
        25715,
    }
)
#: Agency staff must act (policies, location, account set-up, selling limits).
STAFF_CODES = frozenset(
    {
        25007,
        25008,
        25009,
        25012,
        25017,
        25018,
        25019,
        25026,
        25033,
        25034,
        25035,
        25036,
        25718,
        20400,
        20401,
        20402,
        20403,
        20404,
    }
)
#: Worth retrying: eBay's own "system error" and concurrent-access codes.
TRANSIENT_CODES = frozenset({25001, 25025, 20500, 20501, 35001, 35002, 10007})
#: The user token is invalid, expired or lacks the scope: reconnect.
AUTH_CODES = frozenset({931, 932, 1001, 1100, 16110, 21916984, 21917053})
#: Nothing to do: the listing already ended / is already gone.
SKIPPABLE_CODES = frozenset({17, 21916750, 1047, 25713, 25702, 25710})
#: The application's daily call limit (Trading 518; REST 429 + errorId 2001).
QUOTA_CODES = frozenset({518})
RATE_CODES = frozenset({2001})


@dataclass(frozen=True)
class EbayError:
    """One error or warning as eBay reported it (REST or Trading)."""

    code: int
    message: str
    severity: str = "ERROR"  # ERROR | WARNING
    category: str = ""
    parameters: tuple[tuple[str, str], ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity == "ERROR"

    def issue(self) -> MarketplaceIssue:
        names = tuple(v for k, v in self.parameters if v and k != "additionalInfo")
        return MarketplaceIssue(
            code=str(self.code),
            message=self.message,
            severity=self.severity,
            attribute_names=names,
            categories=(self.category,) if self.category else (),
        )


def action_owner(code: str | int) -> str:
    """Who must act on an issue with this eBay code: ``company`` or ``staff``."""
    try:
        number = int(code)
    except ValueError:
        return "staff"
    return "company" if number in COMPANY_CODES else "staff"


def rest_errors(
    items: Iterable[Mapping[str, Any]] | None, severity: str = "ERROR"
) -> list[EbayError]:
    """Parse a REST ``errors`` (or ``warnings``) array."""
    found = []
    for item in items or ():
        params = tuple(
            (str(p.get("name", "")), str(p.get("value", "")))
            for p in item.get("parameters") or ()
        )
        found.append(
            EbayError(
                code=int(item.get("errorId", 0) or 0),
                message=str(item.get("longMessage") or item.get("message") or ""),
                severity=severity,
                category=str(item.get("category", "")),
                parameters=params,
            )
        )
    return found


@dataclass(frozen=True)
class ErrorContext:
    """Where an error happened, carried into the exception (never a secret)."""

    operation: str
    seller_id: str | None = None
    sku: str | None = None
    request_id: str | None = None


def seconds_until_quota_reset(now: dt.datetime | None = None) -> float:
    """eBay's daily call limits reset at midnight; we count days in UTC."""
    now = now or dt.datetime.now(dt.UTC)
    tomorrow = (now + dt.timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return max(1.0, (tomorrow - now).total_seconds())


def classify(
    errors: Sequence[EbayError],
    ctx: ErrorContext,
    *,
    status: int | None = None,
    retry_after: float | None = None,
) -> MarketplaceError:
    """The exception for a failed call, chosen by eBay's codes, then by status."""
    failing = [e for e in errors if e.is_error] or list(errors)
    codes = {e.code for e in failing}
    message = "; ".join(f"{e.code}: {e.message}" for e in failing) or f"HTTP {status}"
    first = str(failing[0].code) if failing else None
    kwargs: dict[str, Any] = {
        "marketplace": MARKETPLACE,
        "operation": ctx.operation,
        "seller_id": ctx.seller_id,
        "sku": ctx.sku,
        "request_id": ctx.request_id,
        "status": status,
        "code": first,
        "issues": tuple(e.issue() for e in failing),
    }
    exc: MarketplaceError
    if codes & QUOTA_CODES:
        exc = TransientError(message, **kwargs)
        exc.retry_after = seconds_until_quota_reset()
        return exc
    if status == 429 or codes & RATE_CODES:
        exc = RateLimited(message, **kwargs)
        exc.retry_after = retry_after
        return exc
    if codes & AUTH_CODES or status in (401, 403):
        return AuthorizationError(message, **kwargs)
    if codes & SKIPPABLE_CODES or status == 404:
        return SkippableError(message, **kwargs)
    if codes & TRANSIENT_CODES or (status is not None and status >= 500):
        exc = TransientError(message, **kwargs)
        exc.retry_after = retry_after
        return exc
    if codes & COMPANY_CODES:
        return InvalidListing(message, **kwargs)
    if codes & STAFF_CODES or status == 409:
        return NeedsHumanError(message, **kwargs)
    if status is not None and 400 <= status < 500:
        return InvalidListing(message, **kwargs)
    return NeedsHumanError(message, **kwargs)
