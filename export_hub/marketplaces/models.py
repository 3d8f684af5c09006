"""A company's seller accounts, the single-use OAuth ``state`` values, and
eBay's own records: daily call counts and legacy listing links."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from export_hub.accounts.models import Company
from export_hub.db import Base, utcnow


class SellerAccount(Base):
    """A company's authorisation of Export Hub on one marketplace account.

    ``refresh_token_encrypted`` is Fernet ciphertext (see
    :class:`export_hub.security.SecretBox`); the plaintext never touches the
    database or the logs.
    """

    __tablename__ = "seller_accounts"
    __table_args__ = (UniqueConstraint("company_id", "marketplace", "marketplace_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    #: ``amazon`` or ``ebay``.
    marketplace: Mapped[str] = mapped_column(String(10))
    #: ``ATVPDKIKX0DER`` / ``EBAY_US``.
    marketplace_id: Mapped[str] = mapped_column(String(20))
    #: Amazon region (na/eu/fe); empty for eBay.
    region: Mapped[str] = mapped_column(String(4), default="")
    #: Amazon ``selling_partner_id`` / eBay user id.
    seller_id: Mapped[str] = mapped_column(String(100), default="")
    refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    #: When the refresh token stops working (eBay ~18 months; Amazon: the
    #: 365-day re-authorisation).
    refresh_token_expires_at: Mapped[dt.datetime | None]
    #: Short-lived access token cache (encrypted too) and its expiry.
    access_token_encrypted: Mapped[str | None] = mapped_column(Text)
    access_token_expires_at: Mapped[dt.datetime | None]
    #: ``connected``, ``disconnected``, ``revoked`` (a call said invalid_grant).
    status: Mapped[str] = mapped_column(String(20), default="connected")
    connected_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    disconnected_at: Mapped[dt.datetime | None]
    last_check_at: Mapped[dt.datetime | None]
    last_check_ok: Mapped[bool | None]
    last_check_message: Mapped[str] = mapped_column(Text, default="")
    #: Brands this seller may use (Amazon brand approval), as learned.
    approved_brands: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Marketplace-specific set-up state: eBay policy ids, location key, ...
    setup: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    company: Mapped[Company] = relationship(lazy="raise_on_sql")


class OAuthState(Base):
    """A single-use ``state`` for one consent round trip."""

    __tablename__ = "oauth_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the state value sent to the marketplace.
    state_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    marketplace: Mapped[str] = mapped_column(String(10))
    marketplace_id: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


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
    both paths: only active ``trading`` links are copied into the account's
    set-up, which is how the connector routes a SKU to the Trading API.
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
