"""Pricing jobs: fetch exchange rates from the configured source."""

from __future__ import annotations

import datetime as dt

from export_hub.brand.config import resolve_config_path
from export_hub.db import transaction
from export_hub.pricing.config import load_pricing
from export_hub.pricing.feed import RateFeedError, fetch_feed, store_feed
from export_hub.settings import Settings
from jobs.registry import Counts, JobRegistry, JobSpec, Sessions


async def fetch_rates(
    sessions: Sessions, settings: Settings, *, now: dt.datetime
) -> Counts:
    """Fetch the rate feed named in ``config/pricing.toml`` and record its rates.

    Idempotent (a rate for the same pair and date is replaced). Raises
    ``RateFeedError`` when the source is unreachable or answers nonsense.
    """
    config = load_pricing(resolve_config_path(settings.brand.pricing_file))
    if not config.rates_source.enabled:
        raise RateFeedError(
            "the rate source is disabled ([rates_source] in config/pricing.toml); "
            "staff enter rates at /staff/pricing"
        )
    data = await fetch_feed(config.rates_source)
    async with transaction(sessions) as db:
        stored = await store_feed(db, config.rates_source, data)
    return {"record_rate": {"ok": stored}}


def register(registry: JobRegistry, settings: Settings) -> None:
    """Register the rate fetch, periodic only when the source is enabled."""
    config = load_pricing(resolve_config_path(settings.brand.pricing_file))
    source = config.rates_source
    registry.register(
        JobSpec(
            name="pricing.fetch_rates",
            run=fetch_rates,
            interval_seconds=source.interval_hours * 3600 if source.enabled else None,
            description="Fetch exchange rates from the configured source",
        )
    )
