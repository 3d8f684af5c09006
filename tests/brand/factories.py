"""Transient (unsaved) products, companies and seller accounts for render tests."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from export_hub.accounts.models import Company
from export_hub.brand.base import ListingInput
from export_hub.brand.config import BrandConfig, load_brand
from export_hub.catalog.models import Condition, Product, ProductImage, ReviewState
from export_hub.marketplaces.models import SellerAccount

ROOT = Path(__file__).resolve().parents[2]
BASE_URL = "https://hub.example.org"


def brand_config() -> BrandConfig:
    return load_brand(ROOT / "config" / "brand.toml")


def company(**kw: Any) -> Company:
    fields: dict[str, Any] = {
        "id": 7,
        "name_ko": "한빛공방",
        "name_en": "Hanbit Craft",
        "brn": "2208162517",
        "own_brand": "Hanbit",
        "branding_mode": "",
        "margin_floor_percent": 10.0,
    }
    fields.update(kw)
    return Company(**fields)


def product(**kw: Any) -> Product:
    fields: dict[str, Any] = {
        "id": 11,
        "company_id": 7,
        "sku": "HB-BR-001",
        "name_ko": "은 팔찌",
        "name_en": "Handmade Sterling Silver Bracelet",
        "description_ko": "수제 은 팔찌",
        "description_en": "A sterling silver bracelet, hand-finished in Daejeon.",
        "bullets_en": ["925 sterling silver", "Adjustable length 16-19 cm"],
        "category": "Jewelry",
        "amazon_product_type": "BRACELET",
        "ebay_categories": {"EBAY_US": "137835"},
        "brand": "Hanbit",
        "gtin": "8801234567893",
        "gtin_exempt": False,
        "hs_code": "711311",
        "country_of_origin": "KR",
        "cost_krw": 20000,
        "price_krw": 39000,
        "target_price_usd": None,
        "weight_g": 120,
        "length_mm": 150,
        "width_mm": 80,
        "height_mm": 25,
        "quantity": 12,
        "condition": Condition.NEW,
        "state": ReviewState.APPROVED,
    }
    fields.update(kw)
    return Product(**fields)


def images(n: int = 2) -> list[ProductImage]:
    return [
        ProductImage(
            id=i + 1,
            product_id=11,
            stored_name=f"{'ab' * 16}{i}.jpg",
            content_type="image/jpeg",
            width=1200,
            height=1200,
            size_bytes=1000,
            sha256="0" * 64,
            position=i,
        )
        for i in range(n)
    ]


def seller(marketplace: str = "amazon", **kw: Any) -> SellerAccount:
    fields: dict[str, Any] = {
        "id": 3,
        "company_id": 7,
        "marketplace": marketplace,
        "marketplace_id": "ATVPDKIKX0DER" if marketplace == "amazon" else "EBAY_US",
        "region": "na" if marketplace == "amazon" else "",
        "seller_id": "A2SELLER" if marketplace == "amazon" else "hanbit_kr",
        "approved_brands": [],
        "last_check_ok": True,  # a connection test told us its brands
        "setup": {}
        if marketplace == "amazon"
        else {
            "fulfillment_policy_id": "6196932000",
            "payment_policy_id": "6196935000",
            "return_policy_id": "6196938000",
            "merchant_location_key": "daejeon-1",
        },
    }
    fields.update(kw)
    return SellerAccount(**fields)


def listing_input(
    marketplace: str = "amazon",
    *,
    price: str = "29.99",
    product_kw: dict[str, Any] | None = None,
    company_kw: dict[str, Any] | None = None,
    seller_kw: dict[str, Any] | None = None,
    n_images: int = 2,
    quantity: int | None = None,
) -> ListingInput:
    return ListingInput(
        product=product(**(product_kw or {})),
        company=company(**(company_kw or {})),
        seller=seller(marketplace, **(seller_kw or {})),
        images=images(n_images),
        price=Decimal(price),
        quantity=quantity,
    )
