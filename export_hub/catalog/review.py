"""The review state machine and its audit trail.

::

    draft ──submit──▶ submitted ──approve──────────▶ approved
      ▲                  │ ├─request_changes(reason)▶ changes_requested
      │                  │ └─reject(reason)────────▶ rejected (final)
      └──── edit ◀───────┼──────────────── changes_requested
    submitted / approved ──withdraw──▶ withdrawn ──submit──▶ submitted

An approved product stays approved when edited: stock and prices apply at
once, content waits as a pending revision (:mod:`.revisions`).

A company withdraws a product from the programme; its marketplace listings
end at the next sync. It may send the product for review again later.

The functions here are pure: they say what the next state is or raise
``Conflict``. :func:`record_transition` writes the audit row.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.accounts.models import User
from export_hub.catalog.models import AuditEvent, Product, ReviewState
from export_hub.errors import Conflict, Text, ValidationFailed


class ReviewAction(enum.StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    WITHDRAW = "withdraw"


#: Actions only the agency's staff may take.
STAFF_ACTIONS = frozenset(
    {ReviewAction.APPROVE, ReviewAction.REQUEST_CHANGES, ReviewAction.REJECT}
)
#: Actions that need the staff's reason, shown to the company.
REASON_REQUIRED = frozenset({ReviewAction.REQUEST_CHANGES, ReviewAction.REJECT})

TRANSITIONS: dict[tuple[ReviewState, ReviewAction], ReviewState] = {
    (ReviewState.DRAFT, ReviewAction.SUBMIT): ReviewState.SUBMITTED,
    (ReviewState.CHANGES_REQUESTED, ReviewAction.SUBMIT): ReviewState.SUBMITTED,
    (ReviewState.SUBMITTED, ReviewAction.APPROVE): ReviewState.APPROVED,
    (
        ReviewState.SUBMITTED,
        ReviewAction.REQUEST_CHANGES,
    ): ReviewState.CHANGES_REQUESTED,
    (ReviewState.SUBMITTED, ReviewAction.REJECT): ReviewState.REJECTED,
    (ReviewState.SUBMITTED, ReviewAction.WITHDRAW): ReviewState.WITHDRAWN,
    (ReviewState.APPROVED, ReviewAction.WITHDRAW): ReviewState.WITHDRAWN,
    (ReviewState.WITHDRAWN, ReviewAction.SUBMIT): ReviewState.SUBMITTED,
}

#: Where an edit of the product's content leaves it. Missing: not editable.
AFTER_EDIT: dict[ReviewState, ReviewState] = {
    ReviewState.DRAFT: ReviewState.DRAFT,
    ReviewState.SUBMITTED: ReviewState.SUBMITTED,
    ReviewState.CHANGES_REQUESTED: ReviewState.DRAFT,
    # Content edits of an approved product are revisions; it stays approved.
    ReviewState.APPROVED: ReviewState.APPROVED,
}

STATE_LABELS: dict[ReviewState, Text] = {
    ReviewState.DRAFT: Text("작성 중", "Draft"),
    ReviewState.SUBMITTED: Text("심사 대기", "Submitted"),
    ReviewState.APPROVED: Text("승인", "Approved"),
    ReviewState.CHANGES_REQUESTED: Text("보완 요청", "Changes requested"),
    ReviewState.REJECTED: Text("반려", "Rejected"),
    ReviewState.WITHDRAWN: Text("철회", "Withdrawn"),
}


def next_state(current: ReviewState, action: ReviewAction) -> ReviewState:
    """The state ``action`` leads to from ``current``; ``Conflict`` if none."""
    target = TRANSITIONS.get((current, action))
    if target is None:
        label = STATE_LABELS[current]
        raise Conflict(
            Text(
                f"'{label.ko}' 상태에서는 이 작업을 할 수 없습니다."
                " 새로 고쳐 확인해 주세요.",
                f"This cannot be done while the product is '{label.en}'. Reload to see"
                " its current state.",
            )
        )
    return target


def state_after_edit(current: ReviewState) -> ReviewState:
    """The state an edited product moves to; ``Conflict`` if it is final."""
    target = AFTER_EDIT.get(current)
    if target is None:
        label = STATE_LABELS[current]
        raise Conflict(
            Text(
                f"'{label.ko}' 상태의 제품은 수정할 수 없습니다.",
                f"A product that is '{label.en}' cannot be edited.",
            )
        )
    return target


def clean_reason(action: ReviewAction, reason: str) -> str:
    """The staff's reason, required for requests for changes and rejections."""
    reason = (reason or "").strip()
    if action in REASON_REQUIRED and not reason:
        raise ValidationFailed(
            {"reason": Text("사유를 입력해 주세요.", "Please give a reason.")}
        )
    if len(reason) > 2000:
        raise ValidationFailed(
            {"reason": Text("사유는 2000자 이하입니다.", "At most 2000 characters.")}
        )
    return reason


def record_transition(
    db: AsyncSession,
    *,
    product: Product,
    actor: User | None,
    action: str,
    from_state: ReviewState | None,
    to_state: ReviewState | None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit row for ``product`` (flushes with the caller's transaction)."""
    event = AuditEvent(
        actor_user_id=actor.id if actor else None,
        subject_type="product",
        subject_id=product.id,
        action=action,
        from_state=from_state.value if from_state else None,
        to_state=to_state.value if to_state else None,
        reason=reason,
        details=details or {},
    )
    db.add(event)
    return event
