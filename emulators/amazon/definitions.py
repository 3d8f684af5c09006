"""Product Type Definitions API 2020-09-01: search, get, and the schema
document the definition links (like Amazon's presigned S3 link, it needs no
access token)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from emulators.amazon import product_types
from emulators.amazon.common import (
    CONFIG,
    SELLER_ID,
    STATE,
    ApiError,
    base_url,
    enum_param,
    marketplace_ids,
    operation,
)

PREFIX = "/definitions/2020-09-01/productTypes"
SCHEMA_PATH = "/_schemas/{productType}/{marketplaceId}/{sellerId}.json"
NO_SELLER = "-"


def setup(app: web.Application) -> None:
    app.router.add_get(PREFIX, search)
    app.router.add_get(PREFIX + "/{productType}", get_definition)
    app.router.add_get(SCHEMA_PATH, schema_document)


@operation("searchDefinitionsProductTypes", seller_in_path=False)
async def search(request: web.Request) -> web.Response:
    ids = marketplace_ids(request)
    keywords = [
        k.lower()
        for raw in request.query.getall("keywords", [])
        for k in raw.split(",")
        if k
    ]
    item_name = request.query.get("itemName", "").lower()
    found = []
    for spec in product_types.PRODUCT_TYPES.values():
        words = " ".join(
            (spec.name, spec.display_name, *spec.item_type_keywords)
        ).lower()
        words = words.replace("_", " ").replace("-", " ")
        wanted = keywords + item_name.split()
        if wanted and not any(w.replace("-", " ") in words for w in wanted):
            continue
        found.append(
            {"name": spec.name, "displayName": spec.display_name, "marketplaceIds": ids}
        )
    return web.json_response(
        {"productTypes": found, "productTypeVersion": product_types.SCHEMA_VERSION}
    )


def _schema(
    request: web.Request, product_type: str, marketplace_id: str, seller_id: str
) -> dict[str, Any]:
    spec = product_types.PRODUCT_TYPES.get(product_type)
    if spec is None:
        raise ApiError(404, "NOT_FOUND", f"Product type '{product_type}' not found.")
    brands = None
    if seller_id != NO_SELLER:
        seller = request.app[STATE].sellers.get(seller_id)
        # None: Amazon restricts no brand for this seller, so no enum (as the
        # listing outcome in state.py); a list: only those brands.
        brands = seller.approved_brands if seller is not None else []
    return product_types.build_schema(spec, marketplace_id, approved_brands=brands)


@operation("getDefinitionsProductType", seller_in_path=False)
async def get_definition(request: web.Request) -> web.Response:
    ids = marketplace_ids(request)
    requirements = enum_param(
        request,
        "requirements",
        {"LISTING", "LISTING_PRODUCT_ONLY", "LISTING_OFFER_ONLY"},
    ) or ["LISTING"]
    enforced = enum_param(request, "requirementsEnforced", {"ENFORCED", "NOT_ENFORCED"})
    seller_id = request.query.get("sellerId") or NO_SELLER
    if seller_id != NO_SELLER and seller_id != request[SELLER_ID]:
        raise ApiError(403, "Unauthorized", "Access to requested resource is denied.")
    product_type = request.match_info["productType"]
    document = product_types.schema_bytes(
        _schema(request, product_type, ids[0], seller_id)
    )
    link = (
        f"{base_url(request)}/_schemas/{quote(product_type)}/{quote(ids[0])}/"
        f"{quote(seller_id)}.json"
    )
    spec = product_types.PRODUCT_TYPES[product_type]
    required = ["brand", "item_name", "product_description", "bullet_point"]
    return web.json_response(
        {
            "metaSchema": {
                "link": {
                    "resource": f"{base_url(request)}/_schemas/meta.json",
                    "verb": "GET",
                },
                "checksum": product_types.checksum(b"{}"),
            },
            "schema": {
                "link": {"resource": link, "verb": "GET"},
                "checksum": _checksum(request, document),
            },
            "requirements": requirements[0],
            "requirementsEnforced": (enforced or ["ENFORCED"])[0],
            "propertyGroups": {
                "product_identity": {
                    "title": "Product Identity",
                    "description": "Information to uniquely identify your product",
                    "propertyNames": required,
                },
                "offer": {
                    "title": "Offer",
                    "description": "Price and quantity",
                    "propertyNames": ["purchasable_offer", "fulfillment_availability"],
                },
            },
            "locale": request.query.get("locale", "en_US"),
            "marketplaceIds": ids,
            "productType": spec.name,
            "displayName": spec.display_name,
            "productTypeVersion": {
                "version": product_types.SCHEMA_VERSION,
                "latest": True,
                "releaseCandidate": False,
            },
        }
    )


def _checksum(request: web.Request, document: bytes) -> str:
    form = request.app[CONFIG].schema_checksum
    if form == "wrong":
        return product_types.checksum(document + b" ")
    return product_types.checksum(document, form)


async def schema_document(request: web.Request) -> web.Response:
    document = product_types.schema_bytes(
        _schema(
            request,
            request.match_info["productType"],
            request.match_info["marketplaceId"],
            request.match_info["sellerId"],
        )
    )
    return web.Response(body=document, content_type="application/json", charset="utf-8")
