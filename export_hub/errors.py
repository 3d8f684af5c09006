"""The exception tree, grouped by what the caller must do.

::

    ExportHubError
    ├── RequestError                 the user's request cannot be done; tell them
    │   ├── ValidationFailed         400: bad input, per-field messages
    │   ├── AuthenticationRequired   401
    │   ├── PermissionDenied         403
    │   ├── NotFound                 404: also for what the caller may not see
    │   └── Conflict                 409: lost a race or a duplicate; reload
    └── MarketplaceError             a marketplace call failed
        ├── TransientError           retry with backoff (429, 5xx, timeouts)
        │   ├── RateLimited          429: the marketplace's own throttle
        │   └── OutcomeUnknown       sent, no answer: look before repeating
        ├── NeedsHumanError          stop retrying; a person must act
        │   ├── InvalidListing       the marketplace rejected the content
        │   └── AuthorizationError   token revoked or expired: reconnect
        └── SkippableError           log it and go on (e.g. already deleted)

Every message is bilingual (Korean first). Marketplace errors carry the
marketplace, operation, seller, SKU and the marketplace's request id: never a
token or secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Text:
    """A user-facing message in Korean and English."""

    ko: str
    en: str

    def __str__(self) -> str:
        return f"{self.ko} / {self.en}"

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.ko


class ExportHubError(Exception):
    """Root of every error the project raises on purpose."""


class RequestError(ExportHubError):
    status = 400
    code = "bad_request"

    def __init__(self, message: Text, *, fields: dict[str, Text] | None = None):
        super().__init__(str(message))
        self.message = message
        self.fields = fields or {}

    def to_json(self, lang: str = "ko") -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message.get(lang),
                "message_ko": self.message.ko,
                "message_en": self.message.en,
                "fields": {
                    name: {"ko": text.ko, "en": text.en}
                    for name, text in self.fields.items()
                },
            }
        }


class ValidationFailed(RequestError):
    status = 400
    code = "validation_failed"

    def __init__(
        self,
        fields: dict[str, Text],
        message: Text | None = None,
    ):
        super().__init__(
            message
            or Text("입력한 내용을 확인해 주세요.", "Please check what you entered."),
            fields=fields,
        )


class AuthenticationRequired(RequestError):
    status = 401
    code = "authentication_required"

    def __init__(self, message: Text | None = None):
        super().__init__(message or Text("로그인이 필요합니다.", "Please log in."))


class PermissionDenied(RequestError):
    status = 403
    code = "permission_denied"

    def __init__(self, message: Text | None = None):
        super().__init__(
            message or Text("이 작업을 할 권한이 없습니다.", "You may not do this.")
        )


class NotFound(RequestError):
    status = 404
    code = "not_found"

    def __init__(self, message: Text | None = None):
        super().__init__(message or Text("찾을 수 없습니다.", "Not found."))


class Conflict(RequestError):
    status = 409
    code = "conflict"


@dataclass(frozen=True)
class MarketplaceIssue:
    """One problem a marketplace (or our pre-flight check) reported on a listing."""

    code: str
    message: str
    severity: str = "ERROR"  # ERROR | WARNING | INFO
    attribute_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


class MarketplaceError(ExportHubError):
    """A marketplace call failed. Never carries a token or secret."""

    def __init__(
        self,
        message: str,
        *,
        marketplace: str,
        operation: str,
        seller_id: str | None = None,
        sku: str | None = None,
        request_id: str | None = None,
        status: int | None = None,
        code: str | None = None,
        issues: tuple[MarketplaceIssue, ...] = (),
    ):
        self.message = message
        self.marketplace = marketplace
        self.operation = operation
        self.seller_id = seller_id
        self.sku = sku
        self.request_id = request_id
        self.status = status
        self.code = code
        self.issues = issues
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [f"{self.marketplace}.{self.operation}"]
        for name in ("seller_id", "sku", "status", "code", "request_id"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={value}")
        return f"{' '.join(parts)}: {self.message}"


class TransientError(MarketplaceError):
    """Worth retrying with backoff."""

    #: Seconds the marketplace asked us to wait, when it said.
    retry_after: float | None = None


class RateLimited(TransientError):
    """The marketplace throttled us (HTTP 429)."""


class OutcomeUnknown(TransientError):
    """The request may or may not have taken effect (timeout after sending).

    Look at the marketplace before repeating a create.
    """


class NeedsHumanError(MarketplaceError):
    """Retrying will not help; a person (company or staff) must act."""


class InvalidListing(NeedsHumanError):
    """The marketplace rejected the listing's content."""


class AuthorizationError(NeedsHumanError):
    """The seller's authorization is missing, revoked or expired: reconnect."""


class SkippableError(MarketplaceError):
    """Nothing to do (already gone, already done): log and go on."""


@dataclass
class FieldErrors:
    """Collects per-field errors; raise them all at once."""

    errors: dict[str, Text] = field(default_factory=dict)

    def add(self, name: str, ko: str, en: str) -> None:
        self.errors.setdefault(name, Text(ko, en))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(dict(self.errors))
