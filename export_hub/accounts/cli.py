"""Account commands' async bodies."""

from __future__ import annotations

import asyncio
from typing import Any

import click
from sqlalchemy import select

from export_hub.accounts.models import Company, Role, User
from export_hub.accounts.service import create_user
from export_hub.db import create_engine, session_factory
from export_hub.errors import NotFound, Text
from export_hub.settings import Settings


async def create_user_command(
    settings: Settings,
    *,
    email: str,
    role: Role,
    name: str,
    company_brn: str | None,
    office_code: str | None,
    password: str,
) -> None:
    engine = create_engine(settings.database.url)
    try:
        async with session_factory(engine).begin() as db:
            company = None
            if company_brn:
                company = await db.scalar(
                    select(Company).where(Company.brn == company_brn.replace("-", ""))
                )
                if company is None:
                    raise NotFound(Text("회사를 찾을 수 없습니다.", "No such company."))
            await create_user(
                db,
                email=email,
                password=password,
                role=role,
                name=name,
                company=company,
                office_code=office_code,
            )
    finally:
        await engine.dispose()


async def issue_token_command(settings: Settings, *, email: str, label: str) -> str:
    """Issue an API token for ``email``; returns its only plaintext copy."""
    from export_hub.web.auth import issue_api_token

    engine = create_engine(settings.database.url)
    try:
        async with session_factory(engine).begin() as db:
            user = await db.scalar(
                select(User).where(User.email == email.strip().lower())
            )
            if user is None or not user.is_active:
                raise NotFound(Text("사용자를 찾을 수 없습니다.", "No such user."))
            return await issue_api_token(db, user, label)
    finally:
        await engine.dispose()


@click.command("token")
@click.option("--email", required=True, help="Whose token.")
@click.option(
    "--label", default="cli", show_default=True, help="A name to recognise it by."
)
@click.pass_obj
def token_command(obj: Any, email: str, label: str) -> None:
    """Issue a JSON API bearer token (printed once; only its hash is stored)."""
    try:
        token = asyncio.run(issue_token_command(obj.settings, email=email, label=label))
    except NotFound as exc:
        raise click.ClickException(str(exc.message)) from None
    click.echo(token)
