"""Builders shared by the foundation tests: companies, users, product values, images."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.accounts.models import Company, Role, User
from export_hub.accounts.service import create_user

PASSWORD = "correct-horse-42"
#: Valid BRNs (check digit included) for test companies.
BRNS = ["3058112341", "3148620457", "3068127814", "3058644101", "3148177353"]


def product_values(**overrides: Any) -> dict[str, Any]:
    """A complete, valid product as form strings."""
    values: dict[str, Any] = {
        "sku": "TEST-001",
        "name_ko": "유성 국화차",
        "name_en": "Yuseong Chrysanthemum Tea",
        "description_ko": "대전에서 만든 차.",
        "description_en": "Tea made in Daejeon.",
        "bullets_en": "Caffeine free\n30 tea bags",
        "category": "식품/차",
        "amazon_product_type": "TEA",
        "ebay_categories": '{"EBAY_US": "38180"}',
        "brand": "Hanbit Farm",
        "gtin": "8801234567893",
        "hs_code": "0902100000",
        "country_of_origin": "KR",
        "cost_krw": "4500",
        "price_krw": "9,000",
        "target_price_usd": "12.90",
        "weight_g": "120",
        "length_mm": "180",
        "width_mm": "80",
        "height_mm": "60",
        "quantity": "250",
        "condition": "new",
    }
    values.update(overrides)
    return values


async def make_company_user(
    sessions: async_sessionmaker[AsyncSession],
    index: int = 0,
    email: str | None = None,
) -> tuple[Company, User]:
    async with sessions.begin() as db:
        company = Company(
            name_ko=f"테스트기업{index}",
            name_en=f"Test Company {index}",
            brn=BRNS[index],
            users=[],
        )
        db.add(company)
        await db.flush()
        user = await create_user(
            db,
            email=email or f"company{index}@example.kr",
            password=PASSWORD,
            role=Role.COMPANY,
            company=company,
        )
    return company, user


async def make_user(
    sessions: async_sessionmaker[AsyncSession], role: Role, email: str
) -> User:
    async with sessions.begin() as db:
        return await create_user(
            db,
            email=email,
            password=PASSWORD,
            role=role,
            office_code="LAX" if role is Role.OFFICE else None,
        )


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format=fmt)
    return out.getvalue()
