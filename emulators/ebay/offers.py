"""Sell Inventory API v1 offers: create, read, update, delete, publish,
withdraw, listing fees, and the bulk offer, publish and price/quantity calls."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from emulators.ebay import validation as v
from emulators.ebay.common import STATE, error, error_response
from emulators.ebay.inventory import (
    BASE,
    bulk_requests,
    ctx_of,
    item_failure,
    multi_status,
)
from emulators.ebay.state import EmulatorState, Offer, Seller


def setup(app: web.Application) -> None:
    r = app.router
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
    state, seller = ctx_of(request)
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
    _, seller = ctx_of(request)
    offer = _offer_or_404(seller, request.match_info["offer_id"])
    return (
        offer if isinstance(offer, web.Response) else web.json_response(offer.as_json())
    )


async def get_offers(request: web.Request) -> web.Response:
    _, seller = ctx_of(request)
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
    _, seller = ctx_of(request)
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
    _, seller = ctx_of(request)
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


async def _note_body(request: web.Request) -> None:
    """publishOffer and withdrawOffer define no request body; eBay ignores one.
    Record what came (for tests to pin) rather than refuse it."""
    body = await request.read()
    request.app[STATE].bodyless_calls.append(
        (request.path, request.headers.get("Content-Type"), len(body))
    )


async def publish(request: web.Request) -> web.Response:
    await _note_body(request)
    state, seller = ctx_of(request)
    offer = _offer_or_404(seller, request.match_info["offer_id"])
    if isinstance(offer, web.Response):
        return offer
    errors = _publish(state, seller, offer)
    if errors:
        return error_response(400, *errors)
    return web.json_response({"listingId": offer.listing_id, "warnings": []})


async def withdraw(request: web.Request) -> web.Response:
    await _note_body(request)
    _, seller = ctx_of(request)
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
    state, seller = ctx_of(request)
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
    state, seller = ctx_of(request)
    requests = await bulk_requests(request, 25730, "offers")
    responses = []
    for req in requests:
        if state.take_item_fault(str(req.get("sku"))):
            responses.append(item_failure(str(req.get("sku"))))
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
    return multi_status(responses)


async def bulk_publish(request: web.Request) -> web.Response:
    state, seller = ctx_of(request)
    requests = await bulk_requests(request, 25730, "offers")
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
            responses.append({**item_failure(offer.sku), "offerId": offer_id})
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
    return multi_status(responses)


async def bulk_price_quantity(request: web.Request) -> web.Response:
    _, seller = ctx_of(request)
    requests = await bulk_requests(request, 25727, "InventoryItems")
    responses: list[dict[str, Any]] = []
    for req in requests:
        responses.extend(_price_quantity(seller, req))
    return multi_status(responses)


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
