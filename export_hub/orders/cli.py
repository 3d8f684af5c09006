"""``export-hub orders pull``: import orders now, in the foreground, seller by
seller, with a progress bar and a summary table (rich). Each seller's import
is recorded like every job run (``JobRun`` of ``orders.pull``, started by
``cli``, runner ``foreground``)."""

from __future__ import annotations

import asyncio
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from export_hub.settings import Settings


@click.group("orders")
def orders_group() -> None:
    """Marketplace orders (import, stock reservation)."""


@orders_group.command("pull")
@click.option("--company", default=None, help="Only this company (BRN, 10 digits).")
@click.pass_obj
def pull_command(obj: Any, company: str | None) -> None:
    """Import every connected seller account's orders now."""
    settings: Settings = obj.settings
    if company is not None and not (company.isdigit() and len(company) == 10):
        raise click.BadParameter(
            "사업자등록번호는 숫자 10자리입니다 / a BRN is 10 digits",
            param_hint="--company",
        )
    failed = asyncio.run(_pull(settings, company))
    if failed:
        raise SystemExit(1)


async def _pull(settings: Settings, company: str | None) -> int:
    from export_hub.db import create_engine, session_factory
    from jobs.defaults import default_registry
    from jobs.orders import connected_accounts
    from jobs.runs import run_job

    engine = create_engine(settings.database.url)
    sessions = session_factory(engine)
    console = Console()
    table = Table(title="orders pull")
    for column in ("seller account", "status", "read", "new", "changed", "stock"):
        table.add_column(column)
    failed = 0
    try:
        accounts = await connected_accounts(sessions, company_brn=company)
        spec = default_registry(settings)["orders.pull"]
        with Progress(
            TextColumn("[bold]orders[/bold] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
        ) as progress:
            bar = progress.add_task("", total=len(accounts))
            for account in accounts:
                label = f"{account.marketplace} #{account.id}"
                progress.update(bar, description=label)
                record = await run_job(
                    spec,
                    sessions,
                    settings,
                    kwargs={"seller_account_id": account.id},
                    started_by="cli",
                    runner="foreground",
                )
                counts = record.counts or {}
                orders = counts.get("orders", {})
                table.add_row(
                    label,
                    str(record.status)
                    + (f" — {record.error[:80]}" if record.error else ""),
                    str(orders.get("read", "")),
                    str(orders.get("new", "")),
                    str(orders.get("changed", "")),
                    str(counts.get("stock", {}).get("moved", "")),
                )
                failed += record.status != "succeeded"
                progress.advance(bar)
        console.print(table)
        if not accounts:
            console.print(
                "연결된 판매자 계정이 없습니다 / no connected seller accounts"
            )
        return failed
    finally:
        await engine.dispose()
