"""End to end in Chromium: a company signs up, fills its profile, submits a
product with an image, fixes a validation error; staff approve it; the company
sees it approved."""

from __future__ import annotations

from pathlib import Path

import pytest

from export_hub.accounts.models import Role
from tests.browser import browser, live_server, log_in, log_out, page  # noqa: F401
from tests.foundation.helpers import PASSWORD, image_bytes, make_user, product_values

pytestmark = pytest.mark.browser

# Marketplace fields (categories per eBay site, item specifics) have their own
# controls on the form; the plain inputs are filled here.
FORM_FIELDS = [
    name
    for name in product_values()
    if name not in ("condition", "ebay_categories", "marketplace_attributes")
]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_company_to_approval_in_a_browser(page, sessions, tmp_path: Path) -> None:  # noqa: F811
    await make_user(sessions, Role.STAFF, "staff@example.kr")
    picture = tmp_path / "tea.png"
    picture.write_bytes(image_bytes("PNG", (320, 240)))

    # Sign up.
    await page.goto("/signup")
    await page.fill("#f-email", "owner@hanbit.example")
    await page.fill("#f-password", "a-long-password-1")
    await page.fill("#f-password_confirm", "a-long-password-1")
    await page.fill("#f-name_ko", "한빛식품")
    await page.fill("#f-name_en", "Hanbit Foods")
    await page.fill("#f-brn", "305-81-12341")
    await page.click("form.form button[type=submit]")
    await page.wait_for_url("**/company/profile?welcome=1")

    # Profile: a non-Daejeon postal code first, then the right one.
    await page.fill("#f-representative", "이한빛")
    await page.fill("#f-postal_code", "06236")
    await page.fill("#f-address_ko", "대전광역시 유성구 대학로 99")
    await page.fill("#f-contact_name", "박수진")
    await page.fill("#f-phone", "042-861-1234")
    await page.click("form.form button[type=submit]")
    assert "대전 지역 우편번호" in await page.text_content("#err-postal_code")
    assert await page.input_value("#f-representative") == "이한빛"
    await page.fill("#f-postal_code", "34126")
    await page.click("form.form button[type=submit]")
    await page.wait_for_url("**/company/profile?saved=1")

    # A product with a wrong GTIN check digit and an image.
    await page.goto("/company/products/new")
    values = product_values(gtin="8801234567890")
    for name in FORM_FIELDS:
        await page.fill(f"#f-{name}", str(values[name]))
    await page.set_input_files("#f-images", str(picture))
    await page.click("button[value=submit]")
    error = await page.text_content("#err-gtin")
    assert "GTIN 검증 숫자가 올바르지 않습니다" in error
    assert await page.get_attribute("#f-gtin", "aria-invalid") == "true"
    assert await page.input_value("#f-name_en") == values["name_en"]
    await page.fill("#f-gtin", "8801234567893")
    await page.set_input_files("#f-images", str(picture))
    await page.click("button[value=submit]")
    await page.wait_for_url("**/company/products/*?saved=1")
    assert "심사 대기" in await page.text_content("h1")
    image = page.locator("ul.thumbs img").first
    assert await image.evaluate("img => img.naturalWidth") == 320
    product_url = page.url.split("?")[0]

    # Staff approve it.
    await log_out(page)
    await log_in(page, "staff@example.kr", PASSWORD)
    # Staff land on the programme dashboard; its to-do list links the queue.
    await page.wait_for_load_state()
    await page.goto(
        page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + "/staff/review"
    )
    await page.click("text=TEST-001")
    await page.click("button[value=approve]")
    await page.wait_for_load_state()
    assert "승인" in await page.text_content("h1 .badge")

    # The company sees it approved.
    await log_out(page)
    await log_in(page, "owner@hanbit.example", "a-long-password-1")
    await page.goto("/company")
    assert "승인" in await page.text_content("table tbody tr .badge")
    await page.goto(product_url + "?lang=en")
    assert "Approved" in await page.text_content("h1 .badge")
