"""The pre-flight check: what the marketplace would reject, found before sending.

:func:`preflight` renders the listing and checks the brand-level rules — brand,
manufacturer and GTIN owner consistent with the branding mode and the
seller's approved brands, a GTIN or an exemption, images, price bounds,
marketplace set-up — and, for Amazon, the product type schema (its
``required`` list here; full validation by the validator passed in, e.g. the
Amazon connector's). Issues are :class:`~export_hub.errors.MarketplaceIssue`
with ``PREFLIGHT_*`` codes, explained by :mod:`export_hub.listings.explain`.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from stdnum import ean
from stdnum.exceptions import ValidationError as StdnumError

from export_hub.brand.base import (
    ListingInput,
    RenderedListing,
    RenderError,
    preflight_issue,
)
from export_hub.brand.config import BrandConfig, BrandingMode
from export_hub.brand.ebay import LOCATION_KEY, SETUP_KEYS, listing_category_id
from export_hub.brand.render import render_listing
from export_hub.brand.sent import brand_approval
from export_hub.catalog.taxonomy import FILLED_ASPECTS, load_taxonomy
from export_hub.errors import MarketplaceIssue

#: ``validator(schema, attributes)`` -> issues; e.g. the Amazon connector's
#: product type schema validator.
SchemaValidator = Callable[
    [Mapping[str, Any], Mapping[str, Any]], Iterable[MarketplaceIssue]
]

SKU_MAX = {"amazon": 40, "ebay": 50}


@dataclass(frozen=True)
class PriceBounds:
    """Acceptable prices: ``floor`` (cost + margin + fees) up to ``cap``."""

    floor: Decimal
    cap: Decimal


@dataclass(frozen=True)
class PreflightResult:
    rendered: RenderedListing | None
    issues: tuple[MarketplaceIssue, ...]

    @property
    def ok(self) -> bool:
        """True when nothing blocks sending (warnings do not)."""
        return self.rendered is not None and not any(
            i.severity == "ERROR" for i in self.issues
        )

    @property
    def codes(self) -> list[str]:
        return [i.code for i in self.issues]


def preflight(
    config: BrandConfig,
    listing: ListingInput,
    *,
    public_base_url: str,
    bounds: PriceBounds | None = None,
    schema: Mapping[str, Any] | None = None,
    validator: SchemaValidator | None = None,
) -> PreflightResult:
    """Render ``listing`` and collect every pre-flight issue (never raises them)."""
    issues: list[MarketplaceIssue] = []
    rendered: RenderedListing | None = None
    try:
        rendered = render_listing(config, listing, public_base_url=public_base_url)
    except RenderError as exc:
        issues.extend(exc.issues)
    issues.extend(_identifier_issues(config, listing))
    issues.extend(_brand_issues(config, listing, rendered))
    issues.extend(_offer_issues(listing, bounds))
    marketplace = listing.seller.marketplace
    if marketplace == "amazon":
        issues.extend(_amazon_issues(listing, rendered, schema, validator))
    elif marketplace == "ebay":
        issues.extend(_ebay_issues(listing))
    if len(listing.listing_sku) > SKU_MAX.get(marketplace, 40):
        issues.append(
            preflight_issue(
                "PREFLIGHT_SKU_INVALID",
                f"SKU longer than {SKU_MAX.get(marketplace, 40)} characters",
                "sku",
            )
        )
    return PreflightResult(rendered, tuple(_unique(issues)))


def _unique(issues: Iterable[MarketplaceIssue]) -> list[MarketplaceIssue]:
    seen: set[tuple[str, tuple[str, ...]]] = set()
    out = []
    for issue in issues:
        key = (issue.code, issue.attribute_names)
        if key not in seen:
            seen.add(key)
            out.append(issue)
    return out


def _identifier_issues(
    config: BrandConfig, listing: ListingInput
) -> list[MarketplaceIssue]:
    product = listing.product
    if not product.gtin:
        if product.gtin_exempt:
            return []
        return [
            preflight_issue(
                "PREFLIGHT_GTIN_MISSING",
                "neither a GTIN nor a GTIN exemption",
                "externally_assigned_product_identifier",
            )
        ]
    try:
        ean.validate(product.gtin)
    except StdnumError:
        return [
            preflight_issue(
                "PREFLIGHT_GTIN_INVALID",
                f"GTIN {product.gtin} has a wrong check digit or length",
                "externally_assigned_product_identifier",
            )
        ]
    mode = config.mode_for(listing.company.branding_mode)
    prefixes = config.brand.gs1_company_prefixes
    # In co-brand mode the marketplace brand is the shared brand, so the GTIN's
    # GS1 owner must be the brand holder (Amazon 8566/8572 otherwise).
    gtin13 = product.gtin.zfill(13)
    if mode is BrandingMode.CO_BRAND and not any(
        gtin13.startswith(p) or product.gtin.startswith(p) for p in prefixes
    ):
        return [
            preflight_issue(
                "PREFLIGHT_GTIN_OWNER_MISMATCH",
                f"GTIN {product.gtin} is not licensed to the brand {config.name}",
                "externally_assigned_product_identifier",
                "brand",
            )
        ]
    return []


def _brand_issues(
    config: BrandConfig, listing: ListingInput, rendered: RenderedListing | None
) -> list[MarketplaceIssue]:
    if rendered is None or listing.seller.marketplace != "amazon":
        return []
    issues = []
    approval = brand_approval(listing.seller)
    if not approval.known:
        # Unchecked, Amazon would answer 5665 after the fact: check first.
        issues.append(
            preflight_issue(
                "PREFLIGHT_BRAND_UNCHECKED",
                f"brand approval of seller {listing.seller.seller_id} not checked"
                " yet: run the connection test",
                "brand",
            )
        )
    elif not approval.allows(rendered.brand):
        issues.append(
            preflight_issue(
                "PREFLIGHT_BRAND_NOT_APPROVED",
                f"seller {listing.seller.seller_id} may not list under brand "
                f"{rendered.brand!r} (approved: {sorted(approval.approved)})",
                "brand",
            )
        )
    if rendered.mode is BrandingMode.CO_BRAND and rendered.manufacturer.casefold() == (
        config.name.casefold()
    ):
        issues.append(
            preflight_issue(
                "PREFLIGHT_MANUFACTURER_INVALID",
                "co-brand: the manufacturer is the company, not the shared brand",
                "manufacturer",
            )
        )
    return issues


def _offer_issues(
    listing: ListingInput, bounds: PriceBounds | None
) -> list[MarketplaceIssue]:
    issues = []
    price = listing.price
    if price <= 0:
        issues.append(
            preflight_issue("PREFLIGHT_PRICE_MISSING", "no price", "purchasable_offer")
        )
    elif bounds is not None and price < bounds.floor:
        issues.append(
            preflight_issue(
                "PREFLIGHT_PRICE_BELOW_FLOOR",
                f"price {price} {listing.currency} is below the floor {bounds.floor}",
                "purchasable_offer",
            )
        )
    elif bounds is not None and price > bounds.cap:
        issues.append(
            preflight_issue(
                "PREFLIGHT_PRICE_ABOVE_CAP",
                f"price {price} {listing.currency} is above the cap {bounds.cap}",
                "purchasable_offer",
            )
        )
    if listing.listing_quantity < 0:
        issues.append(
            preflight_issue(
                "PREFLIGHT_QUANTITY_INVALID",
                "negative quantity",
                "fulfillment_availability",
            )
        )
    if not listing.images:
        issues.append(
            preflight_issue(
                "PREFLIGHT_IMAGE_MISSING",
                "no product image",
                "main_product_image_locator",
            )
        )
    return issues


def _amazon_issues(
    listing: ListingInput,
    rendered: RenderedListing | None,
    schema: Mapping[str, Any] | None,
    validator: SchemaValidator | None,
) -> list[MarketplaceIssue]:
    issues = []
    if not listing.product.amazon_product_type:
        issues.append(
            preflight_issue(
                "PREFLIGHT_ATTRIBUTE_MISSING", "no Amazon product type", "productType"
            )
        )
    if rendered is None or schema is None:
        return issues
    attributes = rendered.body["attributes"]
    missing = [name for name in schema.get("required", []) if name not in attributes]
    if missing:
        issues.append(
            preflight_issue(
                "PREFLIGHT_ATTRIBUTE_MISSING",
                "required by the product type: " + ", ".join(missing),
                *missing,
            )
        )
    if validator is not None:
        issues.extend(validator(schema, attributes))
    return issues


def _ebay_issues(listing: ListingInput) -> list[MarketplaceIssue]:
    issues = []
    site = listing.seller.marketplace_id
    category_id = listing_category_id(listing.product, site)
    if not category_id:
        issues.append(
            preflight_issue(
                "PREFLIGHT_ATTRIBUTE_MISSING",
                f"no eBay category for {site}",
                "categoryId",
            )
        )
    issues.extend(_aspect_issues(listing, site, category_id))
    setup = listing.seller.setup or {}
    missing = [
        key for key in (*SETUP_KEYS.values(), LOCATION_KEY) if not setup.get(key)
    ]
    if missing:
        issues.append(
            preflight_issue(
                "PREFLIGHT_EBAY_SETUP_MISSING",
                "seller account lacks: " + ", ".join(missing),
                *missing,
            )
        )
    return issues


def _aspect_issues(
    listing: ListingInput, site: str, category_id: str
) -> list[MarketplaceIssue]:
    """Item specifics the site's category requires (as the agency's mapping
    knows it) and the company has not filled in: eBay 25002 otherwise."""
    category = load_taxonomy().ebay_category(site, category_id) if category_id else None
    if category is None:
        return []
    given = (listing.product.marketplace_attributes or {}).get("ebay") or {}
    missing = [
        name
        for name in category.required
        if name not in FILLED_ASPECTS and not str(given.get(name) or "").strip()
    ]
    if not missing:
        return []
    return [
        preflight_issue(
            "PREFLIGHT_EBAY_ASPECT_MISSING",
            f"eBay category {category_id} on {site} requires: " + ", ".join(missing),
            *missing,
        )
    ]
