"""The one product validator, shared by the form, the JSON API and bulk import.

:func:`clean_product` takes raw values (form strings, spreadsheet cells or JSON
values) and returns a :class:`ProductFields` or raises ``ValidationFailed``
naming every bad field, in Korean and English.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from export_hub.catalog.attributes import (
    JSON_INPUTS,
    clean_category,
    clean_ebay_categories,
    clean_marketplace_attributes,
)
from export_hub.catalog.models import Condition, Product
from export_hub.catalog.taxonomy import load_taxonomy
from export_hub.errors import FieldErrors
from export_hub.validation import (
    validate_english,
    validate_gtin,
    validate_hs_code,
    validate_text,
)

MAX_BULLETS = 5
SKU_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
PRODUCT_TYPE_RE = re.compile(r"[A-Z][A-Z0-9_]{1,99}")
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "on", "예"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "n", "off", "아니오"})

#: Every input name the validator reads, in form order (also the CSV columns,
#: except that a spreadsheet spells ``bullets_en`` as ``bullet_1``..``bullet_5``).
PRODUCT_INPUTS = (
    "sku",
    "name_ko",
    "name_en",
    "description_ko",
    "description_en",
    "bullets_en",
    "category",
    "amazon_product_type",
    "ebay_categories",
    "marketplace_attributes",
    "brand",
    "gtin",
    "gtin_exempt",
    "hs_code",
    "country_of_origin",
    "cost_krw",
    "price_krw",
    "target_price_usd",
    "weight_g",
    "length_mm",
    "width_mm",
    "height_mm",
    "quantity",
    "condition",
)


#: Fields that change without review, even on an approved product: stock on
#: hand (through the ledger) and the prices. Everything else is content.
OPERATION_FIELDS = ("quantity", "cost_krw", "price_krw", "target_price_usd")
#: The content a company proposes and staff review.
CONTENT_FIELDS = tuple(name for name in PRODUCT_INPUTS if name not in OPERATION_FIELDS)
#: Prices (operation fields other than the stock on hand).
PRICE_FIELDS = ("cost_krw", "price_krw", "target_price_usd")


@dataclass(frozen=True)
class ProductFields:
    """A product's validated content (everything the company may set)."""

    sku: str
    name_ko: str
    name_en: str
    description_ko: str
    description_en: str
    bullets_en: list[str]
    category: str
    amazon_product_type: str
    #: Per-site eBay category overrides (site -> category id).
    ebay_categories: dict[str, str]
    #: ``{"ebay": {aspect: value}, "amazon": {attribute: value}}``.
    marketplace_attributes: dict[str, dict[str, str]]
    brand: str
    gtin: str | None
    gtin_exempt: bool
    hs_code: str
    country_of_origin: str
    cost_krw: int
    price_krw: int
    target_price_usd: Decimal | None
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    quantity: int
    condition: Condition

    def content(self) -> dict[str, Any]:
        """The content fields as JSON values (what a revision stores)."""
        return {
            name: content_json(name, getattr(self, name)) for name in CONTENT_FIELDS
        }

    def apply_content(self, product: Product) -> None:
        """Set the content fields and prices; never the stock on hand, which
        only :mod:`export_hub.stock.ledger` moves."""
        for name in (*CONTENT_FIELDS, *PRICE_FIELDS):
            setattr(product, name, getattr(self, name))

    def content_differs_from(self, product: Product) -> bool:
        return any(getattr(product, k) != getattr(self, k) for k in CONTENT_FIELDS)


def content_json(name: str, value: Any) -> Any:
    """A content field's value as JSON (``condition`` by its value)."""
    if isinstance(value, Condition):
        return value.value
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return {k: dict(v) if isinstance(v, dict) else v for k, v in value.items()}
    return value


def content_of(product: Product) -> dict[str, Any]:
    """The product's live content as JSON values."""
    return {name: content_json(name, getattr(product, name)) for name in CONTENT_FIELDS}


def set_content(product: Product, content: Mapping[str, Any]) -> None:
    """Write a revision's content (JSON values) onto the product. A field the
    revision predates (proposed before the field existed) keeps its value."""
    for name in CONTENT_FIELDS:
        if name not in content:
            continue
        value = content[name]
        setattr(product, name, Condition(value) if name == "condition" else value)


def clean_product(data: Mapping[str, Any]) -> ProductFields:
    """Validate every field of ``data``; raises ``ValidationFailed`` on any error."""
    errors = FieldErrors()
    fields = _clean(data, errors)
    errors.raise_if_any()
    return fields


def _clean(data: Mapping[str, Any], errors: FieldErrors) -> ProductFields:
    def s(name: str) -> str:
        value = data.get(name)
        return "" if value is None else str(value).strip()

    sku = s("sku")
    if not SKU_RE.fullmatch(sku):
        errors.add(
            "sku",
            "SKU는 영문·숫자·._- 로 1–40자입니다.",
            "The SKU is 1–40 letters, digits, '.', '_' or '-'.",
        )
    gtin = validate_gtin(s("gtin"), errors)
    gtin_exempt = _boolean(data.get("gtin_exempt"), errors, "gtin_exempt")
    if gtin is None and not gtin_exempt:
        errors.add(
            "gtin",
            "GTIN(EAN-13/UPC-A)을 입력하거나 GTIN 면제를 선언해 주세요.",
            "Enter a GTIN (EAN-13/UPC-A) or declare a GTIN exemption.",
        )
    cost = clean_integer(data.get("cost_krw"), errors, "cost_krw", minimum=1)
    price = clean_integer(data.get("price_krw"), errors, "price_krw", minimum=1)
    taxonomy = load_taxonomy()
    category = clean_category(s("category"), errors, taxonomy)
    product_type = _product_type(s("amazon_product_type"), errors)
    overrides = clean_ebay_categories(data.get("ebay_categories"), errors, taxonomy)
    return ProductFields(
        sku=sku,
        name_ko=validate_text(s("name_ko"), errors, "name_ko", max_len=200),
        name_en=validate_english(s("name_en"), errors, "name_en", max_len=200),
        description_ko=validate_text(
            s("description_ko"), errors, "description_ko", max_len=4000, multiline=True
        ),
        description_en=validate_english(
            s("description_en"), errors, "description_en", max_len=2000, multiline=True
        ),
        bullets_en=_bullets(data.get("bullets_en"), errors),
        category=category,
        amazon_product_type=product_type,
        ebay_categories=overrides,
        marketplace_attributes=clean_marketplace_attributes(
            data.get("marketplace_attributes"),
            errors,
            taxonomy,
            category=category,
            overrides=overrides,
            product_type=product_type,
        ),
        brand=validate_english(s("brand"), errors, "brand", max_len=100),
        gtin=gtin,
        gtin_exempt=gtin_exempt,
        hs_code=validate_hs_code(s("hs_code"), errors),
        country_of_origin=_country(s("country_of_origin"), errors),
        cost_krw=cost,
        price_krw=price,
        target_price_usd=clean_usd(s("target_price_usd"), errors),
        weight_g=clean_integer(data.get("weight_g"), errors, "weight_g", minimum=1),
        length_mm=clean_integer(data.get("length_mm"), errors, "length_mm", minimum=1),
        width_mm=clean_integer(data.get("width_mm"), errors, "width_mm", minimum=1),
        height_mm=clean_integer(data.get("height_mm"), errors, "height_mm", minimum=1),
        quantity=clean_integer(data.get("quantity"), errors, "quantity", minimum=0),
        condition=_condition(s("condition"), errors),
    )


def _bullets(raw: Any, errors: FieldErrors) -> list[str]:
    if isinstance(raw, list | tuple):
        items = [str(item) for item in raw]
    else:
        items = str(raw or "").splitlines()
    bullets = [item.strip() for item in items if item and item.strip()]
    if len(bullets) > MAX_BULLETS:
        errors.add(
            "bullets_en",
            f"영문 특징은 최대 {MAX_BULLETS}개입니다.",
            f"At most {MAX_BULLETS} English bullet points.",
        )
    for bullet in bullets:
        validate_english(bullet, errors, "bullets_en", max_len=500)
    return bullets


def _boolean(raw: Any, errors: FieldErrors, name: str) -> bool:
    if isinstance(raw, bool):
        return raw
    word = "" if raw is None else str(raw).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word not in FALSE_WORDS:
        errors.add(name, "예/아니오로 입력해 주세요.", "Enter yes or no.")
    return False


def clean_integer(raw: Any, errors: FieldErrors, name: str, *, minimum: int) -> int:
    if isinstance(raw, bool):
        raw = None
    text = "" if raw is None else str(raw).strip().replace(",", "")
    if isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))
    try:
        value = int(text)
    except ValueError:
        errors.add(name, "정수를 입력해 주세요.", "Enter a whole number.")
        return 0
    if value < minimum or value > 2_000_000_000:
        if minimum == 0:
            errors.add(name, "0 이상이어야 합니다.", "Must be 0 or more.")
        else:
            errors.add(name, "0보다 커야 합니다.", "Must be greater than 0.")
    return value


def clean_usd(value: str, errors: FieldErrors) -> Decimal | None:
    if not value:
        return None
    try:
        amount = Decimal(value.removeprefix("$").replace(",", ""))
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount <= 0 or amount >= 100_000_000:
        errors.add(
            "target_price_usd",
            "목표 가격(USD)은 0보다 큰 금액입니다.",
            "The target price (USD) is an amount above 0.",
        )
        return None
    if amount != amount.quantize(Decimal("0.01")):
        errors.add(
            "target_price_usd", "센트 단위까지 입력해 주세요.", "At most two decimals."
        )
        return None
    return amount.quantize(Decimal("0.01"))


def _product_type(value: str, errors: FieldErrors) -> str:
    value = value.upper()
    if value and not PRODUCT_TYPE_RE.fullmatch(value):
        errors.add(
            "amazon_product_type",
            "아마존 상품 유형은 영문 대문자와 _ 입니다 (예: HOME_BED_AND_BATH).",
            "An Amazon product type is capitals and _ (e.g. HOME_BED_AND_BATH).",
        )
    return value


def _country(value: str, errors: FieldErrors) -> str:
    value = (value or "KR").upper()
    if not re.fullmatch(r"[A-Z]{2}", value):
        errors.add(
            "country_of_origin",
            "원산지는 ISO 국가 코드 2자리입니다 (예: KR).",
            "The country of origin is a 2-letter ISO code (e.g. KR).",
        )
    return value


def _condition(value: str, errors: FieldErrors) -> Condition:
    try:
        return Condition(value.lower() or Condition.NEW.value)
    except ValueError:
        errors.add(
            "condition",
            "상품 상태는 new, refurbished, used 중 하나입니다.",
            "The condition is new, refurbished or used.",
        )
        return Condition.NEW


def product_form_values(
    product: Product | None, content: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """A product's fields as the strings a form shows (empty for a new one);
    ``content`` (a pending revision's) replaces the live content fields."""
    if product is None:
        return {"country_of_origin": "KR", "condition": Condition.NEW.value}
    values: dict[str, str] = {}
    for name in PRODUCT_INPUTS:
        value = getattr(product, name)
        if content is not None and name in content:
            value = content[name]
        if name == "bullets_en":
            values[name] = "\n".join(value or [])
        elif name in JSON_INPUTS:
            values[name] = json.dumps(value or {}, ensure_ascii=False)
        elif isinstance(value, bool):
            values[name] = "on" if value else ""
        elif value is None:
            values[name] = ""
        else:
            values[name] = str(value.value if isinstance(value, Condition) else value)
    values["stock_buffer"] = (
        "" if product.stock_buffer is None else str(product.stock_buffer)
    )
    return values
