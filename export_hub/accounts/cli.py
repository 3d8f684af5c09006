"""Account commands' async bodies."""

from __future__ import annotations

from sqlalchemy import select

from export_hub.accounts.models import Company, Role
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
