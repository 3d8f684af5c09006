"""What every marketplace's renderer shares: the input and output records,
:func:`brand_text` (templates, branding mode, word-boundary limits) and
:func:`finish_listing`, which returns a :class:`RenderedListing` with per-part
hashes (content, price, quantity, images) so the sync sends only what changed.

The renderers (:func:`export_hub.brand.amazon.render_amazon`,
:func:`export_hub.brand.ebay.render_ebay`) build on this module, and
:func:`export_hub.brand.render.render_listing` picks one by marketplace.

Rendering is pure: no I/O, no clock. It raises :class:`RenderError` carrying
pre-flight issues when the content cannot be sent as it is (Hangul in English
content, a required text missing, a word longer than a limit).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connectors.base import ListingPayload
from export_hub.accounts.models import Company
from export_hub.brand.config import BrandConfig, BrandingMode, Limits, Templates
from export_hub.brand.sent import listing_brand
from export_hub.brand.text import (
    TooLongWithoutBoundary,
    content_hash,
    fits,
    hangul_paths,
    normalise_space,
    truncate_words,
)
from export_hub.catalog.models import Product, ProductImage
from export_hub.errors import ExportHubError, MarketplaceIssue
from export_hub.marketplaces.models import SellerAccount

HASH_PARTS = ("content", "price", "quantity", "images")


class RenderError(ExportHubError):
    """The listing cannot be rendered as it is; ``issues`` say why."""

    def __init__(self, issues: Sequence[MarketplaceIssue]):
        self.issues = tuple(issues)
        super().__init__("; ".join(f"{i.code}: {i.message}" for i in self.issues))


@dataclass(frozen=True)
class ListingInput:
    """Everything a listing is rendered from.

    ``images`` are the product's images in order (pass them explicitly: the
    ORM relationship is never lazily loaded). ``quantity`` defaults to the
    product's; the sync passes 0 to zero an out-of-stock listing.
    """

    product: Product
    company: Company
    seller: SellerAccount
    images: Sequence[ProductImage]
    price: Decimal
    currency: str = "USD"
    quantity: int | None = None
    sku: str | None = None
    #: Product-specific Amazon attributes (material, colour, ...) as
    #: name -> values; ``marketplace_id`` is added. The brand's own attributes
    #: (title, brand, identifiers, offer) always win over these.
    extra_attributes: Mapping[str, Sequence[Mapping[str, Any]]] = field(
        default_factory=dict
    )
    #: Product-specific eBay item specifics (name -> values).
    extra_aspects: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @property
    def listing_sku(self) -> str:
        # One seller account belongs to one company, so the company's own SKU
        # is unique per seller and marketplace.
        return self.sku or self.product.sku

    @property
    def listing_quantity(self) -> int:
        return self.product.quantity if self.quantity is None else self.quantity


@dataclass(frozen=True)
class RenderedListing:
    """One marketplace's body for one listing, with its part hashes."""

    marketplace: str
    sku: str
    body: dict[str, Any]
    price: Decimal
    currency: str
    quantity: int
    brand: str
    manufacturer: str
    mode: BrandingMode
    image_urls: tuple[str, ...]
    hashes: Mapping[str, str] = field(default_factory=dict)

    def payload(self) -> ListingPayload:
        """The connector contract's record for this listing."""
        return ListingPayload(
            sku=self.sku,
            content=self.body,
            price=self.price,
            currency=self.currency,
            quantity=self.quantity,
        )

    def changed_parts(self, sent: Mapping[str, str]) -> list[str]:
        """Parts whose hash differs from what was last sent (in HASH_PARTS order)."""
        return [part for part in HASH_PARTS if sent.get(part) != self.hashes[part]]


@dataclass(frozen=True)
class BrandedText:
    """Title, bullets and description after templates and limits."""

    title: str
    bullets: tuple[str, ...]
    description: str
    brand: str
    manufacturer: str
    mode: BrandingMode


def preflight_issue(
    code: str, message: str, *attributes: str, severity: str = "ERROR"
) -> MarketplaceIssue:
    """An issue found before sending (category ``PREFLIGHT``)."""
    return MarketplaceIssue(
        code=code,
        message=message,
        severity=severity,
        attribute_names=attributes,
        categories=("PREFLIGHT",),
    )


def template_values(
    config: BrandConfig, product: Product, company: Company, mode: BrandingMode
) -> dict[str, str]:
    company_brand = (company.own_brand or company.name_en).strip()
    return {
        "name": normalise_space(product.name_en),
        "shared_brand": config.name,
        "brand": listing_brand(config, company),
        "company_brand": company_brand,
        "company": company.name_en.strip(),
        "line": config.brand.line,
        "story": normalise_space(config.brand.story),
        "description": normalise_space(product.description_en),
        "category": product.category,
    }


def fill(template: str, values: Mapping[str, str]) -> str:
    """Substitute ``values``, tidy spaces, and say a brand only once where the
    product name already starts with it ("Hanbit Hanbit Bracelet")."""
    text = normalise_space(string.Template(template).substitute(values))
    for brand in {values.get("company_brand", ""), values.get("shared_brand", "")}:
        if brand:
            text = re.sub(
                rf"(?<!\S){re.escape(brand)}\s+{re.escape(brand)}(?!\S)",
                brand,
                text,
                flags=re.IGNORECASE,
            )
    return text


def compose_title(template: str, values: Mapping[str, str], limits: Limits) -> str:
    """Fill ``template``; when too long, shorten the product name first (so the
    brand words survive), then the whole title, always at a word boundary."""
    full = fill(template, values)
    if fits(full, limits.title_chars, limits.title_bytes):
        return full
    name = values["name"]
    if "$name" in template or "${name}" in template:
        without = fill(template, {**values, "name": ""})
        spare_chars = limits.title_chars - len(without) - 1
        spare_bytes = limits.title_bytes - len(without.encode()) - 1
        if spare_chars > 0 and spare_bytes > 0:
            try:
                short = truncate_words(name, spare_chars, spare_bytes)
            except TooLongWithoutBoundary:
                short = ""
            if short:
                title = fill(template, {**values, "name": short})
                if fits(title, limits.title_chars, limits.title_bytes):
                    return title
    return truncate_words(full, limits.title_chars, limits.title_bytes)


def brand_text(
    config: BrandConfig, marketplace: str, product: Product, company: Company
) -> BrandedText:
    """Apply the company's branding mode and the marketplace templates and limits."""
    mode = config.mode_for(company.branding_mode)
    templates: Templates = config.templates_for(marketplace, mode)
    limits = config.limits[marketplace]
    values = template_values(config, product, company, mode)
    issues: list[MarketplaceIssue] = []
    if not values["name"]:
        issues.append(
            preflight_issue(
                "PREFLIGHT_ATTRIBUTE_MISSING",
                "English product name is empty",
                "item_name",
            )
        )
    if not values["company"]:
        issues.append(
            preflight_issue(
                "PREFLIGHT_ATTRIBUTE_MISSING",
                "English company name is empty",
                "manufacturer",
            )
        )
    if mode is BrandingMode.DUAL and not values["company_brand"]:
        issues.append(
            preflight_issue(
                "PREFLIGHT_BRAND_MISSING", "the company has no brand name", "brand"
            )
        )
    if issues:
        raise RenderError(issues)
    try:
        title = compose_title(templates.title, values, limits)
        bullets = _bullets(product, templates, values, limits)
        description = truncate_words(
            string.Template(templates.description).substitute(values),
            limits.description_chars,
            limits.description_bytes,
        )
    except TooLongWithoutBoundary as exc:
        raise RenderError(
            [preflight_issue("PREFLIGHT_TEXT_TOO_LONG", str(exc))]
        ) from exc
    return BrandedText(
        title=title,
        bullets=bullets,
        description=description,
        brand=values["brand"],
        manufacturer=values["company"],
        mode=mode,
    )


def _bullets(
    product: Product, templates: Templates, values: Mapping[str, str], limits: Limits
) -> tuple[str, ...]:
    own = [normalise_space(b) for b in product.bullets_en or [] if b and b.strip()]
    brand_lines = [
        normalise_space(string.Template(t).substitute(values))
        for t in templates.bullets
    ]
    # The brand's bullets are kept even when the product fills every slot.
    room = max(limits.bullet_count - len(brand_lines), 0)
    chosen = (own[:room] + brand_lines)[: limits.bullet_count]
    return tuple(
        truncate_words(b, limits.bullet_chars, limits.bullet_bytes) for b in chosen
    )


def public_image_url(public_base_url: str, stored_name: str) -> str:
    """Where marketplaces fetch an uploaded image: ``<base>/media/<stored_name>``."""
    return f"{public_base_url.rstrip('/')}/media/{stored_name}"


def check_no_hangul(body: Mapping[str, Any]) -> None:
    """Raise :class:`RenderError` naming every English field that holds Hangul."""
    paths = list(hangul_paths(dict(body)))
    if paths:
        raise RenderError(
            [
                preflight_issue(
                    "PREFLIGHT_HANGUL_IN_ENGLISH",
                    "Korean text in English marketplace content: " + ", ".join(paths),
                    *paths,
                )
            ]
        )


def part_hashes(
    content: Any,
    price: Decimal,
    currency: str,
    quantity: int,
    image_urls: Sequence[str],
) -> dict[str, str]:
    return {
        "content": content_hash(content),
        "price": content_hash({"price": price, "currency": currency}),
        "quantity": content_hash({"quantity": quantity}),
        "images": content_hash(list(image_urls)),
    }


def finish_listing(
    marketplace: str,
    listing: ListingInput,
    body: dict[str, Any],
    content: Any,
    text: BrandedText,
    image_urls: tuple[str, ...],
) -> RenderedListing:
    """Reject Hangul anywhere in ``body`` and hash its parts."""
    check_no_hangul(body)
    quantity = listing.listing_quantity
    return RenderedListing(
        marketplace=marketplace,
        sku=listing.listing_sku,
        body=body,
        price=listing.price,
        currency=listing.currency,
        quantity=quantity,
        brand=text.brand,
        manufacturer=text.manufacturer,
        mode=text.mode,
        image_urls=image_urls,
        hashes=part_hashes(
            content, listing.price, listing.currency, quantity, image_urls
        ),
    )
