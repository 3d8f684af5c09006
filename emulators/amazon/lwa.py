"""Login with Amazon: the token endpoint and Seller Central's consent page.

``POST /auth/o2/token`` answers like LWA (``invalid_grant``, ``invalid_client``,
``unsupported_grant_type`` as ``{"error", "error_description"}``).
``GET /apps/authorize/consent`` shows a consent form; confirming redirects to
the application's redirect URI with ``state``, ``selling_partner_id`` and
``spapi_oauth_code``.
"""

from __future__ import annotations

import html
import secrets
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from emulators.amazon.common import CONFIG, STATE
from emulators.amazon.config import SellerConfig


def setup(app: web.Application) -> None:
    app.router.add_post("/auth/o2/token", token)
    app.router.add_get("/apps/authorize/consent", consent_page)
    app.router.add_post("/apps/authorize/consent", consent_confirm)


def _lwa_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response(
        {"error": error, "error_description": description}, status=status
    )


async def token(request: web.Request) -> web.Response:
    form = await request.post()
    config = request.app[CONFIG]
    state = request.app[STATE]
    client_ok = secrets.compare_digest(
        str(form.get("client_id", "")), config.client_id
    ) and secrets.compare_digest(
        str(form.get("client_secret", "")), config.client_secret
    )
    if not client_ok:
        return _lwa_error(401, "invalid_client", "Client authentication failed")
    grant_type = form.get("grant_type")
    if grant_type == "refresh_token":
        refresh = str(form.get("refresh_token", ""))
        seller_id = state.refresh_tokens.get(refresh)
        if seller_id is None:
            return _lwa_error(
                400,
                "invalid_grant",
                "The request has an invalid grant parameter : refresh_token",
            )
    elif grant_type == "authorization_code":
        seller_id = state.redeem_auth_code(str(form.get("code", "")))
        if seller_id is None:
            return _lwa_error(
                400, "invalid_grant", "The authorization code is invalid or expired."
            )
        refresh = state.issue_refresh_token(seller_id)
    else:
        return _lwa_error(400, "unsupported_grant_type", "Unsupported grant type.")
    return web.json_response(
        {
            "access_token": state.issue_access_token(seller_id),
            "refresh_token": refresh,
            "token_type": "bearer",
            "expires_in": config.access_token_ttl_seconds,
        }
    )


def _redirect_allowed(uri: str, allowed: list[str]) -> bool:
    if allowed:
        return uri in allowed
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and parts.hostname in (
        "127.0.0.1",
        "localhost",
    )


def _check_consent(request: web.Request, params: dict[str, str]) -> str:
    config = request.app[CONFIG]
    if params.get("application_id") != config.application_id:
        raise web.HTTPBadRequest(text="Unknown application_id.")
    if not params.get("state"):
        raise web.HTTPBadRequest(text="Missing state.")
    redirect_uri = params.get("redirect_uri", "")
    if not _redirect_allowed(redirect_uri, config.redirect_uris):
        raise web.HTTPBadRequest(text="redirect_uri is not registered for this app.")
    return redirect_uri


async def consent_page(request: web.Request) -> web.Response:
    """Seller Central's consent page. On Amazon the signed-in seller grants
    its own account; here one is picked, and nothing is pre-selected but a
    new account, so a second company never shares a seller by default."""
    params = dict(request.query)
    _check_consent(request, params)
    sellers = request.app[STATE].sellers
    options = "".join(
        f'<option value="{html.escape(s.seller_id)}">'
        f"{html.escape(s.name or s.seller_id)} ({html.escape(s.seller_id)})</option>"
        for s in sellers.values()
    )
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
    )
    beta = (
        " (draft application, version=beta)" if params.get("version") == "beta" else ""
    )
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Seller Central (emulator): authorize application</title></head><body>
<h1>Authorize Export Hub{html.escape(beta)}</h1>
<p>Export Hub asks to manage your listings through the Selling Partner API.</p>
<form method="post" action="/apps/authorize/consent">{hidden}
<label>Selling account <select name="seller_id" id="seller">
<option value="" selected>A new selling account</option>{options}</select></label>
<button type="submit" id="confirm">Confirm</button></form></body></html>"""
    return web.Response(text=body, content_type="text/html")


async def consent_confirm(request: web.Request) -> web.StreamResponse:
    form = {k: str(v) for k, v in (await request.post()).items()}
    redirect_uri = _check_consent(request, form)
    state = request.app[STATE]
    seller_id = form.get("seller_id", "")
    if not seller_id:
        seller_id = "A" + secrets.token_hex(6).upper()
        state.add_seller(SellerConfig(seller_id=seller_id))
    elif seller_id not in state.sellers:
        raise web.HTTPBadRequest(text="Unknown selling account.")
    query = urlencode(
        {
            "state": form["state"],
            "selling_partner_id": seller_id,
            "spapi_oauth_code": state.issue_auth_code(seller_id),
        }
    )
    separator = "&" if "?" in redirect_uri else "?"
    raise web.HTTPFound(f"{redirect_uri}{separator}{query}")
