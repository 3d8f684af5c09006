"""Sell Inventory API v1: location, inventory_item, offer, publish, withdraw,
fees, the bulk calls and bulk_migrate_listing."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from connectors.ebay.emulator import validation as v
from connectors.ebay.emulator.common import SELLER, STATE, error, error_response
from connectors.ebay.emulator.state import EmulatorState, Offer, Seller

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
    r.add_post(BASE + "/offer", create_offer)
    r.add_get(BASE + "/offer", get_offers)
    r.add_post(BASE + "/offer/get_listing_fees", listing_fees)
    r.add_get(BASE + "/offer/{offer_id}", get_offer)
    r.add_put(BASE + "/offer/{offer_id}", update_offer)
    r.add_delete(BASE + "/offer/{offer_id}", delete_offer)
    r.add_post(BASE + "/offer/{offer_id}/publish", publish)
    r.add_post(BASE + "/offer/{offer_id}/withdraw", withdraw)
    r.add_post(BASE + "/bulk_create_offer", bulk_offers)
    r.add_post(BASE + "/bulk_publish_offer", bulk_publish)
    r.add_post(BASE + "/bulk_update_price_quantity", bulk_price_quantity)
    r.add_post(BASE + "/bulk_migrate_listing", bulk_migrate)


def _ctx(request: web.Request) -> tuple[EmulatorState, Seller]:
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
    _, seller = _ctx(request)
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
    _, seller = _ctx(request)
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
    _, seller = _ctx(request)
    errors = _language_errors(request)
    if errors:
        return error_response(400, *errors)
    status, errors = _save_item(seller, request.match_info["sku"], await request.json())
    if errors:
        return error_response(status, *errors)
    return web.json_response({"warnings": []}, status=status)


async def get_item(request: web.Request) -> web.Response:
    _, seller = _ctx(request)
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
    _, seller = _ctx(request)
    limit = int(request.query.get("limit", "25"))
    offset = int(request.query.get("offset", "0"))
    skus = sorted(seller.items)
    page = [_item_json(s, seller.items[s]) for s in skus[offset : offset + limit]]
    return web.json_response(
        {"total": len(skus), "size": len(page), "limit": limit, "inventoryItems": page}
    )


async def delete_item(request: web.Request) -> web.Response:
    _, seller = _ctx(request)
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


def _too_many(
    requests: list[Any], limit: int, code: int, what: str
) -> web.Response | None:
    if not requests:
        return error_response(400, error(25709, "Invalid request. requests is empty"))
    if len(requests) > limit:
        return error_response(
            400,
            error(
                code,
                f"The number of {what} in the request cannot exceed {limit}.",
                parameters={"additionalInfo": str(limit)},
            ),
        )
    return None


def _item_failure(sku: str) -> dict[str, Any]:
    return {
        "statusCode": 500,
        "sku": sku,
        "errors": [
            error(25001, "A system error has occurred.", category="APPLICATION")
        ],
    }


def _multi(responses: list[dict[str, Any]]) -> web.Response:
    ok = all(200 <= r["statusCode"] < 300 for r in responses)
    return web.json_response({"responses": responses}, status=200 if ok else 207)


async def bulk_items(request: web.Request) -> web.Response:
    _, seller = _ctx(request)
    errors = _language_errors(request)
    if errors:
        return error_response(400, *errors)
    requests = (await request.json()).get("requests") or []
    refused = _too_many(
        requests, request.app[STATE].config.max_bulk, 25727, "InventoryItems"
    )
    if refused:
        return refused
    skus = [r.get("sku") for r in requests]
    if len(set(skus)) != len(skus):
        return error_response(
            400, error(25728, "InventoryItems should be unique in the request.")
        )
    responses = []
    for req in requests:
        sku = str(req.get("sku") or "")
        if request.app[STATE].take_item_fault(sku):
            responses.append(_item_failure(sku))
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
    return _multi(responses)


# -- offers -------------------------------------------------------------------------


def _create_offer(
    state: EmulatorState, seller: Seller, body: dict[str, Any]
) -> tuple[int, Offer | None, list[dict[str, Any]]]:
    sku = str(body.get("sku") or "")
    marketplace = str(body.get("marketplaceId") or "")
    fmt = str(body.get("format") or "")
    if sku not in seller.items:
        return (
            400,
            None,
            [
                error(
                    25702,
                    f"SKU {sku} is not available in the system",
                    parameters={"additionalInfo": sku},
                )
            ],
        )
    if fmt not in ("FIXED_PRICE", "AUCTION"):
        return 400, None, [error(25735, "Invalid SKU, marketplaceId or format.")]
    for existing in seller.offers_for(sku, marketplace):
        if existing.format == fmt:
            return (
                400,
                None,
                [
                    error(
                        25002,
                        "A user error has occurred. Offer entity already exists.",
                        parameters={"offerId": existing.offer_id},
                    )
                ],
            )
    errors = v.check_offer_fields(body, marketplace)
    if errors:
        return 400, None, errors
    offer = Offer(state.next_id(), sku, marketplace, fmt, dict(body))
    seller.offers[offer.offer_id] = offer
    return 201, offer, []


async def create_offer(request: web.Request) -> web.Response:
    state, seller = _ctx(request)
    status, offer, errors = _create_offer(state, seller, await request.json())
    if offer is None:
        return error_response(status, *errors)
    return web.json_response({"offerId": offer.offer_id, "warnings": []}, status=201)


def _offer_or_404(seller: Seller, offer_id: str) -> Offer | web.Response:
    offer = seller.offers.get(offer_id)
    if offer is None:
        return error_response(
            404,
            error(
                25713,
                f"This Offer is not available : {offer_id}.",
                parameters={"additionalInfo": offer_id},
            ),
        )
    return offer


async def get_offer(request: web.Request) -> web.Response:
    _, seller = _ctx(request)
    offer = _offer_or_404(seller, request.match_info["offer_id"])
    return (
        offer if isinstance(offer, web.Response) else web.json_response(offer.as_json())
    )


async def get_offers(request: web.Request) -> web.Response:
    _, seller = _ctx(request)
    sku = request.query.get("sku")
    if not sku:
        return error_response(
            400, error(25709, "Invalid request. Invalid value for field sku")
        )
    offers = seller.offers_for(sku, request.query.get("marketplace_id"))
    if not offers:
        return error_response(
            404, error(25713, "This Offer is not available : No offer found.")
        )
    return web.json_response(
        {
            "total": len(offers),
            "size": len(offers),
            "limit": 25,
            "offers": [o.as_json() for o in offers],
        }
    )


async def update_offer(request: web.Request) -> web.Response:
    _, seller = _ctx(request)
    offer = _offer_or_404(seller, request.match_info["offer_id"])
    if isinstance(offer, web.Response):
        return offer
    body = await request.json()
    errors = v.check_offer_fields(body, offer.marketplace_id)
    if errors:
        return error_response(400, *errors)
    offer.body = {
        **body,
        "sku": offer.sku,
        "marketplaceId": offer.marketplace_id,
        "format": offer.format,
    }
    return web.json_response({"offerId": offer.offer_id, "warnings": []})


async def delete_offer(request: web.Request) -> web.Response:
    _, seller = _ctx(request)
    offer = _offer_or_404(seller, request.match_info["offer_id"])
    if isinstance(offer, web.Response):
        return offer
    del seller.offers[offer.offer_id]
    return web.Response(status=204)


def _publish(
    state: EmulatorState, seller: Seller, offer: Offer
) -> list[dict[str, Any]]:
    errors = v.check_publish(state, seller, offer)
    if errors:
        return errors
    offer.status = "PUBLISHED"
    offer.listing_id = offer.listing_id or f"3{state.next_id()}"
    offer.listing_status = "ACTIVE"
    return []


async def publish(request: web.Request) -> web.Response:
    state, seller = _ctx(request)
    offer = _offer_or_404(seller, request.match_info["offer_id"])
    if isinstance(offer, web.Response):
        return offer
    errors = _publish(state, seller, offer)
    if errors:
        return error_response(400, *errors)
    return web.json_response({"listingId": offer.listing_id, "warnings": []})


async def withdraw(request: web.Request) -> web.Response:
    _, seller = _ctx(request)
    offer = _offer_or_404(seller, request.match_info["offer_id"])
    if isinstance(offer, web.Response):
        return offer
    if offer.status != "PUBLISHED":
        return error_response(
            400,
            error(25713, "This Offer is not available : the offer is not published."),
        )
    offer.status = "UNPUBLISHED"
    offer.listing_status = "ENDED"
    return web.json_response({"listingId": offer.listing_id, "warnings": []})


async def listing_fees(request: web.Request) -> web.Response:
    state, seller = _ctx(request)
    wanted = [o.get("offerId") for o in (await request.json()).get("offers") or []]
    errors: list[dict[str, Any]] = []
    offers = []
    for offer_id in wanted:
        offer = seller.offers.get(str(offer_id))
        if offer is None or offer.status == "PUBLISHED":
            return error_response(
                400, error(25754, "One or more provided offerId(s) are invalid.")
            )
        offers.append(offer)
        errors += v.check_publish(state, seller, offer)
    if errors:
        return error_response(400, *errors)
    summaries: dict[str, list[dict[str, Any]]] = {}
    for offer in offers:
        currency = v.CURRENCIES[offer.marketplace_id]
        summaries.setdefault(offer.marketplace_id, []).append(
            {
                "feeType": "InsertionFee",
                "amount": {"value": "0.35", "currency": currency},
            }
        )
    return web.json_response(
        {
            "feeSummaries": [
                {"marketplaceId": m, "fees": fees} for m, fees in summaries.items()
            ]
        }
    )


async def bulk_offers(request: web.Request) -> web.Response:
    state, seller = _ctx(request)
    requests = (await request.json()).get("requests") or []
    refused = _too_many(requests, state.config.max_bulk, 25730, "offers")
    if refused:
        return refused
    responses = []
    for req in requests:
        if state.take_item_fault(str(req.get("sku"))):
            responses.append(_item_failure(str(req.get("sku"))))
            continue
        status, offer, errors = _create_offer(state, seller, req)
        answer: dict[str, Any] = {
            "statusCode": status,
            "sku": req.get("sku"),
            "marketplaceId": req.get("marketplaceId"),
            "format": req.get("format"),
        }
        if offer is not None:
            answer.update(offerId=offer.offer_id, warnings=[])
        else:
            answer["errors"] = errors
        responses.append(answer)
    return _multi(responses)


async def bulk_publish(request: web.Request) -> web.Response:
    state, seller = _ctx(request)
    requests = (await request.json()).get("requests") or []
    refused = _too_many(requests, state.config.max_bulk, 25730, "offers")
    if refused:
        return refused
    responses = []
    for req in requests:
        offer_id = str(req.get("offerId"))
        offer = seller.offers.get(offer_id)
        if offer is None:
            responses.append(
                {
                    "statusCode": 404,
                    "offerId": offer_id,
                    "errors": [
                        error(25713, f"This Offer is not available : {offer_id}.")
                    ],
                }
            )
            continue
        if state.take_item_fault(offer.sku):
            responses.append({**_item_failure(offer.sku), "offerId": offer_id})
            continue
        errors = _publish(state, seller, offer)
        if errors:
            responses.append({"statusCode": 400, "offerId": offer_id, "errors": errors})
        else:
            responses.append(
                {
                    "statusCode": 200,
                    "offerId": offer_id,
                    "listingId": offer.listing_id,
                    "warnings": [],
                }
            )
    return _multi(responses)


async def bulk_price_quantity(request: web.Request) -> web.Response:
    state, seller = _ctx(request)
    requests = (await request.json()).get("requests") or []
    refused = _too_many(requests, state.config.max_bulk, 25727, "InventoryItems")
    if refused:
        return refused
    responses: list[dict[str, Any]] = []
    for req in requests:
        responses.extend(_price_quantity(seller, req))
    return _multi(responses)


def _price_quantity(seller: Seller, req: dict[str, Any]) -> list[dict[str, Any]]:
    sku = str(req.get("sku") or "")
    if sku not in seller.items:
        return [
            {
                "statusCode": 400,
                "sku": sku,
                "errors": [error(25702, f"SKU {sku} is not available in the system")],
            }
        ]
    answers = []
    for entry in req.get("offers") or []:
        offer = seller.offers.get(str(entry.get("offerId")))
        if offer is None or offer.sku != sku:
            answers.append(
                {
                    "statusCode": 400,
                    "sku": sku,
                    "offerId": entry.get("offerId"),
                    "errors": [error(25713, "This Offer is not available.")],
                }
            )
            continue
        body = dict(offer.body)
        if "price" in entry:
            body["pricingSummary"] = {
                **(body.get("pricingSummary") or {}),
                "price": entry["price"],
            }
        if "availableQuantity" in entry:
            body["availableQuantity"] = entry["availableQuantity"]
        errors = v.check_offer_fields(body, offer.marketplace_id)
        if errors:
            answers.append(
                {
                    "statusCode": 400,
                    "sku": sku,
                    "offerId": offer.offer_id,
                    "errors": errors,
                }
            )
            continue
        offer.body = body
        answers.append(
            {"statusCode": 200, "sku": sku, "offerId": offer.offer_id, "warnings": []}
        )
    ship = req.get("shipToLocationAvailability")
    if ship is not None:
        errors = v.check_item({"availability": {"shipToLocationAvailability": ship}})
        if errors:
            return [{"statusCode": 400, "sku": sku, "errors": errors}]
        seller.items[sku].setdefault("availability", {})[
            "shipToLocationAvailability"
        ] = ship
        if not answers:
            answers.append({"statusCode": 200, "sku": sku, "warnings": []})
    return answers


async def bulk_migrate(request: web.Request) -> web.Response:
    state, seller = _ctx(request)
    requests = (await request.json()).get("requests") or []
    refused = _too_many(requests, state.config.max_migrate, 25727, "listings")
    if refused:
        return refused
    responses = []
    for req in requests:
        listing_id = str(req.get("listingId"))
        responses.append(_migrate(state, seller, listing_id, _marketplace(request)))
    return _multi(responses)


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
