"""Amazon's adapter for the onboarding framework (website authorization).

Consent at Seller Central (``application_id``, ``state``, ``version=beta``
while the app is a draft) → callback with ``selling_partner_id`` and
``spapi_oauth_code`` → the code is exchanged at LWA at once. Sellers must
re-authorize every 365 days (``settings.amazon.reauthorize_after_days``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.amazon.client import AmazonListingsClient
from connectors.amazon.product_types import ProductTypeCache
from connectors.amazon.transport import AmazonTransport
from connectors.base import Marketplace, SellerAccount
from export_hub.accounts.models import Company
from export_hub.brand.config import (
    BrandConfig,
    brand_from_settings,
    load_brand,
    resolve_config_path,
)
from export_hub.brand.sent import BRAND_RESTRICTED, brand_approval, listing_brand
from export_hub.catalog.models import Product, ReviewState
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
from export_hub.marketplaces.endpoints import effective_amazon_settings
from export_hub.settings import AmazonSettings, BrandSettings, Settings

MARKETPLACES: dict[str, tuple[str, Text]] = {
    "ATVPDKIKX0DER": ("na", Text("미국 (amazon.com)", "United States (amazon.com)")),
    "A1VC38T7YXB528": ("fe", Text("일본 (amazon.co.jp)", "Japan (amazon.co.jp)")),
    "A1PA6795UKMFR9": ("eu", Text("독일 (amazon.de)", "Germany (amazon.de)")),
    "A1F83G8C2ARO7P": (
        "eu",
        Text("영국 (amazon.co.uk)", "United Kingdom (amazon.co.uk)"),
    ),
}


class AmazonOAuthAdapter:
    """:class:`~export_hub.marketplaces.adapters.OAuthAdapter` for Amazon."""

    marketplace = "amazon"
    display_name = Text("아마존", "Amazon")
    marketplace_ids: Mapping[str, Text] = MappingProxyType(
        {mid: label for mid, (_, label) in MARKETPLACES.items()}
    )
    reauthorize_notice = dt.timedelta(days=30)

    def __init__(
        self,
        settings: AmazonSettings,
        transport: AmazonTransport | None = None,
        *,
        brand: BrandConfig | None = None,
    ):
        self.settings = settings
        #: The shared brand (decides the brand listings are sent under).
        self.brand = brand or load_brand(resolve_config_path(BrandSettings().file))
        self.default_marketplace_id = settings.default_marketplace
        self.transport = transport or AmazonTransport(settings)
        self.product_types = ProductTypeCache()

    def consent_url(self, *, state: str, marketplace_id: str, redirect_uri: str) -> str:
        query = {
            "application_id": self.settings.application_id,
            "state": state,
            "redirect_uri": redirect_uri,
        }
        if self.settings.consent_beta:
            query["version"] = "beta"
        return f"{self.settings.consent_url}?{urlencode(query)}"

    async def exchange_code(
        self, params: Mapping[str, str], *, marketplace_id: str, redirect_uri: str
    ) -> Grant:
        seller_id = params.get("selling_partner_id", "")
        code = params.get("spapi_oauth_code", "")
        if not seller_id or not code:
            raise OnboardingError(
                Text(
                    "아마존이 승인 정보를 보내지 않았습니다. 다시 시도해 주세요.",
                    "Amazon did not send the authorization. Please try again.",
                )
            )
        answer = await self.transport.exchange_code(code)
        now = utcnow()
        return Grant(
            seller_id=seller_id,
            refresh_token=str(answer["refresh_token"]),
            refresh_token_expires_at=now
            + dt.timedelta(days=self.settings.reauthorize_after_days),
            region=MARKETPLACES.get(marketplace_id, ("na", None))[0],
        )

    async def refresh(self, refresh_token: str) -> AccessToken:
        auth = self.transport.auth_client(refresh_token)
        try:
            answer = await auth.get_auth()
        finally:
            await auth.aclose()
        return AccessToken(
            token=answer.access_token,
            expires_at=utcnow() + dt.timedelta(seconds=int(answer.expires_in)),
        )

    async def check_connection(
        self, account: AccountRef, refresh_token: str
    ) -> ConnectionCheck:
        """Search listings (the test call), then learn the seller's brands from
        a seller-specific product type definition."""
        seller = SellerAccount(
            Marketplace.AMAZON,
            account.seller_id,
            account.marketplace_id,
            account.region,
        )
        async with AmazonListingsClient(
            self.transport, seller, refresh_token, self.product_types
        ) as client:
            await client.check_connection()
            definition = await client.definition(
                self.settings.brand_check_product_type, seller_specific=True
            )
        value = definition.schema.get("properties", {}).get("brand", {})
        return ConnectionCheck(
            message=Text("아마존 호출 성공", "Amazon call succeeded"),
            approved_brands=tuple(definition.brands),
            setup={BRAND_RESTRICTED: _lists_brands(value)},
        )

    async def extra_checklist(
        self, db: AsyncSession, company_id: int, account: models.SellerAccount | None
    ) -> Sequence[ChecklistItem]:
        products = list(
            await db.scalars(
                select(Product).where(
                    Product.company_id == company_id,
                    Product.state == ReviewState.APPROVED,
                )
            )
        )
        company = await db.get(Company, company_id)
        brand = listing_brand(self.brand, company) if company is not None else ""
        return [_brand_item(brand, account), _gtin_item(products)]

    async def aclose(self) -> None:
        """Nothing pooled: sessions are opened and closed per check."""


def _lists_brands(brand_schema: Mapping[str, Any]) -> bool:
    """Whether a seller-specific ``brand`` schema restricts the value to an
    enum of the seller's brands (Amazon leaves it free when it has none)."""
    value = brand_schema.get("items", {}).get("properties", {}).get("value", {})
    return "enum" in value or any("enum" in o for o in value.get("anyOf", []))


def _brand_item(brand: str, account: models.SellerAccount | None) -> ChecklistItem:
    """The brand listings are sent under, against what Amazon allows this
    seller (the same judgement as the pre-flight's)."""
    label = Text("이 판매자에게 허용된 브랜드", "Brand permitted for this seller")
    if account is None:
        return ChecklistItem(
            "brand", label, None, Text("계정 연결 후 확인", "Known once connected")
        )
    approval = brand_approval(account)
    if not approval.known:
        return ChecklistItem(
            "brand",
            label,
            None,
            Text(
                f"'{brand}' 브랜드 승인을 아직 확인하지 않았습니다. 테스트 호출을"
                " 실행해 주세요. 확인 전에는 상품을 보내지 않습니다.",
                f"Approval for brand '{brand}' not checked yet: run the test call."
                " Nothing is sent until it is.",
            ),
        )
    if not approval.allows(brand):
        return ChecklistItem(
            "brand",
            label,
            False,
            Text(
                f"브랜드 승인 필요: 상품은 '{brand}' 브랜드로 등록되는데, 아마존이 이"
                " 판매자에게 허용한 브랜드는"
                f" {', '.join(approval.approved) or '없음'}입니다. 셀러 센트럴 →"
                " 브랜드 → 브랜드 승인 신청에서 이 브랜드를 신청한 뒤 테스트 호출을"
                " 다시 실행하거나, 담당 직원에게 브랜딩 방식 변경을 요청하세요.",
                f"Brand approval needed: products are listed under '{brand}', but"
                " Amazon allows this seller"
                f" {', '.join(approval.approved) or 'no brands'}. Apply for the"
                " brand in Seller Central (Brands → Request approval), then run the"
                " test call again, or ask staff to change the branding mode.",
            ),
        )
    return ChecklistItem("brand", label, True, Text(brand, brand))


def _gtin_item(products: list[Product]) -> ChecklistItem:
    label = Text("GTIN 또는 면제 확인", "GTINs or exemption in place")
    lacking = [p.sku for p in products if not p.gtin and not p.gtin_exempt]
    if lacking:
        skus = ", ".join(lacking)
        return ChecklistItem(
            "gtin",
            label,
            False,
            Text(
                f"GTIN 또는 면제가 없는 제품: {skus}",
                f"Products without GTIN or exemption: {skus}",
            ),
        )
    return ChecklistItem(
        "gtin",
        label,
        True,
        Text(f"승인된 제품 {len(products)}개", f"{len(products)} approved products"),
    )


def adapter_from_settings(settings: Settings) -> AmazonOAuthAdapter:
    """The factory named in ``ADAPTER_FACTORIES``."""
    return AmazonOAuthAdapter(
        effective_amazon_settings(settings), brand=brand_from_settings(settings)
    )
