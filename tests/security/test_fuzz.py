"""The OpenAPI-driven fuzzer (schemathesis) against the real application.

The application serves on a loopback port (as the browser tests do) on each
database; schemathesis reads the served document, so every operation a
feature registers (present and future) is fuzzed. It runs once per role with
that role's API token, bounded in examples and time, and fails on any 5xx
and on any answer the document does not describe (status, content type,
schema).

Find it with ``pytest -m fuzz``.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

import pytest

from export_hub.web.auth import issue_api_token
from tests.browser import serve_app
from tests.consultations.conftest import World
from tests.foundation.helpers import product_values

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

#: Per role; three roles stay under ~90 s per database on a shared CI runner.
MAX_SECONDS = 20
MAX_EXAMPLES = 12
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    )
)


def schemathesis_command() -> list[str]:
    found = Path(sys.executable).with_name("schemathesis")
    if found.exists():
        return [str(found)]
    on_path = shutil.which("schemathesis")
    if on_path is None:
        pytest.fail("schemathesis is not installed (pip install -e '.[test]')")
    return [on_path]


async def run_fuzzer(base_url: str, token: str, report: Path) -> tuple[int, str]:
    """Run schemathesis against ``base_url``; returns (exit code, output)."""
    process = await asyncio.create_subprocess_exec(
        *schemathesis_command(),
        "run",
        f"{base_url}/api/v1/openapi.json",
        "--url",
        base_url,
        "--checks",
        CHECKS,
        "--header",
        f"Authorization: Bearer {token}",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--max-time",
        str(MAX_SECONDS),
        "--workers",
        "1",
        "--seed",
        "14",
        "--no-shrink",
        "--request-timeout",
        "10",
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-dir",
        str(report),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "HOME": str(report)},
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), MAX_SECONDS + 60)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail("schemathesis did not finish in time")
    return process.returncode or 0, output.decode(errors="replace")


async def seed(sessions, world: World) -> None:
    """Something for every id path to find: a product of the company."""
    from export_hub.catalog.service import create_product
    from export_hub.catalog.validation import clean_product

    async with sessions.begin() as db:
        company = await db.get(type(world.company), world.company.id)
        await create_product(
            db,
            company=company,
            actor=world.company_user,
            fields=clean_product(product_values()),
            submit=True,
        )


@pytest.mark.parametrize("role", ["company", "staff", "office"])
async def test_fuzz_the_whole_api_document(
    settings, sessions, world, role, tmp_path
) -> None:
    await seed(sessions, world)
    user = {
        "company": world.company_user,
        "staff": world.staff_user,
        "office": world.office_user,
    }[role]
    async with sessions.begin() as db:
        token = await issue_api_token(db, user, "fuzz")
    async with serve_app(settings) as server:
        code, output = await run_fuzzer(server.url, token, tmp_path / "report")
    assert code == 0, output[-12000:]
