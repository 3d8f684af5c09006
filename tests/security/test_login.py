"""Log-in under attack: open redirects, parallel guessing, throttles."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from export_hub.accounts.models import LoginThrottle, Role
from export_hub.accounts.service import LoginLocked, LoginPolicy, authenticate
from export_hub.cpu import CpuWork
from export_hub.web.routes import safe_next
from tests.conftest import csrf_from, login
from tests.foundation.helpers import PASSWORD, make_user

NASTY_NEXT = [
    "//evil.example/",
    "/\t/evil.example/",
    "/\r/evil.example/",
    "/\n/evil.example/",
    "\t//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "/\\/evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "http:/evil.example",
    " //evil.example",
    "/\x00/evil.example",
    "/\x7f/evil.example",
    "/\u0085/evil.example",
    "evil.example",
    "",
]


@pytest.mark.parametrize("value", NASTY_NEXT)
def test_safe_next_refuses_anything_off_site(value: str) -> None:
    assert safe_next(value, "") == ""


@pytest.mark.parametrize(
    "value", ["/", "/company/products?page=2", "/a//b", "/x?next=//y", "/%2F/x"]
)
def test_safe_next_keeps_same_site_paths(value: str) -> None:
    assert safe_next(value, "") == value


@pytest.mark.parametrize("raw", ["/%09/evil.example/", "/%0d/evil.example/", "/%0A//x"])
async def test_login_never_redirects_off_site(client, sessions, raw: str) -> None:
    user = await make_user(sessions, Role.STAFF, "who@example.kr")
    page = await client.get(f"/login?next={raw}")
    assert "evil.example" not in await page.text()
    token = await csrf_from(client, "/login")
    resp = await client.post(
        "/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": token,
            "next": raw.replace("%09", "\t").replace("%0d", "\r").replace("%0A", "\n"),
        },
        allow_redirects=False,
    )
    assert resp.status == 303
    location = resp.headers["Location"]
    assert location.startswith("/")
    assert not location.startswith("//")
    assert "evil" not in location
    assert "\\" not in location


def _policy(settings: Any) -> LoginPolicy:
    return LoginPolicy.from_settings(settings.web)


async def test_parallel_wrong_passwords_check_at_most_the_limit(
    settings, sessions
) -> None:
    user = await make_user(sessions, Role.STAFF, "target@example.kr")
    cpu = CpuWork(2)

    async def guess(i: int) -> str:
        try:
            result = await authenticate(
                sessions,
                cpu,
                user.email,
                f"wrong-{i}",
                address="203.0.113.9",
                policy=_policy(settings),
            )
        except LoginLocked:
            return "locked"
        assert result is None
        return "checked"

    outcomes = await asyncio.gather(*(guess(i) for i in range(25)))
    assert outcomes.count("checked") == settings.web.login_max_failures
    assert outcomes.count("locked") == 25 - settings.web.login_max_failures
    # The right password from that address waits too ...
    with pytest.raises(LoginLocked):
        await authenticate(
            sessions,
            cpu,
            user.email,
            PASSWORD,
            address="203.0.113.9",
            policy=_policy(settings),
        )
    # ... but the owner, from an address without failures, gets in.
    ok = await authenticate(
        sessions,
        cpu,
        user.email,
        PASSWORD,
        address="198.51.100.4",
        policy=_policy(settings),
    )
    assert ok is not None
    assert ok.id == user.id
    async with sessions() as db:
        keys = set(await db.scalars(select(LoginThrottle.key)))
    assert "account:target@example.kr|198.51.100.4" not in keys  # cleared on success
    assert "account:target@example.kr|203.0.113.9" in keys


async def test_parallel_wrong_passwords_over_http_never_500(client, sessions, settings):
    user = await make_user(sessions, Role.STAFF, "http@example.kr")
    token = await csrf_from(client, "/login")

    async def post(i: int) -> int:
        resp = await client.post(
            "/login",
            data={"email": user.email, "password": f"bad-{i}", "csrf_token": token},
            allow_redirects=False,
        )
        await resp.read()
        return resp.status

    statuses = await asyncio.gather(*(post(i) for i in range(20)))
    assert set(statuses) <= {400, 429}, statuses
    assert statuses.count(400) == settings.web.login_max_failures


async def test_waits_grow_and_stay_bounded(settings) -> None:
    rule = _policy(settings).account
    limit = settings.web.login_max_failures
    waits = [rule.wait_after(n) for n in range(1, limit + 12)]
    assert waits[: limit - 1] == [None] * (limit - 1)
    growing = [w.total_seconds() for w in waits[limit - 1 :] if w is not None]
    assert growing[0] == settings.web.login_delay_seconds
    assert growing == sorted(growing)
    assert growing[-1] == settings.web.login_lockout_seconds


async def test_per_address_limit_covers_many_accounts(
    settings, sessions, tmp_path
) -> None:
    from tests.conftest import make_settings

    strict = make_settings(
        settings.database.url, tmp_path, web={"login_max_failures_per_address": 3}
    )
    policy = LoginPolicy.from_settings(strict.web)
    cpu = CpuWork(2)
    for i in range(3):
        assert (
            await authenticate(
                sessions,
                cpu,
                f"u{i}@example.kr",
                "x",
                address="192.0.2.7",
                policy=policy,
            )
            is None
        )
    with pytest.raises(LoginLocked):
        await authenticate(
            sessions, cpu, "fresh@example.kr", "x", address="192.0.2.7", policy=policy
        )
    # Another address is not affected.
    assert (
        await authenticate(
            sessions, cpu, "fresh@example.kr", "x", address="192.0.2.8", policy=policy
        )
        is None
    )


async def test_forwarded_for_counts_only_behind_a_trusted_proxy(
    aiohttp_client, settings, sessions, tmp_path
) -> None:
    from export_hub.web.app import create_app
    from tests.conftest import make_settings

    user = await make_user(sessions, Role.STAFF, "fwd@example.kr")
    for trusted, expected_prefix in (
        ([], "127.0.0.1"),
        (["127.0.0.1/32"], "203.0.113.50"),
    ):
        s = make_settings(
            settings.database.url, tmp_path, web={"trusted_proxies": trusted}
        )
        client = await aiohttp_client(create_app(s))
        token = await csrf_from(client, "/login")
        await client.post(
            "/login",
            data={"email": user.email, "password": "nope", "csrf_token": token},
            headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.50"},
            allow_redirects=False,
        )
        async with sessions() as db:
            keys = set(await db.scalars(select(LoginThrottle.key)))
        assert f"address:{expected_prefix}" in keys
    assert "address:198.51.100.1" not in keys  # a client-supplied hop is not believed


async def test_login_helper_still_works(client, sessions) -> None:
    user = await make_user(sessions, Role.STAFF, "plain@example.kr")
    await login(client, user.email, PASSWORD)


async def test_many_correct_log_ins_from_one_address_never_wait(
    settings, sessions, tmp_path
) -> None:
    from tests.conftest import make_settings

    strict = make_settings(
        settings.database.url, tmp_path, web={"login_max_failures_per_address": 2}
    )
    policy = LoginPolicy.from_settings(strict.web)
    user = await make_user(sessions, Role.STAFF, "office@example.kr")
    cpu = CpuWork(2)
    for _ in range(5):
        ok = await authenticate(
            sessions, cpu, user.email, PASSWORD, address="192.0.2.9", policy=policy
        )
        assert ok is not None
    async with sessions() as db:
        row = await db.scalar(
            select(LoginThrottle).where(LoginThrottle.key == "address:192.0.2.9")
        )
    assert row.failures == 0
    assert row.locked_until is None
