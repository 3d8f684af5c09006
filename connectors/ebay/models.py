"""eBay's own persistence: daily call counts and legacy listing links."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from export_hub.db import Base, utcnow


class EbayDailyUsage(Base):
    """Calls (per API) and revisions (per listing) spent by one seller in one
    UTC day, so budgets survive restarts and are shared between processes."""

    __tablename__ = "ebay_daily_usage"
    __table_args__ = (UniqueConstraint("seller_id", "counter", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[str] = mapped_column(String(100))
    #: ``api:inventory``, ``api:account``, ``api:trading``, ``revise:<item id>``.
    counter: Mapped[str] = mapped_column(String(80))
    day: Mapped[dt.date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(default=0)


class EbayListingLink(Base):
    """An eBay listing known to Export Hub and the path that manages it.

    ``managed_by`` is ``trading`` for listings made outside the Inventory model
    (imported; revised with ReviseInventoryStatus) and ``inventory`` once
    migrated with ``bulk_migrate_listing``. A listing is never managed through
    both paths: the connector refuses Trading revisions of ``inventory`` links.
    """

    __tablename__ = "ebay_listing_links"
    __table_args__ = (UniqueConstraint("seller_account_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_account_id: Mapped[int] = mapped_column(
        ForeignKey("seller_accounts.id", ondelete="CASCADE"), index=True
    )
    #: eBay ItemID (= the Inventory API's listingId).
    item_id: Mapped[str] = mapped_column(String(40))
    sku: Mapped[str] = mapped_column(String(60), default="")
    #: Export Hub's listing once linked to a product by SKU.
    listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("listings.id", ondelete="SET NULL"), unique=True
    )
    managed_by: Mapped[str] = mapped_column(String(12), default="trading")
    title: Mapped[str] = mapped_column(String(200), default="")
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    quantity: Mapped[int | None]
    #: eBay's ListingStatus (Active, Ended, Completed).
    ebay_status: Mapped[str] = mapped_column(String(20), default="Active")
    #: Inventory API offer id after migration.
    offer_id: Mapped[str | None] = mapped_column(String(40))
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    migrated_at: Mapped[dt.datetime | None]
