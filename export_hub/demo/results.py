"""A year of demo results: order history and consultations with outcomes, so
every dashboard and chart shows something real on the first ``make run``.

Demo step, deterministic (one seeded :class:`random.Random` per company and
marketplace) and idempotent (skipped where its rows already exist):

* **Order history** older than the emulators' live window (the orders
  :mod:`export_hub.demo.orders` places through the emulators are at most
  three weeks old; this history ends five weeks ago). Every order id starts
  with ``DEMO-`` and the orders are marked as demo history in their raw
  status. They are recorded as already shipped, with no stock movement: the
  units left the warehouse before today's stock was counted, so today's
  stock and ledger are untouched (each line holds and consumed nothing,
  ``stock.ledger.verify`` stays true). About one order in twenty is a buyer
  cancellation and a few shipped orders carry a partial refund.
* **KRW rates** for the months of the history before the first rate the
  demo already keeps (never a newer one: today's prices do not change).
* **Consultations held** over the year at the overseas offices, confirmed
  and ended, each with the outcome the office recorded (no interest,
  follow-up, sample requested, quote sent, deal with its value) and the
  products discussed, written directly through the models.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.base import OrderStatus
from export_hub.accounts.models import Company, Role, User
from export_hub.catalog.models import Product, ReviewState
from export_hub.consultations.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    ConsultationOutcome,
    Office,
    OutcomeEvent,
    OutcomeKind,
    OutcomeProduct,
)
from export_hub.db import utcnow
from export_hub.demo.base import DemoLogin
from export_hub.marketplaces.models import SellerAccount
from export_hub.orders.models import Order, OrderLine
from export_hub.pricing.models import ExchangeRate
from export_hub.pricing.rates import record_rate
from export_hub.settings import Settings

PREFIX = "DEMO-"
RAW_STATUS = "demo history"
#: The history covers [now - 365 days, now - 35 days): older than any order
#: the emulators place at start-up.
FIRST_DAY, LAST_DAY = 365, 35
DEMO_BRNS = ("3058112341", "3148620457")
#: Where each marketplace's buyers are, with weights.
COUNTRIES = {
    "amazon": (("US", 8), ("CA", 1)),
    "ebay": (("US", 5), ("GB", 2), ("DE", 2), ("AU", 1), ("CA", 1)),
}
#: KRW per USD by month of the year (a plausible drift), for missing months.
KRW_PER_USD = (1450, 1445, 1462, 1438, 1390, 1372, 1380, 1395, 1388, 1401, 1420, 1435)
#: (office code, months ago, outcome, deal value in USD or None, topic)
CONSULTATIONS = (
    ("LAX", 11, OutcomeKind.FOLLOW_UP, None, "미국 판로 / US retail channels"),
    ("FRA", 10, OutcomeKind.NO_INTEREST, None, "독일 유통 / German distribution"),
    ("LAX", 8, OutcomeKind.SAMPLE_REQUESTED, None, "샘플 / Samples for a buyer"),
    ("SGN", 7, OutcomeKind.QUOTE_SENT, None, "베트남 견적 / Quote for Vietnam"),
    ("LAX", 5, OutcomeKind.DEAL, Decimal("24000"), "미국 계약 / US distributor"),
    ("FRA", 4, OutcomeKind.SAMPLE_REQUESTED, None, "유럽 박람회 / EU trade fair"),
    ("TYO", 3, OutcomeKind.FOLLOW_UP, None, "일본 진출 / Japan entry"),
    ("FRA", 2, OutcomeKind.DEAL, Decimal("12500"), "독일 계약 / German importer"),
)
NEXT_STEPS = {
    OutcomeKind.NO_INTEREST: "다른 바이어를 추천받으세요 / Ask for other buyers",
    OutcomeKind.FOLLOW_UP: "2주 안에 후속 상담 / Follow-up call in two weeks",
    OutcomeKind.SAMPLE_REQUESTED: "샘플 3종 발송 / Send three samples",
    OutcomeKind.QUOTE_SENT: "견적 회신 대기 / Await the buyer's answer",
    OutcomeKind.DEAL: "계약서 서명·첫 선적 / Sign and ship the first order",
}
Sessions = async_sessionmaker[AsyncSession]


async def load_results_demo(sessions: Sessions, settings: Settings) -> list[DemoLogin]:
    """Demo step: a year of order history, rates and consultation outcomes."""
    now = utcnow()
    async with sessions.begin() as db:
        await _backfill_rates(db, now.date())
        for index, brn in enumerate(DEMO_BRNS):
            company = await db.scalar(select(Company).where(Company.brn == brn))
            if company is None:
                continue
            products = list(
                await db.scalars(
                    select(Product)
                    .where(
                        Product.company_id == company.id,
                        Product.state == ReviewState.APPROVED,
                    )
                    .order_by(Product.id)
                )
            )
            if not products:
                continue
            accounts = await db.scalars(
                select(SellerAccount)
                .where(SellerAccount.company_id == company.id)
                .order_by(SellerAccount.id)
            )
            for account in accounts:
                await _order_history(db, account, products, brn, now)
            await _consultations(db, company, products, now, index)
    return []


def history_dates(seed: str, now: dt.datetime) -> list[dt.datetime]:
    """The purchase instants of one account's history, oldest first: a few
    orders a week, growing through the year (the programme's effect)."""
    rng = random.Random(seed)  # noqa: S311 - seeded demo data, not secrets
    instants = []
    for days_ago in range(FIRST_DAY, LAST_DAY, -1):
        growth = 0.25 + 0.75 * (FIRST_DAY - days_ago) / (FIRST_DAY - LAST_DAY)
        if rng.random() < 0.55 * growth:
            instants.append(
                now
                - dt.timedelta(days=days_ago)
                + dt.timedelta(minutes=rng.randrange(0, 24 * 60))
            )
    return instants


async def _order_history(
    db: AsyncSession,
    account: SellerAccount,
    products: list[Product],
    brn: str,
    now: dt.datetime,
) -> None:
    exists = await db.scalar(
        select(func.count(Order.id)).where(
            Order.seller_account_id == account.id,
            Order.marketplace_order_id.startswith(PREFIX),
        )
    )
    if exists:
        return
    seed = f"{brn}-{account.marketplace}"
    rng = random.Random(seed + "-orders")  # noqa: S311 - seeded demo data
    countries, weights = zip(
        *COUNTRIES.get(account.marketplace, (("US", 1),)), strict=True
    )
    tag = account.marketplace[:2].upper()
    for n, at in enumerate(history_dates(seed, now)):
        chosen = rng.sample(
            products, k=1 if rng.random() < 0.8 else min(2, len(products))
        )
        lines = [(p, rng.choice((1, 1, 1, 2, 3))) for p in chosen]
        cancelled = rng.random() < 0.05
        amounts = [_price(p) * q for p, q in lines]
        total = sum(amounts, Decimal(0))
        refund = (
            (total * Decimal("0.3")).quantize(Decimal("0.01"))
            if not cancelled and rng.random() < 0.04
            else Decimal(0)
        )
        order = Order(
            seller_account_id=account.id,
            company_id=account.company_id,
            marketplace=account.marketplace,
            marketplace_id=account.marketplace_id,
            marketplace_order_id=f"{PREFIX}{tag}-{brn[-4:]}-{n:04d}",
            status=(OrderStatus.CANCELLED if cancelled else OrderStatus.SHIPPED).value,
            raw_status=RAW_STATUS,
            purchased_at=at,
            marketplace_updated_at=at + dt.timedelta(days=2),
            ship_by=at + dt.timedelta(days=3),
            ship_to_country=rng.choices(countries, weights)[0],
            currency="USD",
            total=total,
            refunded=refund,
            imported_at=at + dt.timedelta(hours=1),
            last_seen_at=at + dt.timedelta(days=2),
        )
        db.add(order)
        await db.flush()
        for index, ((product, quantity), amount) in enumerate(
            zip(lines, amounts, strict=True)
        ):
            # Shipped before today's stock count: no reservation, no
            # consumption, no ledger movement.
            db.add(
                OrderLine(
                    order_id=order.id,
                    line_id=f"{order.marketplace_order_id}-{index + 1}",
                    sku=product.sku,
                    product_id=product.id,
                    quantity=quantity,
                    shipped=0 if cancelled else quantity,
                    cancelled=quantity if cancelled else 0,
                    amount=amount,
                    currency="USD",
                    title=product.name_en[:500],
                )
            )
    await db.flush()


def _price(product: Product) -> Decimal:
    if product.target_price_usd:
        return Decimal(str(product.target_price_usd))
    return max(Decimal(9), Decimal(product.price_krw or 0) / 1400).quantize(
        Decimal("0.01")
    )


async def _backfill_rates(db: AsyncSession, today: dt.date) -> None:
    """KRW→USD rates on the 1st of each month of the history that comes
    before the first rate kept (none is added after it)."""
    first = await db.scalar(
        select(func.min(ExchangeRate.effective_on)).where(
            ExchangeRate.base_currency == "KRW", ExchangeRate.quote_currency == "USD"
        )
    )
    if first is None:
        return
    day = (today - dt.timedelta(days=FIRST_DAY + 31)).replace(day=1)
    while day < first:
        usd = Decimal(1) / Decimal(KRW_PER_USD[day.month - 1])
        await record_rate(
            db,
            base="KRW",
            quote="USD",
            rate=usd.quantize(Decimal("0.0000001")),
            effective_on=day,
            source="demo",
        )
        day = (day + dt.timedelta(days=32)).replace(day=1)


async def _consultations(
    db: AsyncSession,
    company: Company,
    products: list[Product],
    now: dt.datetime,
    index: int,
) -> None:
    """Held consultations; each company meets at its own hours (01–04 or
    06–09 UTC), so two never hold the same office at once (the live
    bookings' exclusion constraint on PostgreSQL)."""
    requester = await db.scalar(
        select(User)
        .where(User.company_id == company.id, User.role == Role.COMPANY)
        .order_by(User.id)
        .limit(1)
    )
    if requester is None:
        return
    offices = {o.code: o for o in await db.scalars(select(Office))}
    for n, (code, months_ago, kind, value, topic) in enumerate(CONSULTATIONS):
        office = offices.get(code)
        key = f"demo-history-{company.brn}-{n}"
        if office is None or await db.scalar(
            select(Booking.id).where(Booking.idempotency_key == key)
        ):
            continue
        day = (now - dt.timedelta(days=30 * months_ago + 3 * (n % 3))).date()
        while day.weekday() >= 5:
            day -= dt.timedelta(days=1)
        start = dt.datetime.combine(day, dt.time(1 + 5 * index + n % 4), dt.UTC)
        end = start + dt.timedelta(minutes=office.meeting_minutes)
        discussed = [products[(n + i) % len(products)] for i in range(2)]
        booking = Booking(
            uid=f"{key}@demo.export-hub",
            office_id=office.id,
            company_id=company.id,
            requester_user_id=requester.id,
            start_at=start,
            end_at=end,
            time_zone=office.time_zone,
            span_start=start,
            span_end=end,
            topic=topic,
            product_ids=sorted({p.id for p in discussed}),
            languages=["ko", "en"],
            status=BookingStatus.CONFIRMED,
            idempotency_key=key,
            manage_token_hash=hashlib.sha256(key.encode()).hexdigest(),
            manage_expires_at=end,
            created_at=start - dt.timedelta(days=10),
            updated_at=end,
            decided_at=start - dt.timedelta(days=8),
        )
        db.add(booking)
        await db.flush()
        db.add(
            BookingEvent(
                booking_id=booking.id,
                at=start - dt.timedelta(days=8),
                actor="office",
                action="confirmed",
                from_status=BookingStatus.PENDING.value,
                to_status=BookingStatus.CONFIRMED.value,
                details={"demo": "history"},
            )
        )
        await _outcome(db, booking, kind, value, discussed, end)
    await db.flush()


async def _outcome(
    db: AsyncSession,
    booking: Booking,
    kind: OutcomeKind,
    value: Decimal | None,
    discussed: list[Product],
    end: dt.datetime,
) -> None:
    deal_on = (end + dt.timedelta(days=45)).date() if value else None
    outcome = ConsultationOutcome(
        booking_id=booking.id,
        kind=kind,
        notes="데모 기록 / demo record",
        next_step=NEXT_STEPS[kind],
        deal_value_usd=value,
        deal_on=deal_on,
        created_at=end + dt.timedelta(hours=2),
        updated_at=end + dt.timedelta(hours=2),
    )
    db.add(outcome)
    await db.flush()
    for product in {p.id: p for p in discussed}.values():
        db.add(OutcomeProduct(outcome_id=outcome.id, product_id=product.id))
    db.add(
        OutcomeEvent(
            outcome_id=outcome.id,
            at=end + dt.timedelta(hours=2),
            action="recorded",
            details={
                "kind": kind.value,
                "deal_value_usd": None if value is None else str(value),
                "deal_on": None if deal_on is None else deal_on.isoformat(),
                "product_ids": sorted(p.id for p in discussed),
                "changed": ["kind"],
            },
        )
    )
