"""Requesting a booking, the checks every booking time must pass, and the
unit of work that turns a lost race into a 409 with fresh slots. Status
changes (confirm, decline, cancel, expire, reschedule) are in :mod:`changes`.

The rules that keep the calendar right:

- a live booking holds its resources through :class:`BookingClaim` rows
  (UNIQUE per resource and five-minute unit) written in the booking's own
  transaction, so two overlapping live bookings cannot both commit, however
  many requests race (on PostgreSQL an exclusion constraint backs this up);
- every status change is a compare-and-swap ``UPDATE ... WHERE status = ...``;
  confirming also needs ``expires_at > now``, expiring ``expires_at <= now``,
  so confirm, decline, cancel and expire can never both win;
- leaving the live states deletes the claims in the same transaction, so the
  slot is free the moment the change commits;
- every change raises the iCalendar SEQUENCE and appends a
  :class:`BookingEvent`, and queues the mails in the same transaction.

Functions taking a session never commit. :func:`request_booking` and
:func:`run_booking_change` own their transactions, because they turn a lost
race into a :class:`BookingConflict` with fresh slots.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import re
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from export_hub.accounts.models import Role, User
from export_hub.catalog.models import Product
from export_hub.consultations.availability import (
    company_live_count,
    day_counts,
    find_slots,
    office_policy,
    slot_json,
    works_then,
)
from export_hub.consultations.claims import (
    add_claims,
    claim_keys,
    hold_claims,
    in_flight,
    taken_kinds,
)
from export_hub.consultations.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    Buyer,
    Interpreter,
    Office,
)
from export_hub.consultations.notify import notify
from export_hub.consultations.slots import (
    Slot,
    free_slots,
    held_span,
    is_aligned,
    local_date,
)
from export_hub.db import reading
from export_hub.errors import Conflict, FieldErrors, NotFound, Text
from export_hub.security import new_token, sha256_hex
from export_hub.settings import Settings

T = TypeVar("T")
LANGUAGE_CODES = frozenset({"ko", "en", "de", "vi", "zh", "id", "ja", "es", "fr"})
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,100}$")
LANGUAGE_PAIR = re.compile(r"^[a-z]{2}-[a-z]{2}$")
MEETING_LENGTHS = (30, 60)
#: Fresh slots offered with a conflict: this many days from the asked date.
FRESH_DAYS = 7


class BookingConflict(Conflict):
    """409: the time was taken (or the request is no longer possible).

    Carries fresh free slots so the client can offer another time at once.
    """

    code = "booking_conflict"

    def __init__(self, message: Text, slots: Sequence[dict[str, Any]] = ()):
        super().__init__(message)
        self.slots = list(slots)

    def to_json(self, lang: str = "ko") -> dict[str, Any]:
        data = super().to_json(lang)
        data["error"]["slots"] = self.slots
        return data


TAKEN = Text(
    "방금 다른 예약이 이 시간을 먼저 잡았습니다. 아래의 비어 있는 시간 중에서 "
    "다시 골라 주세요.",
    "Someone else booked this time a moment ago. Please pick another of the "
    "free times below.",
)


@dataclass(frozen=True)
class BookingRequest:
    """What a company asks for. ``start`` is an aware instant."""

    office_id: int
    start: dt.datetime
    minutes: int
    topic: str
    product_ids: tuple[int, ...] = ()
    languages: tuple[str, ...] = ("ko",)
    buyer_id: int | None = None
    interpreter_need: str = ""
    interpreter_id: int | None = None
    idempotency_key: str | None = None

    def fingerprint(self) -> str:
        content = {
            "office_id": self.office_id,
            "start": self.start.astimezone(dt.UTC).isoformat(),
            "minutes": self.minutes,
            "topic": self.topic,
            "product_ids": sorted(self.product_ids),
            "languages": sorted(self.languages),
            "buyer_id": self.buyer_id,
            "interpreter_need": self.interpreter_need,
            "interpreter_id": self.interpreter_id,
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who changes a booking: ``company``, ``office``, ``staff``,
    ``manage_link`` (the company, through its link) or ``system``."""

    kind: str
    user: User | None = None

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None


SYSTEM = Actor("system")


@dataclass(frozen=True)
class Requested:
    booking: Booking
    #: The manage link's token: only on the first answer, never stored.
    manage_token: str | None
    replayed: bool


def manage_url(settings: Settings, token: str) -> str:
    return f"{settings.web.public_base_url.rstrip('/')}/consultations/manage/{token}"


def actor_for(user: User, booking: Booking, office: Office) -> Actor:
    """The role ``user`` acts in on ``booking``; 404 when it is not theirs."""
    if user.is_staff:
        return Actor("staff", user)
    if user.role is Role.OFFICE and user.office_code == office.code:
        return Actor("office", user)
    if user.role is Role.COMPANY and user.company_id == booking.company_id:
        return Actor("company", user)
    raise NotFound()


# -- the unit-of-work wrappers ---------------------------------------------


async def run_booking_change(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    work: Callable[[AsyncSession], Awaitable[T]],
    *,
    office_id: int,
    near: dt.datetime,
    now: dt.datetime,
    attempts: int = 8,
) -> T:
    """Run ``work`` in its own transaction. A claim it loses becomes a
    :class:`BookingConflict` with fresh slots; a PostgreSQL deadlock or
    serialization failure is retried up to ``attempts`` times in all, after a
    short jittered pause (the retry then meets the winner's committed claims
    and answers 409). Any other database error is raised at once."""
    async for attempt in _race_retrying(attempts):
        with attempt:
            try:
                async with _writing(sessions) as db:
                    return await work(db)
            except IntegrityError:
                raise await conflict_with_slots(
                    sessions, office_id, near, now, TAKEN
                ) from None
            except BookingConflict as exc:
                if exc.slots:
                    raise
                # Every 409 offers other times, whatever the reason.
                raise await conflict_with_slots(
                    sessions, office_id, near, now, exc.message
                ) from None
    raise AssertionError("unreachable")  # pragma: no cover


_WRITERS: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


@contextlib.asynccontextmanager
async def _writing(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session in a write transaction that commits on success.

    On SQLite this process's booking writers take turns on an asyncio lock,
    taken once the connection is in hand and before ``BEGIN IMMEDIATE``:
    SQLite has one writer at a time and its busy handler waits by sleeping
    (up to 100 ms a nap), while this queue hands the write lock on the moment
    the previous transaction ends. PostgreSQL writers run concurrently (the
    claims' unique key decides)."""
    engine = sessions.kw.get("bind")
    if engine is None or engine.dialect.name != "sqlite":
        async with sessions() as db, db.begin():
            yield db
        return
    turn = _WRITERS.setdefault(engine.sync_engine, asyncio.Lock())
    async with engine.connect() as conn, turn, sessions(bind=conn) as db:
        async with db.begin():
            yield db


def _race_retrying(attempts: int) -> AsyncRetrying:
    return AsyncRetrying(
        retry=retry_if_exception(is_lost_race),
        # Full jitter, so transactions that deadlocked together do not meet
        # again at the same instant.
        wait=wait_random_exponential(multiplier=0.02, max=0.5),
        stop=stop_after_attempt(attempts),
        reraise=True,
    )


def is_lost_race(exc: BaseException) -> bool:
    """A PostgreSQL deadlock (40P01) or serialization failure (40001): the
    transaction lost a race and may simply be run again."""
    if not isinstance(exc, DBAPIError) or isinstance(exc, IntegrityError):
        return False
    return getattr(exc.orig, "sqlstate", None) in ("40001", "40P01")


async def conflict_with_slots(
    sessions: async_sessionmaker[AsyncSession],
    office_id: int,
    near: dt.datetime,
    now: dt.datetime,
    message: Text,
) -> BookingConflict:
    """A 409 with the office's free slots near ``near``.

    Losers of one race ask for the same slots at the same moment: they share
    one computation that is under way (never a stored answer), read without
    the SQLite write lock.
    """
    start = max(now, near - dt.timedelta(hours=12))
    key = (sessions, office_id, start, now)
    computing = _FRESH.get(key)
    if computing is None:
        computing = asyncio.ensure_future(_fresh_slots(sessions, office_id, start, now))
        _FRESH[key] = computing
        computing.add_done_callback(lambda _: _FRESH.pop(key, None))
    return BookingConflict(message, await asyncio.shield(computing))


_FRESH: dict[tuple[Any, ...], asyncio.Future[list[dict[str, Any]]]] = {}


async def _fresh_slots(
    sessions: async_sessionmaker[AsyncSession],
    office_id: int,
    start: dt.datetime,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    async with reading(sessions) as db:
        office = await db.get(Office, office_id)
        if office is None:
            return []
        slots = await find_slots(
            db, office, start, start + dt.timedelta(FRESH_DAYS), now
        )
    return [slot_json(s, office.time_zone) for s in slots[:20]]


async def request_booking(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    requester: User,
    request: BookingRequest,
    now: dt.datetime,
) -> Requested:
    """Create a pending booking, or return the one this idempotency key made.

    Raises ``ValidationFailed`` (400), ``NotFound`` (404) or
    :class:`BookingConflict` (409, with fresh slots) when the time is taken,
    a limit is reached, or the key was used for a different request.
    """
    if request.idempotency_key:
        replay = await _replay(sessions, requester, request)
        if replay is not None:
            return replay

    # Everything that only reads runs first, outside any write transaction;
    # a time already claimed is a 409 here, without writing.
    try:
        async with reading(sessions) as db:
            prepared = await prepare_booking(db, settings, requester, request, now)
    except BookingConflict as exc:
        # Every 409 offers other times, whatever the reason.
        raise await conflict_with_slots(
            sessions, request.office_id, request.start, now, exc.message
        ) from None

    async def work(db: AsyncSession) -> Requested:
        booking = await insert_booking(db, settings, prepared, requester, now)
        return Requested(booking, prepared.token, replayed=False)

    try:
        return await run_booking_change(
            sessions,
            settings,
            work,
            office_id=request.office_id,
            near=request.start,
            now=now,
        )
    except BookingConflict:
        # The same key raced itself: the other attempt's booking is the answer.
        if request.idempotency_key:
            replay = await _replay(sessions, requester, request)
            if replay is not None:
                return replay
        raise


async def _replay(
    sessions: async_sessionmaker[AsyncSession], requester: User, request: BookingRequest
) -> Requested | None:
    async with sessions() as db:
        booking = await db.scalar(
            select(Booking).where(
                Booking.requester_user_id == requester.id,
                Booking.idempotency_key == request.idempotency_key,
            )
        )
    if booking is None:
        return None
    if booking.request_fingerprint != request.fingerprint():
        raise BookingConflict(
            Text(
                "이 Idempotency-Key는 이미 다른 요청에 쓰였습니다.",
                "This Idempotency-Key was already used for a different request.",
            )
        )
    return Requested(booking, None, replayed=True)


# -- creating ----------------------------------------------------------------


@dataclass
class PreparedBooking:
    """A checked request: the booking to insert (no id yet), its office
    and the manage token."""

    booking: Booking
    office: Office
    token: str


async def create_booking(
    db: AsyncSession,
    settings: Settings,
    requester: User,
    request: BookingRequest,
    now: dt.datetime,
) -> tuple[Booking, str]:
    """Validate and add a pending booking with its claims in ``db``'s
    transaction; returns it and the manage token. Raises ``IntegrityError``
    when the time is taken."""
    prepared = await prepare_booking(db, settings, requester, request, now)
    booking = await insert_booking(db, settings, prepared, requester, now)
    return booking, prepared.token


async def prepare_booking(
    db: AsyncSession,
    settings: Settings,
    requester: User,
    request: BookingRequest,
    now: dt.datetime,
) -> PreparedBooking:
    """Check a request (only reads) and build its pending booking.

    Raises ``ValidationFailed``, ``NotFound``, or :class:`BookingConflict`
    when the time is already claimed or the company is busy then."""
    office = await db.get(Office, request.office_id)
    if office is None or not office.active or requester.company_id is None:
        raise NotFound()
    errors = FieldErrors()
    check_content(request, errors)
    buyer = await check_buyer(db, office, request.buyer_id, errors)
    interpreter = await check_interpreter(db, request.interpreter_id, errors)
    errors.raise_if_any()
    end = request.start + dt.timedelta(minutes=request.minutes)
    token = new_token(32)
    expiry = now + dt.timedelta(hours=settings.consultations.pending_expiry_hours)
    booking = Booking(
        uid=f"{uuid.uuid4()}@export-hub",
        sequence=0,
        office_id=office.id,
        company_id=requester.company_id,
        requester_user_id=requester.id,
        start_at=request.start,
        end_at=end,
        time_zone=office.time_zone,
        buffer_before_minutes=office.buffer_before_minutes,
        buffer_after_minutes=office.buffer_after_minutes,
        topic=request.topic.strip(),
        product_ids=list(request.product_ids),
        languages=list(request.languages),
        buyer_id=buyer.id if buyer else None,
        interpreter_need=request.interpreter_need,
        interpreter_id=interpreter.id if interpreter else None,
        status=BookingStatus.PENDING,
        expires_at=min(expiry, request.start),
        idempotency_key=request.idempotency_key,
        request_fingerprint=request.fingerprint(),
        manage_token_hash=sha256_hex(token),
        manage_expires_at=end,
        created_at=now,
        updated_at=now,
    )
    # The common loser of a race learns it here, from the claims' unique
    # index, before the costlier checks.
    keys = claim_keys(booking)
    if in_flight(db, keys):
        raise BookingConflict(TAKEN)
    if taken := await taken_kinds(db, keys):
        raise BookingConflict(COMPANY_BUSY if "company" in taken else TAKEN)
    await check_products(db, requester.company_id, request.product_ids, errors)
    await check_slot(db, office, request.start, end, now, interpreter, errors)
    errors.raise_if_any()
    await check_company_free(db, requester.company_id, request.start, end)
    return PreparedBooking(booking, office, token)


async def insert_booking(
    db: AsyncSession,
    settings: Settings,
    prepared: PreparedBooking,
    requester: User,
    now: dt.datetime,
) -> Booking:
    """Write a prepared booking: limits, the row, its claims, its event and
    mails, in a handful of statements. Raises :class:`BookingConflict` when
    a claim is already committed or a limit is reached, ``IntegrityError``
    when a claim is won meanwhile by a transaction still open.

    Nobody waits for another booking's open transaction: the claim keys are
    first marked as being claimed without waiting (:func:`hold_claims`), so
    a writer of the same time that is still open answers this one 409 at
    once; then committed claims answer 409. The row is inserted with an
    empty held span and given its span only after its claims are won, so
    the exclusion constraint never has two open overlapping rows to wait on
    each other; the claims' unique key decides who wins.
    """
    booking, office = prepared.booking, prepared.office
    assert booking.company_id is not None  # noqa: S101 - set by prepare_booking
    keys = claim_keys(booking)
    if not await hold_claims(db, keys) or await taken_kinds(db, keys):
        raise BookingConflict(TAKEN)
    await check_limits(db, office, booking.company_id, booking.start_at, now)
    span = held_span(
        booking.start_at,
        booking.end_at,
        booking.buffer_before_minutes,
        booking.buffer_after_minutes,
    )
    booking.span_start = booking.span_end = span.start
    db.add(booking)
    await db.flush()
    await add_claims(db, booking)
    booking.span_end = span.end
    record_event(db, booking, Actor("company", requester), "requested", None, now)
    await db.flush()
    await notify(
        db,
        "requested",
        booking,
        settings,
        now,
        manage_url=manage_url(settings, prepared.token),
    )
    return booking


def check_content(request: BookingRequest, errors: FieldErrors) -> None:
    if not request.topic.strip():
        errors.add("topic", "상담 주제를 입력해 주세요.", "Enter the topic.")
    elif len(request.topic) > 1000:
        errors.add(
            "topic",
            "주제는 1000자 이내로 써 주세요.",
            "Keep the topic under 1000 characters.",
        )
    if request.minutes not in MEETING_LENGTHS:
        errors.add(
            "minutes",
            "상담 시간은 30분 또는 60분입니다.",
            "Meetings last 30 or 60 minutes.",
        )
    if not request.start.tzinfo or not is_aligned(request.start):
        errors.add(
            "start", "시작 시각이 올바르지 않습니다.", "The start time is not valid."
        )
    if not request.languages or not set(request.languages) <= LANGUAGE_CODES:
        errors.add(
            "languages", "상담 언어를 골라 주세요.", "Choose the meeting languages."
        )
    if request.interpreter_need and not LANGUAGE_PAIR.match(request.interpreter_need):
        errors.add(
            "interpreter_need",
            "통역 언어쌍은 ko-de 형식입니다.",
            "Give the interpreter's language pair like ko-de.",
        )
    if request.idempotency_key and not IDEMPOTENCY_KEY.match(request.idempotency_key):
        errors.add(
            "idempotency_key",
            "Idempotency-Key는 영문·숫자 8~100자입니다.",
            "An Idempotency-Key is 8 to 100 letters, digits or ._:-",
        )


async def check_products(
    db: AsyncSession, company_id: int, product_ids: Sequence[int], errors: FieldErrors
) -> None:
    if not product_ids:
        return
    own = set(
        await db.scalars(
            select(Product.id).where(
                Product.company_id == company_id, Product.id.in_(product_ids)
            )
        )
    )
    if own != set(product_ids):
        errors.add(
            "product_ids",
            "자사 제품만 고를 수 있습니다.",
            "Choose only your own products.",
        )


async def check_buyer(
    db: AsyncSession, office: Office, buyer_id: int | None, errors: FieldErrors
) -> Buyer | None:
    if buyer_id is None:
        return None
    buyer = await db.get(Buyer, buyer_id)
    if buyer is None or buyer.office_id not in (None, office.id):
        errors.add(
            "buyer_id", "이 사무소의 바이어가 아닙니다.", "Not a buyer of this office."
        )
        return None
    return buyer


async def check_interpreter(
    db: AsyncSession, interpreter_id: int | None, errors: FieldErrors
) -> Interpreter | None:
    if interpreter_id is None:
        return None
    interpreter = await db.get(Interpreter, interpreter_id)
    if interpreter is None or not interpreter.active:
        errors.add(
            "interpreter_id", "통역사를 찾을 수 없습니다.", "No such interpreter."
        )
        return None
    return interpreter


async def check_slot(
    db: AsyncSession,
    office: Office,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    interpreter: Interpreter | None,
    errors: FieldErrors,
) -> None:
    """The time must be one the office offers (rules, notice, horizon,
    blackouts); whether it is still free is the claims' business."""
    if errors.errors.get("start") or errors.errors.get("minutes"):
        return
    policy = await office_policy(db, office)
    minutes = int((end - start).total_seconds() // 60)
    offered = free_slots(
        policy, start, start + dt.timedelta(minutes=1), now, minutes=minutes
    )
    if Slot(start, end) not in offered:
        errors.add(
            "start",
            "사무소가 이 시간에는 상담하지 않습니다.",
            "The office does not offer this time.",
        )
        return
    if interpreter is not None and not works_then(interpreter, start, end):
        errors.add(
            "interpreter_id",
            "통역사가 이 시간에는 일하지 않습니다.",
            "The interpreter does not work at this time.",
        )


async def check_limits(
    db: AsyncSession,
    office: Office,
    company_id: int,
    start: dt.datetime,
    now: dt.datetime,
    *,
    exclude_booking_id: int | None = None,
) -> None:
    """Per-day and per-company limits, under a lock on the office row
    (PostgreSQL ``FOR UPDATE``; SQLite transactions are already serial)."""
    if not (office.max_per_day or office.max_per_company):
        return
    await db.execute(select(Office.id).where(Office.id == office.id).with_for_update())
    if office.max_per_company and exclude_booking_id is None:
        if (
            await company_live_count(db, office.id, company_id, now)
            >= office.max_per_company
        ):
            raise BookingConflict(
                Text(
                    f"이 사무소에는 한 기업이 동시에 {office.max_per_company}건까지 "
                    "예약할 수 있습니다.",
                    f"A company may hold {office.max_per_company} bookings at a time "
                    "with this office.",
                )
            )
    if office.max_per_day:
        counts = await day_counts(
            db,
            office,
            start,
            start + dt.timedelta(hours=1),
            exclude_booking_id=exclude_booking_id,
        )
        if counts.get(local_date(start, office.time_zone), 0) >= office.max_per_day:
            raise BookingConflict(
                Text(
                    "이 날은 사무소의 하루 상담 한도가 찼습니다.",
                    "The office is fully booked that day.",
                )
            )


COMPANY_BUSY = Text(
    "이 시간에는 이미 다른 상담이 잡혀 있습니다 (다른 사무소 포함). "
    "다른 시간을 골라 주세요.",
    "Your company already has a consultation at this time (with any office). "
    "Please pick another time.",
)


async def check_company_free(
    db: AsyncSession,
    company_id: int,
    start: dt.datetime,
    end: dt.datetime,
    *,
    exclude_booking_id: int | None = None,
) -> None:
    """Say plainly when the company itself is busy then (any office).

    Only for the message: the company's claims decide under concurrency.
    """
    query = select(Booking.id).where(
        Booking.company_id == company_id,
        Booking.status.in_((BookingStatus.PENDING, BookingStatus.CONFIRMED)),
        Booking.start_at < end,
        Booking.end_at > start,
    )
    if exclude_booking_id is not None:
        query = query.where(Booking.id != exclude_booking_id)
    if await db.scalar(query.limit(1)) is not None:
        raise BookingConflict(COMPANY_BUSY)


def record_event(
    db: AsyncSession,
    booking: Booking,
    actor: Actor,
    action: str,
    from_status: str | None,
    now: dt.datetime,
    **details: Any,
) -> None:
    db.add(
        BookingEvent(
            booking_id=booking.id,
            at=now,
            actor_user_id=actor.user_id,
            actor=actor.kind,
            action=action,
            from_status=from_status,
            to_status=booking.status.value,
            details=details,
        )
    )
