"""A job module for the two-process worker test (loaded through
``jobs.extra_modules``): each run logs its start and end, with the database's
clock and the worker's process id, into ``lock_probe``."""

from __future__ import annotations

import asyncio
import os

from sqlalchemy import text

from jobs.registry import JobSpec

CREATE = (
    "CREATE TABLE IF NOT EXISTS lock_probe (seller text, item int, phase text, "
    "at timestamptz, pid int)"
)


async def probe(sessions, settings, *, now, seller: str, item: int):
    for phase in ("start", "end"):
        if phase == "end":
            await asyncio.sleep(0.1)
        async with sessions() as db, db.begin():
            await db.execute(
                text(
                    "INSERT INTO lock_probe VALUES "
                    "(:seller, :item, :phase, clock_timestamp(), :pid)"
                ),
                {"seller": seller, "item": item, "phase": phase, "pid": os.getpid()},
            )
    return {"probe": {"ok": 1}}


def job_specs(settings):
    return [
        JobSpec(
            name="test.lock_probe",
            run=probe,
            lock=lambda kw: f"seller:{kw['seller']}",
        )
    ]
