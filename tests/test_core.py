"""Settings, log-in, CSRF and error handling of the web core."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from export_hub.accounts.models import Role
from export_hub.accounts.service import create_user
from export_hub.settings import SettingsError, load_settings
from tests.conftest import csrf_from, login


def test_settings_fail_clearly_when_secrets_are_missing(tmp_path: Path) -> None:
    cfg = tmp_path / "empty.toml"
    cfg.write_text("")
    with pytest.raises(SettingsError) as info:
        load_settings(cfg)
    message = str(info.value)
    assert "web.session_key" in message
    assert "EXPORT_HUB_WEB__SESSION_KEY" in message
    assert "security.secret_keys" in message


def test_settings_mask_secrets_and_read_nested_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("EXPORT_HUB_WEB__SESSION_KEY", key)
    monkeypatch.setenv("EXPORT_HUB_SECURITY__SECRET_KEYS", f'["{key}"]')
    monkeypatch.setenv("EXPORT_HUB_DATABASE__URL", "sqlite+aiosqlite:///x.db")
    settings = load_settings()
    assert settings.database.url == "sqlite+aiosqlite:///x.db"
    assert key not in repr(settings)
    assert settings.web.session_key.get_secret_value() == key
    with pytest.raises(Exception, match="frozen"):
        settings.log_level = "DEBUG"  # type: ignore[misc]


async def test_login_logout_and_csrf(client, sessions) -> None:
    async with sessions.begin() as db:
        await create_user(
            db, email="staff@example.kr", password="correct-horse-1", role=Role.STAFF
        )
    token = await csrf_from(client)
    resp = await client.post(
        "/login",
        data={"email": "staff@example.kr", "password": "nope", "csrf_token": token},
    )
    assert resp.status == 400
    body = await resp.text()
    assert "비밀번호가 올바르지 않습니다" in body
    assert "Wrong e-mail address or password" in body
    resp = await client.post(
        "/login", data={"email": "staff@example.kr", "password": "correct-horse-1"}
    )
    assert resp.status == 400
    assert "보안 토큰" in await resp.text()
    await login(client, "staff@example.kr", "correct-horse-1")
    resp = await client.post("/logout", allow_redirects=False)
    assert resp.status == 400  # no CSRF token


async def test_login_is_throttled_after_repeated_failures(client, sessions) -> None:
    async with sessions.begin() as db:
        await create_user(
            db, email="a@example.kr", password="correct-horse-1", role=Role.STAFF
        )
    token = await csrf_from(client)
    for _ in range(5):
        await client.post(
            "/login",
            data={"email": "a@example.kr", "password": "x", "csrf_token": token},
        )
    resp = await client.post(
        "/login",
        data={
            "email": "a@example.kr",
            "password": "correct-horse-1",
            "csrf_token": token,
        },
    )
    assert resp.status == 429
    assert "로그인 시도가 너무 많습니다" in await resp.text()


async def test_api_errors_are_json(client) -> None:
    resp = await client.get("/api/v1/does-not-exist")
    assert resp.status == 404
    body = await resp.json()
    assert set(body["error"]) >= {"code", "message", "fields"}
