"""eBay Sell Inventory bodies: ``{"inventory_item": ..., "offer": ...}``.

``inventory_item`` is the ``PUT /inventory_item/{sku}`` body (InventoryItem),
``offer`` the ``POST /offer`` body (EbayOfferDetailsWithKeys), per
``sell_inventory_v1_oas3.json``. The seller account's ``setup`` holds the
business policy ids and the merchant location key (see :data:`SETUP_KEYS`).
"""

from __future__ import annotations

import copy
import html
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from export_hub.brand.base import (
    ListingInput,
    RenderedListing,
    RenderError,
    brand_text,
    finish_listing,
    preflight_issue,
    public_image_url,
)
from export_hub.brand.config import BrandConfig, Limits
from export_hub.brand.text import TooLongWithoutBoundary, truncate_words
from export_hub.catalog.models import Condition, Product
from export_hub.catalog.taxonomy import Taxonomy, ebay_category_id, load_taxonomy

CONDITIONS = {
    Condition.NEW: "NEW",
    Condition.REFURBISHED: "SELLER_REFURBISHED",
    Condition.USED: "USED_EXCELLENT",
}
#: ``SellerAccount.setup`` keys the offer needs (written by the eBay connector's
#: account set-up).
SETUP_KEYS = {
    "fulfillmentPolicyId": "fulfillment_policy_id",
    "paymentPolicyId": "payment_policy_id",
    "returnPolicyId": "return_policy_id",
}
LOCATION_KEY = "merchant_location_key"
#: eBay's "Country/Region of Manufacture" values for the origins we see.
COUNTRY_NAMES = {
    "KR": "Korea, Republic of",
    "CN": "China",
    "JP": "Japan",
    "US": "United States",
    "VN": "Vietnam",
    "DE": "Germany",
}
MAX_IMAGES = 24
DOES_NOT_APPLY = "Does not apply"


def render_ebay(
    config: BrandConfig,
    listing: ListingInput,
    *,
    public_base_url: str,
    taxonomy: Taxonomy | None = None,
) -> RenderedListing:
    """Render one eBay listing's inventory item and offer. Raises ``RenderError``.

    The category is the one for the seller's site (the product's override,
    else the agency mapping of ``taxonomy``, by default the shipped one).
    """
    product, seller = listing.product, listing.seller
    limits = config.limits["ebay"]
    text = brand_text(config, "ebay", product, listing.company)
    try:
        description = description_html(text.description, text.bullets, limits)
        aspects = _aspects(product, text.brand, listing.extra_aspects, limits)
    except TooLongWithoutBoundary as exc:
        raise RenderError(
            [preflight_issue("PREFLIGHT_TEXT_TOO_LONG", str(exc))]
        ) from exc
    product_body: dict[str, Any] = {
        "title": text.title,
        "description": description,
        "brand": text.brand,
        "mpn": DOES_NOT_APPLY,
        "aspects": aspects,
    }
    if product.gtin:
        product_body["upc" if len(product.gtin) == 12 else "ean"] = [product.gtin]
    inventory_item: dict[str, Any] = {
        "product": product_body,
        "condition": CONDITIONS[Condition(product.condition)],
    }
    package = _package(product)
    if package:
        inventory_item["packageWeightAndSize"] = package
    setup = seller.setup or {}
    offer: dict[str, Any] = {
        "sku": listing.listing_sku,
        "marketplaceId": seller.marketplace_id,
        "format": "FIXED_PRICE",
        "listingDuration": "GTC",
        "categoryId": listing_category_id(product, seller.marketplace_id, taxonomy),
        "listingDescription": description,
        "listingPolicies": {
            field: str(setup[key])
            for field, key in SETUP_KEYS.items()
            if setup.get(key)
        },
    }
    if setup.get(LOCATION_KEY):
        offer["merchantLocationKey"] = str(setup[LOCATION_KEY])
    # Deep copy: the image, price and quantity parts are added below.
    content = copy.deepcopy({"inventory_item": inventory_item, "offer": offer})

    image_urls = tuple(
        public_image_url(public_base_url, i.stored_name)
        for i in listing.images[:MAX_IMAGES]
    )
    quantity = listing.listing_quantity
    product_body["imageUrls"] = list(image_urls)
    inventory_item["availability"] = {
        "shipToLocationAvailability": {"quantity": quantity}
    }
    offer["pricingSummary"] = {
        "price": {"value": money_string(listing.price), "currency": listing.currency}
    }
    offer["availableQuantity"] = quantity
    body = {"inventory_item": inventory_item, "offer": offer}
    return finish_listing("ebay", listing, body, content, text, image_urls)


def listing_category_id(
    product: Product, site: str, taxonomy: Taxonomy | None = None
) -> str:
    """The eBay category id ``product`` is listed under on ``site`` (``""``: none)."""
    return ebay_category_id(
        taxonomy or load_taxonomy(),
        product.category,
        product.ebay_categories or {},
        site,
    )


def money_string(value: Decimal) -> str:
    """eBay amounts are strings with two decimals (``"23.99"``)."""
    return f"{value:.2f}"


def description_html(description: str, bullets: tuple[str, ...], limits: Limits) -> str:
    """Paragraphs and a bullet list, escaped, within the description limits.

    When the markup pushes it over, the description text is shortened further
    (at a word boundary) and the bullets are kept.
    """
    items = "".join(f"<li>{html.escape(b)}</li>" for b in bullets)
    tail = f"<ul>{items}</ul>" if items else ""

    def build(text: str) -> str:
        paragraphs = "".join(
            f"<p>{html.escape(p)}</p>" for p in text.split("\n\n") if p.strip()
        )
        return paragraphs + tail

    out, text = build(description), description
    while (
        len(out) > limits.description_chars
        or len(out.encode()) > limits.description_bytes
    ):
        overflow = max(
            len(out) - limits.description_chars,
            len(out.encode()) - limits.description_bytes,
            1,
        )
        text = truncate_words(text, max(len(text) - overflow, 1))
        out = build(text)
    return out


def _aspects(
    product: Product, brand: str, extra: Mapping[str, Sequence[str]], limits: Limits
) -> dict[str, list[str]]:
    def value(text: str) -> str:
        return truncate_words(text, limits.aspect_value_chars)

    aspects = {
        name[:40]: [value(v) for v in values]
        for name, values in extra.items()
        if values
    }
    # The company's item specifics (product form), then what the brand decides.
    given = (product.marketplace_attributes or {}).get("ebay") or {}
    aspects.update({name[:40]: [value(v)] for name, v in given.items() if v})
    aspects.update({"Brand": [value(brand)], "MPN": [DOES_NOT_APPLY]})
    country = COUNTRY_NAMES.get(product.country_of_origin)
    if country:
        aspects["Country/Region of Manufacture"] = [country]
    return aspects


def _package(product: Product) -> dict[str, Any]:
    package: dict[str, Any] = {}
    if product.weight_g > 0:
        package["weight"] = {"value": product.weight_g, "unit": "GRAM"}
    dims = (product.length_mm, product.width_mm, product.height_mm)
    if all(d > 0 for d in dims):
        length, width, height = (float(Decimal(d) / 10) for d in dims)
        package["dimensions"] = {
            "length": length,
            "width": width,
            "height": height,
            "unit": "CENTIMETER",
        }
    return package
