"""After a review action the page says what happened and offers the next
product in the queue; rejecting asks first, with a reason the company reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from export_hub.accounts.models import Role
from export_hub.catalog.models import Product, ReviewState
from export_hub.catalog.service import create_product
from export_hub.catalog.validation import clean_product
from export_hub.mail import OutboxMessage
from tests.conftest import login
from tests.foundation.helpers import (
    PASSWORD,
    make_company_user,
    make_user,
    product_values,
)


async def _submitted(sessions: Any, skus: list[str]) -> list[Product]:
    company, user = await make_company_user(sessions, 0)
    products = []
    async with sessions.begin() as db:
        for sku in skus:
            products.append(
                await create_product(
                    db,
                    company=company,
                    actor=user,
                    fields=clean_product(product_values(sku=sku)),
                    submit=True,
                )
            )
    return products


async def test_approve_says_so_and_offers_the_next_in_queue(client, sessions) -> None:
    first, second = await _submitted(sessions, ["SKU-A", "SKU-B"])
    staff = await make_user(sessions, Role.STAFF, "staff@example.kr")
    csrf = await login(client, staff.email, PASSWORD)
    page = await (await client.get(f"/staff/products/{first.id}")).text()
    assert 'id="reject"' in page  # reject sits behind a confirmation
    assert 'value="reject"' not in page.split('id="reject"')[0]
    resp = await client.post(
        f"/staff/products/{first.id}/review",
        data={"action": "approve", "version": first.version, "csrf_token": csrf},
    )
    body = await resp.text()
    assert resp.status == 200
    assert "승인했습니다" in body
    assert "심사 대기 상태의 제품만 심사할 수 있습니다" not in body
    assert f'href="/staff/products/{second.id}" id="next-in-queue"' in body
    # The last one: the queue is empty, said so.
    resp = await client.post(
        f"/staff/products/{second.id}/review",
        data={"action": "approve", "version": second.version, "csrf_token": csrf},
    )
    body = await resp.text()
    assert "심사 대기열이 비었습니다" in body
    assert 'id="next-in-queue"' not in body


async def test_reject_needs_a_reason_the_company_reads(client, sessions) -> None:
    [product] = await _submitted(sessions, ["SKU-R"])
    staff = await make_user(sessions, Role.STAFF, "staff@example.kr")
    csrf = await login(client, staff.email, PASSWORD)
    resp = await client.post(
        f"/staff/products/{product.id}/review",
        data={"action": "reject", "version": product.version, "csrf_token": csrf},
    )
    assert resp.status == 400
    body = await resp.text()
    assert '<details class="confirm" id="reject" open>' in body  # asked again
    async with sessions() as db:
        assert (await db.get(Product, product.id)).state is ReviewState.SUBMITTED
    resp = await client.post(
        f"/staff/products/{product.id}/review",
        data={
            "action": "reject",
            "version": product.version,
            "reason": "Not a food-grade material.",
            "csrf_token": csrf,
        },
    )
    body = await resp.text()
    assert "반려했습니다" in body
    async with sessions() as db:
        rejected = await db.get(Product, product.id)
        mails = list(await db.scalars(select(OutboxMessage)))
    assert rejected.state is ReviewState.REJECTED
    assert rejected.review_reason == "Not a food-grade material."
    assert any(
        "Not a food-grade material." in m.parsed().get_body(("plain",)).get_content()
        for m in mails
    )
