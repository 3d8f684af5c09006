"""Sell Inventory API v1: location, inventory_item, their bulk call and
bulk_migrate_listing (offers are in :mod:`.offers`)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from emulators.ebay import validation as v
from emulators.ebay.common import SELLER, STATE, error, error_response
from emulators.ebay.state import EmulatorState, Offer, Seller

BASE = "/sell/inventory/v1"


def setup(app: web.Application) -> None:
    r = app.router
    r.add_post(BASE + "/location/{key}", create_location)
    r.add_get(BASE + "/location/{key}", get_location)
    r.add_get(BASE + "/inventory_item", list_items)
    r.add_put(BASE + "/inventory_item/{sku}", put_item)
    r.add_get(BASE + "/inventory_item/{sku}", get_item)
    r.add_delete(BASE + "/inventory_item/{sku}", delete_item)
    r.add_post(BASE + "/bulk_create_or_replace_inventory_item", bulk_items)
    r.add_post(BASE + "/bulk_migrate_listing", bulk_migrate)


def ctx_of(request: web.Request) -> tuple[EmulatorState, Seller]:
    return request.app[STATE], request[SELLER]


def _marketplace(request: web.Request) -> str:
    return request.headers.get("X-EBAY-C-MARKETPLACE-ID", "EBAY_US")


def _language_errors(request: web.Request) -> list[dict[str, Any]]:
    if not request.headers.get("Content-Language"):
        return [
            error(
                25709,
                "Invalid request. Invalid value for field Content-Language header",
                parameters={"additionalInfo": "Content-Language"},
            )
        ]
    return []


# -- location ------------------------------------------------------------------


async def create_location(request: web.Request) -> web.Response:
    _, seller = ctx_of(request)
    key = request.match_info["key"]
    if key in seller.locations:
        return error_response(
            409,
            error(
                25803,
                "merchantLocationKey already exists.",
                parameters={"fieldName": "merchantLocationKey"},
            ),
        )
    body = await request.json()
    address = ((body.get("location") or {}).get("address")) or {}
    if not address.get("country"):
        return error_response(
            400,
            error(25801, "Missing field country.", parameters={"fieldName": "country"}),
        )
    seller.locations[key] = {**body, "merchantLocationKey": key}
    return web.Response(status=204)


async def get_location(request: web.Request) -> web.Response:
    _, seller = ctx_of(request)
    found = seller.locations.get(request.match_info["key"])
    if found is None:
        return error_response(404, error(25805, "merchantLocationKey Not Found."))
    return web.json_response(found)


# -- inventory items ---------------------------------------------------------------


def _item_json(sku: str, item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "sku": sku, "locale": item.get("locale", "en_US")}


def _save_item(
    seller: Seller, sku: str, item: dict[str, Any]
) -> tuple[int, list[dict[str, Any]]]:
    errors = v.check_sku(sku) + v.check_item(item)
    if errors:
        return 400, errors
    existed = sku in seller.items
    seller.items[sku] = {k: val for k, val in item.items() if k != "sku"}
    quantity = (
        (item.get("availability") or {}).get("shipToLocationAvailability") or {}
    ).get("quantity")
    if quantity is not None:
        for offer in seller.offers_for(sku):
            offer.body["availableQuantity"] = min(
                quantity, offer.body.get("availableQuantity", quantity)
            )
    return (200 if existed else 201), []


async def put_item(request: web.Request) -> web.Response:
    _, seller = ctx_of(request)
    errors = _language_errors(request)
    if errors:
        return error_response(400, *errors)
    status, errors = _save_item(seller, request.match_info["sku"], await request.json())
    if errors:
        return error_response(status, *errors)
    return web.json_response({"warnings": []}, status=status)


async def get_item(request: web.Request) -> web.Response:
    _, seller = ctx_of(request)
    sku = request.match_info["sku"]
    if sku not in seller.items:
        return error_response(
            404,
            error(
                25710,
                "We didn't find the resource/entity you are "
                "requesting. Please verify the request",
            ),
        )
    return web.json_response(_item_json(sku, seller.items[sku]))


async def list_items(request: web.Request) -> web.Response:
    _, seller = ctx_of(request)
    limit = int(request.query.get("limit", "25"))
    offset = int(request.query.get("offset", "0"))
    skus = sorted(seller.items)
    page = [_item_json(s, seller.items[s]) for s in skus[offset : offset + limit]]
    return web.json_response(
        {"total": len(skus), "size": len(page), "limit": limit, "inventoryItems": page}
    )


async def delete_item(request: web.Request) -> web.Response:
    _, seller = ctx_of(request)
    sku = request.match_info["sku"]
    if sku not in seller.items:
        return error_response(
            404,
            error(
                25702,
                f"SKU {sku} is not available in the system",
                parameters={"additionalInfo": sku},
            ),
        )
    del seller.items[sku]
    for offer in seller.offers_for(sku):
        del seller.offers[offer.offer_id]
    return web.Response(status=204)


async def bulk_requests(
    request: web.Request, code: int, what: str, *, limit: int | None = None
) -> list[dict[str, Any]]:
    """The ``requests`` of a bulk call; 400 (eBay's body) when empty or too many."""
    limit = limit or request.app[STATE].config.max_bulk
    requests = list((await request.json()).get("requests") or [])
    if not requests:
        found = error(25709, "Invalid request. requests is empty")
    elif len(requests) > limit:
        found = error(
            code,
            f"The number of {what} in the request cannot exceed {limit}.",
            parameters={"additionalInfo": str(limit)},
        )
    else:
        return requests
    raise web.HTTPBadRequest(
        text=json.dumps({"errors": [found]}), content_type="application/json"
    )


def item_failure(sku: str) -> dict[str, Any]:
    return {
        "statusCode": 500,
        "sku": sku,
        "errors": [
            error(25001, "A system error has occurred.", category="APPLICATION")
        ],
    }


def multi_status(responses: list[dict[str, Any]]) -> web.Response:
    ok = all(200 <= r["statusCode"] < 300 for r in responses)
    return web.json_response({"responses": responses}, status=200 if ok else 207)


async def bulk_items(request: web.Request) -> web.Response:
    _, seller = ctx_of(request)
    errors = _language_errors(request)
    if errors:
        return error_response(400, *errors)
    requests = await bulk_requests(request, 25727, "InventoryItems")
    skus = [r.get("sku") for r in requests]
    if len(set(skus)) != len(skus):
        return error_response(
            400, error(25728, "InventoryItems should be unique in the request.")
        )
    responses = []
    for req in requests:
        sku = str(req.get("sku") or "")
        if request.app[STATE].take_item_fault(sku):
            responses.append(item_failure(sku))
            continue
        item = {k: val for k, val in req.items() if k not in ("sku",)}
        status, errs = _save_item(seller, sku, item)
        responses.append(
            {
                "statusCode": status,
                "sku": sku,
                "locale": req.get("locale", "en_US"),
                **({"errors": errs} if errs else {"warnings": []}),
            }
        )
    return multi_status(responses)


async def bulk_migrate(request: web.Request) -> web.Response:
    state, seller = ctx_of(request)
    requests = await bulk_requests(
        request, 25727, "listings", limit=state.config.max_migrate
    )
    responses = []
    for req in requests:
        listing_id = str(req.get("listingId"))
        responses.append(_migrate(state, seller, listing_id, _marketplace(request)))
    return multi_status(responses)


def _migrate(
    state: EmulatorState, seller: Seller, listing_id: str, marketplace: str
) -> dict[str, Any]:
    item = seller.legacy.get(listing_id)
    reason = None
    if item is None or item.status != "Active":
        reason = "The listing is not an active listing of this seller."
    elif item.migrated:
        reason = "The listing has already been migrated."
    elif item.listing_type != "FixedPriceItem":
        reason = "Only fixed-price listings can be migrated."
    elif not item.sku:
        reason = "The listing has no SKU."
    elif not item.business_policies:
        reason = "The listing does not use business policies."
    if reason:
        return {
            "statusCode": 400,
            "listingId": listing_id,
            "marketplaceId": marketplace,
            "errors": [
                error(
                    25718,
                    f"Cannot migrate listing. {reason}",
                    parameters={"additionalInfo": reason},
                )
            ],
        }
    if item is None:  # pragma: no cover - reason is set above
        raise AssertionError(listing_id)
    key = "migrated-" + listing_id
    seller.locations.setdefault(
        key,
        {
            "merchantLocationKey": key,
            "location": {"address": {"country": "KR", "city": "Daejeon"}},
        },
    )
    seller.items[item.sku] = {
        "product": {"title": item.title, "aspects": {}},
        "availability": {"shipToLocationAvailability": {"quantity": item.quantity}},
        "condition": "NEW",
    }
    offer = Offer(
        state.next_id(),
        item.sku,
        marketplace,
        "FIXED_PRICE",
        {
            "categoryId": item.category_id,
            "merchantLocationKey": key,
            "availableQuantity": item.quantity,
            "pricingSummary": {
                "price": {"value": item.price, "currency": item.currency}
            },
        },
        status="PUBLISHED",
        listing_id=listing_id,
        listing_status="ACTIVE",
    )
    seller.offers[offer.offer_id] = offer
    item.migrated = True
    return {
        "statusCode": 200,
        "listingId": listing_id,
        "marketplaceId": marketplace,
        "inventoryItems": [{"sku": item.sku, "offerId": offer.offer_id}],
        "warnings": [],
    }
