"""Account pages: your sessions, your password, a forgotten one, your time zone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from sqlalchemy import select

from export_hub.accounts import passwords
from export_hub.accounts.models import User, UserSession
from export_hub.accounts.service import ZONE_CHOICES, LoginPolicy, set_time_zone
from export_hub.accounts.throttle import address_key, count_attempt
from export_hub.db import transaction, utcnow
from export_hub.errors import NotFound, Text, ValidationFailed
from export_hub.web.auth import (
    CURRENT_SESSION,
    client_address,
    end_sessions,
    log_out,
    require_user,
)
from export_hub.web.keys import CPU_WORK, SESSIONS, SETTINGS
from export_hub.web.render import render

RESET_SENT = Text(
    "해당 주소로 가입된 계정이 있으면 재설정 링크를 보냈습니다. "
    "메일함을 확인해 주세요.",
    "If an account uses that address, we sent it a reset link. Check your mailbox.",
)


def setup(app: web.Application) -> None:
    app.router.add_get("/account/sessions", sessions_page, name="account_sessions")
    app.router.add_post("/account/sessions/{session_id:\\d+}/end", session_end)
    app.router.add_post("/account/sessions/end-others", sessions_end_others)
    app.router.add_get("/account/password", password_page, name="account_password")
    app.router.add_post("/account/password", password_submit)
    app.router.add_get("/password/forgot", forgot_page, name="password_forgot")
    app.router.add_post("/password/forgot", forgot_submit)
    app.router.add_get("/password/reset/{token}", reset_page, name="password_reset")
    app.router.add_post("/password/reset/{token}", reset_submit)
    app.router.add_get("/account/time-zone", zone_page, name="account_time_zone")
    app.router.add_post("/account/time-zone", zone_submit)


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def _open_sessions(request: web.Request, user: User) -> list[UserSession]:
    max_age = dt.timedelta(seconds=request.app[SETTINGS].web.session_max_age_seconds)
    async with request.app[SESSIONS]() as db:
        rows = await db.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.revoked_at.is_(None),
                UserSession.last_seen_at > utcnow() - max_age,
            )
            .order_by(UserSession.last_seen_at.desc())
        )
        return list(rows)


async def sessions_page(request: web.Request) -> web.StreamResponse:
    """Where you are signed in (browser, address, when), each one endable."""
    user = await require_user(request)
    return await render(
        request,
        "account/sessions.html",
        {
            "sessions": await _open_sessions(request, user),
            "current": request.get(CURRENT_SESSION),
            "ended": request.query.get("ended"),
        },
    )


async def session_end(request: web.Request) -> web.StreamResponse:
    user = await require_user(request)
    session_id = int(request.match_info["session_id"])
    async with request.app[SESSIONS].begin() as db:
        row = await db.get(UserSession, session_id)
        if row is None or row.user_id != user.id:
            raise NotFound()
        row.revoked_at = row.revoked_at or utcnow()
    if session_id == request.get(CURRENT_SESSION):
        await log_out(request)
        raise web.HTTPSeeOther("/login")
    raise web.HTTPSeeOther("/account/sessions?ended=1")


async def sessions_end_others(request: web.Request) -> web.StreamResponse:
    user = await require_user(request)
    async with request.app[SESSIONS].begin() as db:
        await end_sessions(db, user.id, keep=request.get(CURRENT_SESSION))
    raise web.HTTPSeeOther("/account/sessions?ended=1")


async def password_page(request: web.Request) -> web.StreamResponse:
    await require_user(request)
    saved = Text("비밀번호를 바꿨습니다.", "Your password was changed.")
    return await render(
        request,
        "account/password.html",
        {"errors": {}, "notice": saved if request.query.get("saved") else None},
    )


async def password_submit(request: web.Request) -> web.StreamResponse:
    """Change the password; every other session of the user ends."""
    user = await require_user(request)
    form = await request.post()
    try:
        async with request.app[SESSIONS].begin() as db:
            await passwords.change_password(
                db,
                request.app[CPU_WORK],
                user,
                current=_text(form, "current_password"),
                new=_text(form, "new_password"),
                confirm=_text(form, "new_password_confirm"),
            )
            await end_sessions(db, user.id, keep=request.get(CURRENT_SESSION))
    except ValidationFailed as exc:
        return await render(
            request,
            "account/password.html",
            {"errors": exc.fields, "notice": None},
            status=400,
        )
    raise web.HTTPSeeOther("/account/password?saved=1")


async def forgot_page(request: web.Request) -> web.StreamResponse:
    return await render(request, "account/forgot.html", {"notice": None})


async def forgot_submit(request: web.Request) -> web.StreamResponse:
    """Always the same answer, whether or not the address has an account."""
    email = _text(await request.post(), "email")[:254]
    settings = request.app[SETTINGS]
    now = utcnow()
    async with transaction(request.app[SESSIONS]) as db:
        # Reset requests share the address's log-in budget: no mail bombing.
        rule = LoginPolicy.from_settings(settings.web).address
        key = "reset-" + address_key(client_address(request))
        if await count_attempt(db, key, rule, now):
            await passwords.request_reset(db, settings, email, now)
    return await render(request, "account/forgot.html", {"notice": RESET_SENT})


async def reset_page(request: web.Request) -> web.StreamResponse:
    async with request.app[SESSIONS]() as db:
        await passwords.reset_token_user(db, request.match_info["token"], utcnow())
    return await render(request, "account/reset.html", {"errors": {}})


async def reset_submit(request: web.Request) -> web.StreamResponse:
    """Set the new password, spend the link, end every session of the user."""
    form = await request.post()
    try:
        async with request.app[SESSIONS].begin() as db:
            user_id = await passwords.reset_password(
                db,
                request.app[CPU_WORK],
                request.match_info["token"],
                new=_text(form, "new_password"),
                confirm=_text(form, "new_password_confirm"),
                now=utcnow(),
            )
            await end_sessions(db, user_id)
    except ValidationFailed as exc:
        return await render(
            request, "account/reset.html", {"errors": exc.fields}, status=400
        )
    raise web.HTTPSeeOther("/login?reset=1")


async def zone_page(request: web.Request) -> web.StreamResponse:
    """The reader's time zone: every page shows times in it."""
    user = await require_user(request)
    saved = Text("시간대를 바꿨습니다.", "Your time zone was changed.")
    return await render(
        request,
        "account/time_zone.html",
        {
            "errors": {},
            "form": {"time_zone": user.time_zone},
            "zones": ZONE_CHOICES,
            "now": utcnow(),
            "notice": saved if request.query.get("saved") else None,
        },
    )


async def zone_submit(request: web.Request) -> web.StreamResponse:
    """Save the time zone (an IANA name); a bad name changes nothing (400)."""
    user = await require_user(request)
    form = await request.post()
    try:
        async with request.app[SESSIONS].begin() as db:
            await set_time_zone(db, user, _text(form, "time_zone"))
    except ValidationFailed as exc:
        return await render(
            request,
            "account/time_zone.html",
            {
                "errors": exc.fields,
                "form": {"time_zone": _text(form, "time_zone")},
                "zones": ZONE_CHOICES,
                "now": utcnow(),
                "notice": None,
            },
            status=400,
        )
    raise web.HTTPSeeOther("/account/time-zone?saved=1")
