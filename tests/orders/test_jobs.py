"""The order jobs: registered with the sync's seller lock, pull_all through the
configured connector factory, ship-by reminders once per order; the default
factory says plainly that order connectors are not wired."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from connectors.base import OrderStatus
from export_hub.mail import OutboxMessage
from export_hub.orders.connect import OrdersNotWired, connector_factory
from export_hub.orders.models import ImportCursor, OrderNotice
from jobs import orders as order_jobs
from jobs.defaults import default_registry
from tests.orders.conftest import NOW
from tests.orders.fakes import line, order


@pytest.fixture
def embedded(settings):
    """Settings whose ``orders.pull_all`` pulls in this process (scaled out
    on PostgreSQL it would enqueue procrastinate jobs instead)."""
    jobs = settings.jobs.model_copy(update={"embedded": True})
    return settings.model_copy(update={"jobs": jobs})


def test_jobs_are_registered_with_the_sellers_lock(settings):
    registry = default_registry(settings)
    pull = registry["orders.pull"]
    assert pull.lock_key({"seller_account_id": 7}) == "seller-account:7"
    assert registry["sync.seller"].lock_key({"seller_account_id": 7}) == (
        "seller-account:7"
    )
    assert registry["orders.pull_all"].interval_seconds == 300
    assert registry["orders.ship_by_reminders"].periodic


async def test_pull_all_uses_the_configured_factory(sessions, embedded, world, market):
    market.put(
        "A1HANBIT",
        order(
            "115-1", line("L1", "AMZ-MUG-1", 1), updated=NOW - dt.timedelta(minutes=10)
        ),
    )
    counts = await order_jobs.pull_all(sessions, embedded, now=NOW)
    assert counts["orders.pull"] == {"ok": 3, "failed": 0}
    assert counts["orders"]["new"] == 1
    async with sessions() as db:
        assert await db.scalar(select(func.count(ImportCursor.seller_account_id))) == 3


async def test_unwired_factory_fails_clearly(sessions, embedded, world):
    unwired = embedded.model_copy(
        update={
            "orders": embedded.orders.model_copy(
                update={
                    "connector_factory": "export_hub.orders.connect:unwired_factory"
                }
            )
        }
    )
    with pytest.raises(OrdersNotWired, match="not wired"):
        connector_factory(unwired)(world.amazon)
    counts = await order_jobs.pull_all(sessions, unwired, now=NOW)
    assert counts["orders.pull"] == {"ok": 0, "failed": 3}


async def test_ship_by_reminders_go_out_once(sessions, embedded, world, market):
    settings = embedded
    soon = NOW + dt.timedelta(hours=20)
    updated = NOW - dt.timedelta(minutes=10)
    market.put(
        "A1HANBIT",
        order("115-2", line("L1", "CUP-1", 1), ship_by=soon, updated=updated),
    )
    market.put(
        "A1HANBIT",
        order(
            "115-3",
            line("L1", "CUP-1", 1),
            updated=updated,
            ship_by=NOW + dt.timedelta(days=3),
        ),
    )
    market.put(
        "A1HANBIT",
        order(
            "115-4",
            line("L1", "CUP-1", 1),
            ship_by=soon,
            updated=updated,
            status=OrderStatus.CANCELLED,
        ),
    )
    await order_jobs.pull_all(sessions, settings, now=NOW)
    sent = await order_jobs.ship_by_reminders(sessions, settings, now=NOW)
    again = await order_jobs.ship_by_reminders(sessions, settings, now=NOW)
    assert (sent, again) == (2, 0)  # two users of the company, one order
    async with sessions() as db:
        notices = list(await db.scalars(select(OrderNotice.kind)))
        subjects = list(
            await db.scalars(
                select(OutboxMessage.subject).where(
                    OutboxMessage.subject.contains("115-2")
                )
            )
        )
    assert sorted(notices) == ["new", "new", "ship_by"]
    assert any("발송 기한 임박" in s for s in subjects)
    assert any("Ship-by date close" in s for s in subjects)
