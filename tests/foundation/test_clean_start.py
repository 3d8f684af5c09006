"""A fresh shell after ``make run``: the README's commands work as written.

Each command runs as ``python -m export_hub`` in a subprocess whose
environment has no ``EXPORT_HUB_*`` variable, in a scratch directory laid out
like the repository after ``make run`` (``config/`` and a ``var/dev.env``
written by ``export_hub.devkeys``). ``PYTHONPATH`` points at this checkout so
the code under test is the one imported.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from export_hub.demo.ebay import demo_emulator
from export_hub.logging import configure_logging
from export_hub.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
HELP_COMMANDS = [
    ["serve"],
    ["db", "upgrade"],
    ["users", "create"],
    ["users", "token"],
    ["import", "products"],
    ["demo"],
    ["emulate", "amazon"],
    ["sync"],
]


def _fresh_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPORT_HUB_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory as after ``make run``: config and var/dev.env."""
    where = tmp_path_factory.mktemp("fresh")
    (where / "config").symlink_to(ROOT / "config")
    (where / "var").mkdir()
    keys = subprocess.run(
        [sys.executable, "-m", "export_hub.devkeys"],
        cwd=where,
        env=_fresh_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    (where / "var" / "dev.env").write_text(keys.stdout)
    return where


def _run(shell: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "export_hub", *args],
        cwd=shell,
        env=_fresh_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Field required" not in result.stdout + result.stderr, result.stderr
    return result


@pytest.mark.parametrize("command", HELP_COMMANDS, ids=" ".join)
def test_every_readme_command_answers_help(shell: Path, command: list[str]) -> None:
    result = _run(shell, *command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


def test_users_token_works_in_a_fresh_shell(shell: Path) -> None:
    assert _run(shell, "db", "upgrade").returncode == 0
    created = _run(
        shell,
        "users",
        "create",
        "--email",
        "fresh@example.kr",
        "--role",
        "staff",
        "--password",
        "fresh-shell-2026",
    )
    assert created.returncode == 0, created.stderr
    token = _run(shell, "users", "token", "--email", "fresh@example.kr")
    assert token.returncode == 0, token.stderr
    assert len(token.stdout.strip()) >= 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("marketplace", ["amazon", "ebay"])
def test_emulate_starts_in_a_fresh_shell(shell: Path, marketplace: str) -> None:
    port = _free_port()
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "export_hub",
            "emulate",
            marketplace,
            "--port",
            str(port),
        ],
        cwd=shell,
        env=_fresh_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        answered = False
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                answered = True
                break
            except httpx.TransportError:
                time.sleep(0.3)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert "Field required" not in out + err
    assert answered, err


async def test_emulator_calls_write_no_log_lines(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("INFO")
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    emulator = demo_emulator(settings, port=0)
    await emulator.start()
    try:
        with caplog.at_level(logging.INFO):
            async with httpx.AsyncClient() as client:
                await client.get(f"{emulator.url}/sell/inventory/v1/inventory_item")
    finally:
        await emulator.aclose()
    noisy = [r for r in caplog.records if r.name.startswith(("httpx", "aiohttp"))]
    assert noisy == []


def test_serve_without_secrets_names_the_missing_key(tmp_path: Path) -> None:
    """No var/dev.env here: ``serve`` stops with the key to set, no traceback."""
    (tmp_path / "config").symlink_to(ROOT / "config")
    result = subprocess.run(
        [sys.executable, "-m", "export_hub", "serve", "--port", "1"],
        cwd=tmp_path,
        env=_fresh_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "EXPORT_HUB_WEB__SESSION_KEY" in result.stderr
    assert "Traceback" not in result.stderr


async def test_one_access_log_line_per_request(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.browser import serve_app

    configure_logging("INFO")
    async with serve_app(settings) as server:
        with caplog.at_level(logging.INFO):
            async with httpx.AsyncClient() as client:
                await client.get(f"{server.url}/login")
    # Background jobs log on their own (procrastinate's periodic tasks on
    # PostgreSQL); what the request wrote is every line naming its path.
    lines = [
        r
        for r in caplog.records
        if r.levelno >= logging.INFO and "/login" in r.getMessage()
    ]
    assert [r.name for r in lines] == ["aiohttp.access"]
    assert "GET /login" in lines[0].getMessage()
