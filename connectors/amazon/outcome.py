"""Listing outcomes: ACCEPTED is not listed.

:func:`record_submission` notes what a PUT/PATCH answered on the
:class:`~export_hub.listings.models.Listing` (status ``submitted``, the
submission id, a :class:`ListingEvent`); :func:`apply_listing_state` applies a
later GET: ``live`` when BUYABLE/DISCOVERABLE, ``needs_action`` with each
issue stored when Amazon reports ERROR issues. :func:`poll_listing` does one
bounded poll step (a job calls it until the listing is settled).

These functions take a session and never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import (
    ListingState,
    ListingStatus,
    MarketplaceConnector,
    SubmissionResult,
    SubmissionStatus,
)
from export_hub.db import utcnow
from export_hub.errors import MarketplaceIssue
from export_hub.listings.models import Listing, ListingEvent, ListingIssue

#: Listing statuses a poll can still change.
UNSETTLED = frozenset({"submitted"})
#: Issue codes the company (not staff) must act on.
COMPANY_CODES = frozenset({"5665", "8566", "8572", "5461", "90220"})


async def _replace_issues(
    db: AsyncSession,
    listing: Listing,
    issues: tuple[MarketplaceIssue, ...],
    now: dt.datetime,
) -> None:
    await db.execute(
        delete(ListingIssue).where(
            ListingIssue.listing_id == listing.id, ListingIssue.source == "marketplace"
        )
    )
    for issue in issues:
        db.add(
            ListingIssue(
                listing_id=listing.id,
                source="marketplace",
                code=issue.code[:40],
                severity=issue.severity,
                message=issue.message,
                attribute_names=list(issue.attribute_names),
                categories=list(issue.categories),
                action_owner="company" if issue.code in COMPANY_CODES else "staff",
                created_at=now,
            )
        )


async def record_submission(
    db: AsyncSession,
    listing: Listing,
    result: SubmissionResult,
    *,
    action: str = "create",
    now: dt.datetime | None = None,
) -> None:
    """Note a submission's answer: ACCEPTED → ``submitted`` (outcome awaited),
    INVALID → ``needs_action`` with the issues. Idempotent per answer."""
    now = now or utcnow()
    listing.last_submitted_at = now
    listing.in_doubt_operation = None
    if result.status is SubmissionStatus.INVALID:
        listing.status = "needs_action"
        await _replace_issues(db, listing, result.issues, now)
    elif result.status in (SubmissionStatus.ACCEPTED, SubmissionStatus.DONE):
        listing.status = "submitted"
        listing.submission_id = result.submission_id or listing.submission_id
        if result.listing_id:
            listing.listing_id = result.listing_id
    db.add(
        ListingEvent(
            listing_id=listing.id,
            at=now,
            action=action,
            outcome=result.status.value.lower(),
            request_id=result.request_id,
            details={
                "submission_id": result.submission_id,
                "issues": [asdict(i) for i in result.issues],
            },
        )
    )


async def apply_listing_state(
    db: AsyncSession,
    listing: Listing,
    state: ListingState | None,
    *,
    now: dt.datetime | None = None,
) -> str:
    """Apply a GET's answer; returns the listing's new status.

    ``None`` (not found yet) leaves a submitted listing submitted.
    """
    now = now or utcnow()
    listing.last_checked_at = now
    before = listing.status
    if state is None:
        return listing.status
    await _replace_issues(db, listing, state.issues, now)
    if state.listing_id:
        listing.listing_id = state.listing_id
    if state.status is ListingStatus.ERROR:
        listing.status = "needs_action"
    elif state.status is ListingStatus.LIVE:
        listing.status = "live"
    elif state.status is ListingStatus.ENDED:
        listing.status = "ended"
    if listing.status != before:
        db.add(
            ListingEvent(
                listing_id=listing.id,
                at=now,
                action="status",
                outcome=listing.status,
                details={
                    "raw_status": list(state.raw_status),
                    "asin": state.listing_id,
                    "issues": [asdict(i) for i in state.issues],
                },
            )
        )
    return listing.status


async def poll_listing(
    db: AsyncSession,
    listing: Listing,
    connector: MarketplaceConnector,
    *,
    now: dt.datetime | None = None,
) -> str:
    """One poll step for a submitted listing: GET it and apply the answer."""
    if listing.status not in UNSETTLED:
        return listing.status
    state = await connector.get_listing(listing.sku)
    return await apply_listing_state(db, listing, state, now=now)
