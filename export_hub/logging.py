"""Logging set-up with secret redaction.

python-amazon-sp-api logs request headers (the access token among them) at
DEBUG, so its loggers are capped at INFO and every record passes a filter that
masks anything that looks like a bearer or LWA token.
"""

from __future__ import annotations

import logging
import re

_SECRET_PATTERNS = [
    re.compile(r"(Atz[ar]\|)[A-Za-z0-9_\-|=+/]+"),
    re.compile(r"(v\^1\.1#)[A-Za-z0-9_\-#^=+/.]+"),
    re.compile(r"((?:x-amz-access-token|Authorization|X-EBAY-API-IAF-TOKEN)['\"]?\s*[:=]\s*['\"]?(?:Bearer\s+)?)[^'\",\s}]+", re.I),
    re.compile(r"((?:refresh_token|access_token|client_secret|code)=)[^&\s]+"),
]
NOISY_LOGGERS = ("sp_api", "httpx", "httpcore", "ebaysdk", "urllib3")


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(isinstance(f, RedactingFilter) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    root.setLevel(level)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level) if isinstance(logging.getLevelName(level), int) else logging.INFO))
