"""eBay's error codes onto the project's exception tree (no I/O)."""

from __future__ import annotations

import pytest

from connectors.ebay.errors import (
    EbayError,
    ErrorContext,
    action_owner,
    classify,
    rest_errors,
)
from export_hub.errors import (
    AuthorizationError,
    InvalidListing,
    MarketplaceError,
    NeedsHumanError,
    RateLimited,
    SkippableError,
    TransientError,
)

CTX = ErrorContext("inventory.publish_offer", "seller", "SKU-1", "req-1")


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        (25002, 400, InvalidListing),  # missing item specific, user error
        (21919303, None, InvalidListing),  # Trading: item specific missing
        (37, None, InvalidListing),  # Trading: invalid data
        (25005, 400, InvalidListing),  # category
        (25007, 400, NeedsHumanError),  # shipping policy: staff
        (931, None, AuthorizationError),
        (932, None, AuthorizationError),
        (1001, 401, AuthorizationError),
        (518, None, TransientError),
        (25001, 500, TransientError),
        (2001, 429, RateLimited),
        (21916750, None, SkippableError),  # ended
    ],
)
def test_codes_say_what_the_caller_must_do(
    code: int, status: int | None, kind: type[MarketplaceError]
) -> None:
    exc = classify([EbayError(code, "message")], CTX, status=status)
    assert type(exc) is kind
    assert exc.code == str(code)
    assert (exc.marketplace, exc.sku, exc.request_id) == ("ebay", "SKU-1", "req-1")
    assert exc.issues[0].code == str(code)


def test_daily_quota_says_when_to_come_back() -> None:
    exc = classify([EbayError(518, "usage limit")], CTX)
    assert isinstance(exc, TransientError)
    assert exc.retry_after is not None
    assert 0 < exc.retry_after <= 24 * 3600


def test_rest_errors_keep_parameters_as_attribute_names() -> None:
    [error] = rest_errors(
        [
            {
                "errorId": 25002,
                "category": "REQUEST",
                "message": "The item specific Brand is missing.",
                "parameters": [{"name": "aspectName", "value": "Brand"}],
            }
        ]
    )
    issue = error.issue()
    assert issue.attribute_names == ("Brand",)
    assert issue.categories == ("REQUEST",)
    assert action_owner(issue.code) == "company"
    assert action_owner("25007") == "staff"
    assert action_owner("revision_limit") == "staff"


def test_warnings_alone_do_not_make_an_error_disappear() -> None:
    errors = [
        EbayError(25401, "dropped", severity="WARNING"),
        EbayError(25003, "price"),
    ]
    exc = classify(errors, CTX, status=400)
    assert isinstance(exc, InvalidListing)
    assert [i.code for i in exc.issues] == ["25003"]
