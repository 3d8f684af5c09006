"""The product form asks for what the chosen category and product type need,
refuses values outside the allowed choices, and the pickers search by Korean
and English words (real database, the web app over a socket)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from export_hub.catalog.models import Product
from tests.catalog_ops.helpers import approved_product
from tests.conftest import login
from tests.foundation.helpers import PASSWORD, make_company_user, product_values
from tests.foundation.test_api import token_for


def _posted(values: dict, csrf: str, action: str) -> dict:
    given = {"ebay_categories": "{}"} | values
    return product_values(**given) | {"csrf_token": csrf, "action": action}


async def test_the_form_shows_the_required_aspects_of_the_chosen_category(
    client, sessions
) -> None:
    _, user = await make_company_user(sessions)
    csrf = await login(client, user.email, PASSWORD)
    blank = await (await client.get("/company/products/new")).text()
    assert 'list="category-options"' in blank
    assert '<option value="cookware">' in blank
    assert 'src="/static/picker.js"' in blank
    assert 'name="ebay_attr-material"' not in blank
    # Without JavaScript: "Show the fields" re-renders without saving.
    resp = await client.post(
        "/company/products",
        data=_posted(
            {"category": "cookware", "amazon_product_type": "HOME_BED_AND_BATH"},
            csrf,
            "refresh",
        ),
    )
    page = await resp.text()
    assert resp.status == 200
    assert 'name="ebay_attr-material"' in page
    assert "재질" in page
    assert "(Material)" in page
    assert '<option value="Stainless Steel">' in page
    assert "Töpfe &amp; Pfannen" in page  # the DE category, id 36029
    assert "36029" in page
    assert 'name="amazon_attr-material"' in page  # required by the product type
    assert 'name="ebay_category-EBAY_GB"' in page
    async with sessions() as db:
        assert await db.scalar(select(func.count()).select_from(Product)) == 0


async def test_a_value_outside_the_choices_is_refused_and_nothing_saved(
    client, sessions
) -> None:
    _, user = await make_company_user(sessions)
    csrf = await login(client, user.email, PASSWORD)
    resp = await client.post(
        "/company/products",
        data=_posted(
            {"category": "cookware", "ebay_attr-material": "Wood"}, csrf, "save"
        ),
    )
    page = await resp.text()
    assert resp.status == 400
    assert 'id="err-ebay_attr-material"' in page
    assert "목록에 있는 값" in page
    assert "choose one of the allowed values" in page
    async with sessions() as db:
        assert await db.scalar(select(func.count()).select_from(Product)) == 0
    resp = await client.post(
        "/company/products",
        data=_posted(
            {
                "category": "cookware",
                "ebay_attr-material": "Stainless Steel",
                "ebay_category-EBAY_AU": "20637",
            },
            csrf,
            "save",
        ),
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    async with sessions() as db:
        product = await db.scalar(select(Product))
    assert product.marketplace_attributes == {"ebay": {"Material": "Stainless Steel"}}
    assert product.ebay_categories == {"EBAY_AU": "20637"}
    edit = await (await client.get(f"/company/products/{product.id}/edit")).text()
    assert '<option value="Stainless Steel" selected>' in edit
    assert (
        'name="ebay_category-EBAY_AU" id="f-ebay_category-EBAY_AU" value="20637"'
        in edit
    )


async def test_the_pickers_search_by_korean_and_english_words(client, sessions) -> None:
    _, user = await make_company_user(sessions)
    await login(client, user.email, PASSWORD)

    async def values(kind: str, q: str) -> list[str]:
        resp = await client.get(
            "/company/taxonomy/search.json", params={"kind": kind, "q": q}
        )
        assert resp.status == 200
        return [r["value"] for r in json.loads(await resp.text())["results"]]

    assert await values("category", "냄비") == ["cookware"]
    assert await values("category", "cookware") == ["cookware"]
    assert await values("product_type", "텀블러") == ["DRINKING_CUP"]
    assert await values("product_type", "towel") == ["HOME_BED_AND_BATH"]
    page = await (
        await client.get("/company/taxonomy/search", params={"q": "프라이팬"})
    ).text()
    assert "<code>cookware</code>" in page


async def test_the_search_needs_a_signed_in_user(client) -> None:
    resp = await client.get(
        "/company/taxonomy/search.json", params={"q": "tea"}, allow_redirects=False
    )
    assert resp.status in (302, 303, 401)


async def test_the_api_takes_attributes_as_objects_and_they_wait_for_review(
    client, sessions
) -> None:
    _, user, _, product = await approved_product(sessions, category="cookware")
    headers = await token_for(sessions, user)
    refused = await client.patch(
        f"/api/v1/products/{product.id}",
        json={
            "version": product.version,
            "marketplace_attributes": {"ebay": {"Material": "Wood"}},
        },
        headers=headers,
    )
    assert refused.status == 400, await refused.text()
    assert "ebay_attr-material" in await refused.text()
    resp = await client.patch(
        f"/api/v1/products/{product.id}",
        json={
            "version": product.version,
            "marketplace_attributes": {"ebay": {"Material": "Copper"}},
            "ebay_categories": {"EBAY_DE": "36029"},
        },
        headers=headers,
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["marketplace_attributes"] == {}  # live content unchanged
    assert body["revision"]["content"]["marketplace_attributes"] == {
        "ebay": {"Material": "Copper"}
    }
    # A field given replaces the whole object, like every other field.
    assert body["revision"]["content"]["ebay_categories"] == {"EBAY_DE": "36029"}
