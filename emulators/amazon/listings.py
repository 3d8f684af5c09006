"""Listings Items API 2021-08-01: GET/PUT/PATCH/DELETE an item, and search.

PUT validates the attributes against the product type schema at once (answer
``INVALID`` with issues, as Amazon does) and otherwise answers ``ACCEPTED``;
the outcome (ASIN and status, or issues such as an unapproved brand) appears
after ``processing_delay_seconds``.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from aiohttp import web

from connectors.amazon.schema import (
    ProductTypeValidator,
    attribute_issues,
    compile_schema,
)
from emulators.amazon import product_types
from emulators.amazon.app import (
    CONFIG,
    SELLER_ID,
    STATE,
    ApiError,
    bad_request,
    enum_param,
    json_body,
    marketplace_ids,
    operation,
)
from emulators.amazon.state import ListingRecord, _now_iso

ITEM_PATH = "/listings/2021-08-01/items/{sellerId}/{sku}"
SEARCH_PATH = "/listings/2021-08-01/items/{sellerId}"
REQUIREMENTS = {"LISTING", "LISTING_PRODUCT_ONLY", "LISTING_OFFER_ONLY"}
GET_INCLUDED = {
    "summaries",
    "attributes",
    "issues",
    "offers",
    "fulfillmentAvailability",
    "procurement",
    "relationships",
    "productTypes",
}
PATCH_OPS = {"add", "replace", "merge", "delete"}


def setup(app: web.Application) -> None:
    app.router.add_get(ITEM_PATH, get_item)
    app.router.add_put(ITEM_PATH, put_item)
    app.router.add_patch(ITEM_PATH, patch_item)
    app.router.add_delete(ITEM_PATH, delete_item)
    app.router.add_get(SEARCH_PATH, search_items)


@functools.lru_cache(maxsize=64)
def validator_for(
    product_type: str, marketplace_id: str, requirements: str
) -> ProductTypeValidator:
    spec = product_types.PRODUCT_TYPES[product_type]
    schema = product_types.build_schema(spec, marketplace_id)
    if requirements == "LISTING_OFFER_ONLY":
        schema = product_types.offer_only(schema)
    return compile_schema(schema)


def validate_attributes(
    product_type: str,
    marketplace_id: str,
    requirements: str,
    attributes: dict[str, Any],
) -> list[dict[str, Any]]:
    """Amazon-style issues for ``attributes`` (empty when valid)."""
    if product_type not in product_types.PRODUCT_TYPES:
        return [
            {
                "code": "4000003",
                "message": f"The product type '{product_type}' is not valid for "
                "this marketplace.",
                "severity": "ERROR",
                "attributeNames": [],
                "categories": ["INVALID_ATTRIBUTE"],
            }
        ]
    validator = validator_for(product_type, marketplace_id, requirements)
    return [
        {
            "code": issue.code,
            "message": issue.message,
            "severity": issue.severity,
            "attributeNames": list(issue.attribute_names),
            "categories": list(issue.categories),
        }
        for issue in attribute_issues(validator, attributes)
    ]


def _submission(
    sku: str, status: str, issues: list[dict[str, Any]], record: ListingRecord | None
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "sku": sku,
        "status": status,
        "submissionId": uuid.uuid4().hex,
        "issues": issues,
    }
    if record is not None and record.asin:
        answer["identifiers"] = [
            {"marketplaceId": record.marketplace_id, "asin": record.asin}
        ]
    return answer


@operation("putListingsItem")
async def put_item(request: web.Request) -> web.Response:
    (marketplace_id,) = marketplace_ids(request, exactly_one=True)
    enum_param(request, "includedData", {"identifiers", "issues"})
    preview = _mode(request)
    body = await json_body(request)
    product_type = body.get("productType")
    attributes = body.get("attributes")
    requirements = body.get("requirements", "LISTING")
    if not isinstance(product_type, str) or not product_type:
        raise bad_request("'productType' is required and must be a string.")
    if not isinstance(attributes, dict):
        raise bad_request("'attributes' is required and must be an object.")
    if requirements not in REQUIREMENTS:
        raise bad_request(f"Invalid 'requirements' value: {requirements!r}.")
    sku = request.match_info["sku"]
    issues = validate_attributes(product_type, marketplace_id, requirements, attributes)
    state = request.app[STATE]
    key = (request[SELLER_ID], marketplace_id, sku)
    existing = state.listings.get(key)
    if issues:
        return web.json_response(_submission(sku, "INVALID", issues, existing))
    if preview:
        return web.json_response(_submission(sku, "VALID", [], existing))
    record = ListingRecord(
        seller_id=request[SELLER_ID],
        marketplace_id=marketplace_id,
        sku=sku,
        product_type=product_type,
        requirements=requirements,
        attributes=attributes,
        asin=existing.asin if existing else None,
        status=existing.status if existing else [],
        created=existing.created if existing else _now_iso(),
        due_at=state.clock() + request.app[CONFIG].processing_delay_seconds,
    )
    state.listings[key] = record
    return web.json_response(_submission(sku, "ACCEPTED", [], record))


def _mode(request: web.Request) -> bool:
    mode = request.query.get("mode")
    if mode is not None and mode != "VALIDATION_PREVIEW":
        raise bad_request(f"Invalid 'mode' value: {mode!r}.")
    return mode == "VALIDATION_PREVIEW"


def _patch_name(path: Any) -> str:
    if not isinstance(path, str) or not path.startswith("/attributes/"):
        raise bad_request(f"Invalid patch path: {path!r}.")
    name = path.removeprefix("/attributes/")
    if not name or "/" in name:
        raise bad_request(f"Invalid patch path: {path!r}.")
    return name


def apply_patches(attributes: dict[str, Any], patches: list[Any]) -> dict[str, Any]:
    """JSON Patch on attribute level (add/replace/merge/delete)."""
    result = dict(attributes)
    for patch in patches:
        if not isinstance(patch, dict) or patch.get("op") not in PATCH_OPS:
            raise bad_request("Each patch needs 'op' (add, replace, merge, delete).")
        name = _patch_name(patch.get("path"))
        value = patch.get("value")
        if patch["op"] == "delete":
            result.pop(name, None)
            continue
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise bad_request(f"Patch value for '{name}' must be an array of objects.")
        if patch["op"] == "merge" and isinstance(result.get(name), list):
            merged = [dict(v) for v in result[name]]
            for index, item in enumerate(value):
                if index < len(merged):
                    merged[index].update(item)
                else:
                    merged.append(item)
            result[name] = merged
        else:
            result[name] = value
    return result


@operation("patchListingsItem")
async def patch_item(request: web.Request) -> web.Response:
    ids = marketplace_ids(request)
    enum_param(request, "includedData", {"identifiers", "issues"})
    preview = _mode(request)
    body = await json_body(request)
    product_type = body.get("productType")
    patches = body.get("patches")
    if not isinstance(product_type, str) or not product_type:
        raise bad_request("'productType' is required and must be a string.")
    if not isinstance(patches, list) or not patches:
        raise bad_request("'patches' is required and needs at least one operation.")
    sku = request.match_info["sku"]
    state = request.app[STATE]
    record = state.listing(request[SELLER_ID], ids[0], sku)
    patched = apply_patches(record.attributes if record else {}, patches)
    if record is None:
        issues = [
            {
                "code": "4000004",
                "message": f"The SKU '{sku}' does not exist for this seller; submit "
                "the full listing first.",
                "severity": "ERROR",
                "attributeNames": [],
                "categories": ["MISSING_ATTRIBUTE"],
            }
        ]
    else:
        # "PRODUCT" is Amazon's product type for offer-only changes.
        kind = record.product_type if product_type == "PRODUCT" else product_type
        issues = validate_attributes(kind, ids[0], "LISTING_OFFER_ONLY", patched)
    if issues:
        return web.json_response(_submission(sku, "INVALID", issues, record))
    if preview or record is None:
        return web.json_response(_submission(sku, "VALID", [], record))
    record.attributes = patched
    record.updated = _now_iso()
    record.due_at = state.clock() + request.app[CONFIG].processing_delay_seconds
    return web.json_response(_submission(sku, "ACCEPTED", [], record))


@operation("deleteListingsItem")
async def delete_item(request: web.Request) -> web.Response:
    (marketplace_id,) = marketplace_ids(request, exactly_one=True)
    sku = request.match_info["sku"]
    state = request.app[STATE]
    if state.listings.pop((request[SELLER_ID], marketplace_id, sku), None) is None:
        raise ApiError(404, "NOT_FOUND", f"The SKU '{sku}' was not found.")
    return web.json_response(_submission(sku, "ACCEPTED", [], None))


@operation("getListingsItem")
async def get_item(request: web.Request) -> web.Response:
    ids = marketplace_ids(request)
    included = enum_param(request, "includedData", GET_INCLUDED) or ["summaries"]
    sku = request.match_info["sku"]
    record = request.app[STATE].listing(request[SELLER_ID], ids[0], sku)
    if record is None:
        raise ApiError(404, "NOT_FOUND", f"The SKU '{sku}' was not found.")
    return web.json_response(render_item(record, included))


def render_item(record: ListingRecord, included: list[str]) -> dict[str, Any]:
    """The ``Item`` body with the requested ``includedData``."""
    item: dict[str, Any] = {"sku": record.sku}
    if "summaries" in included:
        summary: dict[str, Any] = {
            "marketplaceId": record.marketplace_id,
            "productType": record.product_type,
            "status": list(record.status),
            "createdDate": record.created,
            "lastUpdatedDate": record.updated,
        }
        if record.asin:
            summary["asin"] = record.asin
        name = record.attributes.get("item_name")
        if isinstance(name, list) and name and isinstance(name[0], dict):
            summary["itemName"] = str(name[0].get("value", ""))
        item["summaries"] = [summary]
    if "attributes" in included:
        item["attributes"] = record.attributes
    if "issues" in included:
        item["issues"] = record.issues
    if "offers" in included:
        item["offers"] = _offers(record)
    if "fulfillmentAvailability" in included:
        item["fulfillmentAvailability"] = [
            {
                "fulfillmentChannelCode": a.get("fulfillment_channel_code", "DEFAULT"),
                "quantity": int(a.get("quantity") or 0),
            }
            for a in record.attributes.get("fulfillment_availability", [])
            if isinstance(a, dict)
        ]
    if "productTypes" in included:
        item["productTypes"] = [
            {"marketplaceId": record.marketplace_id, "productType": record.product_type}
        ]
    return item


def _offers(record: ListingRecord) -> list[dict[str, Any]]:
    offers = []
    for offer in record.attributes.get("purchasable_offer", []):
        if not isinstance(offer, dict):
            continue
        try:
            amount = offer["our_price"][0]["schedule"][0]["value_with_tax"]
        except (KeyError, IndexError, TypeError):
            continue
        offers.append(
            {
                "marketplaceId": record.marketplace_id,
                "offerType": "B2B" if offer.get("audience") == "B2B" else "B2C",
                "price": {
                    "currencyCode": offer.get("currency", "USD"),
                    "amount": f"{amount}",
                },
            }
        )
    return offers


@operation("searchListingsItems")
async def search_items(request: web.Request) -> web.Response:
    ids = marketplace_ids(request)
    included = enum_param(request, "includedData", GET_INCLUDED) or ["summaries"]
    identifiers = [
        v
        for raw in request.query.getall("identifiers", [])
        for v in raw.split(",")
        if v
    ]
    kind = enum_param(
        request,
        "identifiersType",
        {"ASIN", "EAN", "FNSKU", "GTIN", "ISBN", "JAN", "MINSAN", "SKU", "UPC"},
    )
    if identifiers and not kind:
        raise bad_request("'identifiersType' is required with 'identifiers'.")
    if len(identifiers) > 20:
        raise bad_request("At most 20 'identifiers' are allowed.")
    try:
        page_size = int(request.query.get("pageSize", "10"))
        offset = int(request.query.get("pageToken", "0") or 0)
    except ValueError:
        raise bad_request("'pageSize' and 'pageToken' must be integers.") from None
    if not 1 <= page_size <= 20:
        raise bad_request("'pageSize' must be between 1 and 20.")
    state = request.app[STATE]
    records = []
    for (seller, marketplace, sku), record in sorted(state.listings.items()):
        if seller != request[SELLER_ID] or marketplace != ids[0]:
            continue
        state.settle(record)
        if identifiers and kind == ["SKU"] and sku not in identifiers:
            continue
        if identifiers and kind == ["ASIN"] and record.asin not in identifiers:
            continue
        records.append(record)
    page = records[offset : offset + page_size]
    answer: dict[str, Any] = {
        "numberOfResults": len(records),
        "items": [render_item(r, included) for r in page],
    }
    if offset + page_size < len(records):
        answer["pagination"] = {"nextToken": str(offset + page_size)}
    return web.json_response(answer)
