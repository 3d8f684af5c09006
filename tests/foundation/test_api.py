"""Integration: the JSON API, its errors, token auth, and the OpenAPI document."""

from __future__ import annotations

import asyncio
import email
import re

from openapi_spec_validator import validate
from sqlalchemy import select

from export_hub.accounts.models import ApiToken, Company, Role
from export_hub.accounts.service import create_user
from export_hub.api.openapi import openapi_path
from export_hub.security import sha256_hex
from export_hub.web.auth import issue_api_token
from tests.conftest import csrf_from, login
from tests.foundation.helpers import (
    PASSWORD,
    image_bytes,
    make_company_user,
    make_user,
    product_values,
)


async def token_for(sessions, user) -> dict[str, str]:
    async with sessions.begin() as db:
        token = await issue_api_token(db, user, "test")
    return {"Authorization": f"Bearer {token}"}


def assert_error(body: dict, code: str) -> None:
    assert set(body["error"]) >= {"code", "message", "fields"}
    assert body["error"]["code"] == code


async def test_openapi_document_is_valid_and_lists_every_api_route(client) -> None:
    resp = await client.get("/api/v1/openapi.json")
    assert resp.status == 200
    document = await resp.json()
    validate(document)
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
    }
    routes = {
        (route.method, openapi_path(route.resource.canonical))
        for route in client.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/v1")
        and route.method != "HEAD"
    }
    assert routes
    assert routes <= documented, routes - documented
    assert ("PATCH", "/api/v1/products/{product_id}") in documented


async def test_api_needs_authentication_and_answers_json(client, sessions) -> None:
    resp = await client.get("/api/v1/products")
    assert resp.status == 401
    assert_error(await resp.json(), "authentication_required")
    resp = await client.get(
        "/api/v1/products", headers={"Authorization": "Bearer nope"}
    )
    assert resp.status == 401


async def test_product_crud_review_and_errors_over_the_api(client, sessions) -> None:
    _, owner = await make_company_user(sessions, 0)
    _, other = await make_company_user(sessions, 1)
    staff = await make_user(sessions, Role.STAFF, "staff@example.kr")
    office = await make_user(sessions, Role.OFFICE, "office@example.kr")
    h_owner = await token_for(sessions, owner)
    h_other = await token_for(sessions, other)
    h_staff = await token_for(sessions, staff)
    # Validation errors: 400 with per-field bilingual messages.
    resp = await client.post(
        "/api/v1/products",
        json=product_values(gtin="8801234567890", bullets_en=["ok"] * 6),
        headers=h_owner,
    )
    assert resp.status == 400
    body = await resp.json()
    assert_error(body, "validation_failed")
    assert set(body["error"]["fields"]) == {"gtin", "bullets_en"}
    assert body["error"]["fields"]["gtin"]["en"] == "The GTIN check digit is wrong."
    resp = await client.post("/api/v1/products", data="[1,2]", headers=h_owner)
    assert resp.status == 400
    # Create, read, list.
    resp = await client.post(
        "/api/v1/products", json=product_values(bullets_en=["A", "B"]), headers=h_owner
    )
    assert resp.status == 201
    product = await resp.json()
    pid = product["id"]
    assert product["state"] == "draft"
    assert product["bullets_en"] == ["A", "B"]
    assert product["target_price_usd"] == "12.90"
    resp = await client.post("/api/v1/products", json=product_values(), headers=h_owner)
    assert resp.status == 400  # duplicate SKU
    assert "sku" in (await resp.json())["error"]["fields"]
    resp = await client.get("/api/v1/products", headers=h_owner)
    assert [p["id"] for p in (await resp.json())["items"]] == [pid]
    # Another company sees nothing of it; staff and offices may not edit it.
    assert (await client.get(f"/api/v1/products/{pid}", headers=h_other)).status == 404
    resp = await client.patch(
        f"/api/v1/products/{pid}", json={"version": 1}, headers=h_other
    )
    assert resp.status == 404
    assert (await (await client.get("/api/v1/products", headers=h_other)).json())[
        "total"
    ] == 0
    h_office = await token_for(sessions, office)
    assert (await client.get("/api/v1/products", headers=h_office)).status == 403
    resp = await client.patch(
        f"/api/v1/products/{pid}", json={"version": 1}, headers=h_staff
    )
    assert resp.status == 403
    # Edit with optimistic locking: version required, stale version is 409.
    resp = await client.patch(
        f"/api/v1/products/{pid}", json={"name_en": "X"}, headers=h_owner
    )
    assert resp.status == 400
    resp = await client.patch(
        f"/api/v1/products/{pid}",
        json={"name_en": "Renamed", "version": 1},
        headers=h_owner,
    )
    assert resp.status == 200
    assert (await resp.json())["version"] == 2
    resp = await client.patch(
        f"/api/v1/products/{pid}",
        json={"name_en": "Lost", "version": 1},
        headers=h_owner,
    )
    assert resp.status == 409
    assert_error(await resp.json(), "conflict")
    # Images over the API.
    from aiohttp import FormData

    data = FormData()
    data.add_field(
        "images", image_bytes("WEBP"), filename="a.jpg", content_type="image/jpeg"
    )
    resp = await client.post(
        f"/api/v1/products/{pid}/images", data=data, headers=h_owner
    )
    assert resp.status == 201
    assert (await resp.json())["images"][0]["content_type"] == "image/webp"
    # Review: only staff; a reason is needed to reject.
    resp = await client.post(f"/api/v1/products/{pid}/submit", json={}, headers=h_owner)
    assert (await resp.json())["state"] == "submitted"
    resp = await client.post(
        f"/api/v1/products/{pid}/review", json={"action": "approve"}, headers=h_owner
    )
    assert resp.status == 403
    resp = await client.post(
        f"/api/v1/products/{pid}/review", json={"action": "reject"}, headers=h_staff
    )
    assert resp.status == 400
    assert "reason" in (await resp.json())["error"]["fields"]
    resp = await client.post(
        f"/api/v1/products/{pid}/review",
        json={"action": "reject", "reason": "Not exportable"},
        headers=h_staff,
    )
    assert resp.status == 200
    body = await (await client.get(f"/api/v1/products/{pid}", headers=h_owner)).json()
    assert body["state"] == "rejected"
    assert body["review_reason"] == "Not exportable"
    assert [e["action"] for e in body["history"]] == [
        "create",
        "edit",
        "add_images",
        "submit",
        "reject",
    ]
    resp = await client.post(
        f"/api/v1/products/{pid}/review", json={"action": "approve"}, headers=h_staff
    )
    assert resp.status == 409
    # A rejected product can be deleted by its company.
    resp = await client.delete(f"/api/v1/products/{pid}?version=1", headers=h_owner)
    assert resp.status == 409
    version = body["version"]
    resp = await client.delete(
        f"/api/v1/products/{pid}?version={version}", headers=h_owner
    )
    assert resp.status == 200
    assert (await client.get(f"/api/v1/products/{pid}", headers=h_owner)).status == 404


async def test_companies_api(client, sessions) -> None:
    company, owner = await make_company_user(sessions, 0)
    other_company, _ = await make_company_user(sessions, 1)
    staff = await make_user(sessions, Role.STAFF, "staff@example.kr")
    h_owner = await token_for(sessions, owner)
    body = await (await client.get("/api/v1/companies", headers=h_owner)).json()
    assert [c["id"] for c in body["items"]] == [company.id]
    resp = await client.get(f"/api/v1/companies/{other_company.id}", headers=h_owner)
    assert resp.status == 404
    resp = await client.patch(
        f"/api/v1/companies/{company.id}",
        json={"postal_code": "12345"},
        headers=h_owner,
    )
    assert resp.status == 400
    assert "postal_code" in (await resp.json())["error"]["fields"]
    body = await (
        await client.get("/api/v1/companies", headers=await token_for(sessions, staff))
    ).json()
    assert body["total"] == 2


async def test_session_api_writes_need_the_csrf_header(client, sessions) -> None:
    _, owner = await make_company_user(sessions, 0)
    csrf = await login(client, owner.email, PASSWORD)
    resp = await client.post("/api/v1/products", json=product_values())
    assert resp.status == 400
    assert "보안 토큰" in (await resp.json())["error"]["message"]
    resp = await client.post(
        "/api/v1/products", json=product_values(), headers={"X-CSRF-Token": csrf}
    )
    assert resp.status == 201


async def test_token_page_issues_a_token_shown_once(client, sessions) -> None:
    _, owner = await make_company_user(sessions, 0)
    await login(client, owner.email, PASSWORD)
    csrf = await csrf_from(client, "/account/tokens")
    resp = await client.post(
        "/account/tokens", data={"label": "ERP", "csrf_token": csrf}
    )
    assert resp.status == 200
    token = re.search(r'id="new-token">([^<]+)<', await resp.text()).group(1)
    async with sessions() as db:
        row = await db.scalar(select(ApiToken))
        assert row.token_sha256 == sha256_hex(token)
        assert row.label == "ERP"
    client.session.cookie_jar.clear()
    resp = await client.get(
        "/api/v1/products", headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status == 200


async def test_concurrent_edits_of_one_version_one_wins(client, sessions) -> None:
    _, owner = await make_company_user(sessions, 0)
    headers = await token_for(sessions, owner)
    resp = await client.post("/api/v1/products", json=product_values(), headers=headers)
    pid = (await resp.json())["id"]

    async def edit(name: str) -> int:
        resp = await client.patch(
            f"/api/v1/products/{pid}",
            json={"name_en": name, "version": 1},
            headers=headers,
        )
        return resp.status

    statuses = await asyncio.gather(*(edit(f"Edit {n}") for n in range(4)))
    assert sorted(statuses) == [200, 409, 409, 409]
    body = await (await client.get(f"/api/v1/products/{pid}", headers=headers)).json()
    assert body["version"] == 2
    assert [e["action"] for e in body["history"]] == ["create", "edit"]


async def test_company_withdraws_an_approved_product_and_may_resubmit(
    client, sessions
) -> None:
    from export_hub.catalog.models import AuditEvent

    _, company_user = await make_company_user(sessions)
    staff = await make_user(sessions, Role.STAFF, "staff@example.kr")
    mine = await token_for(sessions, company_user)
    agency = await token_for(sessions, staff)
    body = product_values()
    body["bullets_en"] = body["bullets_en"].split("\n")
    created = await client.post(
        "/api/v1/products", json=body | {"submit": True}, headers=mine
    )
    assert created.status == 201, await created.text()
    product = await created.json()
    pid = product["id"]
    resp = await client.post(
        f"/api/v1/products/{pid}/review", json={"action": "approve"}, headers=agency
    )
    assert resp.status == 200, await resp.text()

    resp = await client.post(f"/api/v1/products/{pid}/withdraw", json={}, headers=mine)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["state"] == "withdrawn"
    # Staff cannot withdraw for the company; withdrawing twice is a conflict.
    resp = await client.post(
        f"/api/v1/products/{pid}/withdraw", json={}, headers=agency
    )
    assert resp.status in (403, 404)
    resp = await client.post(f"/api/v1/products/{pid}/withdraw", json={}, headers=mine)
    assert resp.status == 409
    assert_error(await resp.json(), "conflict")

    resp = await client.post(f"/api/v1/products/{pid}/submit", json={}, headers=mine)
    assert (await resp.json())["state"] == "submitted"
    async with sessions() as db:
        actions = (
            await db.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.subject_id == pid)
                .order_by(AuditEvent.id)
            )
        ).all()
    assert actions[-3:] == ["approve", "withdraw", "submit"]


async def test_api_tokens_record_when_they_were_last_used(client, sessions) -> None:
    _, company_user = await make_company_user(sessions)
    headers = await token_for(sessions, company_user)
    async with sessions() as db:
        before = await db.scalar(select(ApiToken.last_used_at))
    assert before is None
    resp = await client.get("/api/v1/products", headers=headers)
    assert resp.status == 200
    async with sessions() as db:
        assert await db.scalar(select(ApiToken.last_used_at)) is not None


async def test_company_users_are_mailed_the_review_outcome_in_their_language(
    client, sessions
) -> None:
    from export_hub.accounts.models import User
    from export_hub.mail import OutboxMessage

    company, korean = await make_company_user(sessions)
    async with sessions.begin() as db:
        english = await create_user(
            db,
            email="export@example.kr",
            password=PASSWORD,
            role=Role.COMPANY,
            company=await db.get(Company, company.id),
            language="en",
        )
    staff = await make_user(sessions, Role.STAFF, "staff@example.kr")
    mine = await token_for(sessions, korean)
    agency = await token_for(sessions, staff)
    body = product_values()
    body["bullets_en"] = body["bullets_en"].split("\n")
    created = await client.post(
        "/api/v1/products", json=body | {"submit": True}, headers=mine
    )
    pid = (await created.json())["id"]
    reason = "GTIN 소유 기업명을 확인해 주세요 / check the GTIN owner"
    resp = await client.post(
        f"/api/v1/products/{pid}/review",
        json={"action": "request_changes", "reason": reason},
        headers=agency,
    )
    assert resp.status == 200, await resp.text()
    async with sessions() as db:
        mails = {m.to_address: m for m in await db.scalars(select(OutboxMessage))}
        users = {u.email for u in await db.scalars(select(User))}
    assert set(mails) == {korean.email, english.email}
    assert staff.email in users  # staff get no copy
    ko, en = mails[korean.email], mails[english.email]
    assert ko.language == "ko"
    assert "보완 요청" in ko.subject
    assert en.language == "en"
    assert "Changes requested" in en.subject
    assert "Yuseong Chrysanthemum Tea" in en.subject
    for mail in (ko, en):
        text = email.message_from_string(mail.raw).get_payload(decode=True).decode()
        assert reason in text
        assert f"/company/products/{pid}" in text
        assert mail.related == f"product:{pid}"
