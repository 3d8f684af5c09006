"""Overseas offices, their availability, and consultation bookings.

Every instant is an aware UTC ``datetime``; a booking also keeps the IANA zone
of record (the office's) so its wall-clock time can be shown as the office saw
it. Availability rules are wall-clock times in the office's own zone.

No double booking is a database guarantee: a live booking (pending or
confirmed) writes one :class:`BookingClaim` row per resource and five-minute
unit of its buffered span, under a UNIQUE key, in the same transaction. On
PostgreSQL an exclusion constraint over ``tstzrange`` backs this up (see the
``0003_consultations`` migration).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Enum,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from export_hub.db import Base, utcnow


def _enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
    )


class VideoMode(enum.StrEnum):
    #: Self-hosted Jitsi; each room gets its own HS256 JWT.
    JITSI_JWT = "jitsi_jwt"
    #: meet.jit.si with an unguessable room; its moderator must log in.
    MEET_JIT_SI = "meet_jit_si"
    #: A link the office pastes (Zoom, Teams, ...).
    PASTED = "pasted"


class BookingStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


LIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)


class OverrideKind(enum.StrEnum):
    CLOSED = "closed"  # no meetings that office-local date
    EXTRA = "extra"  # extra hours that date, besides the weekly rules


class Office(Base):
    """An overseas office. Loaded from ``config/offices.toml``; admins edit it."""

    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_ko: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))
    #: IANA zone; the office's rules are wall-clock times in it.
    time_zone: Mapped[str] = mapped_column(String(64))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    #: Language of the e-mails the office receives (``ko`` or ``en``).
    notify_language: Mapped[str] = mapped_column(String(2), default="ko")
    meeting_minutes: Mapped[int] = mapped_column(default=60)
    #: Offered start times are this many minutes apart inside a rule.
    slot_step_minutes: Mapped[int] = mapped_column(default=30)
    buffer_before_minutes: Mapped[int] = mapped_column(default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    min_notice_hours: Mapped[int] = mapped_column(default=24)
    horizon_days: Mapped[int] = mapped_column(default=60)
    #: 0 means no limit.
    max_per_day: Mapped[int] = mapped_column(default=0)
    #: Live (pending or confirmed, not yet ended) bookings one company may hold.
    max_per_company: Mapped[int] = mapped_column(default=0)
    video_mode: Mapped[VideoMode] = mapped_column(
        _enum(VideoMode), default=VideoMode.MEET_JIT_SI
    )
    pasted_video_link: Mapped[str] = mapped_column(String(500), default="")
    #: SHA-256 of the calendar feed's secret token (the token is shown once).
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    rules: Mapped[list[AvailabilityRule]] = relationship(
        lazy="raise_on_sql",
        cascade="all, delete-orphan",
        order_by="(AvailabilityRule.weekday, AvailabilityRule.start_time)",
    )


class AvailabilityRule(Base):
    """Weekly hours, wall-clock in the office's zone (weekday 0 = Monday)."""

    __tablename__ = "availability_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)


class DateOverride(Base):
    """One office-local date: closed, or extra hours besides the weekly rules."""

    __tablename__ = "date_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[OverrideKind] = mapped_column(_enum(OverrideKind))
    start_time: Mapped[dt.time | None] = mapped_column(Time)
    end_time: Mapped[dt.time | None] = mapped_column(Time)
    note: Mapped[str] = mapped_column(String(200), default="")


class Blackout(Base):
    """A one-off day without meetings (public holidays are not stored: they
    come from the ``holidays`` library, see :mod:`public_holidays`).

    ``office_id`` NULL: an agency-wide closure, matched against the meeting's
    date in Asia/Seoul. Otherwise an office's extra closed day, matched
    against the office-local date.
    """

    __tablename__ = "blackouts"
    __table_args__ = (UniqueConstraint("office_id", "date", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int | None] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    name: Mapped[str] = mapped_column(String(100))


class Interpreter(Base):
    """An interpreter, bookable by any office."""

    __tablename__ = "interpreters"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254), default="")
    #: e.g. ``["ko-en", "ko-de"]``.
    language_pairs: Mapped[list[str]] = mapped_column(JSON, default=list)
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Seoul")
    #: Weekly hours in ``time_zone``:
    #: ``[{"weekday": 0, "start": "08:00", "end": "18:00"}]``.
    availability: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)


class Buyer(Base):
    """An overseas buyer an office brings to meetings."""

    __tablename__ = "buyers"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int | None] = mapped_column(
        ForeignKey("offices.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    company: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(2), default="en")


class Booking(Base):
    """A consultation request and, once confirmed, the meeting."""

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("requester_user_id", "idempotency_key"),
        Index("ix_bookings_office_id_start_at", "office_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: iCalendar UID, stable for the booking's whole life.
    uid: Mapped[str] = mapped_column(String(100), unique=True)
    #: iCalendar SEQUENCE: raised on every change, cancellation included.
    sequence: Mapped[int] = mapped_column(default=0)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    requester_user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE")
    )
    start_at: Mapped[dt.datetime]
    end_at: Mapped[dt.datetime]
    #: Zone of record: the office's IANA zone when booked.
    time_zone: Mapped[str] = mapped_column(String(64))
    buffer_before_minutes: Mapped[int] = mapped_column(default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    #: The buffered span the booking holds: [start - before, end + after).
    span_start: Mapped[dt.datetime]
    span_end: Mapped[dt.datetime]
    topic: Mapped[str] = mapped_column(Text)
    product_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    buyer_id: Mapped[int | None] = mapped_column(
        ForeignKey("buyers.id", ondelete="SET NULL"), index=True
    )
    #: The language pair an interpreter is needed for (``ko-de``), or empty.
    interpreter_need: Mapped[str] = mapped_column(String(20), default="")
    interpreter_id: Mapped[int | None] = mapped_column(
        ForeignKey("interpreters.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[BookingStatus] = mapped_column(
        _enum(BookingStatus), default=BookingStatus.PENDING, index=True
    )
    #: When a pending request lapses; NULL once decided.
    expires_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    #: SHA-256 of the request's content, to refuse a reused key for another one.
    request_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    #: SHA-256 of the manage link's token (the token itself is never stored).
    manage_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The manage link stops working when the meeting ends.
    manage_expires_at: Mapped[dt.datetime]
    video_url: Mapped[str] = mapped_column(String(1000), default="")
    video_note: Mapped[str] = mapped_column(Text, default="")
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    decided_at: Mapped[dt.datetime | None]

    office: Mapped[Office] = relationship(lazy="raise_on_sql")

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


class BookingClaim(Base):
    """One resource held for one five-minute unit by one live booking.

    ``unit`` is the UNIX time in seconds divided by 300. The UNIQUE key is
    the no-double-booking guarantee on every backend.
    """

    __tablename__ = "booking_claims"
    __table_args__ = (UniqueConstraint("resource_type", "resource_id", "unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    #: ``office``, ``interpreter`` or ``buyer``.
    resource_type: Mapped[str] = mapped_column(String(12))
    resource_id: Mapped[int]
    unit: Mapped[int] = mapped_column(BigInteger)


class BookingEvent(Base):
    """The history of a booking. Append-only."""

    __tablename__ = "booking_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: ``company``, ``office``, ``staff``, ``manage_link`` or ``system``.
    actor: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class BookingReminder(Base):
    """A reminder sent; the UNIQUE key makes sending it at most once per start."""

    __tablename__ = "booking_reminders"
    __table_args__ = (UniqueConstraint("booking_id", "kind", "start_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    #: ``24h`` or ``1h``.
    kind: Mapped[str] = mapped_column(String(8))
    #: The meeting start the reminder was for (a reschedule earns new ones).
    start_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OutcomeKind(enum.StrEnum):
    """What came of a consultation, as the office records it."""

    NO_INTEREST = "no_interest"
    FOLLOW_UP = "follow_up"
    SAMPLE_REQUESTED = "sample_requested"
    QUOTE_SENT = "quote_sent"
    DEAL = "deal"


class ConsultationOutcome(Base):
    """The office's record of what a held consultation led to (one per booking).

    A deal carries its expected value in USD and the date it is expected.
    ``version`` rises on every edit; each change is kept in
    :class:`OutcomeEvent`.
    """

    __tablename__ = "consultation_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[OutcomeKind] = mapped_column(_enum(OutcomeKind), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    #: What the company should do next, shown to it.
    next_step: Mapped[str] = mapped_column(Text, default="")
    deal_value_usd: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    deal_on: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)


class OutcomeProduct(Base):
    """A product of the company discussed in the consultation."""

    __tablename__ = "consultation_outcome_products"

    outcome_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_outcomes.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class OutcomeEvent(Base):
    """One recording or edit of an outcome, with its content after. Append-only."""

    __tablename__ = "consultation_outcome_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_outcomes.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: ``recorded`` or ``edited``.
    action: Mapped[str] = mapped_column(String(20))
    #: The outcome's fields after the change (and ``changed``: their names).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
