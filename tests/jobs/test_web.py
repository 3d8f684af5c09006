"""The staff jobs page and the scheduler's life with the web application."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select, text

from export_hub.accounts.models import Role
from export_hub.accounts.service import create_user
from export_hub.db import transaction
from export_hub.web.keys import JOB_REGISTRY, SCHEDULER
from jobs.models import JobRun
from tests.conftest import login, make_settings

PASSWORD = "correct-horse-1"


async def _wait_for_run(sessions, kind: str) -> JobRun:
    while True:
        async with sessions() as db:
            run = await db.scalar(
                select(JobRun).where(
                    JobRun.kind == kind, JobRun.finished_at.is_not(None)
                )
            )
        if run is not None:
            return run
        await asyncio.sleep(0.05)


async def test_scheduler_lives_with_the_app_and_staff_run_jobs(
    aiohttp_client, database_url: str, tmp_path, sessions
) -> None:
    from export_hub.web.app import create_app

    settings = make_settings(database_url, tmp_path, jobs={"embedded": True})
    client = await aiohttp_client(create_app(settings))
    app = client.server.app
    assert app[SCHEDULER].running
    registry = app[JOB_REGISTRY]
    assert "pricing.fetch_rates" in registry
    assert "consultations.send_reminders" in registry  # jobs/consultations.py
    async with transaction(sessions) as db:
        staff = await create_user(
            db, email="staff@example.kr", password=PASSWORD, role=Role.STAFF
        )
    token = await login(client, "staff@example.kr", PASSWORD)
    page = await client.get("/staff/jobs")
    assert page.status == 200
    assert "consultations.send_reminders" in await page.text()

    resp = await client.post(
        "/staff/jobs/run",
        data={"csrf_token": token, "name": "consultations.send_reminders"},
        allow_redirects=False,
    )
    assert resp.status == 303
    run = await asyncio.wait_for(
        _wait_for_run(sessions, "consultations.send_reminders"), timeout=30
    )
    assert run.status == "succeeded"
    assert run.started_by == "user"
    assert run.started_by_user_id == staff.id
    assert run.counts == {"send_reminders": {"done": 0}}
    listing = await (
        await client.get("/staff/jobs?kind=consultations.send_reminders")
    ).text()
    assert "succeeded" in listing

    resp = await client.post(
        "/staff/jobs/run", data={"csrf_token": token, "name": "no.such.job"}
    )
    assert resp.status == 400
    resp = await client.post("/staff/jobs/run", data={"name": "pricing.fetch_rates"})
    assert resp.status == 400  # no CSRF token
    assert "보안 토큰" in await resp.text()


async def test_anonymous_users_may_not_see_jobs(client, sessions) -> None:
    resp = await client.get("/staff/jobs", headers={"Accept": "application/json"})
    assert resp.status == 401


@pytest.mark.backend("postgresql")
async def test_scaled_out_mode_enqueues_through_procrastinate(
    aiohttp_client, database_url: str, tmp_path
) -> None:
    from export_hub.db import create_engine, session_factory
    from export_hub.web.app import create_app
    from export_hub.web.keys import QUEUE
    from jobs.worker import ensure_schema

    settings = make_settings(database_url, tmp_path, jobs={"embedded": False})
    await ensure_schema(database_url)
    client = await aiohttp_client(create_app(settings))
    assert SCHEDULER not in client.server.app
    assert QUEUE in client.server.app
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        async with transaction(sessions) as db:
            await create_user(
                db, email="staff@example.kr", password=PASSWORD, role=Role.STAFF
            )
        token = await login(client, "staff@example.kr", PASSWORD)
        for _ in range(2):  # the second is absorbed by the queueing lock
            resp = await client.post(
                "/staff/jobs/run",
                data={"csrf_token": token, "name": "consultations.expire_pending"},
                allow_redirects=False,
            )
            assert resp.status == 303
        async with sessions() as db:
            rows = (
                await db.execute(
                    text("SELECT task_name, lock, status::text FROM procrastinate_jobs")
                )
            ).all()
    finally:
        await engine.dispose()
    assert rows == [
        ("consultations.expire_pending", "consultations.expire_pending", "todo")
    ]


async def test_jobs_page_filters_by_job_and_outcome_and_idle_jobs_are_absent(
    client, sessions, settings
) -> None:
    from jobs.defaults import default_registry

    assert "mail.deliver" not in default_registry(settings)  # outbox backend
    smtp = settings.model_copy(
        update={"mail": settings.mail.model_copy(update={"backend": "smtp"})}
    )
    assert "mail.deliver" in default_registry(smtp)
    async with transaction(sessions) as db:
        await create_user(
            db, email="staff@example.kr", password=PASSWORD, role=Role.STAFF
        )
        for kind, status in (
            ("pricing.fetch_rates", "succeeded"),
            ("pricing.fetch_rates", "failed"),
            ("consultations.send_reminders", "failed"),
        ):
            db.add(JobRun(kind=kind, status=status, runner="embedded"))
    await login(client, "staff@example.kr", PASSWORD)

    async def shown(**params: str) -> set[tuple[str, str]]:
        body = await (await client.get("/staff/jobs", params=params)).text()
        rows = re.findall(
            r'<tr class="status-(\w+)" data-kind="([\w.]+)">',
            body,
        )
        return {(kind, status) for status, kind in rows}

    assert len(await shown()) == 3
    assert await shown(kind="pricing.fetch_rates", status="failed") == {
        ("pricing.fetch_rates", "failed")
    }
    assert await shown(status="failed") == {
        ("pricing.fetch_rates", "failed"),
        ("consultations.send_reminders", "failed"),
    }
    # Unknown values filter nothing (and are not echoed back).
    assert len(await shown(kind="<script>", status="nope")) == 3
    page = await (await client.get("/staff/jobs")).text()
    assert '<option value="consultations.send_reminders"' in page
