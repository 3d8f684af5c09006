"""A property of the stock ledger: whatever the interleaving of buyer orders on
both marketplaces, cancellations, shipments (on the marketplace or confirmed
through Export Hub), stock edits and order imports (repeated ones included),
reserved never goes below 0, every channel is offered available ≥ 0, on hand
and reserved always equal the ledger's sums, reserved equals what the order
lines hold, and once everything is imported reserved equals the open units."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from connectors.base import OrderStatus
from export_hub.accounts.models import Company, Role, User
from export_hub.catalog.models import Product, ReviewState
from export_hub.db import create_engine, session_factory, transaction
from export_hub.errors import RequestError
from export_hub.listings.models import Listing
from export_hub.marketplaces.models import SellerAccount
from export_hub.orders.importer import import_orders
from export_hub.orders.models import Order, OrderLine
from export_hub.orders.shipments import ShipmentInput, confirm_shipment
from export_hub.stock import ledger
from tests.conftest import make_settings
from tests.orders.fakes import T0, FakeMarket, connectors_for, line, order

COUNTER = itertools.count(1)
MARKETS = st.sampled_from(["amazon", "ebay"])
OPERATIONS = st.one_of(
    st.tuples(st.just("order"), MARKETS, st.integers(1, 4)),
    st.tuples(st.just("cancel"), st.integers(0, 30)),
    st.tuples(st.just("ship"), st.integers(0, 30), st.integers(1, 4)),
    st.tuples(st.just("confirm"), st.integers(0, 30), st.integers(1, 4)),
    st.tuples(st.just("edit"), st.integers(0, 30)),
    st.tuples(st.just("import"), MARKETS),
)


class Example:
    """One product sold through two seller accounts, and the buyers' orders."""

    def __init__(self, url: str, tmp: Path):
        self.settings = make_settings(url, tmp)
        self.engine = create_engine(url)
        self.sessions = session_factory(self.engine)
        self.market = FakeMarket()
        self.factory = connectors_for(self.market)
        self.clock = T0
        #: [market, order id, quantity, shipped, cancelled]
        self.orders: list[list[object]] = []

    async def setup(self) -> None:
        n = next(COUNTER)
        async with transaction(self.sessions) as db:
            company = Company(
                name_ko=f"기업{n}", name_en=f"Co {n}", brn=f"{9_000_000_000 + n}"
            )
            db.add(company)
            await db.flush()
            self.staff = User(
                email=f"s{n}@agency.example", password_hash="x", role=Role.STAFF
            )
            product = Product(
                company_id=company.id,
                sku=f"P-{n}",
                name_ko="제품",
                state=ReviewState.APPROVED,
            )
            db.add_all([self.staff, product])
            self.accounts = {
                m: SellerAccount(
                    company_id=company.id,
                    marketplace=m,
                    marketplace_id=f"{m}-{n}",
                    seller_id=f"{m}-seller-{n}",
                )
                for m in ("amazon", "ebay")
            }
            db.add_all(self.accounts.values())
            await db.flush()
            for account in self.accounts.values():
                db.add(
                    Listing(
                        product_id=product.id,
                        seller_account_id=account.id,
                        marketplace=account.marketplace,
                        sku=product.sku,
                        status="live",
                    )
                )
            self.product_id, self.sku = product.id, product.sku
            await ledger.set_on_hand(db, product.id, 5)

    def tick(self) -> dt.datetime:
        self.clock += dt.timedelta(minutes=10)
        return self.clock

    def publish(self, entry: list[object]) -> None:
        market, order_id, qty, shipped, cancelled = entry
        status = (
            OrderStatus.CANCELLED
            if cancelled
            else OrderStatus.SHIPPED
            if shipped == qty
            else OrderStatus.PARTIALLY_SHIPPED
            if shipped
            else OrderStatus.UNSHIPPED
        )
        self.market.put(
            self.accounts[str(market)].seller_id,
            order(
                str(order_id),
                line("L1", self.sku, int(qty), shipped=int(shipped)),
                status=status,
                updated=self.tick(),
            ),
        )

    async def run(self, op: tuple[object, ...]) -> None:
        kind = op[0]
        live = [o for o in self.orders if not o[4] and o[3] < o[2]]
        if kind == "order":
            entry: list[object] = [op[1], f"O-{next(COUNTER)}", op[2], 0, False]
            self.orders.append(entry)
            self.publish(entry)
        elif kind == "cancel" and live:
            entry = live[int(op[1]) % len(live)]
            if entry[3] == 0:
                entry[4] = True
                self.publish(entry)
        elif kind == "ship" and live:
            entry = live[int(op[1]) % len(live)]
            entry[3] = min(int(entry[2]), int(entry[3]) + int(op[2]))
            self.publish(entry)
        elif kind == "confirm" and live:
            await self.confirm(live[int(op[1]) % len(live)], int(op[2]))
        elif kind == "edit":
            async with transaction(self.sessions) as db:
                await ledger.set_on_hand(db, self.product_id, int(op[1]))
        elif kind == "import":
            await self.pull(str(op[1]))

    async def confirm(self, entry: list[object], units: int) -> None:
        async with self.sessions() as db:
            order_id = await db.scalar(
                select(Order.id).where(Order.marketplace_order_id == entry[1])
            )
        if order_id is None:
            return
        try:
            await confirm_shipment(
                self.sessions,
                self.staff,
                order_id,
                ShipmentInput("USPS", f"TRK{next(COUNTER)}", self.clock, {"L1": units}),
                factory=self.factory,
                now=self.clock,
            )
        except RequestError:
            return  # refused (more than open, stale view): nothing was sent
        entry[3] = int(entry[3]) + units
        self.publish(entry)

    async def pull(self, market: str) -> None:
        await import_orders(
            self.sessions,
            self.settings,
            self.accounts[market].id,
            factory=self.factory,
            now=self.clock + dt.timedelta(minutes=5),
        )

    async def check(self) -> None:
        async with self.sessions() as db:
            on_hand, reserved = await ledger.verify(db, self.product_id)
            held = await db.scalar(
                select(func.coalesce(func.sum(OrderLine.stock_reserved), 0)).where(
                    OrderLine.product_id == self.product_id
                )
            )
        assert reserved >= 0
        assert on_hand >= 0
        assert ledger.available(on_hand, reserved, 1) >= 0
        assert reserved == held

    async def finish(self) -> None:
        self.tick()
        for market in ("amazon", "ebay"):
            await self.pull(market)
        await self.check()
        async with self.sessions() as db:
            level = await ledger.level(db, self.product_id)
        open_units = sum(int(o[2]) - int(o[3]) for o in self.orders if not o[4])
        assert level.reserved == open_units
        await self.engine.dispose()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(OPERATIONS, min_size=1, max_size=14))
def test_any_interleaving_keeps_the_stock_true(
    database_url: str, tmp_path: Path, ops: list[tuple[object, ...]]
) -> None:
    async def scenario() -> None:
        example = Example(database_url, tmp_path)
        await example.setup()
        for op in ops:
            await example.run(op)
            await example.check()
        await example.finish()

    asyncio.run(scenario())
