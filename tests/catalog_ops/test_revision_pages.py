"""Integration: the company's form splits stock from content; staff see the
revision's diff and decide."""

from __future__ import annotations

from sqlalchemy import select

from export_hub.catalog.models import Product, ProductRevision, ReviewState
from export_hub.mail import OutboxMessage
from export_hub.stock import ledger
from tests.catalog_ops.helpers import approved_product
from tests.conftest import login
from tests.foundation.helpers import PASSWORD, product_values


def _form(values: dict, csrf: str) -> dict:
    return values | {"csrf_token": csrf, "action": "save"}


async def test_form_edits_stock_at_once_and_content_as_a_revision(
    client, sessions
) -> None:
    _, user, staff, product = await approved_product(sessions, quantity="100")
    csrf = await login(client, user.email, PASSWORD)
    page = await (await client.get(f"/company/products/{product.id}/edit")).text()
    assert "보유 재고" in page
    assert 'name="quantity_seen" value="100"' in page
    # Stock only: applied, still approved, no revision.
    resp = await client.post(
        f"/company/products/{product.id}",
        data=_form(
            product_values(quantity="3", quantity_seen="100", version=product.version),
            csrf,
        ),
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    async with sessions() as db:
        stored = await db.get(Product, product.id)
        assert (stored.state, stored.quantity) == (ReviewState.APPROVED, 3)
        assert await ledger.verify(db, product.id) == (3, 0)
        assert await db.scalar(select(ProductRevision)) is None
        version = stored.version
    # A content edit: the live name stays until staff approve.
    resp = await client.post(
        f"/company/products/{product.id}",
        data=_form(
            product_values(
                name_en="Daejeon Chrysanthemum Tea",
                quantity="3",
                quantity_seen="3",
                version=version,
            ),
            csrf,
        ),
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    async with sessions() as db:
        stored = await db.get(Product, product.id)
        assert stored.name_en == "Yuseong Chrysanthemum Tea"
        assert stored.state is ReviewState.APPROVED
    page = await (await client.get(f"/company/products/{product.id}")).text()
    assert "심사 중인 변경" in page
    assert "Daejeon Chrysanthemum Tea" in page
    edit = await (await client.get(f"/company/products/{product.id}/edit")).text()
    assert 'value="Daejeon Chrysanthemum Tea"' in edit  # editing it again
    client.session.cookie_jar.clear()
    csrf = await login(client, staff.email, PASSWORD)
    queue = await (await client.get("/staff/review")).text()
    assert "변경 심사 대기" in queue
    assert f"/staff/products/{product.id}" in queue
    review = await (await client.get(f"/staff/products/{product.id}")).text()
    assert 'data-field="name_en"' in review
    assert "제품명 (영문)" in review
    assert "Yuseong Chrysanthemum Tea" in review
    assert "Daejeon Chrysanthemum Tea" in review
    async with sessions() as db:
        revision = await db.scalar(select(ProductRevision))
    resp = await client.post(
        f"/staff/products/{product.id}/revision",
        data={
            "csrf_token": csrf,
            "action": "approve",
            "revision_version": str(revision.version),
        },
        allow_redirects=False,
    )
    assert resp.status == 303
    async with sessions() as db:
        stored = await db.get(Product, product.id)
        assert stored.name_en == "Daejeon Chrysanthemum Tea"
        assert stored.state is ReviewState.APPROVED
        mails = list(await db.scalars(select(OutboxMessage)))
    assert any("변경이 승인" in m.subject for m in mails)


async def test_an_unchanged_quantity_on_the_form_does_not_undo_a_shipment(
    client, sessions
) -> None:
    _, user, _, product = await approved_product(sessions, quantity="10")
    csrf = await login(client, user.email, PASSWORD)
    async with sessions.begin() as db:
        await ledger.apply_line(
            db,
            product.id,
            line_key="amazon:1:1",
            revision=1,
            before=ledger.LineStock(reserved=0),
            after=ledger.LineStock(consumed=2),
        )
    resp = await client.post(
        f"/company/products/{product.id}",
        data=_form(
            product_values(
                quantity="10",
                quantity_seen="10",
                price_krw="9100",
                version=product.version,
            ),
            csrf,
        ),
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    async with sessions() as db:
        stored = await db.get(Product, product.id)
        assert (stored.quantity, stored.price_krw) == (8, 9100)
