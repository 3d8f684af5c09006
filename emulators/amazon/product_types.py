"""The product type schemas the emulator serves, written by the project in
Amazon's schema format (JSON Schema 2019-09 plus Amazon's keywords).

They cover what Daejeon's demo products need (tea, rice snacks, tumblers,
kitchen scales, creams and sheet masks) and bedding (``HOME_BED_AND_BATH``). Like
Amazon's, every attribute is an array of objects with ``selectors``;
``brand`` is required, and a GTIN (``externally_assigned_product_identifier``)
is required unless ``supplier_declared_has_product_identifier_exemption`` is
declared true. With a seller id, ``brand`` lists the brands that seller may use.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any

META_SCHEMA_ID = "https://schemas.amazon.com/selling-partners/definitions/product-types/meta-schema/v1"
SCHEMA_VERSION = "U1d3b5c8e-0001-4c6f-9b33-export-hub-1"
COUNTRIES = ["KR", "US", "CN", "JP", "DE", "VN", "TW", "GB", "FR", "IT"]


@dataclass(frozen=True)
class ProductTypeSpec:
    name: str
    display_name: str
    item_type_keywords: tuple[str, ...]
    #: Extra text attributes: name -> (title, max UTF-8 bytes).
    extra_text: tuple[tuple[str, str, int], ...] = ()
    #: Extra required attributes beyond the common ones.
    extra_required: tuple[str, ...] = ()


PRODUCT_TYPES: dict[str, ProductTypeSpec] = {
    spec.name: spec
    for spec in (
        ProductTypeSpec("TEA", "Tea", ("tea-bags", "loose-leaf-tea", "herbal-tea")),
        ProductTypeSpec(
            "SNACK_CHIP_AND_CRISP", "Snack Chip and Crisp", ("rice-snacks", "chips")
        ),
        ProductTypeSpec(
            "DRINKING_CUP",
            "Drinking Cup",
            ("tumblers", "travel-mugs", "drinking-cups"),
            (("material", "Material", 200), ("color", "Colour", 100)),
        ),
        ProductTypeSpec(
            "KITCHEN_SCALE",
            "Kitchen Scale",
            ("kitchen-scales", "digital-kitchen-scales"),
            (("color", "Colour", 100),),
        ),
        ProductTypeSpec(
            "SKIN_MOISTURIZER",
            "Skin Moisturizer",
            ("face-moisturizers", "body-lotions"),
            (("skin_type", "Skin Type", 100),),
        ),
        ProductTypeSpec(
            "SKIN_CARE_AGENT",
            "Skin Care Agent",
            ("facial-masks", "serums", "skin-care-sets"),
            (("skin_type", "Skin Type", 100),),
        ),
        ProductTypeSpec(
            "HOME_BED_AND_BATH",
            "Home Bed and Bath",
            ("bath-towels", "bed-sheets", "pillowcases", "blankets"),
            (("material", "Material", 200), ("size", "Size", 100)),
            ("material",),
        ),
    )
}
MAX_OTHER_IMAGES = 8
WEIGHT_UNITS = ["grams", "kilograms", "ounces", "pounds"]
LENGTH_UNITS = ["millimeters", "centimeters", "meters", "inches"]
DG_HZ = [
    "ghs",
    "not_applicable",
    "other",
    "storage",
    "transportation",
    "unknown",
    "waste",
]


def _localized(title: str, max_bytes: int, *, max_unique: int = 1) -> dict[str, Any]:
    return {
        "title": title,
        "type": "array",
        "minItems": 1,
        "minUniqueItems": 1,
        "maxUniqueItems": max_unique,
        "selectors": ["marketplace_id", "language_tag"],
        "items": {
            "type": "object",
            "required": ["language_tag", "value"],
            "properties": {
                "value": {
                    "title": title,
                    "editable": True,
                    "hidden": False,
                    "type": "string",
                    "minLength": 1,
                    "maxLength": max_bytes,
                    "maxUtf8ByteLength": max_bytes,
                },
                "language_tag": {"$ref": "#/$defs/language_tag"},
                "marketplace_id": {"$ref": "#/$defs/marketplace_id"},
            },
            "additionalProperties": False,
        },
    }


def _single(title: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": title,
        "type": "array",
        "minItems": 1,
        "minUniqueItems": 1,
        "maxUniqueItems": 1,
        "selectors": ["marketplace_id"],
        "items": {
            "type": "object",
            "required": ["value"],
            "properties": {
                "value": {"title": title, "editable": True, "hidden": False, **value},
                "marketplace_id": {"$ref": "#/$defs/marketplace_id"},
            },
            "additionalProperties": False,
        },
    }


def _measure(units: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["value", "unit"],
        "properties": {
            "value": {"type": "number", "exclusiveMinimum": 0},
            "unit": {"type": "string", "enum": units},
        },
        "additionalProperties": False,
    }


def _weight(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "type": "array",
        "minItems": 1,
        "maxUniqueItems": 1,
        "selectors": ["marketplace_id"],
        "items": {
            "type": "object",
            "required": ["value", "unit"],
            "properties": {
                **_measure(WEIGHT_UNITS)["properties"],
                "marketplace_id": {"$ref": "#/$defs/marketplace_id"},
            },
            "additionalProperties": False,
        },
    }


def _dimensions() -> dict[str, Any]:
    return {
        "title": "Item Package Dimensions",
        "type": "array",
        "minItems": 1,
        "maxUniqueItems": 1,
        "selectors": ["marketplace_id"],
        "items": {
            "type": "object",
            "required": ["length", "width", "height"],
            "properties": {
                "length": _measure(LENGTH_UNITS),
                "width": _measure(LENGTH_UNITS),
                "height": _measure(LENGTH_UNITS),
                "marketplace_id": {"$ref": "#/$defs/marketplace_id"},
            },
            "additionalProperties": False,
        },
    }


def _image(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "type": "array",
        "minItems": 1,
        "maxUniqueItems": 1,
        "selectors": ["marketplace_id"],
        "items": {
            "type": "object",
            "required": ["media_location"],
            "properties": {
                "media_location": {"type": "string", "format": "uri", "minLength": 1},
                "marketplace_id": {"$ref": "#/$defs/marketplace_id"},
            },
            "additionalProperties": False,
        },
    }


def _offer() -> dict[str, Any]:
    price = {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["schedule"],
            "properties": {
                "schedule": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["value_with_tax"],
                        "properties": {
                            "value_with_tax": {"type": "number", "minimum": 0.01}
                        },
                        "additionalProperties": False,
                    },
                }
            },
            "additionalProperties": False,
        },
    }
    return {
        "title": "Purchasable Offer",
        "type": "array",
        "minItems": 1,
        "maxUniqueItems": 1,
        "selectors": ["marketplace_id", "currency", "audience"],
        "items": {
            "type": "object",
            "required": ["currency", "our_price"],
            "properties": {
                "currency": {"type": "string", "enum": ["USD", "EUR", "GBP", "JPY"]},
                "audience": {"type": "string", "enum": ["ALL", "B2B"]},
                "our_price": price,
                "marketplace_id": {"$ref": "#/$defs/marketplace_id"},
            },
            "additionalProperties": False,
        },
    }


def _fulfillment() -> dict[str, Any]:
    return {
        "title": "Fulfillment Availability",
        "type": "array",
        "minItems": 1,
        "maxUniqueItems": 1,
        "selectors": ["fulfillment_channel_code"],
        "items": {
            "type": "object",
            "required": ["fulfillment_channel_code"],
            "properties": {
                "fulfillment_channel_code": {"type": "string", "enum": ["DEFAULT"]},
                "quantity": {"type": "integer", "minimum": 0},
            },
            "additionalProperties": False,
        },
    }


def _gtin_rule() -> dict[str, Any]:
    declared_exempt = {
        "required": ["supplier_declared_has_product_identifier_exemption"],
        "properties": {
            "supplier_declared_has_product_identifier_exemption": {
                "contains": {
                    "required": ["value"],
                    "properties": {"value": {"enum": [True]}},
                }
            }
        },
    }
    return {
        "if": {"not": declared_exempt},
        "then": {"required": ["externally_assigned_product_identifier"]},
    }


def build_schema(
    spec: ProductTypeSpec,
    marketplace_id: str,
    language_tag: str = "en_US",
    approved_brands: list[str] | None = None,
) -> dict[str, Any]:
    """The schema document for ``spec`` (``approved_brands``: seller-specific)."""
    brand_value: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 100}
    if approved_brands is not None:
        brand_value["anyOf"] = [
            {"type": "string"},
            {
                "type": "string",
                "enum": list(approved_brands),
                "enumNames": list(approved_brands),
            },
        ]
    properties: dict[str, Any] = {
        "item_name": _localized("Item Name", 200),
        "brand": _localized("Brand Name", 100),
        "manufacturer": _localized("Manufacturer", 100),
        "product_description": _localized("Product Description", 2000),
        "bullet_point": _localized("Bullet Point", 500, max_unique=5),
        "item_type_keyword": _single(
            "Item Type Keyword",
            {"type": "string", "enum": list(spec.item_type_keywords)},
        ),
        "country_of_origin": _single(
            "Country of Origin", {"type": "string", "enum": COUNTRIES}
        ),
        "condition_type": _single(
            "Item Condition",
            {
                "type": "string",
                "enum": ["new_new", "refurbished_refurbished", "used_good"],
            },
        ),
        "supplier_declared_has_product_identifier_exemption": _single(
            "Has GTIN exemption?", {"type": "boolean", "enum": [False, True]}
        ),
        "externally_assigned_product_identifier": {
            "title": "External Product ID",
            "type": "array",
            "minItems": 1,
            "maxUniqueItems": 1,
            "selectors": ["marketplace_id", "type"],
            "items": {
                "type": "object",
                "required": ["type", "value"],
                "properties": {
                    "type": {"type": "string", "enum": ["ean", "gtin", "upc"]},
                    "value": {"type": "string", "pattern": "^[0-9]{8,14}$"},
                    "marketplace_id": {"$ref": "#/$defs/marketplace_id"},
                },
                "additionalProperties": False,
            },
        },
        "purchasable_offer": _offer(),
        "fulfillment_availability": _fulfillment(),
        "main_product_image_locator": _image("Main Image Location"),
        "supplier_declared_dg_hz_regulation": _single(
            "Dangerous Goods Regulations", {"type": "string", "enum": DG_HZ}
        ),
        "item_weight": _weight("Item Weight"),
        "item_package_weight": _weight("Item Package Weight"),
        "item_package_dimensions": _dimensions(),
    }
    properties["brand"]["items"]["properties"]["value"].update(brand_value)
    for index in range(1, MAX_OTHER_IMAGES + 1):
        properties[f"other_product_image_locator_{index}"] = _image(
            f"Other Image Location {index}"
        )
    for name, title, max_bytes in spec.extra_text:
        properties[name] = _localized(title, max_bytes)
    return {
        "$schema": META_SCHEMA_ID,
        "$id": "https://schemas.amazon.com/selling-partners/definitions/product-types/"
        f"schema/v1/{spec.name}",
        "$comment": f"Export Hub emulator definition for {spec.name}",
        "$defs": {
            "marketplace_id": {
                "default": marketplace_id,
                "editable": False,
                "hidden": True,
                "type": "string",
                "anyOf": [
                    {"type": "string"},
                    {"type": "string", "enum": [marketplace_id]},
                ],
            },
            "language_tag": {
                "default": language_tag,
                "editable": False,
                "hidden": True,
                "type": "string",
                "anyOf": [
                    {"type": "string"},
                    {"type": "string", "enum": [language_tag]},
                ],
            },
        },
        "type": "object",
        "required": [
            "brand",
            "bullet_point",
            "country_of_origin",
            "item_name",
            "product_description",
            "supplier_declared_dg_hz_regulation",
            *spec.extra_required,
        ],
        "properties": properties,
        "allOf": [_gtin_rule()],
        "additionalProperties": False,
    }


def schema_bytes(schema: dict[str, Any]) -> bytes:
    return json.dumps(schema, sort_keys=True, ensure_ascii=False).encode("utf-8")


def checksum(document: bytes, form: str = "base64") -> str:
    """Amazon's schema checksum, the MD5 of the document: Base64 as the model's
    text says, or ``hex`` as its example shows."""
    digest = hashlib.md5(document, usedforsecurity=False).digest()
    return digest.hex() if form == "hex" else base64.b64encode(digest).decode()


def offer_only(schema: dict[str, Any]) -> dict[str, Any]:
    """The ``LISTING_OFFER_ONLY`` variant: only the offer attributes required."""
    reduced = copy.deepcopy(schema)
    reduced["required"] = []
    reduced["allOf"] = []
    return reduced
