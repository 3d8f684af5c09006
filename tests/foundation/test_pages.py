"""Integration: sign-up, profile, product pages, review, images, on a real database."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import FormData
from sqlalchemy import select

from export_hub.accounts.models import Company, Role, User
from export_hub.catalog.models import AuditEvent, Product, ProductImage, ReviewState
from tests.conftest import csrf_from, login
from tests.foundation.helpers import (
    PASSWORD,
    image_bytes,
    make_company_user,
    make_user,
    product_values,
)


def form(
    values: dict[str, Any], csrf: str, files: list[tuple[str, bytes, str]] = ()
) -> FormData:
    data = FormData()
    for key, value in values.items():
        data.add_field(key, str(value))
    data.add_field("csrf_token", csrf)
    for name, content, ctype in files:
        data.add_field("images", content, filename=name, content_type=ctype)
    return data


async def create_via_form(client: Any, csrf: str, files=(), **overrides: Any) -> int:
    resp = await client.post(
        "/company/products",
        data=form(product_values(**overrides), csrf, files),
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    return int(re.search(r"/company/products/(\d+)", resp.headers["Location"]).group(1))


async def test_sign_up_creates_company_and_user_and_logs_in(client, sessions) -> None:
    csrf = await csrf_from(client, "/signup")
    bad = {
        "email": "new@example.kr",
        "password": "long-enough-pw",
        "password_confirm": "long-enough-pw",
        "name_ko": "새기업",
        "name_en": "New Co",
        "brn": "305-81-12342",
        "csrf_token": csrf,
    }
    resp = await client.post("/signup", data=bad)
    assert resp.status == 400
    body = await resp.text()
    assert 'value="새기업"' in body
    assert 'value="New Co"' in body
    assert 'id="f-brn" aria-invalid="true"' in body
    assert "검증 숫자" in body
    assert "check digit" in body
    assert "long-enough-pw" not in body  # passwords are never echoed back
    async with sessions() as db:
        assert await db.scalar(select(Company)) is None
    resp = await client.post(
        "/signup", data=bad | {"brn": "305-81-12341"}, allow_redirects=False
    )
    assert resp.status == 303
    assert resp.headers["Location"].startswith("/company/profile")
    resp = await client.get("/company/profile")
    assert resp.status == 200
    assert "3058112341" in await resp.text()
    async with sessions() as db:
        user = await db.scalar(select(User).where(User.email == "new@example.kr"))
        assert user.role is Role.COMPANY
        assert user.company_id is not None
    # The same BRN cannot sign up twice.
    client.session.cookie_jar.clear()
    csrf = await csrf_from(client, "/signup")
    resp = await client.post(
        "/signup",
        data=bad | {"brn": "3058112341", "email": "b@example.kr", "csrf_token": csrf},
    )
    assert resp.status == 400
    assert "이미 등록된 사업자등록번호" in await resp.text()


async def test_profile_errors_keep_values_and_save_nothing(client, sessions) -> None:
    company, user = await make_company_user(sessions)
    csrf = await login(client, user.email, PASSWORD)
    values = {
        "name_ko": "한빛식품",
        "name_en": "Hanbit Foods",
        "brn": "3058112341",
        "representative": "이한빛",
        "postal_code": "06236",
        "address_ko": "대전 유성구",
        "address_en": "Yuseong-gu",
        "contact_name": "박수진",
        "email": "c@example.kr",
        "phone": "042-861-1234",
        "industry": "식품",
        "own_brand": "",
        "website": "https://x.example",
        "csrf_token": csrf,
    }
    resp = await client.post("/company/profile", data=values)
    assert resp.status == 400
    body = await resp.text()
    assert 'value="06236"' in body
    assert 'value="이한빛"' in body
    assert (
        'id="f-postal_code" aria-invalid="true" aria-describedby="err-postal_code"'
        in body
    )
    assert "대전 지역 우편번호" in body
    assert "Daejeon postal code" in body
    async with sessions() as db:
        assert (await db.get(Company, company.id)).representative == ""
    resp = await client.post(
        "/company/profile",
        data=values | {"postal_code": "34126"},
        allow_redirects=False,
    )
    assert resp.status == 303
    async with sessions() as db:
        saved = await db.get(Company, company.id)
        assert saved.postal_code == "34126"
        assert saved.profile_complete
        events = list(
            await db.scalars(
                select(AuditEvent).where(AuditEvent.subject_type == "company")
            )
        )
        assert [e.action for e in events] == ["update_profile"]


async def test_product_lifecycle_with_review_and_audit(client, sessions) -> None:
    _company, user = await make_company_user(sessions)
    await make_user(sessions, Role.STAFF, "staff@example.kr")
    csrf = await login(client, user.email, PASSWORD)
    # A bad GTIN: 400, typed values kept, nothing saved.
    resp = await client.post(
        "/company/products", data=form(product_values(gtin="8801234567890"), csrf)
    )
    assert resp.status == 400
    body = await resp.text()
    assert 'id="f-gtin" aria-invalid="true"' in body
    assert 'value="8801234567890"' in body
    assert "GTIN 검증 숫자가 올바르지 않습니다" in body
    async with sessions() as db:
        assert await db.scalar(select(Product)) is None
    product_id = await create_via_form(client, csrf, action="submit")
    resp = await client.get("/company")
    assert "심사 대기" in await resp.text()
    # The company cannot review its own product.
    resp = await client.post(
        f"/staff/products/{product_id}/review",
        data={"action": "approve", "version": "1", "csrf_token": csrf},
    )
    assert resp.status == 403
    resp = await client.get("/staff/review")
    assert resp.status == 403
    # Staff ask for changes (a reason is required), the company edits and resubmits.
    client.session.cookie_jar.clear()
    csrf = await login(client, "staff@example.kr", PASSWORD)
    async with sessions() as db:
        version = (await db.get(Product, product_id)).version
    resp = await client.post(
        f"/staff/products/{product_id}/review",
        data={
            "action": "request_changes",
            "reason": " ",
            "version": version,
            "csrf_token": csrf,
        },
    )
    assert resp.status == 400
    assert "사유를 입력해 주세요" in await resp.text()
    resp = await client.post(
        f"/staff/products/{product_id}/review",
        data={
            "action": "request_changes",
            "reason": "Add <b>ingredients</b>",
            "version": version,
            "csrf_token": csrf,
        },
        allow_redirects=False,
    )
    assert resp.status == 303
    client.session.cookie_jar.clear()
    csrf = await login(client, user.email, PASSWORD)
    body = await (await client.get("/company")).text()
    assert "Add &lt;b&gt;ingredients&lt;/b&gt;" in body
    assert "<b>ingredients" not in body
    async with sessions() as db:
        version = (await db.get(Product, product_id)).version
    resp = await client.post(
        f"/company/products/{product_id}",
        data=form(
            product_values(
                description_en="Ingredients: chrysanthemum.",
                version=version,
                action="submit",
            ),
            csrf,
        ),
        allow_redirects=False,
    )
    assert resp.status == 303
    client.session.cookie_jar.clear()
    csrf = await login(client, "staff@example.kr", PASSWORD)
    body = await (await client.get("/staff/review?q=test-001")).text()
    assert "TEST-001" in body
    async with sessions() as db:
        version = (await db.get(Product, product_id)).version
    resp = await client.post(
        f"/staff/products/{product_id}/review",
        data={"action": "approve", "version": version, "csrf_token": csrf},
        allow_redirects=False,
    )
    assert resp.status == 303
    # A price edit of the approved product applies at once, without review.
    client.session.cookie_jar.clear()
    csrf = await login(client, user.email, PASSWORD)
    async with sessions() as db:
        product = await db.get(Product, product_id)
        assert product.state is ReviewState.APPROVED
        version = product.version
    resp = await client.post(
        f"/company/products/{product_id}",
        data=form(
            product_values(
                price_krw="9500",
                description_en="Ingredients: chrysanthemum.",
                version=version,
            ),
            csrf,
        ),
        allow_redirects=False,
    )
    assert resp.status == 303
    async with sessions() as db:
        product = await db.get(Product, product_id)
        assert product.state is ReviewState.APPROVED
        assert product.price_krw == 9500
        events = list(
            await db.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.subject_id == product_id,
                    AuditEvent.subject_type == "product",
                )
                .order_by(AuditEvent.id)
            )
        )
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("create", None, "draft"),
        ("submit", "draft", "submitted"),
        ("request_changes", "submitted", "changes_requested"),
        ("edit", "changes_requested", "draft"),
        ("submit", "draft", "submitted"),
        ("approve", "submitted", "approved"),
        ("stock_price_edit", "approved", "approved"),
    ]
    assert events[2].reason == "Add <b>ingredients</b>"
    assert all(e.actor_user_id is not None and e.at is not None for e in events)


async def test_other_companies_products_are_not_found(client, sessions) -> None:
    _, owner = await make_company_user(sessions, 0)
    _, other = await make_company_user(sessions, 1)
    csrf = await login(client, owner.email, PASSWORD)
    product_id = await create_via_form(client, csrf)
    client.session.cookie_jar.clear()
    csrf = await login(client, other.email, PASSWORD)
    for path in (
        f"/company/products/{product_id}",
        f"/company/products/{product_id}/edit",
    ):
        assert (await client.get(path)).status == 404
    resp = await client.post(
        f"/company/products/{product_id}", data=form(product_values(version=1), csrf)
    )
    assert resp.status == 404
    resp = await client.post(
        f"/company/products/{product_id}/delete",
        data={"version": "1", "csrf_token": csrf},
    )
    assert resp.status == 404
    async with sessions() as db:
        assert (await db.get(Product, product_id)).sku == "TEST-001"


async def test_stale_edit_is_a_conflict_and_loses_nothing(client, sessions) -> None:
    _, user = await make_company_user(sessions)
    csrf = await login(client, user.email, PASSWORD)
    product_id = await create_via_form(client, csrf)
    first = await client.post(
        f"/company/products/{product_id}",
        data=form(product_values(name_en="First edit", version=1), csrf),
        allow_redirects=False,
    )
    assert first.status == 303
    stale = await client.post(
        f"/company/products/{product_id}",
        data=form(product_values(name_en="Second edit", version=1), csrf),
    )
    assert stale.status == 409
    body = await stale.text()
    assert "다른 사람이 먼저 이 제품을 수정했습니다" in body
    assert "Someone else changed" in body
    assert 'value="Second edit"' in body  # what they typed is still on screen
    async with sessions() as db:
        product = await db.get(Product, product_id)
        assert product.name_en == "First edit"
        assert product.version == 2


async def test_image_upload_is_sniffed_and_served_safely(
    client, sessions, settings
) -> None:
    _, user = await make_company_user(sessions, 0)
    _, other = await make_company_user(sessions, 1)
    csrf = await login(client, user.email, PASSWORD)
    jpeg = image_bytes("JPEG")
    product_id = await create_via_form(
        client, csrf, files=[("photo.png", jpeg, "image/png")]
    )
    async with sessions() as db:
        image = await db.scalar(
            select(ProductImage).where(ProductImage.product_id == product_id)
        )
    assert image.content_type == "image/jpeg"
    assert image.stored_name.endswith(".jpg")
    assert "photo" not in image.stored_name
    assert (settings.web.upload_dir / image.stored_name).read_bytes() == jpeg
    resp = await client.get(f"/media/{image.stored_name}")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "image/jpeg"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Disposition"] == "inline"
    assert "sandbox" in resp.headers["Content-Security-Policy"]
    assert await resp.read() == jpeg
    # HTML or SVG pretending to be images: refused, nothing saved or stored.
    for name, content, ctype in [
        ("x.png", b"<html><script>alert(1)</script></html>", "image/png"),
        (
            "x.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
            "image/svg+xml",
        ),
    ]:
        resp = await client.post(
            "/company/products",
            data=form(product_values(sku="TEST-002"), csrf, [(name, content, ctype)]),
        )
        assert resp.status == 400
        assert "JPEG, PNG, WebP" in await resp.text()
    assert len(list(settings.web.upload_dir.iterdir())) == 1
    # Another company, or nobody, cannot fetch it.
    client.session.cookie_jar.clear()
    assert (await client.get(f"/media/{image.stored_name}")).status == 404
    await login(client, other.email, PASSWORD)
    assert (await client.get(f"/media/{image.stored_name}")).status == 404


async def test_too_many_pixels_are_refused(
    aiohttp_client, database_url, tmp_path
) -> None:
    from export_hub.db import create_engine, session_factory
    from export_hub.web.app import create_app
    from tests.conftest import make_settings

    settings = make_settings(
        database_url, tmp_path, web={"upload_max_pixels": 100 * 100}
    )
    engine = create_engine(database_url)
    _, user = await make_company_user(session_factory(engine))
    await engine.dispose()
    client = await aiohttp_client(create_app(settings))
    csrf = await login(client, user.email, PASSWORD)
    resp = await client.post(
        "/company/products",
        data=form(
            product_values(),
            csrf,
            [("big.png", image_bytes("PNG", (101, 100)), "image/png")],
        ),
    )
    assert resp.status == 400
    assert "too many pixels" in await resp.text()
    await create_via_form(
        client, csrf, files=[("ok.png", image_bytes("PNG", (100, 100)), "image/png")]
    )


async def test_posts_without_csrf_token_are_refused(client, sessions) -> None:
    _, user = await make_company_user(sessions)
    await login(client, user.email, PASSWORD)
    resp = await client.post("/company/products", data=product_values())
    assert resp.status == 400
    assert "보안 토큰" in await resp.text()
    resp = await client.post(
        "/company/profile", data={"name_ko": "x", "csrf_token": "forged"}
    )
    assert resp.status == 400
    async with sessions() as db:
        assert await db.scalar(select(Product)) is None


async def test_staff_company_list_paginates(client, sessions) -> None:
    await make_user(sessions, Role.STAFF, "staff@example.kr")
    async with sessions.begin() as db:
        for n in range(120):
            db.add(
                Company(
                    name_ko=f"기업{n:03d}", name_en=f"Company {n:03d}", brn=f"{n:010d}"
                )
            )
    await login(client, "staff@example.kr", PASSWORD)
    body = await (await client.get("/staff/companies")).text()
    assert "기업000" in body
    assert "기업049" in body
    assert "기업050" not in body
    assert "1 / 3" in body
    body = await (await client.get("/staff/companies?page=3")).text()
    assert "기업119" in body
    assert "기업099" not in body
    body = await (await client.get("/staff/companies?q=Company 07")).text()
    assert "기업070" in body
    assert "기업080" not in body
