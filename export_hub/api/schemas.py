"""JSON shapes of the foundation's API: serializers and their OpenAPI schemas."""

from __future__ import annotations

from typing import Any

from export_hub.accounts.companies import COMPANY_FIELDS
from export_hub.accounts.models import Company
from export_hub.catalog.models import (
    AuditEvent,
    Condition,
    Product,
    ProductRevision,
    ReviewState,
    RevisionState,
)
from export_hub.catalog.queries import CompanyRow, Page
from export_hub.catalog.review import ReviewAction
from export_hub.catalog.validation import MAX_BULLETS, PRODUCT_INPUTS

STR = {"type": "string"}
INT = {"type": "integer"}
NULLABLE_TIME = {"type": "string", "format": "date-time", "nullable": True}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def company_json(
    company: Company, counts: dict[str, int] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"id": company.id}
    body |= {name: getattr(company, name) for name in COMPANY_FIELDS}
    body["profile_complete"] = company.profile_complete
    if counts is not None:
        body["product_counts"] = counts
    return body


def product_json(product: Product, *, images: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"id": product.id, "company_id": product.company_id}
    for name in PRODUCT_INPUTS:
        value = getattr(product, name)
        if name == "target_price_usd":
            value = None if value is None else f"{value:.2f}"
        elif name == "condition":
            value = value.value
        body[name] = value
    body |= {
        "reserved": product.reserved,
        "stock_buffer": product.stock_buffer,
        "state": product.state.value,
        "review_reason": product.review_reason,
        "version": product.version,
        "submitted_at": _iso(product.submitted_at),
        "reviewed_at": _iso(product.reviewed_at),
        "created_at": _iso(product.created_at),
        "updated_at": _iso(product.updated_at),
    }
    if images:
        body["images"] = [
            {
                "id": img.id,
                "url": f"/media/{img.stored_name}",
                "content_type": img.content_type,
                "width": img.width,
                "height": img.height,
            }
            for img in product.images
        ]
    return body


def revision_json(revision: ProductRevision | None) -> dict[str, Any] | None:
    """A product's latest revision (images loaded), or ``None``."""
    if revision is None:
        return None
    return {
        "id": revision.id,
        "state": revision.state.value,
        "version": revision.version,
        "content": revision.content,
        "remove_image_ids": list(revision.remove_image_ids),
        "images": [
            {"id": img.id, "url": f"/media/{img.stored_name}"}
            for img in revision.images
        ],
        "reason": revision.reason,
        "created_at": _iso(revision.created_at),
        "decided_at": _iso(revision.decided_at),
    }


def audit_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": _iso(event.at),
        "actor_user_id": event.actor_user_id,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "reason": event.reason,
    }


def page_json(page: Page[Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "items": items,
        "page": page.number,
        "pages": page.pages,
        "per_page": page.per_page,
        "total": page.total,
    }


def company_rows_json(page: Page[CompanyRow]) -> dict[str, Any]:
    return page_json(page, [company_json(r.company, r.counts) for r in page.items])


def _text(max_length: int, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length} | extra


def _count(minimum: int, maximum: int = 2_000_000_000) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


_COMPANY_PROPS = {name: STR for name in COMPANY_FIELDS}
_COMPANY_INPUT_PROPS = {name: _text(300) for name in COMPANY_FIELDS} | {
    "brn": _text(12, description="10-digit business registration number"),
    "email": _text(254, format="email"),
    "postal_code": _text(5, description="a Daejeon postal code, 34000-35999"),
}
_PRODUCT_INPUT_PROPS: dict[str, Any] = {name: _text(200) for name in PRODUCT_INPUTS} | {
    "sku": _text(40, minLength=1, pattern="^[A-Za-z0-9._-]{1,40}$"),
    "description_ko": _text(4000),
    "description_en": _text(2000),
    "bullets_en": {"type": "array", "items": _text(500), "maxItems": MAX_BULLETS},
    "category": _text(100),
    "brand": _text(100),
    "gtin": {
        "type": "string",
        "nullable": True,
        "maxLength": 20,
        "description": "EAN-13 or UPC-A",
    },
    "gtin_exempt": {"type": "boolean"},
    "hs_code": _text(14, description="6-10 digits"),
    "country_of_origin": _text(2, description="ISO 3166-1 alpha-2"),
    "cost_krw": _count(1),
    "price_krw": _count(1),
    "target_price_usd": {
        "type": "string",
        "nullable": True,
        "maxLength": 20,
        "example": "19.90",
    },
    "weight_g": _count(1),
    "length_mm": _count(1),
    "width_mm": _count(1),
    "height_mm": _count(1),
    "quantity": _count(0),
    "condition": {"type": "string", "enum": [c.value for c in Condition]},
    "ebay_categories": {
        "type": "object",
        "additionalProperties": STR,
        "description": "eBay category id per site overriding the category's "
        'mapping, e.g. {"EBAY_GB": "36027"}',
    },
    "marketplace_attributes": {
        "type": "object",
        "properties": {
            "ebay": {"type": "object", "additionalProperties": STR},
            "amazon": {"type": "object", "additionalProperties": STR},
        },
        "additionalProperties": False,
        "description": "eBay item specifics and Amazon attributes by their "
        'marketplace names, e.g. {"ebay": {"Material": "Stainless Steel"}}',
    },
    "stock_buffer": {
        "type": "integer",
        "nullable": True,
        "minimum": 0,
        "maximum": 10_000,
        "description": "safety buffer override (null: the company's or brand's)",
    },
}
VERSION = {
    "type": "integer",
    "minimum": 0,
    "maximum": 2**31 - 1,
    "description": "the version you read",
}
REVISION = {
    "type": "object",
    "nullable": True,
    "description": "The latest content revision of an approved product.",
    "properties": {
        "id": INT,
        "state": {"type": "string", "enum": [s.value for s in RevisionState]},
        "version": INT,
        "content": {"type": "object"},
        "remove_image_ids": {"type": "array", "items": INT},
        "images": {
            "type": "array",
            "items": {"type": "object", "properties": {"id": INT, "url": STR}},
        },
        "reason": STR,
        "created_at": NULLABLE_TIME,
        "decided_at": NULLABLE_TIME,
    },
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Company": {
        "type": "object",
        "properties": {
            "id": INT,
            **_COMPANY_PROPS,
            "profile_complete": {"type": "boolean"},
            "product_counts": {"type": "object", "additionalProperties": INT},
        },
    },
    "CompanyUpdate": {
        "type": "object",
        "description": "Fields left out keep their current value; others are refused.",
        "properties": _COMPANY_INPUT_PROPS,
        "additionalProperties": False,
    },
    "CompanyPage": {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Company"},
            },
            "page": INT,
            "pages": INT,
            "per_page": INT,
            "total": INT,
        },
    },
    "ProductInput": {
        "type": "object",
        "required": ["sku", "name_ko", "name_en"],
        "properties": _PRODUCT_INPUT_PROPS | {"submit": {"type": "boolean"}},
        "additionalProperties": False,
    },
    "ProductUpdate": {
        "type": "object",
        "required": ["version"],
        "description": "Fields left out keep their current value; `version` is the one"
        " you read (409 if someone changed the product since). `quantity` (on hand),"
        " `cost_krw`, `price_krw`, `target_price_usd` and `stock_buffer` change at"
        " once, without review or state change. Other (content) fields of an"
        " approved product become its pending revision; the approved content stays"
        " live until staff approve it.",
        "properties": _PRODUCT_INPUT_PROPS
        | {"version": VERSION, "submit": {"type": "boolean"}},
        "additionalProperties": False,
    },
    "Product": {
        "type": "object",
        "properties": _PRODUCT_INPUT_PROPS
        | {
            "id": INT,
            "company_id": INT,
            "state": {"type": "string", "enum": [s.value for s in ReviewState]},
            "review_reason": STR,
            "reserved": INT,
            "revision": REVISION,
            "version": INT,
            "submitted_at": NULLABLE_TIME,
            "reviewed_at": NULLABLE_TIME,
            "created_at": NULLABLE_TIME,
            "updated_at": NULLABLE_TIME,
            "images": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": INT,
                        "url": STR,
                        "content_type": STR,
                        "width": INT,
                        "height": INT,
                    },
                },
            },
            "history": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "at": NULLABLE_TIME,
                        "actor_user_id": {"type": "integer", "nullable": True},
                        "action": STR,
                        "from_state": {"type": "string", "nullable": True},
                        "to_state": {"type": "string", "nullable": True},
                        "reason": STR,
                    },
                },
            },
        },
    },
    "ProductPage": {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Product"},
            },
            "page": INT,
            "pages": INT,
            "per_page": INT,
            "total": INT,
        },
    },
    "VersionRequest": {
        "type": "object",
        "properties": {"version": VERSION},
        "additionalProperties": False,
    },
    "ReviewRequest": {
        "type": "object",
        "required": ["action"],
        "properties": {
            "action": {
                "type": "string",
                "enum": [
                    ReviewAction.APPROVE.value,
                    ReviewAction.REQUEST_CHANGES.value,
                    ReviewAction.REJECT.value,
                ],
            },
            "reason": _text(2000, description="Required unless approving."),
            "version": VERSION,
        },
        "additionalProperties": False,
    },
    "RevisionReview": {
        "type": "object",
        "required": ["action", "version"],
        "properties": {
            "action": {"type": "string", "enum": ["approve", "reject"]},
            "reason": _text(2000, description="Required to reject."),
            "version": VERSION | {"description": "the revision's version"},
        },
        "additionalProperties": False,
    },
    "ImageUpload": {
        "type": "object",
        "properties": {
            "images": {"type": "array", "items": {"type": "string", "format": "binary"}}
        },
    },
}
