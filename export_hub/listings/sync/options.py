"""What a sync is asked to do (:class:`SyncOptions`) and what it did
(:class:`SyncReport`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SyncOptions:
    """What to sync and how."""

    company_brn: str | None = None
    marketplace: str | None = None
    account_id: int | None = None
    #: Plan and report; send and write nothing.
    dry_run: bool = False
    #: Re-send every listable listing in full.
    force: bool = False
    #: Only the seller accounts with quantities due after stock moved
    #: (:func:`export_hub.orders.restock.accounts_to_push`), and only their
    #: quantity and end work: the push that follows an order import.
    push_only: bool = False
    #: Sellers served at once by an in-process run (:func:`run_sync`);
    #: workers serve as many as their ``--concurrency``.
    max_parallel_sellers: int = 32
    #: Most listings per batch where the marketplace takes batches (eBay: 25).
    batch_size: int = 25
    #: Most single calls sent concurrently per turn (Amazon); the seller's
    #: rate limiter paces them, a larger turn saves bookkeeping between turns.
    single_batch_size: int = 100
    #: One step of a seller (one job) sends at most this many listings, or
    #: works this long, before its continuation goes back to the queue.
    step_items: int = 1000
    step_seconds: float = 60.0
    aging_seconds: float = 3600.0


@dataclass
class SyncReport:
    """What a run did: ``counts[action][outcome]``."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)
    sellers: int = 0
    planned: int = 0
    api_calls: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    def add(self, action: str, outcome: str, n: int = 1) -> None:
        self.counts.setdefault(action, Counter())[outcome] += n

    def as_counts(self) -> dict[str, dict[str, int]]:
        return {a: dict(c) for a, c in sorted(self.counts.items())}
