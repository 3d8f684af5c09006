"""Amazon Listings Items body: ``{productType, requirements, attributes}``.

Every attribute is an array of objects carrying ``marketplace_id`` (and
``language_tag`` for text), as the product type schemas require
(DOMAIN.md, "Listings Items API 2021-08-01").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from export_hub.brand.base import (
    ListingInput,
    RenderedListing,
    brand_text,
    finish_listing,
    public_image_url,
)
from export_hub.brand.config import BrandConfig
from export_hub.catalog.models import Condition, Product
from export_hub.catalog.taxonomy import load_taxonomy

#: Content language per Amazon marketplace. Content is English for now; DE
#: and JP accept British / US English as an alternate listing language.
LANGUAGE_TAGS = {
    "ATVPDKIKX0DER": "en_US",
    "A1F83G8C2ARO7P": "en_GB",
    "A1PA6795UKMFR9": "en_GB",
    "A1VC38T7YXB528": "en_US",
}
CONDITIONS = {
    Condition.NEW: "new_new",
    Condition.REFURBISHED: "refurbished_refurbished",
    Condition.USED: "used_good",
}
#: Attributes that belong to the price, quantity and images parts, not content.
OFFER_ATTRIBUTES = frozenset({"purchasable_offer", "fulfillment_availability"})
MAX_OTHER_IMAGES = 8


def _number(value: Decimal) -> int | float:
    """JSON number for a Decimal (schemas want numbers, not strings)."""
    return int(value) if value == value.to_integral_value() else float(value)


def render_amazon(
    config: BrandConfig, listing: ListingInput, *, public_base_url: str
) -> RenderedListing:
    """Render the PUT body for one Amazon listing. Raises ``RenderError``."""
    product, seller = listing.product, listing.seller
    marketplace_id = seller.marketplace_id
    lang = LANGUAGE_TAGS.get(marketplace_id, "en_US")
    text = brand_text(config, "amazon", product, listing.company)

    def localized(value: str) -> list[dict[str, Any]]:
        return [
            {"value": value, "language_tag": lang, "marketplace_id": marketplace_id}
        ]

    def plain(value: Any) -> list[dict[str, Any]]:
        return [{"value": value, "marketplace_id": marketplace_id}]

    attributes: dict[str, Any] = {}
    for name, values in config.amazon.defaults_for(product.amazon_product_type).items():
        attributes[name] = [{**v, "marketplace_id": marketplace_id} for v in values]
    for name, extra in listing.extra_attributes.items():
        attributes[name] = [{**v, "marketplace_id": marketplace_id} for v in extra]
    attributes.update(_company_attributes(product, marketplace_id, lang))
    attributes.update(
        {
            "item_name": localized(text.title),
            "brand": localized(text.brand),
            "manufacturer": localized(text.manufacturer),
            "bullet_point": [
                {"value": b, "language_tag": lang, "marketplace_id": marketplace_id}
                for b in text.bullets
            ],
            "product_description": localized(text.description),
            "country_of_origin": plain(product.country_of_origin),
            "condition_type": plain(CONDITIONS[Condition(product.condition)]),
        }
    )
    attributes.update(_identifier(product.gtin, product.gtin_exempt, marketplace_id))
    attributes.update(_measures(product, marketplace_id))
    content = {
        "productType": product.amazon_product_type,
        "attributes": dict(attributes),
    }

    image_urls = tuple(
        public_image_url(public_base_url, i.stored_name) for i in listing.images
    )
    if image_urls:
        attributes["main_product_image_locator"] = [
            {"media_location": image_urls[0], "marketplace_id": marketplace_id}
        ]
    for index, url in enumerate(image_urls[1 : MAX_OTHER_IMAGES + 1], start=1):
        attributes[f"other_product_image_locator_{index}"] = [
            {"media_location": url, "marketplace_id": marketplace_id}
        ]
    quantity = listing.listing_quantity
    attributes["purchasable_offer"] = [
        {
            "currency": listing.currency,
            "marketplace_id": marketplace_id,
            "our_price": [{"schedule": [{"value_with_tax": _number(listing.price)}]}],
        }
    ]
    attributes["fulfillment_availability"] = [
        {"fulfillment_channel_code": "DEFAULT", "quantity": quantity}
    ]
    body = {
        "productType": product.amazon_product_type,
        "requirements": "LISTING",
        "attributes": attributes,
    }
    return finish_listing("amazon", listing, body, content, text, image_urls)


def _company_attributes(
    product: Product, marketplace_id: str, lang: str
) -> dict[str, Any]:
    """The attributes the company filled in (product form); text attributes
    of the product type carry the language tag."""
    given = (product.marketplace_attributes or {}).get("amazon") or {}
    product_type = load_taxonomy().product_type(product.amazon_product_type)
    localized = product_type.localized if product_type else frozenset()
    out: dict[str, Any] = {}
    for name, value in given.items():
        if not value:
            continue
        entry: dict[str, Any] = {"value": value, "marketplace_id": marketplace_id}
        if name in localized:
            entry["language_tag"] = lang
        out[name] = [entry]
    return out


def _identifier(gtin: str | None, exempt: bool, marketplace_id: str) -> dict[str, Any]:
    if gtin:
        kind = "upc" if len(gtin) == 12 else "ean"
        return {
            "externally_assigned_product_identifier": [
                {"type": kind, "value": gtin, "marketplace_id": marketplace_id}
            ],
            "supplier_declared_has_product_identifier_exemption": [
                {"value": False, "marketplace_id": marketplace_id}
            ],
        }
    if exempt:
        return {
            "supplier_declared_has_product_identifier_exemption": [
                {"value": True, "marketplace_id": marketplace_id}
            ]
        }
    return {}


def _measures(product: Any, marketplace_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if product.weight_g > 0:
        out["item_weight"] = [
            {
                "value": product.weight_g,
                "unit": "grams",
                "marketplace_id": marketplace_id,
            }
        ]
        out["item_package_weight"] = [
            {
                "value": product.weight_g,
                "unit": "grams",
                "marketplace_id": marketplace_id,
            }
        ]
    dims = (product.length_mm, product.width_mm, product.height_mm)
    if all(d > 0 for d in dims):
        length, width, height = (
            {"value": _number(Decimal(d) / 10), "unit": "centimeters"} for d in dims
        )
        out["item_package_dimensions"] = [
            {
                "length": length,
                "width": width,
                "height": height,
                "marketplace_id": marketplace_id,
            }
        ]
    return out
