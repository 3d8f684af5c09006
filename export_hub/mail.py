"""Outgoing e-mail: a transactional outbox, delivered by SMTP or kept to read.

Mail is always written to :class:`OutboxMessage` in the caller's transaction,
so a message exists exactly when the change it reports was committed.
``settings.mail.backend`` decides what happens next:

- ``outbox`` (embedded default): the row is final (``stored``) and staff read
  it on ``/staff/outbox``;
- ``smtp``: the row is ``queued`` and :func:`deliver_queued` sends it with
  aiosmtplib to ``smtp_host:smtp_port`` (STARTTLS and log-in optional),
  claiming each row first so two deliverers never send one message twice.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import aiosmtplib
from sqlalchemy import Enum, String, Text, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from export_hub.db import Base, utcnow
from export_hub.settings import MailSettings
from export_hub.validation import is_email

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
#: A row left ``sending`` longer than this (a crashed deliverer) is retried.
STALE_CLAIM = dt.timedelta(minutes=10)


class OutboxStatus(enum.StrEnum):
    STORED = "stored"  # outbox backend: kept in the database to read
    QUEUED = "queued"  # smtp backend: waiting for delivery
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # gave up after MAX_ATTEMPTS


class OutboxMessage(Base):
    """One e-mail, as the complete RFC 5322 message text."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(2), default="ko")
    #: What the mail is about, e.g. ``booking:12``.
    related: Mapped[str] = mapped_column(String(60), default="", index=True)
    raw: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(
            OutboxStatus,
            native_enum=False,
            length=10,
            values_callable=lambda e: [m.value for m in e],
        ),
        index=True,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")

    def parsed(self) -> EmailMessage:
        """The stored message, parsed back (for the outbox page and tests)."""
        message = email.message_from_string(self.raw, policy=email.policy.default)
        return message  # policy.default parses into EmailMessage


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "text/calendar; method=REQUEST"
    data: bytes


@dataclass(frozen=True)
class Mail:
    """An e-mail to one recipient, already in that recipient's language."""

    to: str
    subject: str
    body: str
    language: str = "ko"
    related: str = ""
    attachments: Sequence[Attachment] = field(default_factory=tuple)


def header_text(value: str, limit: int = 300) -> str:
    """``value`` as one header line: control characters and line breaks become
    spaces (a stored product name with CR/LF must not break every mail)."""
    flat = "".join(
        " " if ord(c) < 32 or c in "\x7f\u2028\u2029\x85" else c for c in value
    )
    return " ".join(flat.split())[:limit]


def build_message(mail: Mail, sender: str, now: dt.datetime) -> EmailMessage:
    """The RFC 5322 message for ``mail``; header values are folded to one line."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = header_text(mail.subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain="export-hub.example")
    message.set_content(mail.body)
    for item in mail.attachments:
        maintype, _, rest = item.content_type.partition("/")
        subtype, *params = [p.strip() for p in rest.split(";")]
        extra = dict(p.split("=", 1) for p in params if "=" in p)
        message.add_attachment(
            item.data,
            maintype=maintype,
            subtype=subtype,
            filename=header_text(item.filename, 100),
            params=extra,
        )
    # After the attachments: making the message multipart moves Content-*
    # headers into the body part.
    message["Content-Language"] = mail.language
    return message


def enqueue(
    db: AsyncSession, settings: MailSettings, mail: Mail, now: dt.datetime
) -> OutboxMessage | None:
    """Add ``mail`` to the outbox in the caller's transaction.

    Returns ``None`` (and writes nothing) when there is no recipient address,
    or when the address is not a valid one (logged as a warning): a bad stored
    address must not fail the change the mail reports.
    """
    if not mail.to:
        return None
    if not is_email(mail.to):
        log.warning(
            "mail not queued: invalid recipient address (related %s)", mail.related
        )
        return None
    message = build_message(mail, settings.sender, now)
    row = OutboxMessage(
        created_at=now,
        to_address=mail.to,
        subject=header_text(mail.subject),
        language=mail.language,
        related=mail.related[:60],
        raw=message.as_string(),
        status=(
            OutboxStatus.QUEUED if settings.backend == "smtp" else OutboxStatus.STORED
        ),
    )
    db.add(row)
    return row


async def send_smtp(message: EmailMessage, settings: MailSettings) -> None:
    """Send one message to the configured SMTP server (raises on failure)."""
    password = settings.smtp_password.get_secret_value()
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        start_tls=settings.smtp_starttls,
        username=settings.smtp_username or None,
        password=password if settings.smtp_username else None,
        timeout=30,
    )


async def deliver_queued(
    sessions: async_sessionmaker[AsyncSession],
    settings: MailSettings,
    now: dt.datetime,
    *,
    limit: int = 50,
) -> int:
    """Send up to ``limit`` queued messages over SMTP; returns how many went.

    Idempotent and safe to run concurrently: each row is claimed with a
    compare-and-swap before sending. A failed send is retried on the next run,
    up to ``MAX_ATTEMPTS`` times.
    """
    if settings.backend != "smtp":
        return 0
    async with sessions() as db, db.begin():
        ids = list(
            await db.scalars(
                select(OutboxMessage.id)
                .where(
                    (OutboxMessage.status == OutboxStatus.QUEUED)
                    | (
                        (OutboxMessage.status == OutboxStatus.SENDING)
                        & (OutboxMessage.claimed_at < now - STALE_CLAIM)
                    )
                )
                .order_by(OutboxMessage.id)
                .limit(limit)
            )
        )
    sent = 0
    for message_id in ids:
        if await _deliver_one(sessions, settings, message_id, now):
            sent += 1
    return sent


async def _deliver_one(
    sessions: async_sessionmaker[AsyncSession],
    settings: MailSettings,
    message_id: int,
    now: dt.datetime,
) -> bool:
    async with sessions() as db, db.begin():
        claimed = await db.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                (OutboxMessage.status == OutboxStatus.QUEUED)
                | (
                    (OutboxMessage.status == OutboxStatus.SENDING)
                    & (OutboxMessage.claimed_at < now - STALE_CLAIM)
                ),
            )
            .values(status=OutboxStatus.SENDING, claimed_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return False
        row = await db.get_one(OutboxMessage, message_id)
    try:
        await send_smtp(row.parsed(), settings)
    except (aiosmtplib.SMTPException, OSError) as exc:
        log.warning("mail %s to SMTP failed: %s", message_id, type(exc).__name__)
        async with sessions() as db, db.begin():
            attempts = row.attempts + 1
            await db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(
                    attempts=attempts,
                    last_error=f"{type(exc).__name__}: {exc}"[:1000],
                    status=(
                        OutboxStatus.FAILED
                        if attempts >= MAX_ATTEMPTS
                        else OutboxStatus.QUEUED
                    ),
                )
            )
        return False
    async with sessions() as db, db.begin():
        await db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status=OutboxStatus.SENT, sent_at=now, attempts=row.attempts + 1)
        )
    return True
