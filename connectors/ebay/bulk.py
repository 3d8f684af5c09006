"""Bulk calls of the Inventory API: 25 entries a call, per-item answers.

Bulk answers are 200/207 with a ``statusCode`` per item, or 400 for the whole
call (see :func:`answers_of`). :func:`send_bulk` settles every item on its
own: items that failed for a transient reason (a per-item 5xx or
``25001``/``25025``) are sent again in a later round with the other
stragglers, everything else is settled exactly once, so a partial failure
neither loses nor repeats the items that succeeded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from connectors.base import (
    ListingPayload,
    PriceQuantityUpdate,
    SubmissionResult,
    SubmissionStatus,
)
from connectors.ebay.errors import TRANSIENT_CODES, EbayError, rest_errors
from connectors.ebay.transport import EbayTransport
from export_hub.errors import MarketplaceIssue

E = TypeVar("E")
T = TypeVar("T", ListingPayload, PriceQuantityUpdate)
BASE = "/sell/inventory/v1"
#: eBay's limit for every bulk call.
BATCH = 25
#: Rounds of re-sending items whose failure was transient, within one call.
BULK_ROUNDS = 3
#: What an item eBay left out of its answer in the last round settles as.
MISSING_ANSWER: dict[str, Any] = {
    "statusCode": 500,
    "errors": [{"errorId": 25001, "message": "eBay's answer left this item out."}],
}


@dataclass
class BulkItem:
    """One SKU's progress through a bulk run."""

    payload: ListingPayload
    offer_id: str | None = None
    listing_id: str | None = None
    existing_offer: bool = False
    failed: tuple[MarketplaceIssue, ...] | None = None
    warnings: list[MarketplaceIssue] = field(default_factory=list)


async def send_bulk(
    transport: EbayTransport,
    entries: Sequence[E],
    resource: str,
    operation: str,
    request_of: Callable[[E], dict[str, Any]],
    settle: Callable[[E, dict[str, Any]], Awaitable[None]],
    *,
    headers: dict[str, str] | None = None,
) -> None:
    """POST ``entries`` to ``resource`` 25 at a time. Per-item transient
    failures go again (up to ``BULK_ROUNDS``); everything else is settled once."""
    pending = list(entries)
    for round_no in range(BULK_ROUNDS):
        retry: list[E] = []
        for start in range(0, len(pending), BATCH):
            batch = pending[start : start + BATCH]
            resp = await transport.request(
                "POST",
                f"{BASE}/{resource}",
                api="inventory",
                operation=operation,
                json={"requests": [request_of(e) for e in batch]},
                headers=headers,
                allow=(400,),
            )
            answers = answers_of(resp.status, resp.body, len(batch))
            for entry, answer in zip(batch, answers, strict=False):
                if is_transient(answer) and round_no < BULK_ROUNDS - 1:
                    retry.append(entry)
                else:
                    await settle(entry, answer)
            for entry in batch[len(answers) :]:
                if round_no < BULK_ROUNDS - 1:
                    retry.append(entry)  # eBay left it out: not done, send again
                else:
                    await settle(entry, MISSING_ANSWER)
        if not retry:
            return
        pending = retry


def answers_of(status: int, body: Any, count: int) -> list[dict[str, Any]]:
    """Per-item answers of a bulk call. A 400 for the whole call still settles
    each item: from the body's ``responses`` where eBay gives them, else every
    item carries the call's own errors, so no item's outcome is lost."""
    responses = body.get("responses") if isinstance(body, dict) else None
    if isinstance(responses, list) and responses:
        return [r if isinstance(r, dict) else {} for r in responses]
    if status != 400:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    call_error = {
        "statusCode": 400,
        "errors": errors
        or [{"errorId": 400, "message": "eBay refused the whole bulk call."}],
    }
    return [dict(call_error) for _ in range(count)]


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def price_quantity_request(
    update: PriceQuantityUpdate, offer_id: str
) -> dict[str, Any]:
    offer: dict[str, Any] = {"offerId": offer_id}
    request: dict[str, Any] = {"sku": update.sku, "offers": [offer]}
    if update.price is not None:
        offer["price"] = {"value": money(update.price), "currency": update.currency}
    if update.quantity is not None:
        offer["availableQuantity"] = update.quantity
        request["shipToLocationAvailability"] = {"quantity": update.quantity}
    return request


def is_ok(answer: dict[str, Any]) -> bool:
    return 200 <= int(answer.get("statusCode", 500)) < 300


def is_transient(answer: dict[str, Any]) -> bool:
    if is_ok(answer):
        return False
    errors = rest_errors(answer.get("errors"))
    return int(answer.get("statusCode", 500)) >= 500 or (
        bool(errors) and all(e.code in TRANSIENT_CODES for e in errors)
    )


def is_duplicate(errors: list[EbayError]) -> bool:
    return any(e.code == 25002 and "already exists" in e.message for e in errors)


def existing_offer_id(issues: tuple[MarketplaceIssue, ...]) -> str | None:
    for issue in issues:
        if (
            issue.code == "25002"
            and "already exists" in issue.message
            and issue.attribute_names
        ):
            return issue.attribute_names[0]
    return None


def settle_item(
    item: BulkItem, answer: dict[str, Any], *, ignore_duplicate: bool = False
) -> bool:
    """Record one per-item answer; ``True`` if it succeeded."""
    warnings = [
        w.issue() for w in rest_errors(answer.get("warnings"), severity="WARNING")
    ]
    item.warnings.extend(warnings)
    errors = rest_errors(answer.get("errors"))
    if is_ok(answer) or (ignore_duplicate and item.offer_id and is_duplicate(errors)):
        return True
    item.failed = tuple(e.issue() for e in errors) or (
        MarketplaceIssue(str(answer.get("statusCode")), "eBay gave no error details"),
    )
    return False


def final_result(item: BulkItem) -> SubmissionResult:
    sku = item.payload.sku
    if item.failed is not None:
        return SubmissionResult(
            sku, SubmissionStatus.INVALID, item.failed, submission_id=item.offer_id
        )
    return SubmissionResult(
        sku,
        SubmissionStatus.DONE,
        tuple(item.warnings),
        submission_id=item.offer_id,
        listing_id=item.listing_id,
    )


def result_of(sku: str, answer: dict[str, Any], *, offer_id: str) -> SubmissionResult:
    warnings = tuple(
        w.issue() for w in rest_errors(answer.get("warnings"), severity="WARNING")
    )
    if is_ok(answer):
        return SubmissionResult(
            sku, SubmissionStatus.DONE, warnings, submission_id=offer_id
        )
    issues = tuple(e.issue() for e in rest_errors(answer.get("errors")))
    return SubmissionResult(
        sku, SubmissionStatus.INVALID, issues or warnings, submission_id=offer_id
    )


def fee_issues(body: dict[str, Any] | None) -> list[MarketplaceIssue]:
    issues = []
    for summary in (body or {}).get("feeSummaries") or []:
        for fee in summary.get("fees") or []:
            amount = fee.get("amount") or {}
            issues.append(
                MarketplaceIssue(
                    code=f"fee.{fee.get('feeType', 'FEE')}",
                    message=(
                        f"{fee.get('feeType')}: {amount.get('value')} "
                        f"{amount.get('currency')}"
                    ),
                    severity="INFO",
                )
            )
    return issues


async def split_by_path(
    entries: Sequence[T],
    owned: Callable[[str], bool],
    trading: Callable[[Sequence[T]], Awaitable[list[SubmissionResult]]],
    inventory: Callable[[Sequence[T]], Awaitable[list[SubmissionResult]]],
) -> list[SubmissionResult]:
    """Results in input order, each entry handled by the path managing its SKU."""
    mine = [i for i, e in enumerate(entries) if owned(e.sku)]
    others = [i for i in range(len(entries)) if i not in set(mine)]
    results: dict[int, SubmissionResult] = {}
    for indexes, path in ((mine, trading), (others, inventory)):
        if indexes:
            done = await path([entries[i] for i in indexes])
            results.update(zip(indexes, done, strict=True))
    return [results[i] for i in range(len(entries))]
