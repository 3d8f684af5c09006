"""Companies and the people who use Export Hub."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from export_hub.db import Base, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    STAFF = "staff"  # the agency's export staff
    OFFICE = "office"  # member of one overseas office
    COMPANY = "company"  # member of one company


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_ko: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    #: Korean business registration number, 10 digits without dashes.
    brn: Mapped[str] = mapped_column(String(10), unique=True)
    representative: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(5), default="")
    address_ko: Mapped[str] = mapped_column(String(300), default="")
    address_en: Mapped[str] = mapped_column(String(300), default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    industry: Mapped[str] = mapped_column(String(100), default="")
    own_brand: Mapped[str] = mapped_column(String(100), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    #: ``co-brand`` or ``dual``; empty follows config/brand.toml.
    branding_mode: Mapped[str] = mapped_column(String(20), default="")
    #: Minimum margin over cost (percent) when pricing this company's products.
    margin_floor_percent: Mapped[float] = mapped_column(default=10.0)
    #: Safety buffer override for the company's products (``None``: the brand's).
    stock_buffer: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    users: Mapped[list[User]] = relationship(
        back_populates="company", lazy="raise_on_sql"
    )

    @property
    def profile_complete(self) -> bool:
        return all(
            (
                self.name_ko,
                self.name_en,
                self.representative,
                self.postal_code,
                self.address_ko,
                self.contact_name,
                self.email,
                self.phone,
            )
        )


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    #: Overseas office code (e.g. ``LAX``) for role ``office``.
    office_code: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2), default="ko")
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Seoul")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]

    company: Mapped[Company | None] = relationship(
        back_populates="users", lazy="raise_on_sql"
    )

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.ADMIN, Role.STAFF)


class ApiToken(Base):
    """A bearer token for the JSON API. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class LoginThrottle(Base):
    """Recent failed log-ins per key, counted by one atomic upsert.

    ``key`` is ``account:<e-mail>|<address>`` (per account and client address)
    or ``address:<address>`` (every account from one client address). Once
    ``failures`` reaches the limit, ``locked_until`` holds the key back for a
    delay that doubles with each further failure, up to a bound.
    """

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400))
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    last_failure_at: Mapped[dt.datetime | None]


class UserSession(Base):
    """A signed-in browser. The encrypted cookie carries the random session
    token; only its SHA-256 is stored, so a database leak opens no session."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    revoked_at: Mapped[dt.datetime | None]


class PasswordResetToken(Base):
    """A single-use password-reset link. Only the token's SHA-256 is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
