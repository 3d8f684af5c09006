"""A walk through every page of each role in Korean, as ``make run`` shows
them: the demo data, the demo listings synced to both emulators, then each
role's nav and one level of links below it. No page may show a stored code as
a word or a time in UTC."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from export_hub.demo.command import create_demo_app, load_demo
from export_hub.listings.models import Listing
from tests.browser import serve_app
from tests.conftest import make_settings
from tests.i18n.crawl import Crawl, found_codes, login, raw_codes, utc_shown

ROLES = ("staff", "admin", "company", "office")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_settings(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    amazon, ebay = free_port(), free_port()
    a, e = f"http://127.0.0.1:{amazon}", f"http://127.0.0.1:{ebay}"
    return make_settings(
        database_url,
        tmp_path,
        emulators={"enabled": True, "amazon_port": amazon, "ebay_port": ebay},
        jobs={"embedded": True},
        amazon={
            "endpoints": {"na": a, "eu": a, "fe": a},
            "lwa_token_url": f"{a}/auth/o2/token",
            "consent_url": f"{a}/apps/authorize/consent",
        },
        ebay={
            "authorize_url": f"{e}/oauth2/authorize",
            "token_url": f"{e}/identity/v1/oauth2/token",
            "api_base_url": e,
            "identity_url": f"{e}/commerce/identity/v1/user/",
            "trading_url": f"{e}/ws/api.dll",
        },
    )


async def wait_for_first_sync(sessions) -> None:  # type: ignore[no-untyped-def]
    for _ in range(900):
        async with sessions() as db:
            rows = list(await db.scalars(select(Listing)))
        if rows and not any(r.status in ("pending", "submitted") for r in rows):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the demo listings did not settle")


@pytest.mark.slow
@pytest.mark.backend("sqlite")
async def test_korean_pages_show_no_raw_code_and_no_utc_time(
    database_url: str, tmp_path: Path, sessions
) -> None:
    settings = demo_settings(database_url, tmp_path)
    logins = {x.role: x for x in reversed(await load_demo(settings))}
    codes = raw_codes()
    problems: dict[str, list[str]] = {}
    crawled = 0
    async with serve_app(settings, create_demo_app(settings)) as server:
        await wait_for_first_sync(sessions)
        for role in ROLES:
            who = logins[role]
            jar = aiohttp.CookieJar(unsafe=True)  # the server is an IP address
            async with aiohttp.ClientSession(cookie_jar=jar) as http:
                await login(http, server.url, who.email, who.password)
                crawl = Crawl(server.url)
                await crawl.run(http)
            assert not crawl.failures, (role, crawl.failures)
            assert len(crawl.pages) > 3, (role, list(crawl.pages))
            crawled += len(crawl.pages)
            for path, text in crawl.pages.items():
                raw = sorted(found_codes(text, codes))
                utc = utc_shown(text)
                if raw or utc:
                    problems[f"{role} {path}"] = raw + utc
    assert crawled > 40
    assert not problems, "\n".join(f"{k}: {v}" for k, v in sorted(problems.items()))
