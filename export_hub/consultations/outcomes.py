"""What came of a held consultation: the office records it, edits it, and
every change is kept (who, when, each field old → new).

Only a confirmed booking whose meeting has ended takes an outcome, and only
its own office (or an admin) records it. A deal carries its expected value
in USD (more than 0, to the cent) and its expected date (from the meeting's
office-local date up to two years after); other outcomes carry neither. The
products discussed are the company's own. Bad input raises
:class:`ValidationFailed` (400) and a wrong state :class:`Conflict` (409),
both bilingual, before anything is written.

The company sees the outcome, the next step, the products and the deal; the
notes are the office's own working notes and stay with the office and staff.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.accounts.models import Company, Role
from export_hub.catalog.models import Product
from export_hub.consultations.booking import Actor
from export_hub.consultations.models import (
    Booking,
    BookingStatus,
    ConsultationOutcome,
    OutcomeEvent,
    OutcomeKind,
    OutcomeProduct,
)
from export_hub.consultations.slots import local_date
from export_hub.errors import Conflict, FieldErrors, PermissionDenied, Text
from export_hub.validation import MAX_INT, clean_date, clean_int, validate_text

LABELS: dict[OutcomeKind, Text] = {
    OutcomeKind.NO_INTEREST: Text("관심 없음", "No interest"),
    OutcomeKind.FOLLOW_UP: Text("후속 상담", "Follow-up"),
    OutcomeKind.SAMPLE_REQUESTED: Text("샘플 요청", "Sample requested"),
    OutcomeKind.QUOTE_SENT: Text("견적 발송", "Quote sent"),
    OutcomeKind.DEAL: Text("계약", "Deal"),
}
FIELDS = frozenset(
    {"kind", "notes", "next_step", "deal_value_usd", "deal_on", "product_ids",
     "version"}
)  # fmt: skip
MAX_NOTES = 4000
MAX_NEXT_STEP = 1000
MAX_PRODUCTS = 20
#: Numeric(14, 2): twelve digits before the point.
MAX_VALUE = Decimal("999999999999.99")
#: How far after the meeting an expected deal date may lie.
DEAL_HORIZON = dt.timedelta(days=730)
CENT = Decimal("0.01")


_ID = {"type": "integer", "minimum": 1, "maximum": MAX_INT}
_NULLABLE_DATE = {"type": "string", "format": "date", "nullable": True}
#: The OpenAPI component schemas of the outcome (input and output).
SCHEMAS: dict[str, Any] = {
    "OutcomeInput": {
        "type": "object",
        "required": ["kind"],
        "additionalProperties": False,
        "properties": {
            "kind": {"type": "string", "enum": [k.value for k in OutcomeKind]},
            "notes": {"type": "string", "maxLength": MAX_NOTES,
                      "description": "the office's notes; never shown to the company"},
            "next_step": {"type": "string", "maxLength": MAX_NEXT_STEP,
                          "description": "shown to the company"},
            "deal_value_usd": {
                "type": "number", "minimum": 0, "exclusiveMinimum": True,
                "maximum": float(MAX_VALUE), "nullable": True,
                "description": "deal only (required then): expected USD, to the cent",
            },
            "deal_on": _NULLABLE_DATE | {
                "description": "deal only (required then): expected date, from the"
                " meeting's office-local date up to two years after",
            },
            "product_ids": {"type": "array", "items": _ID, "maxItems": MAX_PRODUCTS,
                            "uniqueItems": True,
                            "description": "the company's products discussed"},
            "version": _ID | {"description": "the version edited; 409 if stale"},
        },
    },
    "Outcome": {
        "type": "object",
        "additionalProperties": False,
        "required": ["kind", "label_ko", "label_en", "next_step", "deal_value_usd",
                     "deal_on", "product_ids", "version", "updated_at"],
        "properties": {
            "kind": {"type": "string", "enum": [k.value for k in OutcomeKind]},
            "label_ko": {"type": "string"}, "label_en": {"type": "string"},
            "next_step": {"type": "string"},
            "notes": {"type": "string", "description": "office and staff only"},
            "deal_value_usd": {"type": "string", "nullable": True,
                               "description": "decimal USD"},
            "deal_on": _NULLABLE_DATE,
            "product_ids": {"type": "array", "items": {"type": "integer"}},
            "version": {"type": "integer"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
}  # fmt: skip


@dataclass(frozen=True)
class OutcomeInput:
    """A validated outcome, ready to store."""

    kind: OutcomeKind
    notes: str
    next_step: str
    deal_value_usd: Decimal | None
    deal_on: dt.date | None
    product_ids: tuple[int, ...]
    #: The version the editor saw; ``None`` skips the stale-edit check.
    version: int | None = None


def label(kind: OutcomeKind | str, lang: str) -> str:
    """The outcome's name in ``lang`` (``ko`` or ``en``)."""
    return LABELS[OutcomeKind(kind)].get(lang)


def _money(raw: object, errors: FieldErrors) -> Decimal | None:
    if raw is None or raw == "":
        return None
    value: Decimal | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = Decimal(str(raw))
    elif isinstance(raw, str) and len(raw.strip()) <= 20:
        try:
            value = Decimal(raw.strip().replace(",", ""))
        except InvalidOperation:
            value = None
    if value is None or not value.is_finite():
        errors.add("deal_value_usd", "금액은 숫자(USD)로 입력해 주세요.",
                   "Enter the value as a number of US dollars.")  # fmt: skip
    elif value <= 0:
        errors.add("deal_value_usd", "계약 금액은 0보다 커야 합니다.",
                   "The deal value must be more than 0.")  # fmt: skip
    elif value > MAX_VALUE or value != value.quantize(CENT):
        errors.add("deal_value_usd",
                   "금액은 센트 단위까지, 999,999,999,999.99 이하로 입력해 주세요.",
                   "At most 999,999,999,999.99, to the cent.")  # fmt: skip
    else:
        return value.quantize(CENT)
    return None


def _product_ids(raw: object, errors: FieldErrors) -> tuple[int, ...]:
    items = raw if isinstance(raw, list | tuple) else [] if raw is None else None
    ids: list[int] = []
    if items is not None and len(items) <= MAX_PRODUCTS:
        for item in items:
            number = clean_int(item, FieldErrors(), "_", lo=1, hi=MAX_INT)
            if number is None:
                break
            ids.append(number)
        else:
            return tuple(dict.fromkeys(ids))
    errors.add("product_ids", f"제품은 {MAX_PRODUCTS}개까지 번호로 골라 주세요.",
               f"Choose up to {MAX_PRODUCTS} products by their ids.")  # fmt: skip
    return ()


def _text(raw: object, errors: FieldErrors, name: str, max_len: int) -> str:
    if raw is not None and not isinstance(raw, str):
        errors.add(name, "문자열이어야 합니다.", "Must be text.")
        return ""
    return validate_text(
        raw or "", errors, name, max_len=max_len, required=False, multiline=True
    )


def clean_outcome(values: Mapping[str, Any]) -> OutcomeInput:
    """Check the types and the rules that need no database; 400 otherwise.

    ``values`` comes from JSON or a form (``product_ids`` a list either way).
    """
    errors = FieldErrors()
    raw_kind = values.get("kind")
    kind = None
    if isinstance(raw_kind, str) and raw_kind in {k.value for k in OutcomeKind}:
        kind = OutcomeKind(raw_kind)
    else:
        errors.add("kind", "상담 결과를 골라 주세요.", "Choose what came of it.")
    notes = _text(values.get("notes"), errors, "notes", MAX_NOTES)
    next_step = _text(values.get("next_step"), errors, "next_step", MAX_NEXT_STEP)
    value = _money(values.get("deal_value_usd"), errors)
    raw_day = values.get("deal_on")
    day = None if raw_day in (None, "") else clean_date(raw_day, errors, "deal_on")
    products = _product_ids(values.get("product_ids"), errors)
    version = clean_int(values.get("version"), errors, "version", lo=1)
    if kind is OutcomeKind.DEAL:
        if value is None and "deal_value_usd" not in errors.errors:
            errors.add("deal_value_usd", "계약은 예상 금액(USD)이 필요합니다.",
                       "A deal needs its expected value in USD.")  # fmt: skip
        if day is None and "deal_on" not in errors.errors:
            errors.add("deal_on", "계약은 예상 날짜가 필요합니다.",
                       "A deal needs its expected date.")  # fmt: skip
    elif kind is not None and (value is not None or day is not None):
        errors.add("deal_value_usd", "금액과 날짜는 계약에만 적습니다.",
                   "Only a deal has a value and a date.")  # fmt: skip
    errors.raise_if_any()
    assert kind is not None  # noqa: S101 - an error was raised otherwise
    return OutcomeInput(kind, notes, next_step, value, day, products, version)


def check_can_record(booking: Booking, actor: Actor, now: dt.datetime) -> None:
    """403 unless the office (or an admin); 409 unless the meeting was held."""
    admin = actor.user is not None and actor.user.role is Role.ADMIN
    if actor.kind != "office" and not admin:
        raise PermissionDenied(
            Text("상담 결과는 사무소가 기록합니다.",
                 "Only the office records what came of a consultation.")
        )  # fmt: skip
    if booking.status is not BookingStatus.CONFIRMED:
        raise Conflict(
            Text("확정된 상담에만 결과를 기록할 수 있습니다.",
                 "Only a confirmed consultation takes an outcome.")
        )  # fmt: skip
    if booking.end_at > now:
        raise Conflict(
            Text("상담이 끝난 뒤에 결과를 기록할 수 있습니다.",
                 "Record the outcome once the meeting has ended.")
        )  # fmt: skip


async def _check_against_booking(
    db: AsyncSession, booking: Booking, data: OutcomeInput
) -> None:
    errors = FieldErrors()
    if data.product_ids:
        owned = set(
            await db.scalars(
                select(Product.id).where(
                    Product.id.in_(data.product_ids),
                    Product.company_id == booking.company_id,
                )
            )
        )
        if owned != set(data.product_ids):
            errors.add("product_ids", "이 기업의 제품만 고를 수 있습니다.",
                       "Choose only this company's products.")  # fmt: skip
    if data.deal_on is not None:
        first = local_date(booking.start_at, booking.time_zone)
        last = first + DEAL_HORIZON
        if not first <= data.deal_on <= last:
            errors.add("deal_on",
                       f"계약 날짜는 {first}부터 {last}까지입니다.",
                       f"The deal date falls from {first} to {last}.")  # fmt: skip
    errors.raise_if_any()


def snapshot(outcome: ConsultationOutcome, product_ids: list[int]) -> dict[str, Any]:
    """The outcome's fields as JSON-ready values (the audit's old and new)."""
    return {
        "kind": outcome.kind.value,
        "notes": outcome.notes,
        "next_step": outcome.next_step,
        "deal_value_usd": (
            None if outcome.deal_value_usd is None else str(outcome.deal_value_usd)
        ),
        "deal_on": None if outcome.deal_on is None else outcome.deal_on.isoformat(),
        "product_ids": sorted(product_ids),
    }


async def product_ids_of(db: AsyncSession, outcome_id: int) -> list[int]:
    return sorted(
        await db.scalars(
            select(OutcomeProduct.product_id).where(
                OutcomeProduct.outcome_id == outcome_id
            )
        )
    )


async def record_outcome(
    db: AsyncSession,
    booking_id: int,
    actor: Actor,
    data: OutcomeInput,
    now: dt.datetime,
) -> ConsultationOutcome:
    """Record or edit the booking's outcome and audit the change.

    Runs inside the caller's transaction (the caller commits). Re-sending
    the same content changes nothing and writes no event. Raises 403, 409
    (wrong state, or ``data.version`` is not the current one) and 400.
    """
    booking = await db.get(Booking, booking_id, with_for_update=True)
    if booking is None:  # pragma: no cover - the caller found it already
        raise Conflict(Text("예약이 없어졌습니다.", "The booking is gone."))
    check_can_record(booking, actor, now)
    await _check_against_booking(db, booking, data)
    outcome = await db.scalar(
        select(ConsultationOutcome).where(ConsultationOutcome.booking_id == booking.id)
    )
    if outcome is None:
        outcome = ConsultationOutcome(booking_id=booking.id, created_at=now, version=0)
        db.add(outcome)
        old: dict[str, Any] | None = None
    else:
        if data.version is not None and data.version != outcome.version:
            raise Conflict(
                Text("다른 사람이 먼저 고쳤습니다. 새로 불러와 다시 고쳐 주세요.",
                     "Someone changed it first. Reload and edit again.")
            )  # fmt: skip
        old = snapshot(outcome, await product_ids_of(db, outcome.id))
    outcome.kind = data.kind
    outcome.notes = data.notes
    outcome.next_step = data.next_step
    outcome.deal_value_usd = data.deal_value_usd
    outcome.deal_on = data.deal_on
    new = snapshot(outcome, list(data.product_ids))
    changes = {
        name: {"old": None if old is None else old[name], "new": value}
        for name, value in new.items()
        if old is None or old[name] != value
    }
    if not changes:
        return outcome
    outcome.version += 1
    outcome.updated_at = now
    outcome.recorded_by_user_id = actor.user_id
    await db.flush()
    if "product_ids" in changes:
        await db.execute(
            delete(OutcomeProduct).where(OutcomeProduct.outcome_id == outcome.id)
        )
        db.add_all(
            OutcomeProduct(outcome_id=outcome.id, product_id=p)
            for p in data.product_ids
        )
    db.add(
        OutcomeEvent(
            outcome_id=outcome.id,
            at=now,
            actor_user_id=actor.user_id,
            action="recorded" if old is None else "edited",
            details={"changes": changes, "version": outcome.version},
        )
    )
    await db.flush()
    return outcome


async def save_outcome(
    sessions: async_sessionmaker[AsyncSession],
    booking_id: int,
    actor: Actor,
    data: OutcomeInput,
    now: dt.datetime,
) -> None:
    """:func:`record_outcome` as its own transaction; two first recordings at
    once leave one, the other gets 409 (the booking's UNIQUE outcome)."""
    try:
        async with sessions.begin() as db:
            await record_outcome(db, booking_id, actor, data, now)
    except IntegrityError:
        raise Conflict(
            Text("다른 사람이 먼저 기록했습니다. 새로 불러와 주세요.",
                 "Someone recorded it first. Reload the page.")
        ) from None  # fmt: skip


@dataclass(frozen=True)
class OutcomeView:
    """An outcome with its products, as a page or the API shows it."""

    outcome: ConsultationOutcome
    products: list[Product]

    def as_json(self, *, with_notes: bool) -> dict[str, Any]:
        o = self.outcome
        data: dict[str, Any] = {
            "kind": o.kind.value,
            "label_ko": LABELS[o.kind].ko,
            "label_en": LABELS[o.kind].en,
            "next_step": o.next_step,
            "deal_value_usd": None
            if o.deal_value_usd is None
            else str(o.deal_value_usd),
            "deal_on": None if o.deal_on is None else o.deal_on.isoformat(),
            "product_ids": [p.id for p in self.products],
            "version": o.version,
            "updated_at": o.updated_at.astimezone(dt.UTC)
            .isoformat()
            .replace("+00:00", "Z"),
        }
        if with_notes:
            data["notes"] = o.notes
        return data


async def outcome_views(
    db: AsyncSession, booking_ids: list[int]
) -> dict[int, OutcomeView]:
    """The outcomes of ``booking_ids`` by booking id (two queries, no N+1)."""
    if not booking_ids:
        return {}
    outcomes = list(
        await db.scalars(
            select(ConsultationOutcome).where(
                ConsultationOutcome.booking_id.in_(booking_ids)
            )
        )
    )
    products: dict[int, list[Product]] = {o.id: [] for o in outcomes}
    if outcomes:
        rows = await db.execute(
            select(OutcomeProduct.outcome_id, Product)
            .join(Product, Product.id == OutcomeProduct.product_id)
            .where(OutcomeProduct.outcome_id.in_(list(products)))
            .order_by(Product.sku)
        )
        for outcome_id, product in rows:
            products[outcome_id].append(product)
    return {o.booking_id: OutcomeView(o, products[o.id]) for o in outcomes}


async def outcome_history(db: AsyncSession, outcome_id: int) -> list[OutcomeEvent]:
    return list(
        await db.scalars(
            select(OutcomeEvent)
            .where(OutcomeEvent.outcome_id == outcome_id)
            .order_by(OutcomeEvent.id)
        )
    )


async def awaiting_outcome(
    db: AsyncSession, office_id: int, now: dt.datetime, limit: int = 50
) -> list[tuple[Booking, Company]]:
    """The office's held consultations without an outcome, latest first."""
    rows = await db.execute(
        select(Booking, Company)
        .join(Company, Company.id == Booking.company_id)
        .outerjoin(ConsultationOutcome, ConsultationOutcome.booking_id == Booking.id)
        .where(
            Booking.office_id == office_id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.end_at <= now,
            ConsultationOutcome.id.is_(None),
        )
        .order_by(Booking.end_at.desc())
        .limit(limit)
    )
    return [(b, c) for b, c in rows]


@dataclass(frozen=True)
class OfficeFigures:
    """An office's consultations held since ``since`` and what came of them."""

    since: dt.datetime
    held: int
    awaiting: int
    by_kind: dict[OutcomeKind, int]
    deal_value_usd: Decimal

    @property
    def deals(self) -> int:
        return self.by_kind.get(OutcomeKind.DEAL, 0)


async def office_figures(
    db: AsyncSession, office_id: int, since: dt.datetime, now: dt.datetime
) -> OfficeFigures:
    """Counts over meetings ended in ``[since, now]``, aggregated in SQL."""
    held_where = (
        Booking.office_id == office_id,
        Booking.status == BookingStatus.CONFIRMED,
        Booking.end_at >= since,
        Booking.end_at <= now,
    )
    held = await db.scalar(select(func.count(Booking.id)).where(*held_where)) or 0
    rows = await db.execute(
        select(
            ConsultationOutcome.kind,
            func.count(ConsultationOutcome.id),
            func.coalesce(func.sum(ConsultationOutcome.deal_value_usd), 0),
        )
        .join(Booking, Booking.id == ConsultationOutcome.booking_id)
        .where(*held_where)
        .group_by(ConsultationOutcome.kind)
    )
    by_kind: dict[OutcomeKind, int] = {}
    value = Decimal(0)
    for kind, count, total in rows:
        by_kind[OutcomeKind(kind)] = int(count)
        value += Decimal(str(total or 0))
    recorded = sum(by_kind.values())
    return OfficeFigures(since, held, held - recorded, by_kind, value.quantize(CENT))
