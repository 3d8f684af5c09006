"""Feeds API 2021-06-30 with ``JSON_LISTINGS_FEED``: feed documents, the
presigned upload/download URLs, createFeed, getFeed and the processing report
(listings-feed-processing-report v2, gzipped when configured)."""

from __future__ import annotations

import gzip
import json
import secrets
from typing import Any

from aiohttp import web

from emulators.amazon.app import (
    CONFIG,
    SELLER_ID,
    STATE,
    ApiError,
    bad_request,
    base_url,
    json_body,
    operation,
)
from emulators.amazon.listings import apply_patches, validate_attributes
from emulators.amazon.state import (
    Document,
    EmulatorState,
    Feed,
    ListingRecord,
    _now_iso,
)

PREFIX = "/feeds/2021-06-30"
FEED_TYPES = {"JSON_LISTINGS_FEED"}
URL_TTL_SECONDS = 300


def setup(app: web.Application) -> None:
    app.router.add_post(PREFIX + "/documents", create_document)
    app.router.add_get(PREFIX + "/documents/{feedDocumentId}", get_document)
    app.router.add_post(PREFIX + "/feeds", create_feed)
    app.router.add_get(PREFIX + "/feeds/{feedId}", get_feed)
    app.router.add_put("/_upload/{documentId}", upload)
    app.router.add_get("/_download/{documentId}", download)


def _signed(
    request: web.Request, kind: str, document_id: str, document: Document
) -> str:
    signature = secrets.token_hex(16)
    request.app[STATE].signatures[(kind, document_id)] = signature
    document.expires_at = request.app[STATE].clock() + URL_TTL_SECONDS
    return (
        f"{base_url(request)}/_{kind}/{document_id}"
        f"?X-Amz-Expires={URL_TTL_SECONDS}&X-Amz-Signature={signature}"
    )


def _check_signature(request: web.Request, kind: str) -> Document:
    state = request.app[STATE]
    document_id = request.match_info["documentId"]
    document = state.documents.get(document_id)
    expected = state.signatures.get((kind, document_id))
    supplied = request.query.get("X-Amz-Signature", "")
    if (
        document is None
        or expected is None
        or not secrets.compare_digest(supplied, expected)
        or document.expires_at <= state.clock()
    ):
        raise ApiError(403, "AccessDenied", "Request has expired or is not signed.")
    return document


@operation("createFeedDocument", seller_in_path=False)
async def create_document(request: web.Request) -> web.Response:
    body = await json_body(request)
    content_type = body.get("contentType")
    if not isinstance(content_type, str) or not content_type:
        raise bad_request("'contentType' is required.")
    state = request.app[STATE]
    document_id = "amzn1.tortuga.4.na." + state.next_id()
    document = Document(seller_id=request[SELLER_ID], content_type=content_type)
    state.documents[document_id] = document
    url = _signed(request, "upload", document_id, document)
    return web.json_response({"feedDocumentId": document_id, "url": url}, status=201)


async def upload(request: web.Request) -> web.Response:
    document = _check_signature(request, "upload")
    document.content = await request.read()
    return web.Response(status=200)


@operation("createFeed", seller_in_path=False)
async def create_feed(request: web.Request) -> web.Response:
    body = await json_body(request)
    feed_type = body.get("feedType")
    ids = body.get("marketplaceIds")
    document_id = body.get("inputFeedDocumentId")
    if feed_type not in FEED_TYPES:
        raise bad_request(f"Unsupported 'feedType': {feed_type!r}.")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 25:
        raise bad_request("'marketplaceIds' needs 1 to 25 marketplace identifiers.")
    state = request.app[STATE]
    document = state.documents.get(str(document_id))
    if document is None or document.seller_id != request[SELLER_ID]:
        raise bad_request("'inputFeedDocumentId' is not a document of this seller.")
    if document.content is None:
        raise bad_request("The feed document has not been uploaded.")
    feed = Feed(
        feed_id=state.next_id(),
        seller_id=request[SELLER_ID],
        feed_type=feed_type,
        marketplace_ids=[str(m) for m in ids],
        input_document_id=str(document_id),
        due_at=state.clock() + request.app[CONFIG].feed_delay_seconds,
    )
    state.feeds[feed.feed_id] = feed
    return web.json_response({"feedId": feed.feed_id}, status=202)


@operation("getFeed", seller_in_path=False)
async def get_feed(request: web.Request) -> web.Response:
    state = request.app[STATE]
    feed = state.feed(request.match_info["feedId"])
    if feed is None or feed.seller_id != request[SELLER_ID]:
        raise ApiError(404, "NotFound", "The feed was not found.")
    if feed.status in ("IN_QUEUE", "IN_PROGRESS"):
        if feed.due_at <= state.clock():
            _process(state, feed, request.app[CONFIG].gzip_reports)
        elif feed.due_at - state.clock() < request.app[CONFIG].feed_delay_seconds / 2:
            feed.status = "IN_PROGRESS"
    answer: dict[str, Any] = {
        "feedId": feed.feed_id,
        "feedType": feed.feed_type,
        "marketplaceIds": feed.marketplace_ids,
        "createdTime": feed.created,
        "processingStatus": feed.status,
    }
    if feed.result_document_id:
        answer["resultFeedDocumentId"] = feed.result_document_id
        answer["processingEndTime"] = _now_iso()
    return web.json_response(answer)


@operation("getFeedDocument", seller_in_path=False)
async def get_document(request: web.Request) -> web.Response:
    state = request.app[STATE]
    document_id = request.match_info["feedDocumentId"]
    document = state.documents.get(document_id)
    if document is None or document.seller_id != request[SELLER_ID]:
        raise ApiError(404, "NotFound", "The feed document was not found.")
    answer: dict[str, Any] = {
        "feedDocumentId": document_id,
        "url": _signed(request, "download", document_id, document),
    }
    if document.compressed:
        answer["compressionAlgorithm"] = "GZIP"
    return web.json_response(answer)


async def download(request: web.Request) -> web.Response:
    document = _check_signature(request, "download")
    return web.Response(
        body=document.content or b"",
        headers={"Content-Type": document.content_type},
    )


def _process(state: EmulatorState, feed: Feed, compress: bool) -> None:
    """Apply every message and write the processing report."""
    document = state.documents[feed.input_document_id]
    issues: list[dict[str, Any]] = []
    accepted = invalid = 0
    try:
        content = json.loads((document.content or b"").decode("utf-8"))
        header = content["header"]
        messages = content["messages"]
        if header.get("sellerId") != feed.seller_id or header.get("version") != "2.0":
            raise ValueError("header sellerId/version")
        if not isinstance(messages, list) or not messages:
            raise ValueError("messages")
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        feed.status = "FATAL"
        issues.append(
            {
                "code": "4000000",
                "severity": "ERROR",
                "message": f"Feed is not valid: {exc}",
            }
        )
        messages = []
    for message in messages:
        found = _apply(state, feed, message)
        if found:
            invalid += 1
            issues.extend(found)
        else:
            accepted += 1
    report = {
        "header": {
            "sellerId": feed.seller_id,
            "version": "2.0",
            "feedId": feed.feed_id,
        },
        "issues": issues,
        "summary": {
            "errors": sum(1 for i in issues if i["severity"] == "ERROR"),
            "warnings": sum(1 for i in issues if i["severity"] == "WARNING"),
            "messagesProcessed": len(messages),
            "messagesAccepted": accepted,
            "messagesInvalid": invalid,
        },
    }
    raw = json.dumps(report, ensure_ascii=False).encode("utf-8")
    result_id = "amzn1.tortuga.4.na." + state.next_id()
    state.documents[result_id] = Document(
        seller_id=feed.seller_id,
        content_type="application/json; charset=utf-8",
        content=gzip.compress(raw) if compress else raw,
        compressed=compress,
    )
    feed.result_document_id = result_id
    if feed.status != "FATAL":
        feed.status = "DONE"


def _apply(state: EmulatorState, feed: Feed, message: Any) -> list[dict[str, Any]]:
    """Apply one message; return its issues (empty when accepted)."""
    marketplace_id = feed.marketplace_ids[0]
    if not isinstance(message, dict) or not isinstance(message.get("messageId"), int):
        return [
            {
                "code": "4000001",
                "severity": "ERROR",
                "message": "Message without messageId.",
            }
        ]
    message_id, sku = message["messageId"], str(message.get("sku", ""))
    kind = message.get("operationType")
    key = (feed.seller_id, marketplace_id, sku)
    found: list[dict[str, Any]] = []
    if not sku or kind not in ("UPDATE", "PARTIAL_UPDATE", "PATCH", "DELETE"):
        found = [
            {"code": "4000001", "severity": "ERROR", "message": "Invalid message."}
        ]
    elif kind == "DELETE":
        state.listings.pop(key, None)
    else:
        existing = state.listings.get(key)
        product_type = str(message.get("productType", ""))
        if kind == "UPDATE":
            attributes = message.get("attributes") or {}
            requirements = message.get("requirements", "LISTING")
        elif kind == "PATCH":
            attributes = apply_patches(
                existing.attributes if existing else {}, message.get("patches") or []
            )
            requirements = "LISTING_OFFER_ONLY"
        else:
            attributes = {
                **(existing.attributes if existing else {}),
                **(message.get("attributes") or {}),
            }
            requirements = "LISTING_OFFER_ONLY"
        issues = validate_attributes(
            product_type, marketplace_id, requirements, attributes
        )
        found = [
            {
                "code": i["code"],
                "severity": i["severity"],
                "message": i["message"],
                **(
                    {"attributeName": i["attributeNames"][0]}
                    if i["attributeNames"]
                    else {}
                ),
            }
            for i in issues
        ]
        if not found:
            state.listings[key] = ListingRecord(
                seller_id=feed.seller_id,
                marketplace_id=marketplace_id,
                sku=sku,
                product_type=product_type,
                requirements=str(requirements),
                attributes=attributes,
                asin=existing.asin if existing else None,
                status=existing.status if existing else [],
                created=existing.created if existing else _now_iso(),
                due_at=state.clock() + state.config.processing_delay_seconds,
            )
    return (
        [{"messageId": message_id, "sku": sku, **issue} for issue in found]
        if sku
        else [{"messageId": message_id, **issue} for issue in found]
    )
