"""Who is asking: session log-in, API tokens, roles and CSRF tokens."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp_session import get_session, new_session
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import ApiToken, Role, User, UserSession
from export_hub.db import utcnow
from export_hub.errors import AuthenticationRequired, PermissionDenied
from export_hub.security import constant_time_equals, new_token, sha256_hex
from export_hub.web.keys import SESSIONS, SETTINGS

USER = web.RequestKey("user", User)
#: The id of the :class:`UserSession` this request came in with.
CURRENT_SESSION = web.RequestKey("current_session", int)
#: The cookie's key for the random session token (only its hash is stored).
SESSION_TOKEN = "sid"  # noqa: S105 - a cookie key, not a secret
VIA_TOKEN = web.RequestKey("auth_via_token", bool)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def load_user(request: web.Request) -> User | None:
    """The signed-in user, from a bearer token or the session cookie.

    A cookie names a server-side :class:`UserSession`; it counts only while
    that record is neither ended nor idle past ``web.session_max_age_seconds``.
    """
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
            user = await _user_for_session(request, db)
        if user is not None:
            request[USER] = user
    return user


async def _user_for_session(request: web.Request, db: AsyncSession) -> User | None:
    token = (await get_session(request)).get(SESSION_TOKEN)
    if not isinstance(token, str):
        return None
    row = await db.scalar(
        select(UserSession).where(
            UserSession.token_sha256 == sha256_hex(token),
            UserSession.revoked_at.is_(None),
        )
    )
    now = utcnow()
    max_age = dt.timedelta(seconds=request.app[SETTINGS].web.session_max_age_seconds)
    if row is None or now - row.last_seen_at > max_age:
        return None
    user = await db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    request[CURRENT_SESSION] = row.id
    if now - row.last_seen_at > TOKEN_TOUCH_INTERVAL:
        await db.execute(
            update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now)
        )
        await db.commit()
    return user


def client_address(request: web.Request) -> str:
    """The client's IP address: the socket peer, or the nearest address in
    ``X-Forwarded-For`` not itself a trusted proxy when the peer is one
    (``web.trusted_proxies``)."""
    peer = request.remote or ""
    trusted = [
        ipaddress.ip_network(item, strict=False)
        for item in request.app[SETTINGS].web.trusted_proxies
    ]

    def is_trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in trusted)

    if not trusted or not is_trusted(peer):
        return peer[:64]
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        if not is_trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer[:64]
    return peer[:64]


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
    """Start a fresh session (new id, new CSRF token, a new server-side
    record) for ``user``."""
    lang = (await get_session(request)).get("lang")
    token = new_token()
    async with request.app[SESSIONS].begin() as db:
        db.add(
            UserSession(
                token_sha256=sha256_hex(token),
                user_id=user.id,
                user_agent=request.headers.get("User-Agent", "")[:300],
                address=client_address(request),
            )
        )
    session = await new_session(request)
    session[SESSION_TOKEN] = token
    session[CSRF_FIELD] = new_token()
    if lang:
        session["lang"] = lang
    request[USER] = user


async def log_out(request: web.Request) -> None:
    """End the session on the server too: a copy of the cookie stops working."""
    session = await get_session(request)
    token = session.get(SESSION_TOKEN)
    if isinstance(token, str):
        async with request.app[SESSIONS].begin() as db:
            await db.execute(
                update(UserSession)
                .where(
                    UserSession.token_sha256 == sha256_hex(token),
                    UserSession.revoked_at.is_(None),
                )
                .values(revoked_at=utcnow())
            )
    lang = session.get("lang")
    session.invalidate()
    fresh = await new_session(request)
    if lang:
        fresh["lang"] = lang


async def end_sessions(
    db: AsyncSession, user_id: int, *, keep: int | None = None
) -> int:
    """End ``user_id``'s open sessions except ``keep``; returns how many."""
    query = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(UserSession.id != keep)
    result = await db.execute(query.values(revoked_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


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


def template_context(request: web.Request) -> dict[str, Any]:
    """Values every page needs (filled by the context processor)."""
    return {"user": request.get(USER)}
