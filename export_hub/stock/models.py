"""The stock ledger: every movement of one product's stock, with its cause.

Append-only. ``products.quantity`` (on hand) and ``products.reserved`` are the
running sums of ``delta_on_hand`` and ``delta_reserved``, kept in the same
transaction as each movement so the planner reads them without summing; the
ledger can always recompute and check them (:func:`export_hub.stock.ledger.verify`).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from export_hub.db import Base, utcnow


class Cause(enum.StrEnum):
    """Why stock moved."""

    #: Stock on the products' creation or before the ledger existed.
    OPENING = "opening"
    #: The company (or staff) set the quantity on hand: form, API.
    EDIT = "edit"
    #: A bulk stock file set the quantity on hand.
    IMPORT = "import"
    #: An order line reserved units (or its reservation changed).
    ORDER = "order"
    #: An order line was cancelled (units released).
    CANCELLATION = "cancellation"
    #: Units left the warehouse (reserved and on hand both go down).
    SHIPMENT = "shipment"


class StockMovement(Base):
    """One change of a product's on-hand and/or reserved units."""

    __tablename__ = "stock_movements"
    __table_args__ = (Index("ix_stock_movements_product_at", "product_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE")
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    delta_on_hand: Mapped[int] = mapped_column(default=0)
    delta_reserved: Mapped[int] = mapped_column(default=0)
    cause: Mapped[str] = mapped_column(String(20))
    #: Idempotency key of the cause, e.g. ``amazon:ORDER:LINE:reserve:2``;
    #: UNIQUE, so the same movement is never recorded twice.
    cause_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    #: The on-hand and reserved totals after this movement.
    on_hand_after: Mapped[int] = mapped_column(default=0)
    reserved_after: Mapped[int] = mapped_column(default=0)
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(Text, default="")
