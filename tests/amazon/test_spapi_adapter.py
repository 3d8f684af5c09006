"""The python-amazon-sp-api internals behind ``connectors/amazon/spapi_adapter.py``.

The adapter reaches into private parts of the library (pinned in
pyproject.toml for that reason). If an upgrade removes or changes one, these
tests say which, before the transport misbehaves in production: fix the
adapter (and its docstring), then the pin.
"""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cachetools import TTLCache
from sp_api.asyncio.auth import access_token_client as token_module
from sp_api.asyncio.base import _transport_httpx
from sp_api.asyncio.base.client import Client
from sp_api.auth.exceptions import AuthorizationError as LwaError
from sp_api.base.credential_provider import (
    CredentialProvider,
    FromCodeCredentialProvider,
)

from connectors.amazon import spapi_adapter
from connectors.amazon.spapi_adapter import (
    LwaUnavailable,
    PooledTransport,
    cached_access_token,
    clear_token_cache,
    forget_access_token,
    lwa_client_class,
    resize_token_cache,
    token_cache_size,
    token_key,
    use_pool,
)
from connectors.amazon.transport import AmazonTransport
from connectors.base import Marketplace, SellerAccount
from emulators.amazon import AmazonEmulator
from tests.amazon.conftest import REFRESH, SELLER, US, amazon_settings

CHANGED = (
    "python-amazon-sp-api changed an internal that "
    "connectors/amazon/spapi_adapter.py relies on: "
)
CREDENTIALS = CredentialProvider(
    credentials={"lwa_app_id": "app", "lwa_client_secret": "secret"},
    credential_providers=[FromCodeCredentialProvider],
).credentials


def parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


def names_used(function: Callable[..., Any]) -> tuple[str, ...]:
    """Global and attribute names a function's code refers to."""
    return tuple(function.__code__.co_names)


def test_the_private_transport_module_still_takes_our_client() -> None:
    transport_class = getattr(_transport_httpx, "AsyncHttpxTransport", None)
    assert transport_class is not None, CHANGED + "AsyncHttpxTransport is gone"
    assert issubclass(PooledTransport, transport_class)
    assert "client" in parameters(transport_class.__init__), (
        CHANGED + "AsyncHttpxTransport(client=...) no longer exists"
    )
    assert "timeout" in parameters(transport_class.request), (
        CHANGED + "AsyncHttpxTransport.request no longer takes timeout"
    )
    http = httpx.AsyncClient()
    assert PooledTransport(client=http)._client is http, (
        CHANGED + "AsyncHttpxTransport no longer keeps its client as _client"
    )


def test_api_clients_send_through_their_transport_attribute() -> None:
    assert "auth_token_client_class" in parameters(Client.__init__), (
        CHANGED + "Client(auth_token_client_class=...) is gone"
    )
    assert "_transport" in names_used(Client._request), (
        CHANGED + "Client._request no longer sends through self._transport"
    )
    assert "_transport" in names_used(Client.__init__), (
        CHANGED + "Client.__init__ no longer sets self._transport"
    )


def test_requests_can_be_sent_without_the_librarys_additions() -> None:
    from sp_api.base import _core

    for name in ("path", "data", "params", "add_marketplace"):
        assert name in parameters(Client._request), (
            CHANGED + f"Client._request no longer takes {name}"
        )
    assert "prepare_request" in names_used(Client._request), (
        CHANGED + "Client._request no longer prepares requests with _core"
    )
    params, data = {"method": "DELETE", "a": 1}, {"path": "/x"}
    assert _core.resolve_method(params, data) == ("DELETE", {"a": 1}, {"path": "/x"}), (
        CHANGED + "resolve_method no longer pops the method from params"
    )


def test_the_token_client_keeps_its_shape() -> None:
    token_client = token_module.AccessTokenClient
    for name in ("scheme", "host", "path"):
        assert isinstance(getattr(token_client, name, None), str), (
            CHANGED + f"AccessTokenClient.{name} is no longer a class attribute"
        )
    assert parameters(token_client._request) == ["self", "url", "data", "headers"], (
        CHANGED + "AccessTokenClient._request(url, data, headers) changed"
    )
    assert "_request" in names_used(token_client.get_auth), (
        CHANGED + "AccessTokenClient.get_auth no longer calls self._request"
    )
    assert "_get_cache_key" in names_used(token_client.get_auth), (
        CHANGED + "AccessTokenClient.get_auth no longer keys by _get_cache_key()"
    )
    # get_auth must look the cache up by its module-global name at call time,
    # or resize_token_cache (which replaces that global) would not take effect.
    assert "cache" in names_used(token_client.get_auth), (
        CHANGED + "AccessTokenClient.get_auth no longer reads the module cache"
    )
    assert isinstance(token_module.cache, TTLCache), (
        CHANGED + "the module-wide token cache is no longer a TTLCache"
    )
    client = token_client(refresh_token=REFRESH, credentials=CREDENTIALS)
    assert hasattr(client, "_transport"), (
        CHANGED + "AccessTokenClient no longer keeps its transport as _transport"
    )
    assert isinstance(client._get_cache_key(), str), (
        CHANGED + "AccessTokenClient._get_cache_key() no longer gives a string key"
    )


def test_the_token_cache_grows_and_never_shrinks() -> None:
    before = token_cache_size()
    resize_token_cache(before + 5)
    assert token_cache_size() == before + 5
    resize_token_cache(1)
    assert token_cache_size() == before + 5
    assert token_module.cache.maxsize == before + 5


def answering(status: int, body: str) -> httpx.AsyncClient:
    """An HTTP client whose every request gets this answer."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, text=body)

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    ("status", "body", "raised"),
    [
        (503, "<html>busy</html>", LwaUnavailable),
        (429, json.dumps({"error": "slow_down"}), LwaUnavailable),
        (200, "<html>captive portal</html>", LwaUnavailable),
        (400, json.dumps({"error": "invalid_grant"}), LwaError),
    ],
)
async def test_lwa_failures_reach_our_request_override(
    status: int, body: str, raised: type[Exception]
) -> None:
    auth = lwa_client_class("https://lwa.test/auth/o2/token")(
        refresh_token=f"refresh-{status}", credentials=CREDENTIALS
    )
    http = answering(status, body)
    use_pool(auth, http)
    try:
        with pytest.raises(raised):
            await auth.get_auth()
    finally:
        await http.aclose()
    assert cached_access_token(auth) is None


async def test_the_pooled_transport_keeps_the_pool_timeout() -> None:
    seen: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"]["read"])
        return httpx.Response(200, json={})

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(handler), timeout=3.0
    ) as http:
        # What the library passes on every call:
        await PooledTransport(client=http).request("GET", "https://x/", timeout=None)
        await _transport_httpx.AsyncHttpxTransport(client=http).request(
            "GET", "https://x/", timeout=None
        )
    assert seen == [3.0, None]


async def test_tokens_are_cached_found_and_forgotten_on_a_real_client(
    emulator: AmazonEmulator, ca_file: Path
) -> None:
    settings = amazon_settings(emulator, ca_file)
    transport = AmazonTransport(settings)
    clear_token_cache()
    auth = transport.auth_client(REFRESH)
    try:
        assert isinstance(auth._transport, PooledTransport)
        assert cached_access_token(auth) is None
        answer = await auth.get_auth()
        cached = cached_access_token(auth)
        assert cached is not None
        assert cached["access_token"] == answer.access_token
        key = token_key(auth)
        assert REFRESH not in key
        assert key == token_key(transport.auth_client(REFRESH))
        assert key != token_key(transport.auth_client("Atzr|someone-else"))
        forget_access_token(auth, {"access_token": "a newer one"})
        assert cached_access_token(auth) is cached
        forget_access_token(auth, cached)
        assert cached_access_token(auth) is None
    finally:
        await auth.aclose()
        clear_token_cache()


async def test_a_sellers_api_clients_share_one_pool(
    emulator: AmazonEmulator, ca_file: Path
) -> None:
    transport = AmazonTransport(amazon_settings(emulator, ca_file))
    session = transport.session(
        SellerAccount(Marketplace.AMAZON, SELLER, US, "na"), REFRESH
    )
    sent: list[str] = []

    async def count(request: httpx.Request) -> None:
        sent.append(request.url.path)

    session.http.event_hooks["request"].append(count)
    try:
        for client in (session.listings, session.definitions, session.feeds):
            assert client._transport._client is session.http
            assert client._auth is session.auth
        await transport.call(
            "searchListingsItems",
            session,
            lambda: session.listings.search_listings_items(
                SELLER, marketplaceIds=[US], pageSize=1
            ),
        )
    finally:
        await session.aclose()
        clear_token_cache()
    # (A retried 5xx would send it twice: what matters is the shared pool.)
    assert sent
    assert set(sent) == {f"/listings/2021-08-01/items/{SELLER}"}


def test_the_adapter_is_the_only_module_touching_the_internals() -> None:
    private = re.compile(
        r"_transport_httpx|\._transport\b|_get_cache_key|access_token_client"
    )
    package = Path(spapi_adapter.__file__).parent
    offenders = [
        path.name
        for path in package.rglob("*.py")
        if path.name != "spapi_adapter.py"
        and private.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_adapter_imports_first_in_a_fresh_process() -> None:
    """The library's auth package cannot be imported before its base package
    (a circular import): the adapter must load on its own all the same."""
    root = Path(spapi_adapter.__file__).parents[2]
    subprocess.run(
        [sys.executable, "-c", "import connectors.amazon.spapi_adapter"],
        cwd=root,
        check=True,
    )
