"""Text that would break later is refused where it enters; mail building
refuses no stored value; settings that cannot work are refused where set."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from sqlalchemy import select

from export_hub.consultations.models import Office
from export_hub.errors import FieldErrors
from export_hub.mail import Mail, OutboxMessage, build_message, enqueue
from export_hub.settings import MailSettings
from export_hub.validation import (
    bad_character,
    clean_date,
    clean_instant,
    clean_int,
    clean_zone,
    is_id,
    validate_email,
    validate_text,
)
from export_hub.web.auth import issue_api_token
from tests.consultations.conftest import World, logged_in
from tests.foundation.helpers import product_values

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "ok"),
    [("1", True), ("2147483647", True), ("2147483648", False), ("²", False),
     ("01", False), ("0", False), ("-1", False), ("١", False), ("", False)],
)  # fmt: skip
def test_ids_are_canonical_ascii_in_the_integer_range(text: str, ok: bool) -> None:
    assert is_id(text) is ok


@pytest.mark.parametrize("value", [True, False, 2**31, -1, "²", "1.0", 1.0, [1]])
def test_clean_int_refuses_booleans_floats_and_the_out_of_range(value: Any) -> None:
    errors = FieldErrors()
    assert clean_int(value, errors, "n", lo=0) is None
    assert "n" in errors.errors


def test_dates_instants_and_zones_stay_inside_their_bounds() -> None:
    errors = FieldErrors()
    assert clean_date("2026-12-01", errors, "d") == dt.date(2026, 12, 1)
    assert clean_date("9999-12-31", errors, "late") is None
    assert clean_date("0001-01-01", errors, "early") is None
    assert clean_instant("9999-12-31T23:59:59-23:59", errors, "i") is None
    assert clean_zone("America", errors, "folder") == "America"
    assert clean_zone("Europe/Berlin", errors, "zone") == "Europe/Berlin"
    assert set(errors.errors) == {"late", "early", "i", "folder"}


def test_single_line_text_refuses_line_breaks_and_control_characters() -> None:
    errors = FieldErrors()
    validate_text("Tea\r\nBcc: x@example.kr", errors, "name", max_len=200)
    validate_text("Line one\nline two", errors, "description", max_len=200,
                  multiline=True)  # fmt: skip
    validate_text("NUL\x00", errors, "notes", max_len=200, multiline=True)
    assert set(errors.errors) == {"name", "notes"}
    assert bad_character("fine\u2028") == "\u2028"


@pytest.mark.parametrize("address", ["a@b", "x@@example.kr", "a b@example.kr",
                                     "a@example.kr\r\nBcc: y@example.kr"])  # fmt: skip
def test_email_addresses_are_checked_by_a_real_validator(address: str) -> None:
    errors = FieldErrors()
    validate_email(address, errors)
    assert "email" in errors.errors


def test_a_stored_line_break_in_a_subject_is_folded_not_fatal() -> None:
    mail = Mail(to="kim@example.kr", subject="Review: Tea\r\nBcc: evil@example.kr",
                body="Hello")  # fmt: skip
    message = build_message(mail, "hub@example.kr", NOW)
    assert message["Subject"] == "Review: Tea Bcc: evil@example.kr"
    assert message["Bcc"] is None


async def test_an_invalid_stored_recipient_is_skipped_with_a_warning(
    sessions, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="export_hub.mail")
    async with sessions.begin() as db:
        mail = Mail(to="not-an-address", subject="s", body="b", related="booking:1")
        row = enqueue(db, MailSettings(), mail, NOW)
        assert row is None
    async with sessions() as db:
        assert list(await db.scalars(select(OutboxMessage))) == []
    assert "invalid recipient" in caplog.text
    assert "not-an-address" not in caplog.text


async def test_a_product_name_with_a_line_break_is_refused_by_the_api(
    web_client, sessions, world: World
) -> None:
    async with sessions.begin() as db:
        token = await issue_api_token(db, world.company_user, "t")
    body = product_values(sku="CRLF-1", name_en="Tea\r\nBcc: x@example.kr")
    resp = await web_client.post(
        "/api/v1/products", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status == 400
    assert "name_en" in (await resp.json())["error"]["fields"]


def settings_form(office: Office, csrf: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf, "meeting_minutes": "60", "buffer_before_minutes": "0",
        "buffer_after_minutes": "15", "min_notice_hours": "24", "horizon_days": "60",
        "max_per_day": "0", "max_per_company": "0", "notify_language": "en",
        "contact_name": "Frankfurt desk", "contact_email": "fra@office.example",
        "contact_phone": "+49 69 1234567", "video_mode": "meet_jit_si",
        "pasted_video_link": "",
    }  # fmt: skip
    return form | changes


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"video_mode": "jitsi_jwt"}, "video_mode", "jitsi_app_secret"),
        ({"contact_email": "desk@"}, "contact_email", "valid e-mail"),
        ({"contact_name": "Desk\r\nBcc: x@example.kr"}, "contact_name", "One line"),
    ],
)
async def test_office_settings_refuse_what_cannot_work(
    web_client, sessions, world: World, changes, field, message
) -> None:
    office = world.offices["FRA"]
    csrf = await logged_in(web_client, world.office_user.email)
    resp = await web_client.post(
        f"/office/settings?code={office.code}&lang=en",
        data=settings_form(office, csrf, **changes),
        allow_redirects=False,
    )
    assert resp.status == 400
    assert message in await resp.text()
    async with sessions() as db:
        stored = await db.get_one(Office, office.id)
    assert stored.video_mode == office.video_mode
    assert stored.contact_email == office.contact_email
    assert stored.contact_name == office.contact_name
