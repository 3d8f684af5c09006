"""Every event of one sync run carries when it happened, not the run's start."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from emulators.amazon import AmazonEmulator
from emulators.ebay import EbayEmulator
from export_hub.listings.models import ListingEvent, SyncRun
from export_hub.listings.sync.run import run_sync
from jobs.sync import new_sync_run
from tests.sync.conftest import seed


async def test_events_of_one_run_are_ordered_in_time(
    sessions, settings, amazon: AmazonEmulator, ebay: EbayEmulator
) -> None:
    await seed(sessions, settings, ebay)
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    run_id = await new_sync_run(sessions, started_by="cli")
    await run_sync(sessions, settings, sync_run_id=run_id, now=start)
    async with sessions() as db:
        events = list(
            await db.scalars(
                select(ListingEvent)
                .where(ListingEvent.sync_run_id == run_id)
                .order_by(ListingEvent.id)
            )
        )
        run = await db.get_one(SyncRun, run_id)
    assert len(events) >= 12
    instants = [e.at for e in events]
    assert all(at >= start for at in instants)
    per_listing: dict[int, list[dt.datetime]] = {}
    for e in events:
        per_listing.setdefault(e.listing_id, []).append(e.at)
    for listing_instants in per_listing.values():
        # One listing's history is in the order it happened.
        assert listing_instants == sorted(listing_instants)
    assert len(set(instants)) > 1  # not all stamped with the run's start
    assert instants[-1] - start < dt.timedelta(minutes=10)
    assert run.status == "succeeded"
    assert run.heartbeat_at is not None
    assert run.owner
