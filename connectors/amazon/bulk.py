"""The bulk path: one ``JSON_LISTINGS_FEED`` per up to 25,000 listings.

createFeedDocument → PUT the UTF-8 JSON to the presigned URL (the library
encodes ``str`` as ISO-8859-1, so bytes are uploaded here) → createFeed →
poll getFeed until DONE/FATAL/CANCELLED → download the processing report
(gzipped or not) → map its issues back to SKUs by ``messageId``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import Any

from connectors.amazon.transport import AmazonTransport, SellerSession
from connectors.base import (
    ListingPayload,
    SellerAccount,
    SubmissionResult,
    SubmissionStatus,
)
from export_hub.errors import MarketplaceIssue, NeedsHumanError, OutcomeUnknown

FEED_TYPE = "JSON_LISTINGS_FEED"
CONTENT_TYPE = "application/json; charset=UTF-8"
MAX_MESSAGES = 25_000
FINISHED = frozenset({"DONE", "FATAL", "CANCELLED"})


def feed_document(seller_id: str, listings: Sequence[ListingPayload]) -> dict[str, Any]:
    """The feed JSON (listings-feed-schema-v2); ``messageId`` is 1-based order."""
    return {
        "header": {"sellerId": seller_id, "version": "2.0", "issueLocale": "en_US"},
        "messages": [
            {
                "messageId": number,
                "sku": listing.sku,
                "operationType": "UPDATE",
                "productType": listing.content["productType"],
                "requirements": listing.content.get("requirements", "LISTING"),
                "attributes": dict(listing.content["attributes"]),
            }
            for number, listing in enumerate(listings, start=1)
        ],
    }


def results_from_report(
    report: dict[str, Any], listings: Sequence[ListingPayload]
) -> list[SubmissionResult]:
    """One result per listing: INVALID when the report has an ERROR for its
    ``messageId``, ACCEPTED otherwise (warnings kept as issues)."""
    by_message: dict[int, list[MarketplaceIssue]] = {}
    for issue in report.get("issues") or []:
        message_id = issue.get("messageId")
        if not isinstance(message_id, int):
            continue
        attribute = issue.get("attributeName")
        by_message.setdefault(message_id, []).append(
            MarketplaceIssue(
                code=str(issue.get("code", "")),
                message=str(issue.get("message", "")),
                severity=str(issue.get("severity", "ERROR")),
                attribute_names=(attribute,) if attribute else (),
            )
        )
    results = []
    for number, listing in enumerate(listings, start=1):
        issues = tuple(by_message.get(number, ()))
        failed = any(i.severity == "ERROR" for i in issues)
        results.append(
            SubmissionResult(
                listing.sku,
                SubmissionStatus.INVALID if failed else SubmissionStatus.ACCEPTED,
                issues,
                submission_id=str(report.get("header", {}).get("feedId", "")) or None,
            )
        )
    return results


async def submit_listings_feed(
    transport: AmazonTransport,
    account: SellerAccount,
    session: SellerSession,
    listings: Sequence[ListingPayload],
) -> list[SubmissionResult]:
    """Send ``listings`` as feeds (chunks of 25,000) for ``account`` through its
    ``session`` and map the reports back."""
    results: list[SubmissionResult] = []
    for start in range(0, len(listings), MAX_MESSAGES):
        chunk = listings[start : start + MAX_MESSAGES]
        report = await _run_feed(transport, account, session, chunk)
        results.extend(results_from_report(report, chunk))
    return results


async def _run_feed(
    transport: AmazonTransport,
    account: SellerAccount,
    session: SellerSession,
    listings: Sequence[ListingPayload],
) -> dict[str, Any]:
    content = json.dumps(
        feed_document(account.seller_id, listings), ensure_ascii=False
    ).encode("utf-8")
    document = await transport.call(
        "createFeedDocument",
        session,
        lambda: session.feeds.create_feed_document(None, CONTENT_TYPE),
    )
    url = document.payload["url"]

    async def upload() -> Any:
        return await session.http.put(
            url, content=content, headers={"Content-Type": CONTENT_TYPE}
        )

    await transport.call("uploadFeedDocument", session, upload)
    feed = await transport.call(
        "createFeed",
        session,
        lambda: session.feeds.create_feed(
            FEED_TYPE,
            document.payload["feedDocumentId"],
            marketplaceIds=[account.marketplace_id],
        ),
    )
    feed_id = str(feed.payload["feedId"])
    status = await _wait(transport, account, session, feed_id)
    if status.get("processingStatus") == "CANCELLED":
        raise NeedsHumanError(
            "the feed was cancelled",
            marketplace="amazon",
            operation="getFeed",
            seller_id=account.seller_id,
        )
    report_id = status.get("resultFeedDocumentId")
    report_text = await transport.call(
        "getFeedDocument",
        session,
        lambda: session.feeds.get_feed_result_document(report_id),
    )
    report: dict[str, Any] = json.loads(report_text)
    if status.get("processingStatus") == "FATAL":
        reasons = "; ".join(str(i.get("message")) for i in report.get("issues") or [])
        raise NeedsHumanError(
            f"the feed failed as a whole: {reasons}",
            marketplace="amazon",
            operation="getFeed",
            seller_id=account.seller_id,
            code="FATAL",
        )
    return report


async def _wait(
    transport: AmazonTransport,
    account: SellerAccount,
    session: SellerSession,
    feed_id: str,
) -> dict[str, Any]:
    settings = transport.settings
    deadline = time.monotonic() + settings.feed_max_wait_seconds
    while True:
        response = await transport.call(
            "getFeed", session, lambda: session.feeds.get_feed(feed_id)
        )
        payload: dict[str, Any] = response.payload
        if payload.get("processingStatus") in FINISHED:
            return payload
        if time.monotonic() >= deadline:
            raise OutcomeUnknown(
                f"feed {feed_id} still {payload.get('processingStatus')}",
                marketplace="amazon",
                operation="getFeed",
                seller_id=account.seller_id,
            )
        await asyncio.sleep(settings.feed_poll_seconds)
