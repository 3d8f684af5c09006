"""Recording outcomes on listings: status, sent hashes, issues, history.

Each function changes one :class:`~export_hub.listings.models.Listing` (and
its issues and events) in the caller's transaction; none commits. Issues are
explained with :mod:`export_hub.listings.explain`: the action owner comes from
there, and the history event keeps the bilingual explanation. An issue that
needs a human pauses automatic retries (``needs_human_pause_hours``).

The listing's ``sent_fingerprint`` (:mod:`export_hub.listings.sync.fingerprint`)
is set only by an accepted work item that carries one (the last planned for
the listing) and cleared by every other outcome, so it never vouches for a
listing that is not in step with its inputs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import (
    ListingState,
    ListingStatus,
    SubmissionResult,
    SubmissionStatus,
)
from export_hub.errors import MarketplaceError, MarketplaceIssue
from export_hub.listings.explain import explain, pause_until
from export_hub.listings.models import Listing, ListingEvent, ListingIssue
from export_hub.listings.sync.plan import FULL, OFFER, Action, Work


def explained(
    marketplace: str, issues: Iterable[MarketplaceIssue]
) -> list[dict[str, Any]]:
    """Issues with their bilingual explanation, for a history event."""
    out = []
    for issue in issues:
        e = explain(marketplace, issue.code, issue.message)
        out.append(
            {
                **asdict(issue),
                "owner": e.owner,
                "what": {"ko": e.what.ko, "en": e.what.en},
                "action": {"ko": e.action.ko, "en": e.action.en},
            }
        )
    return out


_NO_ISSUES = "listings.sync.no_issues"


async def note_issue_free(db: AsyncSession, listing_ids: list[int]) -> None:
    """Learn in one query which of ``listing_ids`` have no issues, so that
    recording a batch skips their (pointless) DELETE."""
    having = set(
        await db.scalars(
            select(ListingIssue.listing_id)
            .where(ListingIssue.listing_id.in_(listing_ids))
            .distinct()
        )
    )
    db.info[_NO_ISSUES] = set(listing_ids) - having


async def replace_issues(
    db: AsyncSession,
    listing: Listing,
    issues: Iterable[MarketplaceIssue],
    *,
    source: str,
    now: dt.datetime,
) -> bool:
    """Replace the listing's current issues; ``True`` if one needs a human."""
    known_free: set[int] = db.info.get(_NO_ISSUES, set())
    if listing.id in known_free:
        known_free.discard(listing.id)
    else:
        await db.execute(
            delete(ListingIssue).where(ListingIssue.listing_id == listing.id)
        )
    needs_human = False
    for issue in issues:
        e = explain(listing.marketplace, issue.code, issue.message)
        if issue.severity == "ERROR" and e.needs_human:
            needs_human = True
        db.add(
            ListingIssue(
                listing_id=listing.id,
                source=source,
                code=issue.code[:40],
                severity=issue.severity,
                message=issue.message,
                attribute_names=list(issue.attribute_names),
                categories=list(issue.categories),
                action_owner=e.owner,
                created_at=now,
            )
        )
    return needs_human


def event(
    db: AsyncSession,
    listing: Listing,
    action: str,
    outcome: str,
    *,
    now: dt.datetime,
    run_id: int | None,
    request_id: str | None = None,
    **details: Any,
) -> None:
    """Add one history event; ``now`` is when it happened (the sync engine
    passes each event's own instant, not the run's start)."""
    db.add(
        ListingEvent(
            listing_id=listing.id,
            at=now,
            action=action,
            outcome=outcome,
            request_id=request_id,
            sync_run_id=run_id,
            # The status after the event: the programme report's history.
            details={**details, "status_after": listing.status},
        )
    )


async def needs_action(
    db: AsyncSession,
    listing: Listing,
    issues: tuple[MarketplaceIssue, ...],
    *,
    source: str,
    now: dt.datetime,
    pause_hours: float,
) -> None:
    """Status ``needs_action`` with ``issues``; pause retries if a human must act."""
    listing.status = "needs_action"
    listing.sent_fingerprint = None
    if await replace_issues(db, listing, issues, source=source, now=now):
        listing.paused_until = _pause(listing.marketplace, issues, now, pause_hours)


def _pause(
    marketplace: str,
    issues: tuple[MarketplaceIssue, ...],
    now: dt.datetime,
    hours: float,
) -> dt.datetime | None:
    ends = [
        pause_until(explain(marketplace, i.code, i.message), now, hours)
        for i in issues
        if i.severity == "ERROR"
    ]
    found = [e for e in ends if e is not None]
    return max(found) if found else None


async def record_result(
    db: AsyncSession,
    listing: Listing,
    work: Work,
    result: SubmissionResult,
    *,
    now: dt.datetime,
    run_id: int | None,
    pause_hours: float,
) -> str:
    """Apply the marketplace's answer to ``work``; returns the outcome counted."""
    listing.in_doubt_operation = None
    listing.last_submitted_at = now
    details: dict[str, Any] = {
        "sent": _sent(work),
        "status": result.status.value,
        "submission_id": result.submission_id,
        "issues": explained(listing.marketplace, result.issues),
    }
    if result.status is SubmissionStatus.INVALID:
        await needs_action(
            db,
            listing,
            result.issues,
            source="marketplace",
            now=now,
            pause_hours=pause_hours,
        )
        event(
            db,
            listing,
            work.action.value,
            "invalid",
            now=now,
            run_id=run_id,
            request_id=result.request_id,
            **details,
        )
        return "needs_action"
    listing.sent_hashes = {**listing.sent_hashes, **work.hashes}
    listing.sent_fingerprint = work.fingerprint
    if work.price is not None:
        listing.sent_price = str(work.price)
        listing.sent_currency = work.currency
    if work.quantity is not None:
        listing.sent_quantity = work.quantity
        listing.last_quantity_assert_at = now
    listing.pending_since = None
    listing.paused_until = None
    if listing.marketplace == "ebay" and result.submission_id:
        listing.offer_id = result.submission_id  # eBay answers with the offer id
    elif result.submission_id:
        listing.submission_id = result.submission_id
    if result.listing_id:
        listing.listing_id = result.listing_id
    if work.action is Action.END:
        listing.status = "ended"
    elif work.action in FULL:
        done = result.status is SubmissionStatus.DONE and result.listing_id
        listing.status = "live" if done else "submitted"
    elif work.action in OFFER and listing.status not in ("live", "submitted"):
        listing.status = "submitted"
    await replace_issues(db, listing, result.issues, source="marketplace", now=now)
    event(
        db,
        listing,
        work.action.value,
        "ok",
        now=now,
        run_id=run_id,
        request_id=result.request_id,
        **details,
    )
    return "ok"


async def record_error(
    db: AsyncSession,
    listing: Listing,
    work: Work,
    exc: MarketplaceError,
    outcome: str,
    *,
    now: dt.datetime,
    run_id: int | None,
    pause_hours: float,
) -> None:
    """A call that raised. ``outcome``: ``needs_action`` (a person must act),
    ``unknown`` (left in doubt: looked up next run), ``missing`` (the
    marketplace no longer has it), ``failed``, ``unauthorized``."""
    details: dict[str, Any] = {
        "sent": _sent(work),
        "error": exc.message[:500],
        "code": exc.code,
        "status": exc.status,
    }
    listing.sent_fingerprint = None
    if outcome == "needs_action":
        issues = exc.issues or (
            MarketplaceIssue(str(exc.code or exc.status or "ERROR"), exc.message),
        )
        listing.in_doubt_operation = None
        await needs_action(
            db, listing, issues, source="marketplace", now=now, pause_hours=pause_hours
        )
        details["issues"] = explained(listing.marketplace, issues)
    elif outcome == "missing":
        listing.in_doubt_operation = None
        if work.action is Action.END:
            listing.status = "ended"
        else:
            # The marketplace lost it: the next plan creates it again.
            listing.sent_hashes = {}
            listing.status = "pending"
            listing.listing_id = listing.offer_id = None
    elif outcome == "unauthorized":
        listing.in_doubt_operation = None
    event(
        db,
        listing,
        work.action.value,
        outcome,
        now=now,
        run_id=run_id,
        request_id=exc.request_id,
        **details,
    )


async def record_preflight(
    db: AsyncSession,
    listing: Listing,
    work: Work,
    *,
    now: dt.datetime,
    run_id: int | None,
) -> str:
    """Pre-flight failures: ``needs_action`` without any API call. Not paused:
    the check costs no marketplace call, so a fix is picked up by the next
    run. Writes a history event only when the issues changed."""
    before_codes = sorted(
        await db.scalars(
            select(ListingIssue.code).where(ListingIssue.listing_id == listing.id)
        )
    )
    before = listing.status
    listing.status = "needs_action"
    listing.in_doubt_operation = None
    listing.sent_fingerprint = None
    await replace_issues(db, listing, work.issues, source="preflight", now=now)
    codes = sorted(i.code[:40] for i in work.issues)
    if before != "needs_action" or before_codes != codes:
        event(
            db,
            listing,
            "preflight",
            "needs_action",
            now=now,
            run_id=run_id,
            issues=explained(listing.marketplace, work.issues),
        )
    return "needs_action"


async def apply_state(
    db: AsyncSession,
    listing: Listing,
    state: ListingState | None,
    *,
    now: dt.datetime,
    run_id: int | None,
    pause_hours: float,
) -> str:
    """Apply a lookup (status follow-up, or an in-doubt check); returns the
    listing's status. ``None`` (not there) leaves a submitted listing as is."""
    listing.last_checked_at = now
    before = listing.status
    if state is None:
        return listing.status
    if state.listing_id:
        listing.listing_id = state.listing_id
    if state.offer_id:
        listing.offer_id = state.offer_id
    if state.status is ListingStatus.ERROR:
        await needs_action(
            db,
            listing,
            state.issues,
            source="marketplace",
            now=now,
            pause_hours=pause_hours,
        )
        # The content was refused after all: send it again once the pause
        # ends (or after a fix), rather than believing it is in sync.
        listing.sent_hashes = {
            k: v for k, v in listing.sent_hashes.items() if k != "content"
        }
    elif state.status is ListingStatus.LIVE:
        listing.status = "live"
        await replace_issues(db, listing, state.issues, source="marketplace", now=now)
    elif state.status is ListingStatus.ENDED and before != "pending":
        listing.status = "ended"
    if listing.status != before:
        event(
            db,
            listing,
            "status",
            listing.status,
            now=now,
            run_id=run_id,
            raw_status=list(state.raw_status),
            listing_id=state.listing_id,
            issues=explained(listing.marketplace, state.issues),
        )
    return listing.status


async def store_fingerprints(db: AsyncSession, fingerprints: dict[int, str]) -> None:
    """Store the fingerprints of listings found in sync by rendering (listing
    id -> fingerprint), in one statement; a listing that left the steady
    state meanwhile keeps none (its fingerprint must not vouch for it)."""
    if not fingerprints:
        return
    statement = (
        update(Listing.__table__)  # type: ignore[arg-type]
        .where(
            Listing.__table__.c.id == bindparam("row_id"),
            # Two comparisons, not IN: an expanding IN cannot be executemany'd.
            or_(
                Listing.__table__.c.status == "live",
                Listing.__table__.c.status == "submitted",
            ),
            Listing.__table__.c.in_doubt_operation.is_(None),
        )
        .values(sent_fingerprint=bindparam("fingerprint"))
    )
    connection = await db.connection()
    await connection.execute(
        statement,
        [{"row_id": i, "fingerprint": f} for i, f in fingerprints.items()],
    )


def _sent(work: Work) -> dict[str, Any]:
    sent: dict[str, Any] = {"parts": sorted(work.hashes)}
    if work.price is not None:
        sent["price"] = str(work.price)
        sent["currency"] = work.currency
    if work.quantity is not None:
        sent["quantity"] = work.quantity
    return sent
