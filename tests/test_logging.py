"""Secrets never reach the logs: tokens, OAuth codes, capability URLs."""

from __future__ import annotations

import logging

import pytest

from export_hub.logging import RedactingFilter, redact

SECRETS = [
    "Atza|IwEBIExampleAccessToken0123456789",
    "Atzr|IwEBIExampleRefreshToken0123456789",
    "v^1.1#i^1#p^3#r^1#I^3#f^0#t^Ul4xMF8yOjExExample",
]


@pytest.mark.parametrize("secret", SECRETS)
def test_marketplace_tokens_are_masked(secret: str) -> None:
    line = f"headers={{'x-amz-access-token': '{secret}'}} body={secret}"
    assert secret not in redact(line)


def test_oauth_codes_and_capability_urls_are_masked() -> None:
    token = "Q2hvb3NlLWEtbG9uZy1yYW5kb20tdG9rZW4tMTIzNDU2"
    lines = [
        f'"GET /consultations/manage/{token} HTTP/1.1" 200',
        f'"GET /consultations/feeds/FRA/{token}.ics HTTP/1.1" 200',
        f'"GET /invite/{token} HTTP/1.1" 200',
        f'"POST /password/reset/{token} HTTP/1.1" 303',
        f"GET /marketplaces/amazon/callback?state={token}&spapi_oauth_code={token}",
        f"POST /identity/v1/oauth2/token code={token}&grant_type=authorization_code",
    ]
    for line in lines:
        assert token not in redact(line), line


def test_filter_rewrites_access_log_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("aiohttp.access")
    handler_filter = RedactingFilter()
    caplog.handler.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.INFO, logger="aiohttp.access"):
            logger.info('"GET %s HTTP/1.1"', "/consultations/manage/" + "A" * 43)
    finally:
        caplog.handler.removeFilter(handler_filter)
    assert "A" * 43 not in caplog.text
    assert "/consultations/manage/***" in caplog.text
