"""What eBay checks, with eBay's error ids: on the inventory item and offer as
they are saved, and on the whole listing when it is published (or its fees
asked for)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from emulators.ebay.common import error
from emulators.ebay.state import Category, EmulatorState, Offer, Seller

SKU_RE = re.compile(r"^[A-Za-z0-9_\-.]{1,50}$")
CONDITIONS = {
    "NEW",
    "LIKE_NEW",
    "NEW_OTHER",
    "NEW_WITH_DEFECTS",
    "USED_EXCELLENT",
    "USED_VERY_GOOD",
    "USED_GOOD",
    "USED_ACCEPTABLE",
    "FOR_PARTS_OR_NOT_WORKING",
}
CURRENCIES = {"EBAY_US": "USD", "EBAY_GB": "GBP", "EBAY_DE": "EUR", "EBAY_AU": "AUD"}
MAX_TITLE = 80
NOT_APPLICABLE = "Does not apply"
Err = dict[str, Any]


def check_sku(sku: str) -> list[Err]:
    if not SKU_RE.match(sku or ""):
        return [
            error(
                25707,
                "Invalid sku. sku has to be alphanumeric with upto 50 characters "
                "in length",
            )
        ]
    return []


def check_item(item: dict[str, Any]) -> list[Err]:
    """What ``createOrReplaceInventoryItem`` rejects at once."""
    errors: list[Err] = []
    condition = item.get("condition")
    if condition is not None and condition not in CONDITIONS:
        errors.append(error(25021, f"Invalid condition information. {condition}"))
    quantity = (
        (item.get("availability") or {}).get("shipToLocationAvailability") or {}
    ).get("quantity")
    if quantity is not None and (not isinstance(quantity, int) or quantity < 0):
        errors.append(error(25004, "Invalid quantity. The quantity must be 0 or more."))
    product = item.get("product")
    if product is not None and not isinstance(product, dict):
        errors.append(error(25709, "Invalid request. Invalid value for field product"))
    elif product and not isinstance(product.get("aspects", {}), dict):
        errors.append(error(25709, "Invalid request. Invalid value for field aspects"))
    return errors


def check_offer_fields(body: dict[str, Any], marketplace_id: str) -> list[Err]:
    """What ``createOffer`` / ``updateOffer`` reject at once."""
    errors: list[Err] = []
    if marketplace_id not in CURRENCIES:
        errors.append(error(25735, "Invalid SKU, marketplaceId or format."))
    price = (body.get("pricingSummary") or {}).get("price") or {}
    if price:
        errors.extend(_price_errors(price, marketplace_id))
    quantity = body.get("availableQuantity")
    if quantity is not None and (not isinstance(quantity, int) or quantity < 0):
        errors.append(
            error(25004, "Invalid quantity. availableQuantity must be 0 or more.")
        )
    return errors


def _price_errors(price: dict[str, Any], marketplace_id: str) -> list[Err]:
    try:
        value = Decimal(str(price.get("value")))
    except InvalidOperation:
        return [error(25003, "Invalid price. The price is not a number.")]
    if (
        value <= 0
        or value > Decimal("99999999")
        or value != value.quantize(Decimal("0.01"))
    ):
        return [
            error(25003, f"Invalid price. {price.get('value')} is not a valid price.")
        ]
    if price.get("currency") != CURRENCIES.get(marketplace_id):
        return [
            error(
                25003,
                f"Invalid price. The currency must be "
                f"{CURRENCIES.get(marketplace_id)} for {marketplace_id}.",
            )
        ]
    return []


def check_publish(state: EmulatorState, seller: Seller, offer: Offer) -> list[Err]:
    """Everything eBay needs to make a live listing of ``offer``."""
    item = seller.items.get(offer.sku)
    if item is None:
        return [
            error(
                25702,
                f"SKU {offer.sku} is not available in the system",
                parameters={"additionalInfo": offer.sku},
            )
        ]
    product = item.get("product") or {}
    errors = _content_errors(
        state.categories.get(offer.marketplace_id, {}),
        product,
        offer.body.get("categoryId"),
        offer.marketplace_id,
    )
    errors += _policy_errors(seller, offer)
    key = offer.body.get("merchantLocationKey")
    if not key or key not in seller.locations:
        errors.append(
            error(
                25012,
                "Invalid location. The merchantLocationKey is not known for "
                "this seller.",
                parameters={"merchantLocationKey": str(key)},
            )
        )
    price = (offer.body.get("pricingSummary") or {}).get("price")
    if not price:
        errors.append(error(25003, "Invalid price. The offer has no price."))
    quantity = offer.body.get("availableQuantity")
    if quantity is None:
        quantity = (
            (item.get("availability") or {}).get("shipToLocationAvailability") or {}
        ).get("quantity")
    if not isinstance(quantity, int) or quantity < 1:
        errors.append(
            error(25004, "Invalid quantity. A listing needs at least 1 item available.")
        )
    return errors


def _content_errors(
    tree: dict[str, Category], product: dict[str, Any], category_id: Any, site: str
) -> list[Err]:
    errors: list[Err] = []
    title = str(product.get("title") or "")
    if not title:
        errors.append(
            error(
                25002,
                "A user error has occurred. The title is missing.",
                parameters={"fieldName": "title"},
            )
        )
    elif len(title) > MAX_TITLE:
        errors.append(
            error(
                25002,
                f"A user error has occurred. The title is {len(title)} "
                f"characters; the maximum is {MAX_TITLE}.",
                parameters={"fieldName": "title"},
            )
        )
    if not product.get("imageUrls"):
        errors.append(
            error(25014, "Invalid pictures. At least one picture is required.")
        )
    if not (product.get("description") or ""):
        errors.append(
            error(
                25016,
                "Invalid description. A description is required.",
                parameters={"fieldName": "description"},
            )
        )
    category = tree.get(str(category_id or ""))
    if category is None or not category.leaf:
        errors.append(
            error(
                25005,
                f"Invalid category. {category_id} is not a leaf category on {site}.",
                parameters={"categoryId": str(category_id)},
            )
        )
        return errors
    aspects = product.get("aspects") or {}
    errors += _aspect_value_errors(category, aspects)
    for name in category.required_aspects:
        values = [str(v).strip() for v in aspects.get(name) or [] if str(v).strip()]
        if not values:
            errors.append(
                error(
                    25002,
                    f"A user error has occurred. The item specific {name} is missing. "
                    f"Add {name} "
                    f"to this listing, enter a valid value, and then try again.",
                    parameters={"aspectName": name},
                )
            )
    return errors


def _aspect_value_errors(category: Category, aspects: dict[str, Any]) -> list[Err]:
    """Values outside a closed list (eBay's SELECTION_ONLY aspects)."""
    errors = []
    for name, allowed in category.aspect_values.items():
        for value in aspects.get(name) or []:
            if str(value).strip() and str(value).strip() not in allowed:
                errors.append(
                    error(
                        25002,
                        f"A user error has occurred. The value {value} is not "
                        f"allowed for the item specific {name}. Choose one of "
                        f"{', '.join(allowed)}.",
                        parameters={"aspectName": name},
                    )
                )
    return errors


def _policy_errors(seller: Seller, offer: Offer) -> list[Err]:
    policies = offer.body.get("listingPolicies") or {}
    errors = []
    for kind, field, code in (
        ("fulfillment", "fulfillmentPolicyId", 25007),
        ("payment", "paymentPolicyId", 25008),
        ("return", "returnPolicyId", 25009),
    ):
        found = seller.policies[kind].get(str(policies.get(field) or ""))
        if found is None or found.get("marketplaceId") != offer.marketplace_id:
            errors.append(
                error(
                    code,
                    f"Invalid {kind} policy information. {field} is missing "
                    f"or unknown.",
                    parameters={"fieldName": field},
                )
            )
    return errors
