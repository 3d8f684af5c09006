"""Integration: stock and price through the API never wait for review;
content edits of an approved product are pending revisions."""

from __future__ import annotations

from sqlalchemy import select

from export_hub.catalog.models import (
    AuditEvent,
    Product,
    ProductRevision,
    ReviewState,
    RevisionState,
)
from export_hub.stock import ledger
from export_hub.stock.ledger import LineStock
from export_hub.stock.models import Cause, StockMovement
from tests.catalog_ops.helpers import approved_product
from tests.foundation.test_api import token_for


async def _events(sessions, product_id: int) -> list[AuditEvent]:
    async with sessions() as db:
        return list(
            await db.scalars(
                select(AuditEvent)
                .where(AuditEvent.subject_id == product_id)
                .order_by(AuditEvent.id)
            )
        )


async def test_patching_quantity_of_an_approved_product_keeps_it_approved(
    client, sessions
) -> None:
    _, user, _, product = await approved_product(sessions, quantity="100")
    headers = await token_for(sessions, user)
    resp = await client.patch(
        f"/api/v1/products/{product.id}",
        json={"quantity": 3, "version": product.version},
        headers=headers,
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["state"] == "approved"
    assert body["quantity"] == 3
    async with sessions() as db:
        stored = await db.get(Product, product.id)
        assert stored.state is ReviewState.APPROVED
        assert stored.quantity == 3
        assert await ledger.verify(db, product.id) == (3, 0)
        movements = list(
            await db.scalars(
                select(StockMovement)
                .where(StockMovement.product_id == product.id)
                .order_by(StockMovement.id)
            )
        )
    assert [(m.cause, m.delta_on_hand) for m in movements] == [
        (Cause.OPENING.value, 100),
        (Cause.EDIT.value, -97),
    ]
    assert movements[-1].actor_user_id == user.id
    last = (await _events(sessions, product.id))[-1]
    assert (last.action, last.from_state, last.to_state) == (
        "stock_price_edit",
        "approved",
        "approved",
    )
    assert last.details == {"changes": {"quantity": [100, 3]}}
    assert last.actor_user_id == user.id


async def test_an_order_moving_reserved_does_not_make_a_stock_edit_stale(
    client, sessions
) -> None:
    _, user, _, product = await approved_product(sessions, quantity="10")
    headers = await token_for(sessions, user)
    async with sessions.begin() as db:
        await ledger.apply_line(
            db,
            product.id,
            line_key="ebay:1:1",
            revision=1,
            before=LineStock(),
            after=LineStock(reserved=2),
        )
    resp = await client.patch(
        f"/api/v1/products/{product.id}",
        json={"quantity": 12, "version": product.version},
        headers=headers,
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert (body["quantity"], body["reserved"]) == (12, 2)
    async with sessions() as db:
        assert await ledger.verify(db, product.id) == (12, 2)


async def test_patching_price_alone_applies_at_once_and_stale_edits_get_409(
    client, sessions
) -> None:
    _, user, _, product = await approved_product(sessions)
    headers = await token_for(sessions, user)
    resp = await client.patch(
        f"/api/v1/products/{product.id}",
        json={
            "price_krw": 9900,
            "target_price_usd": "14.50",
            "version": product.version,
        },
        headers=headers,
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert (body["state"], body["price_krw"], body["target_price_usd"]) == (
        "approved",
        9900,
        "14.50",
    )
    assert body["version"] == product.version + 1
    assert body["revision"] is None
    # The version read before that edit is stale now.
    resp = await client.patch(
        f"/api/v1/products/{product.id}",
        json={"price_krw": 5000, "version": product.version},
        headers=headers,
    )
    assert resp.status == 409
    # Bad numbers: bilingual errors, nothing changed.
    resp = await client.patch(
        f"/api/v1/products/{product.id}",
        json={"quantity": -1, "price_krw": "abc", "version": body["version"]},
        headers=headers,
    )
    assert resp.status == 400
    fields = (await resp.json())["error"]["fields"]
    assert set(fields) == {"quantity", "price_krw"}
    assert fields["price_krw"]["ko"]
    assert fields["price_krw"]["en"]
    async with sessions() as db:
        stored = await db.get(Product, product.id)
        assert (stored.price_krw, stored.quantity) == (9900, 250)


async def test_content_patch_is_a_pending_revision_until_staff_approve(
    client, sessions
) -> None:
    _, user, staff, product = await approved_product(sessions)
    headers = await token_for(sessions, user)
    staff_headers = await token_for(sessions, staff)
    resp = await client.patch(
        f"/api/v1/products/{product.id}",
        json={
            "name_en": "Yuseong Chrysanthemum Tea, 30 Bags",
            "price_krw": 9100,
            "version": product.version,
        },
        headers=headers,
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["state"] == "approved"
    assert body["name_en"] == "Yuseong Chrysanthemum Tea"  # live content unchanged
    assert body["price_krw"] == 9100  # the price needs no review
    revision = body["revision"]
    assert revision["state"] == "pending"
    assert revision["content"]["name_en"] == "Yuseong Chrysanthemum Tea, 30 Bags"
    # Editing again changes the same pending revision.
    resp = await client.patch(
        f"/api/v1/products/{product.id}",
        json={"description_en": "Tea grown in Daejeon.", "version": body["version"]},
        headers=headers,
    )
    body = await resp.json()
    assert body["revision"]["id"] == revision["id"]
    assert body["revision"]["content"]["name_en"].endswith("30 Bags")
    # Companies cannot decide on revisions.
    resp = await client.post(
        f"/api/v1/products/{product.id}/revision/review",
        json={"action": "approve", "version": body["revision"]["version"]},
        headers=headers,
    )
    assert resp.status == 403
    resp = await client.post(
        f"/api/v1/products/{product.id}/revision/review",
        json={"action": "approve", "version": body["revision"]["version"]},
        headers=staff_headers,
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["state"] == "approved"
    assert body["name_en"] == "Yuseong Chrysanthemum Tea, 30 Bags"
    assert body["description_en"] == "Tea grown in Daejeon."
    assert body["revision"]["state"] == "approved"
    actions = [e.action for e in await _events(sessions, product.id)]
    assert actions[-4:] == [
        "stock_price_edit",
        "revision_propose",
        "revision_edit",
        "revision_approve",
    ]


async def test_rejecting_a_revision_keeps_the_approved_content(
    client, sessions
) -> None:
    _, user, staff, product = await approved_product(sessions)
    headers = await token_for(sessions, user)
    staff_headers = await token_for(sessions, staff)
    resp = await client.patch(
        f"/api/v1/products/{product.id}",
        json={"brand": "Other Brand", "version": product.version},
        headers=headers,
    )
    revision = (await resp.json())["revision"]
    resp = await client.post(
        f"/api/v1/products/{product.id}/revision/review",
        json={"action": "reject", "version": revision["version"]},
        headers=staff_headers,
    )
    assert resp.status == 400  # a rejection needs a reason
    resp = await client.post(
        f"/api/v1/products/{product.id}/revision/review",
        json={
            "action": "reject",
            "reason": "Keep the shared brand.",
            "version": revision["version"],
        },
        headers=staff_headers,
    )
    assert resp.status == 200
    resp = await client.get(f"/api/v1/products/{product.id}", headers=headers)
    body = await resp.json()
    assert body["brand"] == "Hanbit Farm"
    assert body["state"] == "approved"
    assert body["revision"]["state"] == "rejected"
    assert body["revision"]["reason"] == "Keep the shared brand."
    async with sessions() as db:
        revisions = list(await db.scalars(select(ProductRevision)))
    assert [r.state for r in revisions] == [RevisionState.REJECTED]


async def test_a_company_withdraws_its_pending_revision(client, sessions) -> None:
    _, user, _, product = await approved_product(sessions)
    headers = await token_for(sessions, user)
    resp = await client.patch(
        f"/api/v1/products/{product.id}",
        json={"hs_code": "0902200000", "version": product.version},
        headers=headers,
    )
    body = await resp.json()
    resp = await client.delete(
        f"/api/v1/products/{product.id}/revision?version={body['version']}",
        headers=headers,
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["revision"]["state"] == "withdrawn"
    assert body["hs_code"] == "0902100000"
    resp = await client.delete(
        f"/api/v1/products/{product.id}/revision?version={body['version']}",
        headers=headers,
    )
    assert resp.status == 409
