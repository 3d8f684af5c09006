"""Errors as JSON or pages, language choice, CSRF, security headers."""

from __future__ import annotations

import json
import logging
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import quote

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp_session import get_session

from export_hub.errors import (
    AuthenticationRequired,
    NotFound,
    RequestError,
    Text,
    ValidationFailed,
)
from export_hub.i18n import normalise_language
from export_hub.settings import Settings
from export_hub.validation import find_nul, is_id, nesting_depth
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


class PayloadTooLarge(RequestError):
    """413: the body is larger than the server accepts."""

    status = 413
    code = "payload_too_large"

    def __init__(self) -> None:
        super().__init__(
            Text(
                "보낸 내용이 너무 큽니다. 파일 크기를 줄여 주세요.",
                "The request is too large. Send smaller files.",
            )
        )


FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: No request of the API nests deeper than a few levels; handlers may recurse.
MAX_JSON_DEPTH = 32


def _bad_body(ko: str, en: str) -> ValidationFailed:
    return ValidationFailed({"body": Text(ko, en)}, Text(ko, en))


def _too_deep() -> ValidationFailed:
    return _bad_body(
        f"JSON은 {MAX_JSON_DEPTH}단계까지만 중첩할 수 있습니다.",
        f"JSON may nest at most {MAX_JSON_DEPTH} levels deep.",
    )


def _nul_error(where: str) -> ValidationFailed:
    return ValidationFailed(
        {
            where: Text(
                "NUL 문자(\\0)는 입력할 수 없습니다.", "NUL characters are not allowed."
            )
        }
    )


@web.middleware
async def input_guard_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Refuse malformed input before any handler sees it (runs inside the
    error middleware, before the CSRF check reads the form).

    * path ids (``id`` and ``*_id``) that are not 1..2^31-1 in ASCII: 404;
    * NUL in the query, a form or a JSON body: 400 naming the field;
    * JSON nested too deeply to parse, malformed multipart or form bodies: 400;
    * bodies over ``client_max_size``: 413, as JSON or an error page.
    """
    for key, value in request.match_info.items():
        if (key == "id" or key.endswith("_id")) and not is_id(value):
            raise NotFound()
    where = find_nul({k: v for k, v in request.query.items()})
    if where is not None:
        raise _nul_error(where)
    # Forms are read even without a body: a bodiless multipart request still
    # fails in the parser (no boundary).
    if request.method in BODY_METHODS and (
        request.body_exists or request.content_type in FORM_TYPES
    ):
        try:
            await _check_body(request)
        except web.HTTPRequestEntityTooLarge:
            raise PayloadTooLarge() from None
    return await handler(request)


async def _check_body(request: web.Request) -> None:
    if request.content_type in FORM_TYPES:
        try:
            form = await request.post()
        except (ValueError, LookupError, HttpProcessingError):
            raise _bad_body(
                "양식 데이터를 읽을 수 없습니다. "
                "페이지를 새로 고친 뒤 다시 보내 주세요.",
                "The form data is malformed. Reload the page and send it again.",
            ) from None
        where = find_nul({k: v for k, v in form.items() if isinstance(v, str)})
    elif request.content_type == "application/json" or request.content_type.endswith(
        "+json"
    ):
        body = await _decoded_json(request)
        if nesting_depth(body) > MAX_JSON_DEPTH:
            raise _too_deep()
        where = find_nul(body)
    else:
        return
    if where is not None:
        raise _nul_error(where)


async def _decoded_json(request: web.Request) -> Any:
    """The decoded body, or ``None`` when it is not JSON (the handler says so)."""
    try:
        return json.loads(await request.text())
    except RecursionError:
        raise _too_deep() from None
    except (ValueError, LookupError):
        return None


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
