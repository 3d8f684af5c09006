"""Products submitted by companies, their pending revisions, and the audit
log of their review."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Enum,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from export_hub.accounts.models import Company
from export_hub.db import Base, utcnow


class ReviewState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    #: The company took the product off the programme (listings end).
    WITHDRAWN = "withdrawn"


class Condition(enum.StrEnum):
    NEW = "new"
    REFURBISHED = "refurbished"
    USED = "used"


def _enum(cls: type[enum.Enum], length: int = 30) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
    )


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("company_id", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(String(40))
    name_ko: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description_ko: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    #: Up to five English bullet points.
    bullets_en: Mapped[list[str]] = mapped_column(JSON, default=list)
    category: Mapped[str] = mapped_column(String(100), default="")
    #: Amazon product type (e.g. ``HOME_BED_AND_BATH``).
    amazon_product_type: Mapped[str] = mapped_column(String(100), default="")
    #: eBay category id per site (``{"EBAY_GB": "36027"}``): overrides of the
    #: mapping of ``category`` (:mod:`export_hub.catalog.taxonomy`).
    ebay_categories: Mapped[dict[str, str]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )
    #: Values the marketplaces ask for, by marketplace and their own names:
    #: ``{"ebay": {"Material": "Stainless Steel"}, "amazon": {"material": ...}}``
    #: (eBay item specifics, Amazon attributes).
    marketplace_attributes: Mapped[dict[str, dict[str, str]]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )
    brand: Mapped[str] = mapped_column(String(100), default="")
    gtin: Mapped[str | None] = mapped_column(String(14))
    gtin_exempt: Mapped[bool] = mapped_column(default=False)
    hs_code: Mapped[str] = mapped_column(String(10), default="")
    country_of_origin: Mapped[str] = mapped_column(String(2), default="KR")
    cost_krw: Mapped[int] = mapped_column(default=0)
    price_krw: Mapped[int] = mapped_column(default=0)
    target_price_usd: Mapped[Any | None] = mapped_column(Numeric(10, 2))
    weight_g: Mapped[int] = mapped_column(default=0)
    length_mm: Mapped[int] = mapped_column(default=0)
    width_mm: Mapped[int] = mapped_column(default=0)
    height_mm: Mapped[int] = mapped_column(default=0)
    #: Units on hand. Moved only through :mod:`export_hub.stock.ledger`.
    quantity: Mapped[int] = mapped_column(default=0)
    #: Units ordered and not yet shipped or cancelled (ledger-kept).
    reserved: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Safety buffer override for this product (``None``: the company's).
    stock_buffer: Mapped[int | None]
    condition: Mapped[Condition] = mapped_column(
        _enum(Condition), default=Condition.NEW
    )
    state: Mapped[ReviewState] = mapped_column(
        _enum(ReviewState), default=ReviewState.DRAFT, index=True
    )
    #: The staff's reason for the last request for changes or rejection.
    review_reason: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[dt.datetime | None]
    reviewed_at: Mapped[dt.datetime | None]
    #: Optimistic lock: an edit names the version it started from.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    company: Mapped[Company] = relationship(lazy="raise_on_sql")
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product",
        lazy="raise_on_sql",
        order_by="ProductImage.position",
        cascade="all, delete-orphan",
    )


class ProductImage(Base):
    """An uploaded image, stored under a generated name."""

    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    #: Generated storage name (hex + extension), never the client's file name.
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship(
        back_populates="images", lazy="raise_on_sql"
    )


class RevisionState(enum.StrEnum):
    """Where a proposed change of an approved product's content stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    #: The company took it back (or edited the content back to the live one).
    WITHDRAWN = "withdrawn"


class ProductRevision(Base):
    """A change of an approved product's content, waiting for the staff.

    The product row keeps the approved (live) content, which the sync keeps
    sending with its stock and price; ``content`` holds the complete proposed
    content (every content field, JSON values). Images: ``remove_image_ids``
    names live images to drop and :class:`RevisionImage` rows hold new
    uploads, stored but not attached, until staff approve. At most one
    revision per product is pending (a partial unique index).
    """

    __tablename__ = "product_revisions"
    __table_args__ = (
        Index(
            "uq_product_revisions_pending",
            "product_id",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[RevisionState] = mapped_column(
        _enum(RevisionState, 20), default=RevisionState.PENDING
    )
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    remove_image_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: The staff's reason for a rejection, shown to the company.
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    decided_at: Mapped[dt.datetime | None]
    #: Optimistic lock: staff decide on the version they looked at.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    images: Mapped[list[RevisionImage]] = relationship(
        lazy="raise_on_sql",
        order_by="RevisionImage.position",
        cascade="all, delete-orphan",
    )


class RevisionImage(Base):
    """An image uploaded with a revision: stored, attached only on approval."""

    __tablename__ = "revision_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("product_revisions.id", ondelete="CASCADE"), index=True
    )
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Who did what to which record, when and why. Append-only."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: ``product``, ``company``, ``seller_account``, ``booking``, ...
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
