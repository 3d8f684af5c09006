"""The consultation fixtures (offices, users of every role, a pinned clock)
serve the security tests too."""

from tests.consultations.conftest import web_client, world

__all__ = ["web_client", "world"]
