"""The job registry, schedules as cron, and run records."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from export_hub.settings import Settings
from jobs.defaults import default_registry
from jobs.maintenance import prune_runs
from jobs.models import JobRun
from jobs.registry import (
    JobRegistry,
    JobSpec,
    counts_from,
    interval_to_cron,
)
from jobs.runs import recent_runs, run_job


async def _noop(sessions, settings, *, now):
    return None


@pytest.mark.parametrize(
    ("seconds", "cron"),
    [
        (30, "* * * * * */30"),
        (60, "*/1 * * * *"),
        (900, "*/15 * * * *"),
        (3600, "0 */1 * * *"),
        (43200, "0 */12 * * *"),
        (86400, "0 0 * * *"),
    ],
)
def test_interval_to_cron(seconds: int, cron: str) -> None:
    assert interval_to_cron(seconds) == cron


@pytest.mark.parametrize("seconds", [0, 7, 61, 4000, 90000, 1.5])
def test_intervals_cron_cannot_express_are_refused(seconds: float) -> None:
    with pytest.raises(ValueError, match="interval"):
        interval_to_cron(seconds)


def test_registry_rules() -> None:
    registry = JobRegistry()
    spec = registry.register(JobSpec(name="a.b", run=_noop, interval_seconds=60))
    assert spec.lock_key({"x": 1}) == "a.b"  # default: never overlaps itself
    keyed = JobSpec(name="a.c", run=_noop, lock=lambda kw: f"seller:{kw['seller']}")
    assert keyed.lock_key({"seller": 4}) == "seller:4"
    with pytest.raises(ValueError, match="twice"):
        registry.register(JobSpec(name="a.b", run=_noop))
    with pytest.raises(ValueError, match="interval"):
        registry.register(JobSpec(name="a.d", run=_noop, interval_seconds=7))
    with pytest.raises(KeyError, match="no job named"):
        registry["nope"]
    assert [s.name for s in registry.periodic()] == ["a.b"]


def test_counts_from_job_results() -> None:
    assert counts_from(None, "x.y") == {}
    assert counts_from(5, "consultations.send_reminders") == {
        "send_reminders": {"done": 5}
    }
    assert counts_from({"create": {"ok": 2, "failed": 1}}, "sync") == {
        "create": {"ok": 2, "failed": 1}
    }


def test_default_registry(settings: Settings) -> None:
    registry = default_registry(settings)
    names = {spec.name for spec in registry}
    assert {"pricing.fetch_rates", "jobs.prune_runs"} <= names
    assert "consultations.expire_pending" in names  # jobs/consultations.py
    assert not registry["pricing.fetch_rates"].periodic  # source disabled by default


async def test_prune_keeps_recent_and_running(sessions, settings: Settings) -> None:
    now = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    spec = JobSpec(name="t.old", run=_noop)
    await run_job(spec, sessions, settings, now=now - dt.timedelta(days=91))
    await run_job(spec, sessions, settings, now=now - dt.timedelta(days=89))
    async with sessions() as db, db.begin():
        db.add(
            JobRun(
                kind="t.stuck",  # lost its process long ago
                args={},
                counts={},
                error="",
                status="running",
                started_at=now - dt.timedelta(days=200),
            )
        )
    counts = await prune_runs(sessions, settings, now=now)
    # The 200-day-old "running" run lost its process: closed, then deleted.
    assert counts == {"prune_runs": {"deleted": 2, "closed_stale": 1}}
    async with sessions() as db, db.begin():
        db.add(
            JobRun(
                kind="t.live",
                args={},
                counts={},
                error="",
                status="running",
                started_at=now - dt.timedelta(hours=1),
                heartbeat_at=now - dt.timedelta(minutes=1),  # still beating
            )
        )
        db.add(
            JobRun(
                kind="t.dead",
                args={},
                counts={},
                error="",
                status="running",
                started_at=now - dt.timedelta(hours=25),
            )
        )
    counts = await prune_runs(sessions, settings, now=now)
    assert counts == {"prune_runs": {"deleted": 0, "closed_stale": 1}}
    async with sessions() as db:
        left = await recent_runs(db)
        assert sorted(r.kind for r in left) == ["t.dead", "t.live", "t.old"]
        assert [r.kind for r in await recent_runs(db, status="running")] == ["t.live"]
        dead = (await recent_runs(db, kind="t.dead"))[0]
        assert dead.status == "failed"
        assert "worker gone" in dead.error
        assert await db.scalar(select(JobRun.id).where(JobRun.kind == "none")) is None


def test_extra_job_modules(settings: Settings) -> None:
    extra = settings.model_copy(
        update={
            "jobs": settings.jobs.model_copy(
                update={"extra_modules": ["tests.jobs.lockprobe"]}
            )
        }
    )
    assert "test.lock_probe" in default_registry(extra)
    missing = settings.model_copy(
        update={
            "jobs": settings.jobs.model_copy(update={"extra_modules": ["no.such.mod"]})
        }
    )
    with pytest.raises(ValueError, match=r"no module named 'no\.such\.mod'"):
        default_registry(missing)


def test_cron_schedules() -> None:
    registry = JobRegistry()
    nightly = registry.register(
        JobSpec(name="n.ightly", run=_noop, cron_expression="0 3 * * *")
    )
    assert nightly.periodic
    assert nightly.cron() == "0 3 * * *"
    seoul = dt.timezone(dt.timedelta(hours=9))
    # 12:30 in Seoul is 03:30 UTC: the next 03:00 UTC is tomorrow.
    assert nightly.next_after(dt.datetime(2026, 11, 26, 12, 30, tzinfo=seoul)) == (
        dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)
    )
    with pytest.raises(ValueError, match="invalid cron"):
        registry.register(JobSpec(name="b.ad", run=_noop, cron_expression="61 * * *"))
