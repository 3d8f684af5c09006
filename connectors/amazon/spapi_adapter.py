"""Every private part of python-amazon-sp-api the Amazon transport relies on.

The library is good at signing and shaping SP-API calls, but some of what a
multi-seller service needs is only reachable through its internals. All of
that reaching in happens here and nowhere else, so a library upgrade has one
module to check; ``tests/amazon/test_spapi_adapter.py`` fails with a clear
message when an upgrade removes or changes any of these internals, and
``pyproject.toml`` pins the version for that reason.

What we rely on, and why:

* ``sp_api.asyncio.base._transport_httpx.AsyncHttpxTransport`` (private
  module) and the ``_transport`` attribute of API clients and LWA token
  clients: the library gives each client its own ``httpx.AsyncClient`` and
  passes ``timeout=None`` on every request. We swap in a transport over one
  shared pool per seller that keeps the pool's timeout (:func:`use_pool`).
* ``AccessTokenClient``'s class attributes ``scheme``/``host``/``path`` and
  its ``_request(url, data, headers)`` method: the LWA host is a class
  attribute, so aiming at a configured token URL needs a subclass; and the
  library's ``_request`` reads every answer as JSON, so an LWA outage (5xx,
  429, an HTML page) would surface as a JSON error (:func:`lwa_client_class`).
* ``AccessTokenClient._get_cache_key()`` and the module-wide ``cache`` of
  ``sp_api.asyncio.auth.access_token_client``: the library caches access
  tokens in one process-wide ``TTLCache`` sized from the environment at
  import (10 entries by default, fewer than our sellers) and offers no way to
  ask whether a token is cached or to drop a stale one
  (:func:`resize_token_cache`, :func:`cached_access_token`,
  :func:`forget_access_token`).
* ``Client._request(path, data=, params=, add_marketplace=)`` and
  ``resolve_method`` of ``sp_api.base._core``: the library adds fields no
  model defines. It fills in ``MarketplaceId``, ``MarketplaceIds``,
  ``marketplace_ids`` and ``marketplaceIds`` (into a PUT's body, into the
  query of a GET or DELETE, ``marketplaceIds``/``MarketplaceIds`` into a
  POST's body), leaks its ``path`` routing key into createFeed and
  createFeedDocument bodies, and puts a DELETE's query parameters in ``data``
  (never sent). :func:`use_pool` gives every API client a ``_request`` that
  sends exactly what the caller passed (:func:`exact_request`): callers pass
  the marketplace ids themselves, under the name the operation's model uses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

# Imported before the auth package: importing sp_api.asyncio.auth first is a
# circular import inside the library (its auth client needs the base package).
import sp_api.asyncio.base  # noqa: F401
from cachetools import TTLCache
from sp_api.asyncio.auth import access_token_client as _token_module
from sp_api.asyncio.base._transport_httpx import AsyncHttpxTransport
from sp_api.asyncio.base.client import Client as ApiClient
from sp_api.auth.exceptions import AuthorizationError as LwaError
from sp_api.base._core import resolve_method

#: The library's LWA token client (its ``get_auth`` reads the module cache).
AccessTokenClient = _token_module.AccessTokenClient


class LwaUnavailable(Exception):
    """LWA answered 5xx or 429, or something that is not JSON: try later."""

    def __init__(self, status: int):
        super().__init__(f"LWA answered HTTP {status}")
        self.status = status


class PooledTransport(AsyncHttpxTransport):  # type: ignore[misc]
    """The library's transport over our pool, keeping the pool's timeout.

    The library passes ``timeout=None`` on every request, which httpx reads as
    "no timeout at all": a hung connection would hang the job.
    """

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if kwargs.get("timeout") is None:
            kwargs.pop("timeout", None)
        response: httpx.Response = await self._client.request(method, url, **kwargs)
        return response


class _HasTransport(Protocol):
    _transport: Any


def use_pool(client: _HasTransport, http: httpx.AsyncClient) -> None:
    """Make a library API client or LWA token client send through ``http``
    (with ``http``'s timeout); an API client also sends exactly the fields
    its caller passed (:func:`exact_request`). The caller closes ``http``."""
    client._transport = PooledTransport(client=http)
    if isinstance(client, ApiClient):
        # An instance attribute: the library's methods call self._request.
        client._request = exact_request(client._request)


_Request = Callable[..., Awaitable[Any]]
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def exact_request(library_request: _Request) -> _Request:
    """Wrap a library client's ``_request`` so that the request carries only
    what the caller passed: no marketplace ids added by the library, no
    ``path``/``method`` routing keys, a DELETE's or GET's ``data`` sent as
    its query, and array query values joined by commas (the models'
    ``collectionFormat: csv``). The caller's dicts are not changed."""

    async def request(
        path: str,
        *,
        data: Any = None,
        params: Mapping[str, Any] | None = None,
        add_marketplace: bool = True,
        **rest: Any,
    ) -> Any:
        query = dict(params or {})
        body = dict(data) if isinstance(data, Mapping) else data
        method, query, body = resolve_method(query, body)
        for fields in (query, body):
            if isinstance(fields, dict) and _is_route(fields.get("path"), path):
                del fields["path"]
        if method not in _WITH_BODY:
            query.update(body if isinstance(body, dict) else {})
            body = None
        query = {name: _csv(value) for name, value in query.items()}
        return await library_request(
            path,
            data=body,
            params={**query, "method": method},
            add_marketplace=False,
            **rest,
        )

    return request


def _is_route(value: Any, path: str) -> bool:
    """Whether ``value`` is the library's route for ``path`` (its template,
    with ``{}`` where the path has an identifier)."""
    if not isinstance(value, str) or not value.startswith("/"):
        return False
    pattern = "[^/]+".join(re.escape(part) for part in value.split("{}"))
    return re.fullmatch(pattern, path) is not None


def _csv(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return value


def lwa_client_class(token_url: str) -> type[Any]:
    """The library's token client aimed at ``token_url`` (LWA or the
    emulator) that raises :class:`LwaUnavailable` for 5xx, 429 and non-JSON
    answers and the library's ``AuthorizationError`` for refusals."""
    parts = urlsplit(token_url)

    class LwaTokenClient(AccessTokenClient):  # type: ignore[misc,valid-type]
        scheme = f"{parts.scheme}://"
        host = parts.netloc
        path = parts.path or "/auth/o2/token"

        async def _request(self, url: str, data: Any, headers: Any) -> Any:
            response = await self._transport.request(
                "POST", url, data=data, headers=headers
            )
            if response.status_code >= 500 or response.status_code == 429:
                raise LwaUnavailable(response.status_code)
            try:
                body = response.json()
            except json.JSONDecodeError:
                raise LwaUnavailable(response.status_code) from None
            if response.status_code != 200:
                raise LwaError(
                    body.get("error"),
                    body.get("error_description"),
                    response.status_code,
                )
            return body

    return LwaTokenClient


def resize_token_cache(size: int) -> None:
    """Let the process-wide access-token cache hold at least ``size`` tokens
    (one per seller). Never shrinks it; cached tokens of a replaced cache are
    fetched again when needed."""
    # The cache is created at import from SP_API_AUTH_CACHE_SIZE; settings are
    # the only place reading the environment, so resize it from settings here.
    if _token_module.cache.maxsize < size:
        _token_module.cache = TTLCache(maxsize=size, ttl=_token_module.cache.ttl)


def token_cache_size() -> int:
    """How many access tokens the process-wide cache holds at most."""
    return int(_token_module.cache.maxsize)


def cached_access_token(auth: Any) -> Any:
    """The access token the library has cached for ``auth``'s refresh token
    (the library's raw token answer), or ``None``."""
    return _token_module.cache.get(auth._get_cache_key())


def forget_access_token(auth: Any, used: Any) -> None:
    """Drop the cached access token if it is still ``used`` (a concurrent call
    may already have replaced it with a fresh one, which must stay)."""
    key = auth._get_cache_key()  # the library's own cache key
    if _token_module.cache.get(key) is used:
        _token_module.cache.pop(key, None)


def token_key(auth: Any) -> str:
    """The library's cache key for ``auth``'s access token (no secret in it:
    a digest of the refresh token); equal keys share one refresh."""
    return str(auth._get_cache_key())


def clear_token_cache() -> None:
    """Forget every cached access token of this process (tests, rotation)."""
    _token_module.cache.clear()
