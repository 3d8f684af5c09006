"""Seller onboarding end to end through the web app and the emulator's
consent page, plus the service rules (state, expiry, rotation)."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from emulators.amazon import AmazonEmulator
from export_hub.accounts.models import Company, Role
from export_hub.catalog.models import Product, ReviewState
from export_hub.db import utcnow
from export_hub.marketplaces import service
from export_hub.marketplaces.adapters import Grant, OnboardingError
from export_hub.marketplaces.amazon import AmazonOAuthAdapter
from export_hub.marketplaces.models import OAuthState, SellerAccount
from export_hub.security import SecretBox
from export_hub.settings import Settings
from tests.amazon.conftest import SELLER, amazon_settings
from tests.conftest import login, make_settings
from tests.foundation.helpers import PASSWORD, make_company_user, make_user


def onboarding_settings(
    database_url: str,
    tmp_path: Path,
    emulator: AmazonEmulator,
    ca_file: Path,
    **amazon: Any,
) -> Settings:
    values = amazon_settings(emulator, ca_file, **amazon).model_dump(mode="json")
    values["lwa_client_secret"] = emulator.config.client_secret
    return make_settings(database_url, tmp_path, amazon=values)


@pytest.fixture
def settings(
    database_url: str, tmp_path: Path, emulator: AmazonEmulator, ca_file: Path
) -> Settings:
    return onboarding_settings(database_url, tmp_path, emulator, ca_file)


@pytest.fixture
async def web(aiohttp_client: Any, settings: Settings) -> Any:
    """The web application (``client`` here is the Amazon connector)."""
    from export_hub.web.app import create_app

    return await aiohttp_client(create_app(settings))


@pytest.fixture
async def browserless(ca_file: Path) -> Any:
    """Plays the company's browser on Amazon's side (trusting the test CA)."""
    context = ssl.create_default_context(cafile=str(ca_file))
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=context)
    ) as http:
        yield http


async def consent(http: aiohttp.ClientSession, consent_url: str, seller_id: str) -> str:
    """Open the consent page and confirm; returns where Amazon sends us back."""
    async with http.get(consent_url) as page:
        assert page.status == 200
        assert "Authorize Export Hub" in await page.text()
    query = {k: v[0] for k, v in parse_qs(urlsplit(consent_url).query).items()}
    base = consent_url.split("?")[0]
    async with http.post(
        base, data={**query, "seller_id": seller_id}, allow_redirects=False
    ) as answer:
        assert answer.status == 302
        return answer.headers["Location"]


async def add_products(
    sessions: async_sessionmaker[AsyncSession], company_id: int
) -> None:
    async with sessions.begin() as db:
        db.add_all(
            [
                Product(
                    company_id=company_id,
                    sku="HB-TEA-001",
                    name_ko="국화차",
                    brand="Hanbit Farm",
                    gtin="8806001234015",
                    state=ReviewState.APPROVED,
                ),
                Product(
                    company_id=company_id,
                    sku="HB-HNY-003",
                    name_ko="아카시아꿀",
                    brand="Hanbit Farm",
                    state=ReviewState.APPROVED,
                ),
            ]
        )


async def test_connect_check_and_disconnect_through_the_web(
    web: Any,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    emulator: AmazonEmulator,
    browserless: aiohttp.ClientSession,
) -> None:
    company, user = await make_company_user(sessions)
    await add_products(sessions, company.id)
    async with sessions.begin() as db:  # listed under its own, approved brand
        (await db.get(Company, company.id)).own_brand = "Hanbit Farm"
    csrf = await login(web, user.email, PASSWORD)

    page = await web.get("/marketplaces")
    assert 'data-status="not_connected"' in await page.text()

    start = await web.post(
        "/marketplaces/amazon/connect", data={"csrf_token": csrf}, allow_redirects=False
    )
    assert start.status == 303
    consent_url = start.headers["Location"]
    assert consent_url.startswith(settings.amazon.consent_url + "?")
    query = parse_qs(urlsplit(consent_url).query)
    assert query["application_id"] == [settings.amazon.application_id]
    state = query["state"][0]
    async with sessions() as db:
        stored = await db.scalar(select(OAuthState))
    assert stored is not None
    assert stored.state_sha256 != state  # only the hash is kept

    back = await consent(browserless, consent_url, SELLER)
    parts = urlsplit(back)
    assert parse_qs(parts.query)["state"] == [state]
    assert parse_qs(parts.query)["selling_partner_id"] == [SELLER]
    callback = await web.get(f"{parts.path}?{parts.query}", allow_redirects=False)
    assert callback.status == 303, await callback.text()

    html = await (await web.get("/marketplaces")).text()
    assert 'data-status="connected"' in html
    assert SELLER in html
    assert 'data-item="test_call" data-ok="yes"' in html
    assert 'data-item="brand" data-ok="yes"' in html
    assert 'data-item="gtin" data-ok="no"' in html  # the honey has neither
    assert "HB-HNY-003" in html

    async with sessions() as db:
        account = await db.scalar(select(SellerAccount))
    assert account is not None
    assert account.seller_id == SELLER
    assert account.approved_brands == ["Hanbit Farm"]
    ciphertext = account.refresh_token_encrypted
    assert ciphertext
    refresh = SecretBox.from_settings(settings).decrypt(ciphertext)
    assert emulator.state.refresh_tokens[refresh] == SELLER
    assert refresh not in ciphertext
    expires = account.refresh_token_expires_at
    assert expires is not None
    assert expires - utcnow() > dt.timedelta(days=364)

    # The state is single-use: the same callback again is refused, bilingually.
    again = await web.get(f"{parts.path}?{parts.query}", allow_redirects=False)
    assert again.status == 400
    text = await again.text()
    assert "연결 요청이 만료되었거나" in text
    assert "The connection request expired" in text

    gone = await web.post(
        "/marketplaces/amazon/disconnect",
        data={"csrf_token": csrf},
        allow_redirects=False,
    )
    assert gone.status == 303
    html = await (await web.get("/marketplaces")).text()
    assert 'data-status="disconnected"' in html
    async with sessions() as db:
        account = await db.scalar(select(SellerAccount))
    assert account is not None
    assert account.refresh_token_encrypted is None


async def test_state_of_another_company_is_refused(
    web: Any,
    sessions: async_sessionmaker[AsyncSession],
    browserless: aiohttp.ClientSession,
) -> None:
    _, first = await make_company_user(sessions, 0)
    _, second = await make_company_user(sessions, 1)
    csrf = await login(web, first.email, PASSWORD)
    start = await web.post(
        "/marketplaces/amazon/connect", data={"csrf_token": csrf}, allow_redirects=False
    )
    back = urlsplit(await consent(browserless, start.headers["Location"], SELLER))
    await web.post("/logout", data={"csrf_token": csrf})
    await login(web, second.email, PASSWORD)
    answer = await web.get(f"{back.path}?{back.query}", allow_redirects=False)
    assert answer.status == 400
    async with sessions() as db:
        assert await db.scalar(select(SellerAccount)) is None


async def test_staff_see_every_companys_checklist(
    web: Any, sessions: async_sessionmaker[AsyncSession]
) -> None:
    company, _ = await make_company_user(sessions)
    await make_user(sessions, Role.STAFF, "staff@agency.example")
    await login(web, "staff@agency.example", PASSWORD)
    overview = await (await web.get("/staff/onboarding")).text()
    assert company.name_ko in overview
    detail = await (await web.get(f"/staff/companies/{company.id}/marketplaces")).text()
    assert 'data-item="connected" data-ok="no"' in detail
    assert 'data-action="connect"' not in detail  # staff cannot connect for them


async def test_company_users_cannot_see_the_staff_pages(
    web: Any, sessions: async_sessionmaker[AsyncSession]
) -> None:
    _, user = await make_company_user(sessions)
    await login(web, user.email, PASSWORD)
    assert (await web.get("/staff/onboarding")).status == 403


def _adapter(settings: Settings) -> AmazonOAuthAdapter:
    return AmazonOAuthAdapter(settings.amazon)


async def test_expired_state_is_refused(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    company, user = await make_company_user(sessions)
    adapter = _adapter(settings)
    then = utcnow() - dt.timedelta(minutes=11)
    async with sessions.begin() as db:
        url = await service.start_authorization(
            db,
            adapter,
            company_id=company.id,
            user_id=user.id,
            marketplace_id="ATVPDKIKX0DER",
            redirect_uri="http://127.0.0.1/cb",
            now=then,
        )
    state = parse_qs(urlsplit(url).query)["state"][0]
    with pytest.raises(OnboardingError):
        async with sessions.begin() as db:
            await service.consume_state(
                db, marketplace="amazon", state=state, company_id=company.id
            )


def test_consent_url_for_a_draft_application(settings: Settings) -> None:
    beta = AmazonOAuthAdapter(settings.amazon.model_copy(update={"consent_beta": True}))
    url = beta.consent_url(state="s", marketplace_id="ATVPDKIKX0DER", redirect_uri="r")
    assert parse_qs(urlsplit(url).query)["version"] == ["beta"]
    plain = _adapter(settings).consent_url(
        state="s", marketplace_id="ATVPDKIKX0DER", redirect_uri="r"
    )
    assert "version" not in parse_qs(urlsplit(plain).query)


def test_connection_status_follows_the_365_day_rule(settings: Settings) -> None:
    adapter = _adapter(settings)
    now = utcnow()
    account = SellerAccount(
        status="connected",
        refresh_token_encrypted="x",
        refresh_token_expires_at=now + dt.timedelta(days=200),
    )
    assert (
        service.connection_status(account, adapter, now)
        is service.ConnectionStatus.CONNECTED
    )
    account.refresh_token_expires_at = now + dt.timedelta(days=10)
    assert (
        service.connection_status(account, adapter, now)
        is service.ConnectionStatus.REAUTHORIZE_SOON
    )
    account.refresh_token_expires_at = now - dt.timedelta(days=1)
    assert (
        service.connection_status(account, adapter, now)
        is service.ConnectionStatus.EXPIRED
    )
    account.refresh_token_expires_at = now + dt.timedelta(days=200)
    account.status = "revoked"
    assert (
        service.connection_status(account, adapter, now)
        is service.ConnectionStatus.EXPIRED
    )
    assert (
        service.connection_status(None, adapter, now)
        is service.ConnectionStatus.NOT_CONNECTED
    )


async def test_rotating_the_secret_key_reencrypts_every_token(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    company, user = await make_company_user(sessions)
    old = SecretBox.from_settings(settings)
    async with sessions.begin() as db:
        await service.save_grant(
            db,
            old,
            company_id=company.id,
            user_id=user.id,
            marketplace="amazon",
            marketplace_id="ATVPDKIKX0DER",
            grant=Grant(SELLER, "Atzr|secret-value", None, "Atza|short", None, "na"),
        )
    new_key = Fernet.generate_key().decode()
    old_keys = [k.get_secret_value() for k in settings.security.secret_keys]
    rotated = SecretBox([new_key, *old_keys])
    async with sessions.begin() as db:
        assert await service.rotate_secrets(db, rotated) == 2
    only_new = SecretBox([new_key])
    async with sessions() as db:
        account = await db.scalar(select(SellerAccount))
    assert account is not None
    assert account.refresh_token_encrypted
    assert only_new.decrypt(account.refresh_token_encrypted) == "Atzr|secret-value"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        old.decrypt(account.refresh_token_encrypted)
