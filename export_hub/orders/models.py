"""Orders as the marketplaces report them, and what Export Hub did about them.

An order is unique per seller account and marketplace order id (a seller
account is one marketplace and one marketplace id, so the same order can never
arrive through two accounts); a line is unique per order and the marketplace's
line id. Quantities are absolute: importing the same answer twice changes
nothing. Each line keeps the stock it holds (``stock_reserved``,
``stock_consumed``) and ``stock_revision``, the count of its ledger changes,
which makes the ledger's ``cause_key`` unique per transition.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from export_hub.db import Base, utcnow


class ShipmentStatus(enum.StrEnum):
    #: Recorded before the marketplace call; still so after a crash (in doubt).
    SENDING = "sending"
    CONFIRMED = "confirmed"
    FAILED = "failed"


class Order(Base):
    """One marketplace order of one seller account (no buyer personal data)."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("seller_account_id", "marketplace_order_id"),
        Index("ix_orders_company_status", "company_id", "status"),
        Index("ix_orders_status_ship_by", "status", "ship_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_account_id: Mapped[int] = mapped_column(
        ForeignKey("seller_accounts.id", ondelete="CASCADE")
    )
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE")
    )
    #: ``amazon`` or ``ebay``.
    marketplace: Mapped[str] = mapped_column(String(10), index=True)
    #: ``ATVPDKIKX0DER`` / ``EBAY_US``.
    marketplace_id: Mapped[str] = mapped_column(String(20), default="")
    #: Amazon ``AmazonOrderId`` / eBay ``orderId``.
    marketplace_order_id: Mapped[str] = mapped_column(String(60))
    #: :class:`connectors.base.OrderStatus` value.
    status: Mapped[str] = mapped_column(String(20))
    #: The marketplace's own words (``Unshipped``, ``NOT_STARTED``, ...).
    raw_status: Mapped[str] = mapped_column(String(60), default="")
    purchased_at: Mapped[dt.datetime]
    #: The marketplace's last-update instant.
    marketplace_updated_at: Mapped[dt.datetime]
    ship_by: Mapped[dt.datetime | None]
    #: ISO 3166-1 alpha-2 and, at most, a region/state code.
    ship_to_country: Mapped[str | None] = mapped_column(String(2))
    ship_to_region: Mapped[str | None] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    total: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    refunded: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order",
        lazy="raise_on_sql",
        order_by="OrderLine.id",
        cascade="all, delete-orphan",
    )


class OrderLine(Base):
    """One line: a SKU, its quantities and the stock it holds.

    ``product_id`` is ``None`` for a SKU Export Hub does not manage: the line
    is kept and shown, and touches no stock.
    """

    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    #: Amazon ``OrderItemId`` / eBay ``lineItemId``.
    line_id: Mapped[str] = mapped_column(String(60))
    sku: Mapped[str | None] = mapped_column(String(100))
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), index=True
    )
    quantity: Mapped[int] = mapped_column(default=0)
    shipped: Mapped[int] = mapped_column(default=0)
    cancelled: Mapped[int] = mapped_column(default=0)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    title: Mapped[str] = mapped_column(String(500), default="")
    #: ASIN / eBay legacy item id.
    item_id: Mapped[str | None] = mapped_column(String(40))
    #: Units this line holds reserved / has consumed in the stock ledger.
    stock_reserved: Mapped[int] = mapped_column(default=0)
    stock_consumed: Mapped[int] = mapped_column(default=0)
    #: How many ledger transitions this line has made (part of the cause key).
    stock_revision: Mapped[int] = mapped_column(default=0)

    order: Mapped[Order] = relationship(back_populates="lines", lazy="raise_on_sql")

    @property
    def managed(self) -> bool:
        return self.product_id is not None

    @property
    def open_quantity(self) -> int:
        """Units still to ship: ordered − shipped − cancelled, at least 0."""
        return max(0, self.quantity - self.shipped - self.cancelled)


class OrderEvent(Base):
    """One state change of an order or a line. Append-only."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    #: The line concerned, or ``None`` for the order itself.
    order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE")
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: ``status``, ``shipped``, ``cancelled``, ``quantity``, ``refunded``,
    #: ``shipment``.
    kind: Mapped[str] = mapped_column(String(20))
    from_value: Mapped[str] = mapped_column(String(60), default="")
    to_value: Mapped[str] = mapped_column(String(60), default="")
    #: ``import``, ``shipment``.
    source: Mapped[str] = mapped_column(String(20), default="import")


class ImportCursor(Base):
    """How far one seller account's orders have been read."""

    __tablename__ = "order_import_cursors"

    seller_account_id: Mapped[int] = mapped_column(
        ForeignKey("seller_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    #: The ``before`` of the last complete read: everything updated earlier
    #: has been seen (the next read starts an overlap window before it).
    imported_until: Mapped[dt.datetime | None]
    #: The latest marketplace update instant seen in any order.
    last_order_updated_at: Mapped[dt.datetime | None]
    last_run_at: Mapped[dt.datetime | None]
    #: The last failure's description (no secrets), empty after a success.
    last_error: Mapped[str] = mapped_column(Text, default="")


class Shipment(Base):
    """One package confirmed (or being confirmed) on the marketplace."""

    __tablename__ = "order_shipments"
    __table_args__ = (UniqueConstraint("order_id", "tracking_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    carrier: Mapped[str] = mapped_column(String(60))
    tracking_number: Mapped[str] = mapped_column(String(60))
    shipping_method: Mapped[str] = mapped_column(String(60), default="")
    shipped_at: Mapped[dt.datetime]
    #: ``[{"line_id": marketplace line id, "quantity": n}]``.
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default=ShipmentStatus.SENDING)
    #: eBay fulfillmentId; Amazon gives none.
    marketplace_shipment_id: Mapped[str | None] = mapped_column(String(80))
    request_id: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str] = mapped_column(Text, default="")
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OrderNotice(Base):
    """An e-mail about an order that went out; UNIQUE so it goes out once."""

    __tablename__ = "order_notices"
    __table_args__ = (UniqueConstraint("order_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    #: ``new`` or ``ship_by``.
    kind: Mapped[str] = mapped_column(String(12))
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
