"""Unit tests: the review state machine."""

from __future__ import annotations

import pytest

from export_hub.catalog.models import ReviewState as S
from export_hub.catalog.review import (
    ReviewAction as A,
)
from export_hub.catalog.review import (
    clean_reason,
    next_state,
    state_after_edit,
)
from export_hub.errors import Conflict, ValidationFailed


@pytest.mark.parametrize(
    ("state", "action", "target"),
    [
        (S.DRAFT, A.SUBMIT, S.SUBMITTED),
        (S.CHANGES_REQUESTED, A.SUBMIT, S.SUBMITTED),
        (S.SUBMITTED, A.APPROVE, S.APPROVED),
        (S.SUBMITTED, A.REQUEST_CHANGES, S.CHANGES_REQUESTED),
        (S.SUBMITTED, A.REJECT, S.REJECTED),
        (S.SUBMITTED, A.WITHDRAW, S.WITHDRAWN),
        (S.APPROVED, A.WITHDRAW, S.WITHDRAWN),
        (S.WITHDRAWN, A.SUBMIT, S.SUBMITTED),
    ],
)
def test_allowed_transitions(state: S, action: A, target: S) -> None:
    assert next_state(state, action) is target


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (S.DRAFT, A.APPROVE),
        (S.APPROVED, A.APPROVE),
        (S.APPROVED, A.SUBMIT),
        (S.REJECTED, A.SUBMIT),
        (S.REJECTED, A.APPROVE),
        (S.CHANGES_REQUESTED, A.APPROVE),
        (S.SUBMITTED, A.SUBMIT),
        (S.DRAFT, A.WITHDRAW),
        (S.REJECTED, A.WITHDRAW),
        (S.WITHDRAWN, A.WITHDRAW),
        (S.WITHDRAWN, A.APPROVE),
    ],
)
def test_forbidden_transitions_conflict(state: S, action: A) -> None:
    with pytest.raises(Conflict) as info:
        next_state(state, action)
    assert info.value.status == 409


def test_edits_send_products_back() -> None:
    assert state_after_edit(S.CHANGES_REQUESTED) is S.DRAFT
    assert state_after_edit(S.APPROVED) is S.APPROVED  # content waits as a revision
    assert state_after_edit(S.DRAFT) is S.DRAFT
    with pytest.raises(Conflict):
        state_after_edit(S.REJECTED)


def test_reason_is_required_for_changes_and_rejection() -> None:
    for action in (A.REQUEST_CHANGES, A.REJECT):
        with pytest.raises(ValidationFailed) as info:
            clean_reason(action, "   ")
        assert "reason" in info.value.fields
    assert clean_reason(A.APPROVE, "") == ""
    assert clean_reason(A.REJECT, " no FDA registration ") == "no FDA registration"
