"""Listings Restrictions API 2021-08-01: ``getListingsRestrictions``.

Whether the seller may list an ASIN, judged like the listing outcome (see
:meth:`EmulatorState.settle`): a seller with a brand list may list only
those brands; an ASIN the emulator never assigned is ``ASIN_NOT_FOUND``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from emulators.amazon.common import (
    SELLER_ID,
    STATE,
    ApiError,
    bad_request,
    marketplace_ids,
    operation,
)
from emulators.amazon.state import first_brand

PATH = "/listings/2021-08-01/restrictions"
CONDITIONS = frozenset(
    {
        "new_new",
        "new_open_box",
        "new_oem",
        "refurbished_refurbished",
        "used_like_new",
        "used_very_good",
        "used_good",
        "used_acceptable",
        "collectible_like_new",
        "collectible_very_good",
        "collectible_good",
        "collectible_acceptable",
        "club_club",
    }
)
APPROVAL_URL = (
    "https://sellercentral.amazon.com/hz/approvalrequest/restrictions/approve"
)


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, get_restrictions)


@operation("getListingsRestrictions", seller_in_path=False)
async def get_restrictions(request: web.Request) -> web.Response:
    query = request.query
    asin = query.get("asin", "")
    if not asin:
        raise bad_request("Missing required 'asin' parameter.")
    if query.get("sellerId") != request[SELLER_ID]:
        raise ApiError(403, "Unauthorized", "Access to requested resource is denied.")
    condition = query.get("conditionType")
    if condition is not None and condition not in CONDITIONS:
        raise bad_request(f"Invalid value for 'conditionType': {condition}.")
    (marketplace_id,) = marketplace_ids(request, exactly_one=True)
    reason = _reason(request, asin, marketplace_id)
    restrictions: list[dict[str, Any]] = []
    if reason is not None:
        restriction: dict[str, Any] = {
            "marketplaceId": marketplace_id,
            "reasons": [reason],
        }
        if condition:
            restriction["conditionType"] = condition
        restrictions.append(restriction)
    return web.json_response({"restrictions": restrictions})


def _reason(
    request: web.Request, asin: str, marketplace_id: str
) -> dict[str, Any] | None:
    state = request.app[STATE]
    records = [r for r in state.listings.values() if r.asin == asin]
    if not records:
        return {
            "reasonCode": "ASIN_NOT_FOUND",
            "message": f"ASIN {asin} was not found in the Amazon catalog.",
        }
    brand = first_brand(records[0].attributes)
    seller = state.sellers.get(request[SELLER_ID])
    approved = seller.approved_brands if seller is not None else []
    if approved is None or brand is None or brand in approved:
        return None
    link = (
        f"{APPROVAL_URL}?{urlencode({'asin': asin, 'marketplaceID': marketplace_id})}"
    )
    return {
        "reasonCode": "APPROVAL_REQUIRED",
        "message": f"You need approval to list products under the brand '{brand}'.",
        "links": [
            {
                "resource": link,
                "verb": "GET",
                "title": "Request approval",
                "type": "text/html",
            }
        ],
    }
