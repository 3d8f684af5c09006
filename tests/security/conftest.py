"""The consultation fixtures, for the privacy tests."""

from tests.consultations.conftest import web_client, world  # noqa: F401
