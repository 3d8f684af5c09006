"""Settings, log-in, CSRF and error handling of the web core."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from export_hub.accounts.models import Role
from export_hub.accounts.service import create_user
from export_hub.settings import SettingsError, load_settings
from export_hub.web.app import create_app
from tests.conftest import csrf_from, login


def test_secrets_are_asked_for_where_they_are_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no var/dev.env here
    cfg = tmp_path / "empty.toml"
    cfg.write_text("")
    settings = load_settings(cfg)  # commands without secrets load fine
    with pytest.raises(SettingsError) as info:
        create_app(settings)
    message = str(info.value)
    assert "web.session_key" in message
    assert "EXPORT_HUB_WEB__SESSION_KEY" in message
    key = Fernet.generate_key().decode()
    with pytest.raises(SettingsError, match=r"security\.secret_keys"):
        create_app(load_settings(cfg, web={"session_key": key}))


def test_dev_env_is_read_outside_production_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    key = Fernet.generate_key().decode()
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "dev.env").write_text(
        f"EXPORT_HUB_WEB__SESSION_KEY={key}\n"
        f"EXPORT_HUB_SECURITY__SECRET_KEYS='[\"{key}\"]'\n"
    )
    cfg = tmp_path / "dev.toml"
    cfg.write_text('environment = "development"\n')
    settings = load_settings(cfg)
    assert settings.web.cookie_key() == key
    assert settings.security.keys() == [key]
    cfg.write_text('environment = "production"\n')
    with pytest.raises(SettingsError, match=r"web\.session_key"):
        load_settings(cfg).web.cookie_key()
    cfg.write_text("")
    with pytest.raises(SettingsError, match=r"web\.session_key"):
        load_settings(cfg, environment="production").web.cookie_key()


def test_public_base_url_follows_the_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "empty.toml"
    cfg.write_text("")
    assert load_settings(cfg).web.public_base_url == "http://127.0.0.1:8080"
    monkeypatch.setenv("EXPORT_HUB_WEB__PORT", "8181")
    assert load_settings(cfg).web.public_base_url == "http://127.0.0.1:8181"
    monkeypatch.setenv("EXPORT_HUB_WEB__HOST", "0.0.0.0")  # noqa: S104
    assert load_settings(cfg).web.public_base_url == "http://127.0.0.1:8181"
    monkeypatch.setenv("EXPORT_HUB_WEB__PUBLIC_BASE_URL", "https://hub.example")
    assert load_settings(cfg).web.public_base_url == "https://hub.example"


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
    assert settings.web.cookie_key() == key
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
