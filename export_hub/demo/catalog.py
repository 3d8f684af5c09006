"""The foundation's demo data: Daejeon companies, their products in every
review state, and the agency's staff, admin and overseas-office users.

Idempotent: companies are found by BRN, users by e-mail, products by SKU, so a
second run adds nothing. Every state is reached through the real service
functions, so the audit log reads as if people had done it. BRNs and GTINs are
made-up numbers with valid check digits.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.accounts.models import Company, Role, User
from export_hub.accounts.service import create_user
from export_hub.catalog.images import ImageStore, check_image
from export_hub.catalog.models import Product, ReviewState
from export_hub.catalog.review import ReviewAction
from export_hub.catalog.service import (
    add_images,
    create_product,
    review_product,
    submit_product,
)
from export_hub.catalog.validation import clean_product
from export_hub.demo.base import DemoLogin
from export_hub.settings import Settings

DEMO_DOMAIN = "demo.export-hub.kr"
#: Demo-only passwords (printed by ``export-hub demo``; never use elsewhere).
PASSWORDS = {
    Role.ADMIN: "demo-admin-2026",
    Role.STAFF: "demo-staff-2026",
    Role.OFFICE: "demo-office-2026",
    Role.COMPANY: "demo-company-2026",
}

AGENCY_USERS: list[tuple[Role, str, str, str | None]] = [
    (Role.ADMIN, f"admin@{DEMO_DOMAIN}", "관리자 Admin", None),
    (Role.STAFF, f"staff@{DEMO_DOMAIN}", "수출지원팀 김하늘", None),
    (Role.OFFICE, f"office.lax@{DEMO_DOMAIN}", "LA 사무소 Jenny Park", "LAX"),
    (Role.OFFICE, f"office.fra@{DEMO_DOMAIN}", "Frankfurt Office Lukas Weber", "FRA"),
]

COMPANIES: list[dict[str, str]] = [
    {
        "brn": "3058112341",
        "name_ko": "한빛식품 주식회사",
        "name_en": "Hanbit Foods Co., Ltd.",
        "representative": "이한빛",
        "postal_code": "34126",
        "address_ko": "대전광역시 유성구 대학로 99",
        "address_en": "99 Daehak-ro, Yuseong-gu, Daejeon",
        "contact_name": "박수진",
        "phone": "042-861-1234",
        "industry": "식품 제조",
        "own_brand": "Hanbit Farm",
        "website": "https://hanbit-foods.example",
        "login": "hanbit",
    },
    {
        "brn": "3148620457",
        "name_ko": "대덕정밀 주식회사",
        "name_en": "Daedeok Precision Co., Ltd.",
        "representative": "최대덕",
        "postal_code": "34025",
        "address_ko": "대전광역시 유성구 테크노2로 187",
        "address_en": "187 Techno 2-ro, Yuseong-gu, Daejeon",
        "contact_name": "정민호",
        "phone": "042-935-5678",
        "industry": "생활용품 제조",
        "own_brand": "DDK Steel",
        "website": "https://daedeok-precision.example",
        "login": "daedeok",
    },
    {
        "brn": "3068127814",
        "name_ko": "유성코스메틱",
        "name_en": "Yuseong Cosmetics",
        "representative": "한유진",
        "postal_code": "34186",
        "address_ko": "대전광역시 유성구 온천로 45",
        "address_en": "45 Oncheon-ro, Yuseong-gu, Daejeon",
        "contact_name": "한유진",
        "phone": "042-822-9012",
        "industry": "화장품",
        "own_brand": "Onsen Lab",
        "website": "https://yuseong-cosmetics.example",
        "login": "yuseong",
    },
]


def _product(sku: str, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sku": sku,
        "country_of_origin": "KR",
        "condition": "new",
        "quantity": 100,
        "weight_g": 300,
        "length_mm": 150,
        "width_mm": 100,
        "height_mm": 80,
    }
    return base | overrides


#: Per company (by BRN): (product values, target state, staff reason).
PRODUCTS: dict[str, list[tuple[dict[str, Any], ReviewState, str]]] = {
    "3058112341": [
        (
            _product(
                "HB-TEA-001",
                name_ko="유성 국화차 30티백",
                name_en="Yuseong Chrysanthemum Tea, 30 Bags",
                description_ko="대전 유성에서 재배한 국화로 만든 무카페인 차입니다.",
                description_en="Caffeine-free chrysanthemum tea grown in Yuseong,"
                " Daejeon.",
                bullets_en=[
                    "Caffeine free",
                    "30 individually wrapped tea bags",
                    "Grown and packed in Daejeon",
                ],
                category="tea",
                amazon_product_type="TEA",
                brand="Hanbit Farm",
                gtin="8806001234015",
                hs_code="0902100000",
                cost_krw=4500,
                price_krw=9000,
                target_price_usd="12.90",
                weight_g=120,
            ),
            ReviewState.APPROVED,
            "",
        ),
        (
            _product(
                "HB-SNK-002",
                name_ko="현미 누룽지 스낵 200g",
                name_en="Brown Rice Nurungji Snack, 200 g",
                description_ko="국산 현미로 구운 바삭한 누룽지 스낵.",
                description_en="Crispy scorched brown rice snack made from Korean"
                " rice.",
                bullets_en=["Made with 100% Korean brown rice", "No added sugar"],
                category="식품/과자",
                amazon_product_type="SNACK_CHIP_AND_CRISP",
                brand="Hanbit Farm",
                gtin="8806001234022",
                hs_code="1904100000",
                cost_krw=2500,
                price_krw=5500,
                weight_g=220,
            ),
            ReviewState.SUBMITTED,
            "",
        ),
        (
            _product(
                "HB-HNY-003",
                name_ko="대청호 아카시아꿀 500g",
                name_en="Daecheong Lake Acacia Honey, 500 g",
                description_ko="대청호 주변 양봉장에서 채밀한 아카시아꿀.",
                description_en="Acacia honey from apiaries around Daecheong Lake.",
                bullets_en=["Raw acacia honey", "Glass jar, 500 g"],
                category="식품/꿀",
                brand="Hanbit Farm",
                gtin_exempt=True,
                hs_code="0409000000",
                cost_krw=12000,
                price_krw=25000,
                weight_g=650,
            ),
            ReviewState.CHANGES_REQUESTED,
            "영문 설명에 원재료와 보관 방법을 추가하고, "
            "꿀 제품은 GTIN 면제 대신 GTIN을 입력해 주세요.",
        ),
    ],
    "3148620457": [
        (
            _product(
                "DDK-TMB-500",
                name_ko="스테인리스 진공 텀블러 500ml",
                name_en="Stainless Vacuum Tumbler, 500 ml",
                description_ko="이중 진공 구조로 12시간 보온되는 텀블러.",
                description_en="Double-wall vacuum tumbler that keeps drinks hot for"
                " 12 hours.",
                bullets_en=[
                    "Keeps hot 12 h, cold 24 h",
                    "18/8 stainless steel",
                    "Leak-proof lid",
                ],
                category="tumblers",
                amazon_product_type="DRINKING_CUP",
                brand="DDK Steel",
                gtin="8806001234039",
                hs_code="9617001000",
                cost_krw=9000,
                price_krw=19000,
                target_price_usd="24.00",
                weight_g=380,
            ),
            ReviewState.APPROVED,
            "",
        ),
        (
            _product(
                "DDK-SCL-010",
                name_ko="디지털 주방 저울",
                name_en="Digital Kitchen Scale",
                description_ko="1g 단위로 5kg까지 재는 주방 저울.",
                description_en="Kitchen scale weighing up to 5 kg in 1 g steps.",
                category="주방/저울",
                amazon_product_type="KITCHEN_SCALE",
                brand="DDK Steel",
                gtin="8806001234046",
                hs_code="8423100000",
                cost_krw=11000,
                price_krw=23000,
                weight_g=700,
            ),
            ReviewState.DRAFT,
            "",
        ),
    ],
    "3068127814": [
        (
            _product(
                "YC-CRM-050",
                name_ko="온천수 보습 크림 50ml",
                name_en="Hot Spring Water Moisturizing Cream, 50 ml",
                description_ko="유성 온천수를 담은 보습 크림.",
                description_en="Moisturizing cream made with Yuseong hot spring water.",
                bullets_en=["With Yuseong hot spring water", "For dry skin"],
                category="화장품/크림",
                amazon_product_type="SKIN_MOISTURIZER",
                brand="Onsen Lab",
                gtin="8806001234053",
                hs_code="3304990000",
                cost_krw=8000,
                price_krw=18000,
                weight_g=90,
            ),
            ReviewState.REJECTED,
            "미국 FDA 화장품 시설 등록(MoCRA) 전에는 등록할 수 없습니다.",
        ),
        (
            _product(
                "YC-MSK-010",
                name_ko="쑥 진정 마스크팩 10매",
                name_en="Mugwort Calming Sheet Mask, 10 Pack",
                description_ko="쑥 추출물로 피부를 진정시키는 마스크팩.",
                description_en="Sheet masks with mugwort extract to calm the skin.",
                bullets_en=["10 sheet masks", "Mugwort extract"],
                category="화장품/마스크팩",
                amazon_product_type="SKIN_CARE_AGENT",
                brand="Onsen Lab",
                gtin="8806001234060",
                hs_code="3304990000",
                cost_krw=6000,
                price_krw=15000,
                weight_g=250,
            ),
            ReviewState.SUBMITTED,
            "",
        ),
    ],
}

COLOURS = [(196, 64, 50), (45, 110, 180), (60, 150, 90), (210, 160, 40), (120, 80, 160)]


def demo_png(label: str, index: int) -> bytes:
    """A small generated product picture (solid colour with the SKU on it)."""
    image = Image.new("RGB", (480, 480), COLOURS[index % len(COLOURS)])
    ImageDraw.Draw(image).text((24, 220), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def _user(db: AsyncSession, email: str, **kwargs: Any) -> User:
    user = await db.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        user = await create_user(db, email=email, **kwargs)
    return user


async def load_foundation_demo(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> list[DemoLogin]:
    """Add the demo agency users, companies and products (idempotent)."""
    logins: list[DemoLogin] = []
    store = ImageStore(settings.web.upload_dir)
    async with sessions.begin() as db:
        agency: dict[Role, User] = {}
        for role, email, name, office in AGENCY_USERS:
            user = await _user(
                db,
                email,
                password=PASSWORDS[role],
                role=role,
                name=name,
                office_code=office,
            )
            agency.setdefault(role, user)
            logins.append(DemoLogin(role.value, email, PASSWORDS[role], office or name))
        staff = agency[Role.STAFF]
        for index, data in enumerate(COMPANIES):
            values = {k: v for k, v in data.items() if k != "login"}
            email = f"{data['login']}@{DEMO_DOMAIN}"
            company = await db.scalar(
                select(Company).where(Company.brn == values["brn"])
            )
            if company is None:
                company = Company(email=email, users=[], **values)
                db.add(company)
                await db.flush()
            user = await _user(
                db,
                email,
                password=PASSWORDS[Role.COMPANY],
                role=Role.COMPANY,
                name=values["contact_name"],
                company=company,
            )
            logins.append(
                DemoLogin("company", email, PASSWORDS[Role.COMPANY], values["name_ko"])
            )
            for number, (product_values, state, reason) in enumerate(
                PRODUCTS[values["brn"]]
            ):
                await add_demo_product(
                    db,
                    company,
                    user,
                    staff,
                    store,
                    product_values,
                    state,
                    reason,
                    colour=index + number,
                )
    return logins


async def add_demo_product(
    db: AsyncSession,
    company: Company,
    owner: User,
    staff: User,
    store: ImageStore,
    values: dict[str, Any],
    state: ReviewState,
    reason: str,
    *,
    colour: int,
) -> None:
    """Add the product ``values`` for ``company`` (unless its SKU exists) with a
    generated image, and take it to ``state`` through the review workflow."""
    exists = await db.scalar(
        select(Product.id).where(
            Product.company_id == company.id, Product.sku == values["sku"]
        )
    )
    if exists is not None:
        return
    product = await create_product(
        db, company=company, actor=owner, fields=clean_product(values)
    )
    image = check_image(
        demo_png(values["sku"], colour), max_bytes=10**7, max_pixels=10**7
    )
    await add_images(db, product, actor=owner, store=store, images=[image])
    if state is ReviewState.DRAFT:
        return
    await submit_product(db, product, actor=owner)
    action = {
        ReviewState.APPROVED: ReviewAction.APPROVE,
        ReviewState.CHANGES_REQUESTED: ReviewAction.REQUEST_CHANGES,
        ReviewState.REJECTED: ReviewAction.REJECT,
    }.get(state)
    if action is not None:
        await review_product(db, product, actor=staff, action=action, reason=reason)
