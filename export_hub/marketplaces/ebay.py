"""eBay's adapter for the onboarding framework ("Connect eBay").

Consent at ``auth.ebay.com`` with the application's RuName and a single-use
``state`` → eBay sends the company to the RuName's accept URL (this app's
``/marketplaces/ebay/callback``) with ``code`` and ``state`` → the code is
exchanged at once (it lives five minutes) for a two-hour access token and a
refresh token of about 18 months, and the Commerce Identity API tells whose
account it is. The test call sets the seller up for the Inventory API
(merchant location, business policy opt-in and policies), so the checklist can
say whether the account is ready to list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import Marketplace, SellerAccount
from connectors.ebay.account import EbayAccountSetup, SellerSetup
from connectors.ebay.oauth import EbayOAuthClient, EbayTokenSource, authorize_url
from connectors.ebay.transport import EbayTransport, default_limiter
from export_hub.db import utcnow
from export_hub.errors import Text
from export_hub.marketplaces import models
from export_hub.marketplaces.adapters import (
    AccessToken,
    AccountRef,
    ChecklistItem,
    ConnectionCheck,
    Grant,
    OnboardingError,
)
from export_hub.marketplaces.endpoints import effective_ebay_settings
from export_hub.security import sha256_hex
from export_hub.settings import EbaySettings, Settings

MARKETPLACES: Mapping[str, Text] = MappingProxyType(
    {
        "EBAY_US": Text("미국 (ebay.com)", "United States (ebay.com)"),
        "EBAY_GB": Text("영국 (ebay.co.uk)", "United Kingdom (ebay.co.uk)"),
        "EBAY_DE": Text("독일 (ebay.de)", "Germany (ebay.de)"),
        "EBAY_AU": Text("호주 (ebay.com.au)", "Australia (ebay.com.au)"),
    }
)


class EbayOAuthAdapter:
    """:class:`~export_hub.marketplaces.adapters.OAuthAdapter` for eBay."""

    marketplace = "ebay"
    display_name = Text("이베이", "eBay")
    marketplace_ids = MARKETPLACES

    def __init__(self, settings: EbaySettings):
        self.settings = settings
        self.default_marketplace_id = settings.default_marketplace
        self.reauthorize_notice = dt.timedelta(days=settings.reconsent_warning_days)
        self._session: aiohttp.ClientSession | None = None
        self._limiter = default_limiter(settings)
        self._transports: dict[tuple[str, str, str], EbayTransport] = {}

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    def _oauth(self) -> EbayOAuthClient:
        return EbayOAuthClient(self.settings, self._http())

    def consent_url(self, *, state: str, marketplace_id: str, redirect_uri: str) -> str:
        """eBay redirects to the RuName's accept URL, configured at eBay (it
        must be ``redirect_uri``); the RuName, not the URL, goes in the query."""
        return authorize_url(self.settings, state)

    async def exchange_code(
        self, params: Mapping[str, str], *, marketplace_id: str, redirect_uri: str
    ) -> Grant:
        if params.get("error") or not params.get("code"):
            raise OnboardingError(
                Text(
                    "eBay 연결이 승인되지 않았습니다. 다시 시도해 주세요.",
                    "The eBay connection was not approved. Please try again.",
                )
            )
        granted = await self._oauth().exchange_code(params["code"])
        if not granted.refresh_token:
            raise OnboardingError(
                Text(
                    "eBay가 갱신 토큰을 주지 않았습니다.", "eBay gave no refresh token."
                )
            )
        user = await self._identity(
            granted.access_token, marketplace_id, granted.refresh_token
        )
        return Grant(
            seller_id=user,
            refresh_token=granted.refresh_token,
            refresh_token_expires_at=granted.refresh_expires_at
            or utcnow() + dt.timedelta(days=540),
            access_token=granted.access_token,
            access_token_expires_at=granted.access_expires_at,
        )

    async def _identity(
        self, access_token: str, marketplace_id: str, refresh: str
    ) -> str:
        """The consenting seller's eBay username (Commerce Identity API)."""
        tokens = EbayTokenSource(
            self._oauth(),
            "pending",
            refresh,
            access_token=access_token,
            access_expires_at=utcnow() + dt.timedelta(hours=1),
        )
        account = SellerAccount(Marketplace.EBAY, "pending", marketplace_id)
        transport = EbayTransport(
            self.settings, account, tokens, session=self._http(), limiter=self._limiter
        )
        resp = await transport.request(
            "GET",
            "",
            api="identity",
            operation="identity.get_user",
            base_url=self.settings.identity_url,
        )
        return str((resp.body or {}).get("username") or (resp.body or {}).get("userId"))

    async def refresh(self, refresh_token: str) -> AccessToken:
        grant = await self._oauth().refresh(refresh_token)
        return AccessToken(token=grant.access_token, expires_at=grant.access_expires_at)

    def transport_for(self, account: AccountRef, refresh_token: str) -> EbayTransport:
        """One transport per seller and consent (shared token refresh)."""
        key = (
            account.seller_id,
            account.marketplace_id,
            sha256_hex(refresh_token)[:16],
        )
        found = self._transports.get(key)
        if found is None:
            seller = SellerAccount(
                Marketplace.EBAY, account.seller_id, account.marketplace_id
            )
            tokens = EbayTokenSource(
                self._oauth(),
                account.seller_id,
                refresh_token,
                skew_seconds=self.settings.token_refresh_skew_seconds,
            )
            found = self._transports[key] = EbayTransport(
                self.settings,
                seller,
                tokens,
                session=self._http(),
                limiter=self._limiter,
            )
        return found

    async def check_connection(
        self, account: AccountRef, refresh_token: str
    ) -> ConnectionCheck:
        """Register the location, check (or ask for) the business policy
        opt-in and find or create the policies; record what is ready."""
        setup = await EbayAccountSetup(
            self.transport_for(account, refresh_token)
        ).ensure()
        if setup.ready:
            message = Text(
                "eBay 호출 성공, 판매 준비 완료", "eBay call succeeded; ready to list"
            )
        else:
            message = Text(
                "eBay 호출 성공, 비즈니스 정책 승인 대기 중",
                "eBay call succeeded; business policies pending",
            )
        return ConnectionCheck(message=message, setup=setup.as_dict())

    async def extra_checklist(
        self, db: AsyncSession, company_id: int, account: models.SellerAccount | None
    ) -> Sequence[ChecklistItem]:
        setup = SellerSetup.from_dict(account.setup if account is not None else {})
        return [_policies_item(setup), _location_item(setup)]

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _policies_item(setup: SellerSetup | None) -> ChecklistItem:
    label = Text(
        "비즈니스 정책 (배송·결제·반품)",
        "Business policies (shipping, payment, returns)",
    )
    if setup is None:
        return ChecklistItem(
            "ebay_policies",
            label,
            None,
            Text("테스트 호출 후 확인", "Known after a test call"),
        )
    if setup.policies_ready:
        return ChecklistItem("ebay_policies", label, True, Text("준비됨", "Ready"))
    return ChecklistItem(
        "ebay_policies",
        label,
        False,
        Text(
            "eBay가 비즈니스 정책 사용 신청을 처리 중입니다 (최대 하루). "
            "나중에 다시 확인해 주세요.",
            "eBay is processing the business policy opt-in (up to a day). "
            "Check again later.",
        ),
    )


def _location_item(setup: SellerSetup | None) -> ChecklistItem:
    label = Text("출고지 등록 (대전)", "Item location registered (Daejeon)")
    if setup is None or not setup.location_key:
        return ChecklistItem(
            "ebay_location",
            label,
            None,
            Text("테스트 호출 후 확인", "Known after a test call"),
        )
    return ChecklistItem(
        "ebay_location", label, True, Text(setup.location_key, setup.location_key)
    )


def adapter_from_settings(settings: Settings) -> EbayOAuthAdapter:
    """The factory named in ``ADAPTER_FACTORIES``."""
    return EbayOAuthAdapter(effective_ebay_settings(settings))
