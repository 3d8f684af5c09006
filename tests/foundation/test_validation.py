"""Unit tests: field validators, the product and company validators."""

from __future__ import annotations

from decimal import Decimal

import pytest

from export_hub.accounts.companies import clean_company, clean_sign_up
from export_hub.catalog.models import Condition
from export_hub.catalog.validation import clean_product
from export_hub.errors import FieldErrors, ValidationFailed
from export_hub.validation import validate_brn, validate_gtin
from tests.foundation.helpers import product_values


@pytest.mark.parametrize("brn", ["124-81-00998", "2208162517", "116 82 00276"])
def test_real_business_registration_numbers_pass(brn: str) -> None:
    errors = FieldErrors()
    assert validate_brn(brn, errors) == brn.replace("-", "").replace(" ", "")
    assert not errors


@pytest.mark.parametrize("brn", ["124-81-00999", "1248100990", "12481009", "abc"])
def test_business_registration_number_check_digit_is_enforced(brn: str) -> None:
    errors = FieldErrors()
    validate_brn(brn, errors)
    assert "brn" in errors.errors
    assert "사업자등록번호" in errors.errors["brn"].ko


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("8801234567893", True),  # EAN-13
        ("036000291452", True),  # UPC-A
        ("8801234567890", False),  # wrong check digit
        ("036000291453", False),
        ("96385074", False),  # EAN-8 is not accepted
    ],
)
def test_gtin_check_digit(value: str, ok: bool) -> None:
    errors = FieldErrors()
    validate_gtin(value, errors)
    assert bool(errors) is not ok


def test_valid_product_is_cleaned() -> None:
    fields = clean_product(product_values())
    assert fields.price_krw == 9000
    assert fields.target_price_usd == Decimal("12.90")
    assert fields.bullets_en == ["Caffeine free", "30 tea bags"]
    assert fields.condition is Condition.NEW
    assert fields.country_of_origin == "KR"


def test_product_errors_are_all_reported_bilingually() -> None:
    values = product_values(
        sku="bad sku!",
        name_en="국화차",
        bullets_en="One\nTwo\nThree\nFour\nFive\nSix",
        gtin="8801234567890",
        hs_code="12",
        cost_krw="0",
        price_krw="-5",
        quantity="-1",
        weight_g="heavy",
        condition="broken",
        target_price_usd="abc",
        country_of_origin="KOR",
    )
    with pytest.raises(ValidationFailed) as info:
        clean_product(values)
    fields = info.value.fields
    assert set(fields) == {
        "sku",
        "name_en",
        "bullets_en",
        "gtin",
        "hs_code",
        "cost_krw",
        "price_krw",
        "quantity",
        "weight_g",
        "condition",
        "target_price_usd",
        "country_of_origin",
    }
    assert all(text.ko and text.en for text in fields.values())
    assert "check digit" in fields["gtin"].en


def test_gtin_or_exemption_is_required_and_bullets_reject_hangul() -> None:
    with pytest.raises(ValidationFailed) as info:
        clean_product(product_values(gtin="", bullets_en=["좋은 차"]))
    assert set(info.value.fields) == {"gtin", "bullets_en"}
    fields = clean_product(product_values(gtin="", gtin_exempt="on"))
    assert fields.gtin is None
    assert fields.gtin_exempt is True


def test_json_values_are_accepted() -> None:
    fields = clean_product(
        product_values(
            bullets_en=["A", "B"],
            gtin_exempt=False,
            cost_krw=100,
            price_krw=200.0,
            target_price_usd=19.9,
        )
    )
    assert fields.price_krw == 200
    assert fields.target_price_usd == Decimal("19.90")


def test_company_profile_validation() -> None:
    good = {
        "name_ko": "한빛식품",
        "name_en": "Hanbit Foods",
        "brn": "305-81-12341",
        "representative": "이한빛",
        "postal_code": "34126",
        "address_ko": "대전 유성구",
        "contact_name": "박수진",
        "email": "A@Example.kr",
        "phone": "042-861-1234",
        "website": "https://hanbit.example",
    }
    fields = clean_company(good)
    assert fields.values["brn"] == "3058112341"
    assert fields.values["email"] == "a@example.kr"
    with pytest.raises(ValidationFailed) as info:
        clean_company(
            good
            | {
                "postal_code": "06236",
                "website": "javascript:alert(1)",
                "brn": "3058112342",
                "name_en": "한빛",
            }
        )
    assert set(info.value.fields) == {"postal_code", "website", "brn", "name_en"}
    assert "대전" in info.value.fields["postal_code"].ko


def test_sign_up_checks_account_and_company_together() -> None:
    with pytest.raises(ValidationFailed) as info:
        clean_sign_up(
            {
                "email": "x",
                "password": "short",
                "password_confirm": "other",
                "name_ko": "",
                "name_en": "Co",
                "brn": "1234567890",
            }
        )
    assert set(info.value.fields) == {
        "email",
        "password",
        "password_confirm",
        "name_ko",
        "brn",
    }
