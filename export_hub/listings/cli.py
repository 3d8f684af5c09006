"""``export-hub sync``: one sync in the foreground, with a progress bar and a
summary table (rich). The run is recorded like every job run (``JobRun``,
started by ``cli``, runner ``foreground``) and its progress lives in a
``SyncRun``, exactly what the staff console shows. Scaled out (PostgreSQL
workers) the run queues one job per seller and the command watches the run
until its last seller is done."""

from __future__ import annotations

import asyncio
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from export_hub.settings import Settings


@click.command("sync")
@click.option("--company", default=None, help="Only this company (BRN, 10 digits).")
@click.option(
    "--marketplace",
    type=click.Choice(["amazon", "ebay"]),
    default=None,
    help="Only this marketplace.",
)
@click.option("--dry-run", is_flag=True, help="Plan and report; send nothing.")
@click.option("--force", is_flag=True, help="Re-send every listing in full.")
@click.pass_obj
def sync_command(
    obj: Any, company: str | None, marketplace: str | None, dry_run: bool, force: bool
) -> None:
    """Sync listings to the marketplaces now, in the foreground."""
    settings: Settings = obj.settings
    if company is not None and not (company.isdigit() and len(company) == 10):
        raise click.BadParameter(
            "사업자등록번호는 숫자 10자리입니다 / a BRN is 10 digits",
            param_hint="--company",
        )
    status = asyncio.run(_sync(settings, company, marketplace, dry_run, force))
    if status != "succeeded":
        raise SystemExit(1)


async def _sync(
    settings: Settings,
    company: str | None,
    marketplace: str | None,
    dry_run: bool,
    force: bool,
) -> str:
    from export_hub.db import create_engine, session_factory
    from export_hub.listings.models import SyncRun
    from jobs.defaults import default_registry
    from jobs.runs import run_job
    from jobs.sync import new_sync_run

    engine = create_engine(settings.database.url)
    sessions = session_factory(engine)
    console = Console()
    try:
        run_id = await new_sync_run(
            sessions,
            company=company,
            marketplace=marketplace,
            dry_run=dry_run,
            started_by="cli",
        )
        spec = default_registry(settings)["sync.run"]
        kwargs: dict[str, Any] = {"sync_run_id": run_id, "dry_run": dry_run}
        if company:
            kwargs["company"] = company
        if marketplace:
            kwargs["marketplace"] = marketplace
        if force:
            kwargs["force"] = True
        job = asyncio.create_task(
            run_job(
                spec,
                sessions,
                settings,
                kwargs=kwargs,
                started_by="cli",
                runner="foreground",
            )
        )
        with Progress(
            TextColumn("[bold]sync[/bold] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=False,
        ) as progress:
            bar = progress.add_task("planning", total=None)
            while True:
                await asyncio.wait({job}, timeout=0.2)
                async with sessions() as db:
                    row = await db.get_one(SyncRun, run_id, populate_existing=True)
                if job.done() and (
                    row.finished_at is not None or job.result().status != "succeeded"
                ):
                    break
                progress.update(
                    bar,
                    total=max(row.planned, 1) if row.planned else None,
                    completed=row.done,
                    description=(
                        f"sellers {row.sellers_done}/{row.sellers_total}"
                        + (" (dry run)" if dry_run else "")
                    ),
                )
        record = job.result()
        async with sessions() as db:
            row = await db.get_one(SyncRun, run_id, populate_existing=True)
        console.print(_summary(row.counts, title=f"sync run {run_id}"))
        console.print(
            f"JobRun {record.id}: {record.status} in {record.duration_seconds}s"
            + (f" — {record.error}" if record.error else "")
        )
        # Scaled out the job only queued the sellers: the run says how it went.
        return str(row.status if record.status == "succeeded" else record.status)
    finally:
        await engine.dispose()


def _summary(counts: dict[str, dict[str, int]], *, title: str) -> Table:
    outcomes = sorted({o for per in counts.values() for o in per})
    table = Table(title=title)
    table.add_column("action")
    for outcome in outcomes:
        table.add_column(outcome, justify="right")
    for action, per in sorted(counts.items()):
        table.add_row(action, *(str(per.get(o, "")) for o in outcomes))
    return table
