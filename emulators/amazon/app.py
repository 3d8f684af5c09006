"""The SP-API emulator's aiohttp application: request ids, faults, access
tokens, rate limits and Amazon's error body, shared by every route.

Every answer carries ``x-amzn-RequestId``; successful SP-API answers carry
``x-amzn-RateLimit-Limit`` (the operation's rate in requests per second as
Amazon documents it, unscaled: a client that runs with the same scale factor
scales it the same way). Errors are always ``{"errors": [...]}``.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from emulators.amazon.config import EmulatorConfig
from emulators.amazon.state import EmulatorState

STATE = web.AppKey("amazon_emulator_state", EmulatorState)
CONFIG = web.AppKey("amazon_emulator_config", EmulatorConfig)
BASE_URL = web.AppKey("amazon_emulator_base_url", list[str])
REQUEST_ID = "x-amzn-RequestId"
SP_API_PREFIXES = ("/listings/", "/definitions/", "/feeds/")
MARKETPLACES = {
    "ATVPDKIKX0DER",  # US
    "A2EUQ1WTGCTBG2",  # CA
    "A1AM78C64UM0Y8",  # MX
    "A1F83G8C2ARO7P",  # UK
    "A1PA6795UKMFR9",  # DE
    "A13V1IB3VIYZZH",  # FR
    "A1VC38T7YXB528",  # JP
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """An SP-API error answer: status plus Amazon's ``errors`` entries."""

    def __init__(self, status: int, code: str, message: str, details: str = ""):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def errors_response(
    status: int, code: str, message: str, details: str = ""
) -> web.Response:
    entry: dict[str, str] = {"code": code, "message": message}
    if details:
        entry["details"] = details
    return web.json_response({"errors": [entry]}, status=status)


def bad_request(message: str, details: str = "") -> ApiError:
    return ApiError(400, "InvalidInput", message, details)


class TokenBuckets:
    """Amazon-side throttling: a bucket per (seller, operation), no queueing."""

    def __init__(self, config: EmulatorConfig, clock: Callable[[], float]):
        self._config = config
        self._clock = clock
        self._buckets: dict[tuple[str, str], list[float]] = {}

    def take(self, seller_id: str, operation: str) -> bool:
        rate, burst = self._config.rate(operation)
        rate *= self._config.rate_scale
        now = self._clock()
        tokens, updated = self._buckets.get((seller_id, operation), [float(burst), now])
        tokens = min(float(burst), tokens + (now - updated) * rate)
        if tokens < 1.0:
            self._buckets[(seller_id, operation)] = [tokens, now]
            return False
        self._buckets[(seller_id, operation)] = [tokens - 1.0, now]
        return True


BUCKETS = web.AppKey("amazon_emulator_buckets", TokenBuckets)
RANDOM = web.AppKey("amazon_emulator_random", random.Random)


@web.middleware
async def request_id_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """A request id on every answer; Amazon's error body for every error."""
    request_id = str(uuid.uuid4())
    try:
        response = await handler(request)
    except ApiError as exc:
        response = errors_response(exc.status, exc.code, exc.message, exc.details)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = errors_response(
            exc.status, exc.reason.replace(" ", ""), exc.reason, exc.text or ""
        )
    response.headers[REQUEST_ID] = request_id
    return response


@web.middleware
async def fault_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Injected latency, 500/503 answers and dropped connections (seeded)."""
    if not request.path.startswith(SP_API_PREFIXES):
        return await handler(request)
    faults = request.app[CONFIG].faults
    if faults.latency_seconds:
        await asyncio.sleep(faults.latency_seconds)
    roll = request.app[RANDOM].random()
    if roll < faults.drop_share:
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError  # nothing more is written
    roll -= faults.drop_share
    if roll < faults.error_500_share:
        raise ApiError(500, "InternalFailure", "We encountered an internal error.")
    roll -= faults.error_500_share
    if roll < faults.error_503_share:
        raise ApiError(503, "ServiceUnavailable", "Service temporarily unavailable.")
    return await handler(request)


def operation(
    name: str, *, seller_in_path: bool = True
) -> Callable[[Handler], Handler]:
    """Authenticate (``x-amz-access-token``), throttle per (seller, operation),
    and add the rate-limit header to successful answers."""

    def decorate(handler: Handler) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            state = request.app[STATE]
            token = request.headers.get("x-amz-access-token", "")
            seller_id = state.seller_for_access_token(token)
            if seller_id is None:
                raise ApiError(
                    403,
                    "Unauthorized",
                    "Access to requested resource is denied.",
                    "The access token you provided is revoked, malformed or invalid.",
                )
            path_seller = request.match_info.get("sellerId")
            if seller_in_path and path_seller != seller_id:
                raise ApiError(
                    403, "Unauthorized", "Access to requested resource is denied."
                )
            state.calls.append((name, seller_id))
            if not request.app[BUCKETS].take(seller_id, name):
                state.throttled += 1
                raise ApiError(
                    429,
                    "QuotaExceeded",
                    "You exceeded your quota for the requested resource.",
                )
            request["seller_id"] = seller_id
            response = await handler(request)
            if 200 <= response.status < 300:
                rate, _ = request.app[CONFIG].rate(name)
                response.headers["x-amzn-RateLimit-Limit"] = f"{rate:g}"
            return response

        return wrapped

    return decorate


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad_request("The request body is not valid JSON.", str(exc)) from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    request.app[STATE].bodies.append((request.path, body))
    return body


def marketplace_ids(request: web.Request, *, exactly_one: bool = False) -> list[str]:
    """``marketplaceIds`` (comma-delimited, required), checked like Amazon."""
    raw = request.query.getall("marketplaceIds", [])
    ids = [part for value in raw for part in value.split(",") if part]
    if not ids:
        raise bad_request("Missing required 'marketplaceIds' parameter.")
    if exactly_one and len(ids) != 1:
        raise bad_request("Exactly one marketplace identifier is required.")
    unknown = [m for m in ids if m not in MARKETPLACES]
    if unknown:
        raise bad_request(f"Invalid marketplace identifier(s): {','.join(unknown)}.")
    return ids


def enum_param(request: web.Request, name: str, allowed: set[str]) -> list[str]:
    values = [v for raw in request.query.getall(name, []) for v in raw.split(",") if v]
    bad = [v for v in values if v not in allowed]
    if bad:
        raise bad_request(f"Invalid value(s) for '{name}': {','.join(bad)}.")
    return values


def base_url(request: web.Request) -> str:
    return request.app[BASE_URL][0]


def create_app(state: EmulatorState, base: str = "") -> web.Application:
    """The emulator application over ``state``. ``base`` is its public URL
    (for presigned URLs and schema links); set it before serving."""
    from emulators.amazon import definitions, feeds, listings, lwa, restrictions

    app = web.Application(middlewares=[request_id_middleware, fault_middleware])
    app[STATE] = state
    app[CONFIG] = state.config
    app[BASE_URL] = [base]
    app[BUCKETS] = TokenBuckets(state.config, state.clock)
    app[RANDOM] = random.Random(state.config.faults.seed)  # noqa: S311 - faults, not security
    for module in (lwa, listings, definitions, feeds, restrictions):
        module.setup(app)
    return app
