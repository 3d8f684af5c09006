"""The connectors' clock: aware UTC instants.

Connectors take a ``clock`` argument wherever time matters (token expiry,
daily budgets); this is the default.
"""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """The current instant, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)
