"""``export-hub import products|stock FILE --company BRN``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from export_hub.accounts.companies import company_by_brn
from export_hub.accounts.models import User
from export_hub.catalog.importer import ImportRejected, ImportReport, import_products
from export_hub.catalog.stock_import import import_stock
from export_hub.db import create_engine, session_factory
from export_hub.errors import Text, ValidationFailed
from export_hub.settings import Settings

Importer = Callable[..., Awaitable[ImportReport]]


async def import_file(
    settings: Settings,
    path: Path,
    brn: str,
    actor_email: str | None,
    importer: Importer = import_products,
) -> ImportReport:
    """Import ``path`` for the company ``brn`` in one transaction, with
    ``importer`` (products, or stock and prices).

    ``actor_email`` names the staff member in the audit log (else nobody).
    """
    data = await asyncio.to_thread(path.read_bytes)
    engine = create_engine(settings.database.url)
    try:
        async with session_factory(engine).begin() as db:
            company = await company_by_brn(db, brn)
            actor = None
            if actor_email:
                actor = await db.scalar(
                    select(User).where(User.email == actor_email.lower())
                )
            if actor_email and (actor is None or not actor.is_staff):
                raise ValidationFailed(
                    {
                        "as": Text(
                            "기관 담당자 이메일이 아닙니다.",
                            "Not an agency staff e-mail.",
                        )
                    }
                )
            return await importer(db, company=company, actor=actor, data=data)
    finally:
        await engine.dispose()


@click.group("import")
def import_group() -> None:
    """Bulk imports."""


@import_group.command("products")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--company",
    "brn",
    required=True,
    help="The company's business registration number.",
)
@click.option(
    "--as",
    "actor_email",
    default=None,
    help="E-mail of the staff member the audit log names.",
)
@click.pass_obj
def import_products_command(
    obj: Any, file: Path, brn: str, actor_email: str | None
) -> None:
    """Import products from FILE (.csv UTF-8 or .xlsx): all rows or none.

    Columns: see config/product_import_template.csv.
    """
    report = _run(import_file(obj.settings, file, brn, actor_email))
    click.echo(
        f"{report.imported}개 제품을 가져왔습니다 / imported {report.imported} products"
    )


@import_group.command("stock")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--company",
    "brn",
    required=True,
    help="The company's business registration number.",
)
@click.option(
    "--as",
    "actor_email",
    default=None,
    help="E-mail of the staff member the audit log names.",
)
@click.pass_obj
def import_stock_command(
    obj: Any, file: Path, brn: str, actor_email: str | None
) -> None:
    """Set stock on hand and prices from FILE (.csv UTF-8 or .xlsx), without
    review: all rows or none. Rows by SKU; columns quantity, price_krw,
    target_price_usd (see config/stock_import_template.csv)."""
    report = _run(import_file(obj.settings, file, brn, actor_email, import_stock))
    click.echo(
        f"{report.imported}개 제품의 재고·가격을 바꿨습니다"
        f" / updated stock or price of {report.imported} products"
    )


def _run(work: Coroutine[Any, Any, ImportReport]) -> ImportReport:
    """Run an import; print the report and exit 1 if the file is refused."""
    try:
        return asyncio.run(work)
    except ImportRejected as exc:
        table = Table(title=str(exc.message))
        for column in ("row / 행", "column / 열", "problem / 문제"):
            table.add_column(column)
        for problem in exc.report.problems:
            table.add_row(str(problem.row), problem.column, str(problem.message))
        Console(stderr=True).print(table)
        raise SystemExit(1) from None
    except ValidationFailed as exc:
        lines = [f"{name}: {text}" for name, text in exc.fields.items()]
        raise click.ClickException("\n".join(lines)) from None
