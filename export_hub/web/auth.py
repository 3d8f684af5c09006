"""Who is asking: session log-in, API tokens, roles and CSRF tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp_session import get_session, new_session
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import ApiToken, Role, User
from export_hub.db import utcnow
from export_hub.errors import AuthenticationRequired, PermissionDenied
from export_hub.security import constant_time_equals, new_token, sha256_hex
from export_hub.web.keys import SESSIONS

USER = web.RequestKey("user", User)
VIA_TOKEN = web.RequestKey("auth_via_token", bool)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def load_user(request: web.Request) -> User | None:
    """The signed-in user, from a bearer token or the session cookie."""
    if USER in request:
        return request[USER]
    user: User | None = None
    header = request.headers.get("Authorization", "")
    async with request.app[SESSIONS]() as db:
        if header.startswith("Bearer "):
            user = await _user_for_token(db, header.removeprefix("Bearer ").strip())
            if user is None:
                raise AuthenticationRequired()
            request[VIA_TOKEN] = True
        else:
            session = await get_session(request)
            user_id = session.get("user_id")
            if isinstance(user_id, int):
                user = await db.get(User, user_id)
                if user is not None and (
                    not user.is_active or session.get("auth_epoch") != _auth_epoch(user)
                ):
                    user = None
        if user is not None:
            request[USER] = user
    return user


def _auth_epoch(user: User) -> str:
    # Changing the password invalidates every existing session.
    return sha256_hex(user.password_hash)[:16]


#: ``ApiToken.last_used_at`` is written at most this often per token.
TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=1)


async def _user_for_token(db: AsyncSession, token: str) -> User | None:
    row = await db.scalar(
        select(ApiToken).where(
            ApiToken.token_sha256 == sha256_hex(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return None
    user = await db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > TOKEN_TOUCH_INTERVAL:
        # Its own short write, throttled, so a busy client costs no write lock
        # per request (SQLite serialises writers).
        await db.execute(
            update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now)
        )
        await db.commit()
    return user


async def log_in(request: web.Request, user: User) -> None:
    """Start a fresh session (new id, new CSRF token) for ``user``."""
    lang = (await get_session(request)).get("lang")
    session = await new_session(request)
    session["user_id"] = user.id
    session["auth_epoch"] = _auth_epoch(user)
    session[CSRF_FIELD] = new_token()
    if lang:
        session["lang"] = lang
    request[USER] = user


async def log_out(request: web.Request) -> None:
    session = await get_session(request)
    lang = session.get("lang")
    session.invalidate()
    fresh = await new_session(request)
    if lang:
        fresh["lang"] = lang


async def csrf_token(request: web.Request) -> str:
    session = await get_session(request)
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = new_token()
        session[CSRF_FIELD] = token
    return token


async def check_csrf(request: web.Request) -> bool:
    session = await get_session(request)
    expected = session.get(CSRF_FIELD)
    if not isinstance(expected, str):
        return False
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        # Reading the form here caches it on the request for the handler.
        form = await request.post()
        value = form.get(CSRF_FIELD)
        supplied = value if isinstance(value, str) else None
    return supplied is not None and constant_time_equals(supplied, expected)


async def require_user(request: web.Request, *roles: Role) -> User:
    """The signed-in user, or raise 401; with ``roles``, raise 403 for others."""
    user = await load_user(request)
    if user is None:
        raise AuthenticationRequired()
    if roles and user.role not in roles:
        raise PermissionDenied()
    return user


async def require_staff(request: web.Request) -> User:
    return await require_user(request, Role.ADMIN, Role.STAFF)


async def issue_api_token(db: AsyncSession, user: User, label: str = "") -> str:
    """Create an API token for ``user``; returns the only copy of its plaintext."""
    token = new_token()
    db.add(ApiToken(user_id=user.id, token_sha256=sha256_hex(token), label=label))
    return token


def touch_login(user: User) -> None:
    user.last_login_at = utcnow()


def login_is_locked(locked_until: dt.datetime | None) -> bool:
    return locked_until is not None and locked_until > utcnow()


def template_context(request: web.Request) -> dict[str, Any]:
    """Values every page needs (filled by the context processor)."""
    return {"user": request.get(USER)}
