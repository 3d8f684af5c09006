"""Malformed input gets a 4xx with the usual JSON or page error, never a 5xx,
on both databases. Table-driven over the application's own routes, so a
route added later is covered without touching this file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web

from export_hub.web.auth import issue_api_token
from tests.conftest import make_settings
from tests.consultations.conftest import FRA_SLOT, World, logged_in

#: Not an id on any database: past PostgreSQL's integer, past SQLite's
#: 64 bits, a digit ``str.isdigit`` accepts and ``int`` refuses, negative,
#: zero, a leading zero.
BAD_IDS = ["2147483648", "9223372036854775808", "²", "-1", "0", "01"]
PARAM = re.compile(r"\{(\w+)\}")
DEEP_JSON = "[" * 100_000 + "]" * 100_000


def routes(app: web.Application, *methods: str) -> Iterator[tuple[str, str]]:
    """``(method, canonical path)`` of every route with one of ``methods``."""
    seen = set()
    for route in app.router.routes():
        canonical = route.resource.canonical if route.resource else ""
        if (
            route.method in methods
            and canonical
            and (route.method, canonical) not in seen
        ):
            seen.add((route.method, canonical))
            yield route.method, canonical


def fill(template: str, id_value: str = "1") -> str:
    """The path with ``id_value`` in each id parameter, ``x`` in the others."""
    return PARAM.sub(
        lambda m: (
            quote(id_value, safe="")
            if m.group(1) == "id" or m.group(1).endswith("_id")
            else "x"
        ),
        template,
    )


async def bearer(sessions: Any, user: Any) -> dict[str, str]:
    async with sessions.begin() as db:
        token = await issue_api_token(db, user, "malformed")
    return {"Authorization": f"Bearer {token}"}


def assert_json_error(body: dict[str, Any], code: str) -> None:
    assert set(body["error"]) >= {"code", "message", "fields"}
    assert body["error"]["code"] == code


async def test_an_id_no_column_holds_is_not_found_on_every_route(
    web_client, world: World
) -> None:
    csrf = await logged_in(web_client, world.staff_user.email)
    checked = 0
    for method, template in routes(web_client.app, "GET", "POST", "PATCH", "DELETE"):
        if not PARAM.search(template) or not any(
            p == "id" or p.endswith("_id") for p in PARAM.findall(template)
        ):
            continue
        for bad in BAD_IDS:
            resp = await web_client.request(
                method,
                fill(template, bad),
                headers={"X-CSRF-Token": csrf},
                allow_redirects=False,
            )
            assert resp.status in (404, 405), (method, template, bad, resp.status)
            checked += 1
    assert checked > 100  # the table really covers the application's routes


async def test_deeply_nested_json_is_refused_on_every_api_write(
    web_client, sessions, world: World
) -> None:
    headers = await bearer(sessions, world.company_user) | {
        "Content-Type": "application/json"
    }
    writes = list(routes(web_client.app, "POST", "PATCH", "PUT", "DELETE"))
    api_writes = [(m, t) for m, t in writes if t.startswith("/api/")]
    assert api_writes
    for method, template in api_writes:
        for body in (DEEP_JSON, '{"a":' * 40 + "1" + "}" * 40):
            resp = await web_client.request(
                method, fill(template), data=body, headers=headers
            )
            assert resp.status == 400, (method, template, resp.status)
            assert_json_error(await resp.json(), "validation_failed")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"--x\r\n\r\n--x--\r\n"),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="a\x01\x0bb"\r\n\r\n'
            b"v\r\n--x--\r\n",
        ),
        ("multipart/form-data; boundary=x", b"no boundary in sight"),
        ("application/x-www-form-urlencoded; charset=no-such-codec", b"a=b"),
    ],
    ids=["no-boundary", "control-in-name", "garbage", "unknown-charset"],
)
async def test_malformed_forms_are_refused_on_every_post(
    web_client, world: World, content_type: str, body: bytes
) -> None:
    await logged_in(web_client, world.staff_user.email)
    posts = list(routes(web_client.app, "POST"))
    assert len(posts) > 20
    for _, template in posts:
        resp = await web_client.post(
            fill(template),
            data=body,
            headers={"Content-Type": content_type},
            allow_redirects=False,
        )
        assert resp.status == 400, (template, resp.status, await resp.text())
        if template.startswith("/api/"):
            assert_json_error(await resp.json(), "validation_failed")
        else:
            assert "text/html" in resp.headers["Content-Type"]


async def test_nul_is_refused_in_json_forms_and_queries(
    web_client, sessions, world: World
) -> None:
    headers = await bearer(sessions, world.company_user)
    resp = await web_client.post(
        "/api/v1/products",
        json={"sku": "NUL-1", "name_ko": "차", "name_en": "Tea\x00"},
        headers=headers,
    )
    assert resp.status == 400
    assert "name_en" in (await resp.json())["error"]["fields"]
    resp = await web_client.get("/api/v1/products?q=%00", headers=headers)
    assert resp.status == 400
    assert "q" in (await resp.json())["error"]["fields"]
    resp = await web_client.post(
        "/login",
        data={"email": "a\x00@example.kr", "password": "x", "csrf_token": "x"},
        allow_redirects=False,
    )
    assert resp.status == 400
    assert "text/html" in resp.headers["Content-Type"]


async def test_integers_out_of_range_or_not_integers_are_field_errors(
    web_client, sessions, world: World
) -> None:
    headers = await bearer(sessions, world.company_user)
    for value in (2**31, 2**63, True, "²", 1.5):
        resp = await web_client.post(
            "/api/v1/bookings",
            json={"office_id": value, "start": FRA_SLOT.isoformat(), "topic": "x"},
            headers=headers,
        )
        assert resp.status == 400, value
        assert "office_id" in (await resp.json())["error"]["fields"]
    resp = await web_client.post(
        "/api/v1/bookings",
        json={
            "office_id": world.offices["FRA"].id,
            "start": FRA_SLOT.isoformat(),
            "topic": "x",
            "product_ids": [True, 2**63],
        },
        headers=headers,
    )
    assert resp.status == 400
    assert "product_ids" in (await resp.json())["error"]["fields"]
    staff = await bearer(sessions, world.staff_user)
    for raw in ("²", "9223372036854775808", "-1"):
        resp = await web_client.get(
            f"/api/v1/products?company_id={quote(raw)}", headers=staff
        )
        assert resp.status == 400, raw
    for raw in ("²", "99999999999999999999999", "-5"):
        resp = await web_client.get(
            f"/api/v1/products?page={quote(raw)}", headers=staff
        )
        assert resp.status == 200, raw


async def test_unknown_fields_are_refused(web_client, sessions, world: World) -> None:
    headers = await bearer(sessions, world.company_user)
    resp = await web_client.post(
        "/api/v1/bookings",
        json={
            "office_id": world.offices["FRA"].id,
            "start": FRA_SLOT.isoformat(),
            "topic": "x",
            "is_admin": True,
        },
        headers=headers,
    )
    assert resp.status == 400
    assert "is_admin" in (await resp.json())["error"]["fields"]


@pytest.mark.parametrize(
    "query",
    [
        {"tz": "America"},
        {"tz": "Etc"},
        {"tz": "../../etc/passwd"},
        {"from": "9999-12-31"},
        {"from": "0001-01-01"},
        {"from": "2026-12-01", "to": "9999-12-31"},
        {"minutes": "²"},
        {"interpreter_id": "9223372036854775808"},
    ],
)
async def test_dates_and_zones_out_of_bounds_are_field_errors(
    web_client, sessions, world: World, query: dict[str, str]
) -> None:
    headers = await bearer(sessions, world.company_user)
    resp = await web_client.get(
        f"/api/v1/offices/{world.offices['FRA'].id}/slots",
        params=query,
        headers=headers,
    )
    assert resp.status == 400, await resp.text()
    assert_json_error(await resp.json(), "validation_failed")


@pytest.mark.parametrize(
    "start",
    ["9999-12-31T23:59:59-23:00", "0001-01-01T00:00:00+14:00", "2026-12-03T07:00:00"],
)
async def test_instants_near_the_ends_of_time_are_field_errors(
    web_client, sessions, world: World, start: str
) -> None:
    headers = await bearer(sessions, world.company_user)
    resp = await web_client.post(
        "/api/v1/bookings",
        json={"office_id": world.offices["FRA"].id, "start": start, "topic": "x"},
        headers=headers,
    )
    assert resp.status == 400
    assert "start" in (await resp.json())["error"]["fields"]


async def test_the_seoul_week_page_ignores_a_date_at_the_end_of_time(
    web_client, world: World
) -> None:
    await logged_in(web_client, world.company_user.email)
    resp = await web_client.get(
        "/consultations/offices/FRA", params={"from": "9999-12-31"}
    )
    assert resp.status == 200


async def test_over_large_bodies_get_413_as_json_and_as_a_page(
    aiohttp_client, database_url, tmp_path
) -> None:
    from export_hub.web.app import create_app

    settings = make_settings(database_url, tmp_path, web={"upload_max_bytes": 1000})
    client = await aiohttp_client(create_app(settings))
    big = b"x" * 20_000
    resp = await client.post(
        "/api/v1/products",
        data=b'{"sku": "' + big + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert resp.status == 413
    assert_json_error(await resp.json(), "payload_too_large")
    resp = await client.post("/login", data={"email": big.decode(), "password": "x"})
    assert resp.status == 413
    assert "text/html" in resp.headers["Content-Type"]
