"""OAuth: the consent page (``/oauth2/authorize``) and the token endpoint
(``/identity/v1/oauth2/token``) with eBay's error bodies."""

from __future__ import annotations

import base64
import html
import secrets
from urllib.parse import urlencode

from aiohttp import web

from emulators.ebay.common import STATE
from emulators.ebay.state import AccessGrant, EmulatorState

CODE_TTL = 299
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>eBay (emulator) - Grant access</title></head>
<body>
<h1>Grant application access: Export Hub</h1>
<p>Export Hub would like to list and manage items for you on eBay.</p>
<form method="post" action="/oauth2/authorize">
{hidden}
<label>eBay user ID
<input name="username" id="username" value="{username}" required></label>
<button type="submit" name="decision" value="agree" id="agree">Agree</button>
<button type="submit" name="decision" value="decline" id="decline">Not now</button>
</form></body></html>"""
PARAMS = ("client_id", "redirect_uri", "response_type", "scope", "state")


def setup(app: web.Application) -> None:
    app.router.add_get("/oauth2/authorize", authorize_page)
    app.router.add_post("/oauth2/authorize", authorize_submit)
    app.router.add_post("/identity/v1/oauth2/token", token)


def _check(state: EmulatorState, params: dict[str, str]) -> str | None:
    if params.get("client_id") != state.config.client_id:
        return "unauthorized_client"
    if params.get("redirect_uri") not in state.config.ru_names:
        return "invalid_request"
    if params.get("response_type") != "code":
        return "unsupported_response_type"
    return None


async def authorize_page(request: web.Request) -> web.Response:
    state = request.app[STATE]
    params = {k: request.query.get(k, "") for k in PARAMS}
    problem = _check(state, params)
    if problem:
        return web.Response(status=400, text=f"error={problem}")
    hidden = "\n".join(
        f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
        for k, v in params.items()
    )
    username = state.config.consent_username
    return web.Response(
        text=PAGE.format(hidden=hidden, username=html.escape(username)),
        content_type="text/html",
    )


async def authorize_submit(request: web.Request) -> web.Response:
    state = request.app[STATE]
    form = await request.post()
    params = {k: str(form.get(k, "")) for k in PARAMS}
    problem = _check(state, params)
    if problem:
        return web.Response(status=400, text=f"error={problem}")
    accept_url = state.config.ru_names[params["redirect_uri"]]
    if form.get("decision") != "agree":
        query = urlencode({"error": "access_denied", "state": params["state"]})
        raise web.HTTPFound(f"{accept_url}?{query}")
    username = str(form.get("username", "")).strip() or "daejeon_seller"
    state.add_seller(username)
    code = "v^1.1#i^1#f^0#p^3#I^3#" + secrets.token_urlsafe(24)
    state.codes[code] = (
        username,
        state.wall_clock() + CODE_TTL,
        params["redirect_uri"],
    )
    query = urlencode({"state": params["state"], "code": code, "expires_in": CODE_TTL})
    raise web.HTTPFound(f"{accept_url}?{query}")


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response(
        {"error": error, "error_description": description}, status=status
    )


def _client_ok(state: EmulatorState, header: str) -> bool:
    if not header.startswith("Basic "):
        return False
    try:
        decoded = base64.b64decode(header.removeprefix("Basic ")).decode()
    except ValueError:
        return False
    client_id, _, secret = decoded.partition(":")
    return secrets.compare_digest(
        client_id, state.config.client_id
    ) and secrets.compare_digest(secret, state.config.client_secret)


async def token(request: web.Request) -> web.Response:
    state = request.app[STATE]
    if not _client_ok(state, request.headers.get("Authorization", "")):
        return _oauth_error(401, "invalid_client", "client authentication failed")
    form = await request.post()
    grant_type = str(form.get("grant_type", ""))
    if grant_type == "authorization_code":
        return _code_grant(
            state, str(form.get("code", "")), str(form.get("redirect_uri", ""))
        )
    if grant_type == "refresh_token":
        return _refresh_grant(state, str(form.get("refresh_token", "")))
    return _oauth_error(
        400,
        "unsupported_grant_type",
        "grant type in request is not supported by the authorization server",
    )


def _access_token(state: EmulatorState, username: str) -> dict[str, object]:
    access = "v^1.1#i^1#p^3#r^1#I^3#" + secrets.token_urlsafe(32)
    state.access_tokens[access] = AccessGrant(
        username, state.wall_clock() + state.config.access_token_ttl
    )
    return {
        "access_token": access,
        "expires_in": state.config.access_token_ttl,
        "token_type": "User Access Token",
    }


def _code_grant(state: EmulatorState, code: str, redirect_uri: str) -> web.Response:
    state.token_calls["authorization_code"] += 1
    found = state.codes.pop(code, None)
    if (
        found is None
        or code in state.used_codes
        or found[1] < state.wall_clock()
        or found[2] != redirect_uri
    ):
        return _oauth_error(
            400,
            "invalid_grant",
            "the provided authorization grant code is "
            "invalid or was issued to another client",
        )
    state.used_codes.add(code)
    username = found[0]
    refresh = state.issue_refresh_token(username)
    return web.json_response(
        {
            **_access_token(state, username),
            "refresh_token": refresh,
            "refresh_token_expires_in": state.config.refresh_token_ttl,
        }
    )


def _refresh_grant(state: EmulatorState, refresh: str) -> web.Response:
    state.token_calls["refresh_token"] += 1
    username = state.refresh_tokens.get(refresh)
    if username is None:
        return _oauth_error(
            400,
            "invalid_grant",
            "the provided authorization refresh token is "
            "invalid or was issued to another client",
        )
    return web.json_response(_access_token(state, username))
