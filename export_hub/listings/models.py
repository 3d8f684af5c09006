"""Listing records, their issues and their history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from export_hub.catalog.models import Product
from export_hub.db import Base, utcnow
from export_hub.marketplaces.models import SellerAccount


class Listing(Base):
    """One product on one marketplace through one seller account.

    Status: ``pending`` (not sent yet), ``submitted`` (sent, outcome awaited),
    ``live``, ``needs_action`` (a person must act), ``ended``.
    """

    __tablename__ = "listings"
    __table_args__ = (UniqueConstraint("product_id", "seller_account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    seller_account_id: Mapped[int] = mapped_column(
        ForeignKey("seller_accounts.id", ondelete="CASCADE"), index=True
    )
    marketplace: Mapped[str] = mapped_column(String(10), index=True)
    sku: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    #: ASIN (Amazon) / listing id (eBay).
    listing_id: Mapped[str | None] = mapped_column(String(40))
    #: eBay offer id.
    offer_id: Mapped[str | None] = mapped_column(String(40))
    #: Amazon submissionId of the last accepted submission.
    submission_id: Mapped[str | None] = mapped_column(String(80))
    #: Hashes of what was last sent, per part: content, price, quantity, images.
    sent_hashes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    sent_price: Mapped[str | None] = mapped_column(String(20))
    sent_currency: Mapped[str] = mapped_column(String(3), default="USD")
    sent_quantity: Mapped[int | None]
    #: Digest of everything the rendering depended on when the listing was
    #: last brought fully in step (:mod:`export_hub.listings.sync.fingerprint`):
    #: while it matches, the planner knows nothing changed without rendering.
    sent_fingerprint: Mapped[str | None] = mapped_column(String(64))
    #: Set while an operation's outcome is unknown (timeout): look before redoing.
    in_doubt_operation: Mapped[str | None] = mapped_column(String(20))
    #: Automatic retries paused until then (errors that need a human).
    paused_until: Mapped[dt.datetime | None]
    last_submitted_at: Mapped[dt.datetime | None]
    last_checked_at: Mapped[dt.datetime | None]
    last_quantity_assert_at: Mapped[dt.datetime | None]
    #: Since when a change has been waiting to be sent (ages its priority).
    pending_since: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship(lazy="raise_on_sql")
    seller_account: Mapped[SellerAccount] = relationship(lazy="raise_on_sql")
    issues: Mapped[list[ListingIssue]] = relationship(
        back_populates="listing", lazy="raise_on_sql", cascade="all, delete-orphan"
    )


class ListingIssue(Base):
    """A current problem on a listing (marketplace's own or our pre-flight)."""

    __tablename__ = "listing_issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    #: ``marketplace`` or ``preflight``.
    source: Mapped[str] = mapped_column(String(12), default="marketplace")
    code: Mapped[str] = mapped_column(String(40), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    attribute_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: ``company`` or ``staff``: who must act.
    action_owner: Mapped[str] = mapped_column(String(10), default="staff")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    listing: Mapped[Listing] = relationship(
        back_populates="issues", lazy="raise_on_sql"
    )


class ListingEvent(Base):
    """History: what was sent, what came back, when. Append-only."""

    __tablename__ = "listing_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    #: ``create``, ``update_content``, ``update_price``, ``update_quantity``,
    #: ``end``, ``status``, ``preflight``.
    action: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str] = mapped_column(String(20))
    request_id: Mapped[str | None] = mapped_column(String(100))
    sync_run_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SyncRun(Base):
    """One sync (all sellers, one company, one marketplace; or a dry run) and
    its live progress, for the console. ``counts`` is ``{action: {outcome: n}}``.
    """

    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``queued``, ``running``, ``succeeded``, ``failed``, ``cancelled``.
    status: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    company_brn: Mapped[str | None] = mapped_column(String(10))
    marketplace: Mapped[str | None] = mapped_column(String(10))
    seller_account_id: Mapped[int | None]
    dry_run: Mapped[bool] = mapped_column(default=False)
    #: ``schedule``, ``user``, ``cli``, ``job``.
    started_by: Mapped[str] = mapped_column(String(20), default="schedule")
    started_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    sellers_total: Mapped[int] = mapped_column(default=0)
    sellers_done: Mapped[int] = mapped_column(default=0)
    planned: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    counts: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    #: ``host:pid:token`` of the running process, and its last sign of life.
    owner: Mapped[str] = mapped_column(String(200), default="")
    heartbeat_at: Mapped[dt.datetime | None]
