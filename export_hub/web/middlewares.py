"""Errors as JSON or pages, language choice, CSRF, security headers."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from urllib.parse import quote

from aiohttp import web
from aiohttp_session import get_session

from export_hub.errors import AuthenticationRequired, RequestError, Text
from export_hub.i18n import normalise_language
from export_hub.settings import Settings
from export_hub.web.auth import Handler, check_csrf
from export_hub.web.keys import SETTINGS

log = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def wants_json(request: web.Request) -> bool:
    return request.path.startswith("/api/") or (
        "application/json" in request.headers.get("Accept", "")
        and "text/html" not in request.headers.get("Accept", "")
    )


async def request_language(request: web.Request) -> str:
    session = await get_session(request)
    return normalise_language(session.get("lang"))


@web.middleware
async def error_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Turn :class:`RequestError` into ``{"error": ...}`` JSON or an error page."""
    try:
        return await handler(request)
    except RequestError as exc:
        return await render_error(request, exc)
    except web.HTTPException as exc:
        if exc.status >= 400 and wants_json(request):
            err = RequestError(Text(exc.reason, exc.reason))
            err.status = exc.status
            err.code = exc.reason.lower().replace(" ", "_")
            return await render_error(request, err)
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        err = RequestError(
            Text(
                "서버 오류가 발생했습니다. 잠시 후 다시 시도해 주세요.",
                "Something went wrong on our side. Please try again shortly.",
            )
        )
        err.status = 500
        err.code = "internal_error"
        return await render_error(request, err)


async def render_error(request: web.Request, exc: RequestError) -> web.StreamResponse:
    lang = await request_language(request)
    if wants_json(request):
        return web.json_response(exc.to_json(lang), status=exc.status)
    if isinstance(exc, AuthenticationRequired) and request.method in SAFE_METHODS:
        raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs)}")
    from export_hub.web.render import render

    return await render(
        request, "error.html", {"error": exc, "status": exc.status}, status=exc.status
    )


@web.middleware
async def language_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """``?lang=en`` or ``?lang=ko`` switches the interface language and sticks."""
    chosen = request.query.get("lang")
    if chosen in ("ko", "en"):
        session = await get_session(request)
        session["lang"] = chosen
    return await handler(request)


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every state-changing request carries the session's CSRF token.

    Requests authenticated by an API bearer token carry no cookie, so no CSRF
    risk, and are exempt. Routes that must accept foreign POSTs mark
    themselves with ``csrf_exempt``.
    """
    if request.method in SAFE_METHODS:
        return await handler(request)
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return await handler(request)
    route_handler = request.match_info.handler
    if getattr(route_handler, "csrf_exempt", False):
        return await handler(request)
    if not await check_csrf(request):
        raise RequestError(
            Text(
                "보안 토큰이 없거나 만료되었습니다. "
                "페이지를 새로 고친 뒤 다시 시도해 주세요.",
                "Missing or expired security token. Reload the page and try again.",
            )
        ) from None
    return await handler(request)


def csrf_exempt(handler: Handler) -> Handler:
    handler.csrf_exempt = True  # type: ignore[attr-defined]
    return handler


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self' https: http:"
)


@web.middleware
async def security_headers_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Security headers on every answer, redirects and errors raised as
    exceptions included; HSTS in production (served over TLS only)."""
    settings = request.app[SETTINGS]
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _add_security_headers(exc.headers, settings)
        raise
    _add_security_headers(response.headers, settings)
    return response


def _add_security_headers(
    headers: MutableMapping[str, str], settings: Settings
) -> None:
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if settings.environment == "production":
        headers.setdefault(
            "Strict-Transport-Security",
            f"max-age={settings.web.hsts_max_age_seconds}; includeSubDomains",
        )
