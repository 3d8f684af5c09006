"""Shared pieces of the emulator: eBay's error bodies, auth, faults, quotas."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from emulators.ebay.state import EmulatorState, Seller

STATE = web.AppKey("ebay_emulator_state", EmulatorState)
SELLER = web.RequestKey("ebay_seller", Seller)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error(
    error_id: int,
    message: str,
    *,
    category: str = "REQUEST",
    domain: str = "API_INVENTORY",
    parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One entry of eBay's ``errors`` array."""
    entry: dict[str, Any] = {
        "errorId": error_id,
        "domain": domain,
        "subdomain": "Selling",
        "category": category,
        "message": message,
    }
    if parameters:
        entry["parameters"] = [{"name": k, "value": v} for k, v in parameters.items()]
    return entry


def error_response(status: int, *errors: dict[str, Any]) -> web.Response:
    return web.json_response({"errors": list(errors)}, status=status)


def api_of(path: str) -> str | None:
    if path.startswith("/sell/inventory/"):
        return "inventory"
    if path.startswith("/sell/account/"):
        return "account"
    if path.startswith("/sell/fulfillment/"):
        return "fulfillment"
    if path.startswith("/ws/api.dll"):
        return "trading"
    if path.startswith("/commerce/identity/"):
        return "identity"
    return None


def _take_fault(state: EmulatorState, path: str) -> str | None:
    for fault in state.faults:
        if fault.path_part in path and fault.remaining > 0:
            fault.remaining -= 1
            return fault.kind
    cfg = state.config
    if cfg.drop_rate and state.random.random() < cfg.drop_rate:
        # Before handling (nothing happened) or after (done, answer lost).
        return state.random.choice(("drop", "drop_after"))
    if cfg.fault_rate and state.random.random() < cfg.fault_rate:
        return state.random.choice(("500", "503"))
    return None


async def _drop(request: web.Request) -> web.Response:
    transport = request.transport
    if transport is not None:
        transport.abort()
    # Nothing reaches the client; aiohttp discards this once the peer is gone.
    return web.Response(status=500)


@web.middleware
async def fault_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Latency, scripted and random faults (500, 503, 429, dropped connections)."""
    state = request.app[STATE]
    low, high = state.config.latency
    if high > 0:
        await asyncio.sleep(state.random.uniform(low, high))
    kind = _take_fault(state, request.path)
    if kind is not None:
        state.injected[kind] = state.injected.get(kind, 0) + 1
    if kind == "drop":
        return await _drop(request)
    if kind == "timeout":
        await asyncio.sleep(3600)
    if kind in ("500", "503"):
        if api_of(request.path) == "trading" or kind == "503":
            return web.Response(status=int(kind), text="Service Unavailable")
        return error_response(
            500, error(25001, "A system error has occurred.", category="APPLICATION")
        )
    if kind == "429":
        return error_response(
            429,
            error(
                2001,
                "Too many requests. The request limit has been "
                "reached for the resource.",
                domain="ACCESS",
            ),
        )
    response = await handler(request)
    if kind == "drop_after":
        return await _drop(request)
    return response


def bearer_seller(state: EmulatorState, header: str) -> Seller | str | None:
    """The seller behind a bearer/IAF token, ``"expired"``, or ``None``."""
    token = header.removeprefix("Bearer ").strip()
    grant = state.access_tokens.get(token)
    if grant is None:
        return None
    if grant.expires_at <= state.wall_clock():
        return "expired"
    return state.sellers[grant.username]


@web.middleware
async def rest_auth_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Bearer auth, per-seller rate limits and daily quotas for the REST APIs."""
    state = request.app[STATE]
    api = api_of(request.path)
    if api is None or api == "trading":
        return await handler(request)
    seller = bearer_seller(state, request.headers.get("Authorization", ""))
    if not isinstance(seller, Seller):
        return error_response(
            401,
            error(
                1001,
                "Invalid access token",
                domain="OAuth",
                parameters={
                    "additionalInfo": "Check the value of the "
                    "Authorization HTTP request header."
                },
            ),
        )
    limited = over_limits(state, seller.username, api)
    if limited:
        return error_response(
            429, error(2001, f"Too many requests. {limited}", domain="ACCESS")
        )
    request[SELLER] = seller
    try:
        body = await request.json() if request.can_read_body else None
    except ValueError:
        return error_response(
            400,
            error(
                2004,
                "The request has errors. The body is not valid JSON.",
                domain="API_INVENTORY",
            ),
        )
    state.log.append((request.method, request.path, seller.username, body))
    response = await handler(request)
    _record(state, request, response)
    return response


def _record(
    state: EmulatorState, request: web.Request, response: web.StreamResponse
) -> None:
    if not state.record_exchanges or not isinstance(response, web.Response):
        return
    body = None
    if response.content_type == "application/json" and isinstance(response.body, bytes):
        body = json.loads(response.body)
    state.exchanges.append((request.method, request.path, response.status, body))


def over_limits(state: EmulatorState, username: str, api: str) -> str | None:
    """Counts the call; says why it must be refused (rate or daily quota)."""
    cfg = state.config
    day_key = (username, api, state.today())
    used = state.usage.get(day_key, 0)
    if used >= cfg.daily_quota:
        state.refused["quota"] += 1
        return "The daily call limit has been reached."
    state.usage[day_key] = used + 1
    rate = cfg.rate_per_second * cfg.rate_scale
    now = state.clock()
    tokens, updated = state.buckets.get((username, api), (float(cfg.rate_burst), now))
    tokens = min(float(cfg.rate_burst), tokens + (now - updated) * rate)
    if tokens < 1.0:
        state.buckets[(username, api)] = (tokens, now)
        state.refused["rate"] += 1
        return "The request limit has been reached for the resource."
    state.buckets[(username, api)] = (tokens - 1.0, now)
    return None
