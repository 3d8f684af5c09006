"""Uploads: the owner is checked before any image is decoded, and the
decoding runs off the event loop, a bounded number at a time."""

from __future__ import annotations

import asyncio
import threading
import time

from export_hub.cpu import CpuWork
from tests.conftest import login
from tests.foundation.helpers import (
    PASSWORD,
    image_bytes,
    make_company_user,
    product_values,
)
from tests.foundation.test_pages import create_via_form, form

#: Announces JPEG, then is not one: decoding it fails with a 400.
BROKEN_JPEG = b"\xff\xd8\xff" + b"\x00" * 64


async def test_a_strangers_upload_is_refused_before_decoding(client, sessions) -> None:
    _, owner = await make_company_user(sessions, 0)
    _, other = await make_company_user(sessions, 1)
    csrf = await login(client, owner.email, PASSWORD)
    product_id = await create_via_form(client, csrf)
    client.session.cookie_jar.clear()
    csrf = await login(client, other.email, PASSWORD)
    resp = await client.post(
        f"/company/products/{product_id}",
        data=form(
            product_values(version=1), csrf, [("x.jpg", BROKEN_JPEG, "image/jpeg")]
        ),
    )
    assert resp.status == 404  # not 400: the broken image was never looked at
    # The owner's own broken upload is decoded and refused.
    client.session.cookie_jar.clear()
    csrf = await login(client, owner.email, PASSWORD)
    resp = await client.post(
        f"/company/products/{product_id}",
        data=form(
            product_values(version=1), csrf, [("x.jpg", BROKEN_JPEG, "image/jpeg")]
        ),
    )
    assert resp.status == 400
    ok = await client.post(
        f"/company/products/{product_id}",
        data=form(
            product_values(version=1), csrf, [("x.png", image_bytes(), "image/png")]
        ),
        allow_redirects=False,
    )
    assert ok.status == 303


async def test_cpu_work_runs_off_the_loop_and_bounded() -> None:
    cpu = CpuWork(2)
    running = 0
    peak = 0
    lock = threading.Lock()
    loop_thread = threading.get_ident()

    def busy() -> int:
        nonlocal running, peak
        assert threading.get_ident() != loop_thread
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return 1

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    tick_task = asyncio.create_task(ticker())
    results = await asyncio.gather(*(cpu.run(busy) for _ in range(8)))
    tick_task.cancel()
    assert results == [1] * 8
    assert peak == 2
    assert ticks >= 20  # the loop kept turning while the work ran


async def test_api_upload_checks_the_owner_before_decoding(client, sessions) -> None:
    from aiohttp import FormData

    from export_hub.web.auth import issue_api_token

    _, owner = await make_company_user(sessions, 0)
    _, other = await make_company_user(sessions, 1)
    csrf = await login(client, owner.email, PASSWORD)
    product_id = await create_via_form(client, csrf)
    async with sessions.begin() as db:
        token = await issue_api_token(db, other, "t")
        own_token = await issue_api_token(db, owner, "t")

    def broken() -> FormData:
        data = FormData()
        data.add_field(
            "images", BROKEN_JPEG, filename="x.jpg", content_type="image/jpeg"
        )
        return data

    client.session.cookie_jar.clear()
    url = f"/api/v1/products/{product_id}/images"
    resp = await client.post(
        url, data=broken(), headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status == 404
    resp = await client.post(
        url, data=broken(), headers={"Authorization": f"Bearer {own_token}"}
    )
    assert resp.status == 400
