"""Users on pages: admins create and deactivate agency users; a company
invites and removes colleagues; the company search box."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from export_hub.accounts.companies import company_by_brn
from export_hub.accounts.models import ApiToken, Company, Role, User, UserSession
from export_hub.accounts.picker import search_companies
from export_hub.catalog.models import AuditEvent
from export_hub.consultations.models import Office
from export_hub.errors import ValidationFailed
from export_hub.listings.models import SyncRun
from export_hub.mail import OutboxMessage
from tests.conftest import csrf_from, login
from tests.foundation.helpers import PASSWORD, make_company_user, make_user

LINK = re.compile(r"http://[^/\s]+(/invite/[A-Za-z0-9_-]+)")
NEW_PASSWORD = "a-brand-new-passphrase"


async def _office(sessions: Any, code: str = "LAX") -> None:
    async with sessions.begin() as db:
        db.add(
            Office(
                code=code,
                name_ko="로스앤젤레스",
                name_en="Los Angeles",
                city="Los Angeles",
                country="US",
                time_zone="America/Los_Angeles",
            )
        )


async def _mails(sessions: Any, to: str) -> list[OutboxMessage]:
    async with sessions() as db:
        rows = await db.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == to)
        )
        return list(rows)


async def _audit(sessions: Any, action: str) -> list[AuditEvent]:
    async with sessions() as db:
        rows = await db.scalars(
            select(AuditEvent).where(
                AuditEvent.subject_type == "user", AuditEvent.action == action
            )
        )
        return list(rows)


async def _accept(client: Any, mail: OutboxMessage) -> None:
    body = mail.parsed().get_body(preferencelist=("plain",)).get_content()
    path = LINK.search(body).group(1)
    client.session.cookie_jar.clear()
    csrf = await csrf_from(client, path)
    resp = await client.post(
        path,
        data={
            "csrf_token": csrf,
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        },
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()


async def test_admin_creates_an_office_user_who_sets_a_password(
    client, sessions
) -> None:
    await _office(sessions)
    admin = await make_user(sessions, Role.ADMIN, "admin@example.kr")
    csrf = await login(client, admin.email, PASSWORD)
    page = await client.get("/admin/users")
    assert page.status == 200
    assert "LAX · 로스앤젤레스" in await page.text()
    resp = await client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "email": "lax.new@example.kr",
            "name": "Jane",
            "role": "office",
            "office_code": "LAX",
            "language": "en",
        },
        allow_redirects=False,
    )
    assert resp.status == 303
    done = await (await client.get(resp.headers["Location"])).text()
    assert "비밀번호 설정 링크를 메일로 보냈습니다" in done
    async with sessions() as db:
        user = await db.scalar(select(User).where(User.email == "lax.new@example.kr"))
    assert user.role is Role.OFFICE
    assert user.office_code == "LAX"
    [mail] = await _mails(sessions, user.email)
    assert mail.language == "en"
    assert "invitation" in mail.subject
    [event] = await _audit(sessions, "create")
    assert event.actor_user_id == admin.id
    assert event.subject_id == user.id
    await _accept(client, mail)
    await login(client, user.email, NEW_PASSWORD)
    assert (await client.get("/office", allow_redirects=False)).status != 403


async def test_bad_new_user_changes_nothing_and_answers_in_both_languages(
    client, sessions
) -> None:
    admin = await make_user(sessions, Role.ADMIN, "admin@example.kr")
    csrf = await login(client, admin.email, PASSWORD)
    for data, ko, en in [
        ({"email": "not-an-address", "role": "staff"}, "이메일", "e-mail"),
        ({"email": "x@example.kr", "role": "company"}, "역할을", "Choose a role"),
        ({"email": "x@example.kr", "role": "office"}, "사무소를", "Choose the office"),
        ({"email": admin.email, "role": "staff"}, "이미 가입된", "Already registered"),
    ]:
        resp = await client.post("/admin/users", data={"csrf_token": csrf, **data})
        body = await resp.text()
        assert resp.status == 400, data
        assert ko in body, data
        assert en in body, data
    async with sessions() as db:
        assert len(list(await db.scalars(select(User)))) == 1
        assert list(await db.scalars(select(OutboxMessage))) == []


async def test_only_admins_manage_users(client, sessions) -> None:
    staff = await make_user(sessions, Role.STAFF, "staff@example.kr")
    csrf = await login(client, staff.email, PASSWORD)
    assert (await client.get("/admin/users")).status == 403
    resp = await client.post(
        "/admin/users",
        data={"csrf_token": csrf, "email": "y@example.kr", "role": "admin"},
    )
    assert resp.status == 403
    resp = await client.post(
        f"/admin/users/{staff.id}/deactivate", data={"csrf_token": csrf}
    )
    assert resp.status == 403


async def test_deactivation_ends_sessions_and_tokens(client, sessions) -> None:
    admin = await make_user(sessions, Role.ADMIN, "admin@example.kr")
    staff = await make_user(sessions, Role.STAFF, "staff@example.kr")
    await login(client, staff.email, PASSWORD)
    csrf = await csrf_from(client, "/account/tokens")
    await client.post("/account/tokens", data={"csrf_token": csrf, "label": "ci"})
    client.session.cookie_jar.clear()
    csrf = await login(client, admin.email, PASSWORD)
    resp = await client.post(
        f"/admin/users/{staff.id}/deactivate",
        data={"csrf_token": csrf, "reason": "left the agency"},
        allow_redirects=False,
    )
    assert resp.status == 303
    async with sessions() as db:
        user = await db.get(User, staff.id)
        open_sessions = await db.scalars(
            select(UserSession).where(
                UserSession.user_id == staff.id, UserSession.revoked_at.is_(None)
            )
        )
        open_tokens = await db.scalars(
            select(ApiToken).where(
                ApiToken.user_id == staff.id, ApiToken.revoked_at.is_(None)
            )
        )
        assert not user.is_active
        assert list(open_sessions) == []
        assert list(open_tokens) == []
    [event] = await _audit(sessions, "deactivate")
    assert event.reason == "left the agency"
    assert event.to_state == "inactive"
    # Not yourself: the admin's own row offers no deactivation, and the
    # handler refuses it.
    resp = await client.post(
        f"/admin/users/{admin.id}/deactivate", data={"csrf_token": csrf}
    )
    assert resp.status == 409
    assert "자기 계정" in await resp.text()
    resp = await client.post(
        f"/admin/users/{staff.id}/reactivate",
        data={"csrf_token": csrf},
        allow_redirects=False,
    )
    assert resp.status == 303
    assert len(await _audit(sessions, "reactivate")) == 1


async def test_company_invites_and_removes_a_colleague(client, sessions) -> None:
    _company, owner = await make_company_user(sessions, 0)
    csrf = await login(client, owner.email, PASSWORD)
    resp = await client.post(
        "/company/team",
        data={"csrf_token": csrf, "email": "colleague@example.kr", "language": "ko"},
        allow_redirects=False,
    )
    assert resp.status == 303
    page = await (await client.get("/company/team")).text()
    assert "colleague@example.kr" in page
    assert "초대됨" in page
    [mail] = await _mails(sessions, "colleague@example.kr")
    assert mail.language == "ko"
    assert "초대" in mail.subject
    assert len(await _audit(sessions, "invite")) == 1
    await _accept(client, mail)
    # A spent link does not work twice.
    body = mail.parsed().get_body(preferencelist=("plain",)).get_content()
    assert (await client.get(LINK.search(body).group(1))).status == 400
    await login(client, "colleague@example.kr", NEW_PASSWORD)
    client.session.cookie_jar.clear()
    csrf = await login(client, owner.email, PASSWORD)
    async with sessions() as db:
        colleague = await db.scalar(
            select(User).where(User.email == "colleague@example.kr")
        )
    resp = await client.post(
        f"/company/team/{colleague.id}/remove",
        data={"csrf_token": csrf},
        allow_redirects=False,
    )
    assert resp.status == 303
    async with sessions() as db:
        assert not (await db.get(User, colleague.id)).is_active
    assert len(await _audit(sessions, "remove")) == 1
    # The last user stays.
    resp = await client.post(
        f"/company/team/{owner.id}/remove", data={"csrf_token": csrf}
    )
    assert resp.status == 409
    body = await resp.text()
    assert "마지막 사용자" in body
    assert "last user" in body


async def test_a_company_cannot_touch_another_company_or_bad_invites(
    client, sessions
) -> None:
    _, other = await make_company_user(sessions, 1)
    _, owner = await make_company_user(sessions, 0)
    csrf = await login(client, owner.email, PASSWORD)
    resp = await client.post(
        f"/company/team/{other.id}/remove", data={"csrf_token": csrf}
    )
    assert resp.status == 404
    resp = await client.post("/company/team", data={"csrf_token": csrf, "email": "bad"})
    assert resp.status == 400
    body = await resp.text()
    assert "이메일" in body
    assert "e-mail" in body
    resp = await client.post(
        "/company/team", data={"csrf_token": csrf, "email": other.email}
    )
    assert resp.status == 400
    assert "Already registered" in await resp.text()
    async with sessions() as db:
        assert (await db.get(User, other.id)).is_active
        assert list(await db.scalars(select(OutboxMessage))) == []
    staff = await make_user(sessions, Role.STAFF, "staff@example.kr")
    client.session.cookie_jar.clear()
    await login(client, staff.email, PASSWORD)
    assert (await client.get("/company/team")).status == 403


async def test_company_search_box_finds_by_name_or_number(client, sessions) -> None:
    company, _ = await make_company_user(sessions, 2)  # BRN 3068127814
    staff = await make_user(sessions, Role.STAFF, "staff@example.kr")
    await login(client, staff.email, PASSWORD)
    for q in ("306-81-27814", "3068127814", "306-81", "테스트기업2", "test company 2"):
        data = await (
            await client.get("/staff/companies/search.json", params={"q": q})
        ).json()
        assert [r["id"] for r in data["results"]] == [company.id], q
    data = await (
        await client.get("/staff/companies/search.json", params={"q": "%"})
    ).json()
    assert data["results"] == []
    client.session.cookie_jar.clear()
    _, owner = await make_company_user(sessions, 0)
    await login(client, owner.email, PASSWORD)
    resp = await client.get("/staff/companies/search.json", params={"q": "테스트"})
    assert resp.status == 403


async def test_listings_accept_a_registration_number_with_dashes(
    client, sessions
) -> None:
    await make_company_user(sessions, 1)  # BRN 3148620457
    staff = await make_user(sessions, Role.STAFF, "staff@example.kr")
    csrf = await login(client, staff.email, PASSWORD)
    page = await client.get("/staff/listings", params={"company": "314-86-20457"})
    assert page.status == 200
    assert "data-company-picker" in await page.text()
    resp = await client.post(
        "/staff/sync",
        data={"csrf_token": csrf, "company": "314-86-20457", "dry_run": "1"},
        allow_redirects=False,
    )
    await resp.read()  # the tests run no job runner: the run is recorded only
    async with sessions() as db:
        [run] = list(await db.scalars(select(SyncRun)))
    assert run.company_brn == "3148620457"
    resp = await client.post(
        "/staff/sync", data={"csrf_token": csrf, "company": "999-99-99999"}
    )
    assert resp.status == 400
    body = await resp.text()
    assert "해당하는 기업이 없습니다" in body
    assert "No company matches" in body
    async with sessions() as db:
        found = await db.scalar(select(Company.id).where(Company.brn == "9999999999"))
    assert found is None


async def test_every_staff_company_box_takes_a_name_or_a_dashed_number(
    client, sessions
) -> None:
    company, _ = await make_company_user(sessions, 1)  # BRN 3148620457
    await make_company_user(sessions, 0)
    staff = await make_user(sessions, Role.STAFF, "staff@example.kr")
    await login(client, staff.email, PASSWORD)
    for path in ("/staff/orders", "/reports/export-results", "/staff/import"):
        page = await client.get(path, params={"company": "314-86-20457"})
        assert page.status == 200, path
        assert "data-company-picker" in await page.text(), path
    page = await client.get("/staff/import/stock")
    assert "data-company-picker" in await page.text()
    async with sessions() as db:
        for typed in ("314-86-20457", "3148620457", "테스트기업1", "Test Company 1"):
            assert (await company_by_brn(db, typed)).id == company.id, typed
        label = (await search_companies(db, "314-86"))[0].label
        assert (await company_by_brn(db, label)).id == company.id
        for typed, problem in (("테스트기업", "Several"), ("nobody", "No company")):
            with pytest.raises(ValidationFailed) as info:
                await company_by_brn(db, typed)
            assert problem in info.value.fields["brn"].en
    resp = await client.get("/reports/export-results", params={"company": "테스트기업"})
    assert resp.status == 400


async def test_sessions_and_tokens_pages_link_to_each_other(client, sessions) -> None:
    staff = await make_user(sessions, Role.STAFF, "staff@example.kr")
    await login(client, staff.email, PASSWORD)
    sessions_page = await (await client.get("/account/sessions")).text()
    tokens_page = await (await client.get("/account/tokens")).text()
    assert 'href="/account/tokens" id="to-tokens"' in sessions_page
    assert 'href="/account/sessions" id="to-sessions"' in tokens_page
