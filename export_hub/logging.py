"""Logging set-up with secret redaction.

python-amazon-sp-api logs request headers (the access token among them) at
DEBUG, so its loggers are capped at INFO and every record passes a filter that
masks anything that looks like a bearer or LWA token, an OAuth code or state
in a query string, or the secret part of a capability URL (manage links,
calendar feeds) in an access-log line.

httpx and httpcore log one INFO line per request; with the emulators served
in-process every marketplace call would be a line, so they are capped at
WARNING. The web's one line per request is aiohttp's access log
(``aiohttp.access``); the emulators run without one.
"""

from __future__ import annotations

import logging
import re

_HEADER_NAMES = "x-amz-access-token|Authorization|X-EBAY-API-IAF-TOKEN"
_QUERY_NAMES = "refresh_token|access_token|client_secret|code|spapi_oauth_code|state"
_SECRET_PATTERNS = [
    re.compile(r"(Atz[ar]\|)[A-Za-z0-9_\-|=+/]+"),
    re.compile(r"(v\^1\.1#)[A-Za-z0-9_\-#^=+/.]+"),
    re.compile(
        rf"((?:{_HEADER_NAMES})['\"]?\s*[:=]\s*['\"]?(?:Bearer\s+)?)[^'\",\s}}]+",
        re.IGNORECASE,
    ),
    re.compile(rf"((?:{_QUERY_NAMES})=)[^&\s\"]+"),
    # Capability URLs carry their secret in the path: a consultation's manage
    # link and an office's calendar feed. Access logs must not keep them.
    re.compile(r"(/consultations/manage/)[A-Za-z0-9_-]{20,100}"),
    re.compile(r"(/consultations/feeds/[A-Za-z0-9_-]+/)[A-Za-z0-9_-]{20,100}"),
    # Single-use links that set a password: an invitation, a reset.
    re.compile(r"(/invite/|/password/reset/)[A-Za-z0-9_-]{20,100}"),
    # PostgreSQL repeats a refused row's values in its DETAIL line ("Key
    # (email)=(someone@example.kr) already exists"), whatever SQLAlchemy's
    # hide_parameters says: keep the key's name, not its value.
    re.compile(r"(Key \([^)]*\)=\()[^)]*(?=\))"),
]
NOISY_LOGGERS = ("sp_api", "httpx", "httpcore", "ebaysdk", "urllib3")
#: Loggers that write a line per outgoing request at INFO.
PER_REQUEST_LOGGERS = ("httpx", "httpcore")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


class RedactingFilter(logging.Filter):
    """Masks secrets in the message and in the traceback of every record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def configure_logging(level: str = "INFO") -> None:
    """Log to stderr through the redacting filter; never below INFO for the
    HTTP and marketplace libraries, which would log tokens at DEBUG."""
    root = logging.getLogger()
    installed = any(
        isinstance(f, RedactingFilter) for h in root.handlers for f in h.filters
    )
    if not installed:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    root.setLevel(level)
    numeric = logging.getLevelName(level)
    floor = numeric if isinstance(numeric, int) else logging.INFO
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, floor))
    for name in PER_REQUEST_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, floor))
