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


_COMPANY_PROPS = {name: STR for name in COMPANY_FIELDS}
_PRODUCT_INPUT_PROPS: dict[str, Any] = {name: STR for name in PRODUCT_INPUTS} | {
    "bullets_en": {"type": "array", "items": STR, "maxItems": MAX_BULLETS},
    "gtin": {"type": "string", "nullable": True, "description": "EAN-13 or UPC-A"},
    "gtin_exempt": {"type": "boolean"},
    "cost_krw": INT,
    "price_krw": INT,
    "target_price_usd": {"type": "string", "nullable": True, "example": "19.90"},
    "weight_g": INT,
    "length_mm": INT,
    "width_mm": INT,
    "height_mm": INT,
    "quantity": INT,
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
        "description": "safety buffer override (null: the company's or brand's)",
    },
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
        "description": "Fields left out keep their current value.",
        "properties": _COMPANY_PROPS,
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
        | {"version": INT, "submit": {"type": "boolean"}},
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
        "properties": {"version": INT},
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
            "reason": {"type": "string", "description": "Required unless approving."},
            "version": INT,
        },
    },
    "RevisionReview": {
        "type": "object",
        "required": ["action", "version"],
        "properties": {
            "action": {"type": "string", "enum": ["approve", "reject"]},
            "reason": {"type": "string", "description": "Required to reject."},
            "version": {"type": "integer", "description": "the revision's version"},
        },
    },
    "ImageUpload": {
        "type": "object",
        "properties": {
            "images": {"type": "array", "items": {"type": "string", "format": "binary"}}
        },
    },
}
