"""Server-side sessions, password change and reset, production settings."""

from __future__ import annotations

import datetime as dt
import email
import re
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from export_hub.accounts.models import PasswordResetToken, Role, User, UserSession
from export_hub.db import create_engine_for, session_factory
from export_hub.logging import redact
from export_hub.mail import OutboxMessage
from tests.conftest import csrf_from, login, make_settings
from tests.foundation.helpers import PASSWORD, make_user

COOKIE = "export_hub_session"
NEW_PASSWORD = "a-brand-new-passphrase"


def _cookie(client: Any) -> str:
    return next(c.value for c in client.session.cookie_jar if c.key == COOKIE)


async def _as(client: Any, cookie: str, path: str) -> int:
    """GET ``path`` with only ``cookie`` (a copied cookie, as a thief has it)."""
    client.session.cookie_jar.clear()
    resp = await client.get(
        path, headers={"Cookie": f"{COOKIE}={cookie}"}, allow_redirects=False
    )
    await resp.read()
    return resp.status


async def test_copied_cookie_dies_with_log_out(client, sessions) -> None:
    user = await make_user(sessions, Role.STAFF, "s@example.kr")
    csrf = await login(client, user.email, PASSWORD)
    stolen = _cookie(client)
    assert await _as(client, stolen, "/account/tokens") == 200
    client.session.cookie_jar.update_cookies({COOKIE: stolen})
    resp = await client.post(
        "/logout", data={"csrf_token": csrf}, allow_redirects=False
    )
    assert resp.status == 303
    assert await _as(client, stolen, "/account/tokens") == 303  # to the log-in page
    async with sessions() as db:
        row = await db.scalar(select(UserSession))
    assert row.revoked_at is not None
    assert row.address == "127.0.0.1"


async def test_password_change_ends_other_sessions_only(client, sessions) -> None:
    user = await make_user(sessions, Role.STAFF, "p@example.kr")
    await login(client, user.email, PASSWORD)
    other = _cookie(client)
    client.session.cookie_jar.clear()
    csrf = await login(client, user.email, PASSWORD)
    mine = _cookie(client)
    page = await (await client.get("/account/sessions")).text()
    assert page.count('action="/account/sessions/') == 3  # two sessions + end-others
    wrong = await client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": "not-it-at-all",
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        },
    )
    assert wrong.status == 400
    assert await _as(client, other, "/account/tokens") == 200
    client.session.cookie_jar.update_cookies({COOKIE: mine})
    resp = await client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        },
        allow_redirects=False,
    )
    assert resp.status == 303
    assert await _as(client, mine, "/account/tokens") == 200
    assert await _as(client, other, "/account/tokens") == 303
    client.session.cookie_jar.clear()
    await login(client, user.email, NEW_PASSWORD)


async def test_ending_a_session_from_the_list(client, sessions) -> None:
    user = await make_user(sessions, Role.STAFF, "e@example.kr")
    await login(client, user.email, PASSWORD)
    other = _cookie(client)
    client.session.cookie_jar.clear()
    csrf = await login(client, user.email, PASSWORD)
    mine = _cookie(client)
    async with sessions() as db:
        ids = {r.token_sha256: r.id for r in await db.scalars(select(UserSession))}
    page = await (await client.get("/account/sessions")).text()
    ends = re.findall(r"/account/sessions/(\d+)/end", page)
    assert {int(i) for i in ends} == set(ids.values())
    current = re.search(
        r'<tr class="current">.*?/account/sessions/(\d+)/end', page, re.S
    )
    target = next(i for i in ids.values() if i != int(current.group(1)))
    resp = await client.post(
        f"/account/sessions/{target}/end",
        data={"csrf_token": csrf},
        allow_redirects=False,
    )
    assert resp.status == 303
    assert await _as(client, other, "/account/tokens") == 303
    assert await _as(client, mine, "/account/tokens") == 200
    # Someone else's session id is not found.
    stranger = await make_user(sessions, Role.STAFF, "x@example.kr")
    async with sessions.begin() as db:
        db.add(UserSession(token_sha256="0" * 64, user_id=stranger.id))
    async with sessions() as db:
        theirs = await db.scalar(
            select(UserSession.id).where(UserSession.user_id == stranger.id)
        )
    client.session.cookie_jar.update_cookies({COOKIE: mine})
    resp = await client.post(
        f"/account/sessions/{theirs}/end", data={"csrf_token": csrf}
    )
    assert resp.status == 404


async def _reset_link(sessions: Any) -> str:
    async with sessions() as db:
        raw = await db.scalar(
            select(OutboxMessage.raw).where(
                OutboxMessage.related.like("password-reset:%")
            )
        )
    body = email.message_from_string(raw).get_payload(decode=True).decode()
    return re.search(r"http://[^/]+(/password/reset/\S+)", body).group(1)


async def test_reset_by_single_use_link(client, sessions) -> None:
    user = await make_user(sessions, Role.STAFF, "r@example.kr")
    await login(client, user.email, PASSWORD)
    old = _cookie(client)
    client.session.cookie_jar.clear()
    csrf = await csrf_from(client, "/password/forgot")
    unknown = await client.post(
        "/password/forgot", data={"csrf_token": csrf, "email": "nobody@example.kr"}
    )
    known = await client.post(
        "/password/forgot", data={"csrf_token": csrf, "email": "R@example.kr "}
    )
    assert unknown.status == known.status == 200
    assert await unknown.text() == await known.text()  # reveals nothing
    async with sessions() as db:
        outbox = list(await db.scalars(select(OutboxMessage)))
        stored = await db.scalar(select(PasswordResetToken))
    assert [m.to_address for m in outbox] == ["r@example.kr"]
    link = await _reset_link(sessions)
    assert stored.token_sha256 not in link  # only the hash is stored
    assert (await client.get(link)).status == 200
    short = await client.post(
        link,
        data={
            "csrf_token": csrf,
            "new_password": "short",
            "new_password_confirm": "short",
        },
    )
    assert short.status == 400
    data = {
        "csrf_token": csrf,
        "new_password": NEW_PASSWORD,
        "new_password_confirm": NEW_PASSWORD,
    }
    done = await client.post(link, data=data, allow_redirects=False)
    assert done.status == 303
    assert done.headers["Location"] == "/login?reset=1"
    again = await client.post(link, data=data, allow_redirects=False)
    assert again.status == 400  # works once
    assert (await client.get(link)).status == 400
    assert await _as(client, old, "/account/tokens") == 303  # sessions ended
    client.session.cookie_jar.clear()
    await login(client, user.email, NEW_PASSWORD)


async def test_expired_or_forged_reset_link_fails(client, sessions) -> None:
    await make_user(sessions, Role.STAFF, "t@example.kr")
    csrf = await csrf_from(client, "/password/forgot")
    await client.post(
        "/password/forgot", data={"csrf_token": csrf, "email": "t@example.kr"}
    )
    link = await _reset_link(sessions)
    assert (await client.get(link + "x")).status == 400
    assert (await client.get("/password/reset/%00")).status == 400
    async with sessions.begin() as db:
        await db.execute(
            update(PasswordResetToken).values(
                expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            )
        )
    assert (await client.get(link)).status == 400


async def test_production_headers_on_redirects_and_secure_cookie(
    aiohttp_client, settings, tmp_path
) -> None:
    from export_hub.web.app import create_app

    prod = make_settings(settings.database.url, tmp_path, environment="production")
    client = await aiohttp_client(create_app(prod))
    resp = await client.get("/account/tokens", allow_redirects=False)
    assert resp.status == 303
    for header in (
        "Strict-Transport-Security",
        "Content-Security-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
    ):
        assert header in resp.headers, header
    page = await client.get("/login")
    assert "Strict-Transport-Security" in page.headers
    assert "Secure" in page.headers.get("Set-Cookie", "")
    dev = await client.get("/healthz")
    assert dev.status == 200


async def test_development_has_no_hsts(client) -> None:
    resp = await client.get("/account/tokens", allow_redirects=False)
    assert resp.status == 303
    assert "X-Frame-Options" in resp.headers
    assert "Strict-Transport-Security" not in resp.headers


@pytest.mark.parametrize("environment", ["production", "development"])
async def test_sql_parameters_stay_out_of_errors_in_production(
    settings, tmp_path, environment: str
) -> None:
    engine = create_engine_for(
        make_settings(settings.database.url, tmp_path, environment=environment)
    )
    secret = "leaky-secret-value@example.kr"
    try:
        async with session_factory(engine).begin() as db:
            for _ in range(2):
                db.add(User(email=secret, password_hash="x", role=Role.STAFF))
                await db.flush()
    except IntegrityError as exc:
        shown = str(exc)
    else:
        pytest.fail("the duplicate e-mail was accepted")
    finally:
        await engine.dispose()
    if environment == "production":
        # SQLAlchemy hides the parameters; PostgreSQL's own DETAIL line still
        # repeats the key, and the logs' redacting filter removes it.
        assert "SQL parameters hidden" in shown
        assert secret not in redact(shown)
    else:
        assert secret in shown
