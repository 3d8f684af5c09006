"""Exchange rates, kept with the date they apply from."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from export_hub.db import Base, utcnow


class ExchangeRate(Base):
    """``1 base_currency = rate quote_currency`` from ``effective_on`` onwards.

    One row per pair and date: entering the same pair and date again replaces
    the rate (and records who did it).
    """

    __tablename__ = "exchange_rates"
    __table_args__ = (
        UniqueConstraint("base_currency", "quote_currency", "effective_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    base_currency: Mapped[str] = mapped_column(String(3))
    quote_currency: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(Numeric(24, 12))
    effective_on: Mapped[dt.date] = mapped_column(index=True)
    #: ``staff`` or ``feed:<host>``.
    source: Mapped[str] = mapped_column(String(80), default="staff")
    entered_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
